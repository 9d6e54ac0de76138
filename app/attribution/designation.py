"""A réservataire designates candidates for a dwelling oriented to it (CCH R.441-3).

The proposed list comes from the proposal engine (applicants first, then the pool). The
réservataire may reorder, remove or add candidates; every change needs a written reason and
makes a new version of the list (a ``Proposal`` superseding the previous one, with the change
and its reason), so the whole history of the list is kept. A form names the version it was
filled from: an edit or designation against an older version is refused (stale edit), and the
database keeps at most one successor per version.

The designation hands the list to the bailleur: three candidates, or fewer with a recorded
exception. After the designation deadline the dwelling goes back to the bailleur (the
convention's takeback, issue 7): a late designation is refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.adapters import proposals as adapter
from app.attribution.models import (
    MAX_CANDIDATES,
    Designation,
    Proposal,
    ProposalCandidate,
)
from app.attribution.services import Refused, StaleEdit, event, expect_status, lock_offre
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Offre
from app.territoire.models import Commune

# Fewer than three candidates: the exceptions the regulation allows (CCH R.441-3).
FEWER_EXCEPTIONS = {
    "candidats_insuffisants": "Nombre insuffisant de candidats",
    "dalo_prefet": "Ménage reconnu DALO désigné par le préfet",
    "plai_adapte": "Logement PLAI adapté",
}
CHANGE_LABELS = {"ordre": "Ordre modifié", "retrait": "Candidat retiré", "ajout": "Candidat ajouté"}
MAX_REASON = 2000


@dataclass
class Candidate:
    demande: Demande
    score: float | None
    explanation: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- the engine side


@dataclass
class EngineList:
    """The engine's dossier for an offer as rows: candidates, and why fewer than three."""

    candidates: list[Candidate]
    exception: str | None = None
    parameters: dict = field(default_factory=dict)


def engine_list(offre: Offre, on: date, pools: dict | None = None) -> EngineList:
    """The proposal engine's ranked candidates for an offer (``matching.proposals.propose``
    through ``app.adapters.proposals``): the requesters who applied first, completed from the
    eligible demandes of the territory's pool wishing the dwelling when fewer than three are
    eligible; the EPCI's grid, the policy of the réservataire and bailleur, no demande put
    first while it is first on another open dossier. The pool is built once per request."""
    proposed = adapter.propose_offer(db.session, offre, on, pools)
    return _as_rows(proposed, on)


def _as_rows(proposed: adapter.Proposed, on: date) -> EngineList:
    dossier = proposed.dossier
    ids = [int(c.id) for c in dossier.candidates]
    found = {d.id: d for d in db.session.scalars(select(Demande).where(Demande.id.in_(ids)))}
    rows = [Candidate(found[int(c.id)], c.score, adapter.candidate_explanation(c))
            for c in dossier.candidates]
    return EngineList(rows, dossier.exception, proposed.parameters(on))


def engine_candidates(offre: Offre, on: date, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The engine's ranked candidates for an offer (see ``engine_list``)."""
    return engine_list(offre, on).candidates[:limit]


# --------------------------------------------------------------------------- the working list


def current_proposal(offre: Offre) -> Proposal | None:
    """The latest version of the offer's list (the one no other version supersedes)."""
    newer = Proposal.__table__.alias("newer")
    return db.session.scalar(
        select(Proposal).where(
            Proposal.offre_id == offre.id,
            ~select(newer.c.id).where(newer.c.supersedes_id == Proposal.id).exists(),
        ).order_by(Proposal.id.desc()).limit(1)
    )


def working_list(offre: Offre, *, actor: User | None, on: date) -> Proposal:
    """The offer's current list, made from the engine's candidates the first time."""
    proposal = current_proposal(offre)
    if proposal is not None:
        return proposal
    return store_engine_list(offre, engine_list(offre, on), actor=actor)


def store_engine_list(offre: Offre, found: EngineList, *, actor: User | None) -> Proposal:
    """The engine's list as the offer's first version: its candidates with their
    explanations, the engine's parameters, and why fewer than three (CCH R.441-3)."""
    proposal = Proposal(
        offre_id=offre.id, source="matching", created_by_id=actor.id if actor else None,
        parameters=found.parameters,
        fewer_than_three_reason=found.exception if len(found.candidates) < MAX_CANDIDATES
        else None,
    )
    for rank, c in enumerate(found.candidates[:MAX_CANDIDATES], start=1):
        proposal.candidates.append(ProposalCandidate(
            demande_id=c.demande.id, rank=rank, score=c.score, explanation=c.explanation))
    db.session.add(proposal)
    db.session.flush()
    return proposal


def awaiting_candidates(reservataire_id: int | None = None) -> list[Offre]:
    """Oriented offers with no list yet (in order of designation deadline)."""
    stmt = (select(Offre).where(Offre.flux_status == "oriente",
                                ~select(Proposal.id).where(Proposal.offre_id == Offre.id)
                                .exists())
            .order_by(Offre.designation_deadline, Offre.id))
    if reservataire_id is not None:
        stmt = stmt.where(Offre.reservataire_id == reservataire_id)
    return list(db.session.scalars(stmt))


def propose_all(offres: list[Offre], *, on: date, actor: User | None = None,
                progress=None) -> list[Proposal]:
    """Batch mode: one engine list per offer, no demande proposed twice in the batch
    (``matching.proposals.propose_batch``), nor first while first on another open dossier."""
    proposed = adapter.propose_offers(db.session, offres, on, progress)
    return [store_engine_list(p.offre, _as_rows(p, on), actor=actor) for p in proposed]


def engine_exception(offre: Offre) -> str | None:
    """Why the engine proposed fewer than three candidates for the offer (its first list)."""
    first = db.session.scalar(select(Proposal).where(
        Proposal.offre_id == offre.id, Proposal.source == "matching").order_by(Proposal.id)
        .limit(1))
    return (first.parameters or {}).get("exception") if first is not None else None


def history(offre: Offre) -> list[Proposal]:
    """Every version of the offer's list, oldest first (what changed, why, by whom)."""
    return list(db.session.scalars(
        select(Proposal).where(Proposal.offre_id == offre.id).order_by(Proposal.id)))


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Refused("Indiquez la raison de ce changement : elle est conservée.", "reason")
    if len(text) > MAX_REASON:
        raise Refused(f"La raison ne peut dépasser {MAX_REASON} caractères.", "reason")
    return text


def _own_oriented(offre_id: int, actor: User) -> Offre:
    offre = lock_offre(offre_id)
    if offre.reservataire_id != actor.organisation_id:
        raise Refused("Ce logement n'est pas orienté vers votre organisation.")
    expect_status(offre, "oriente")
    return offre


def change_list(offre: Offre, *, version: int | None, kind: str, reason: str | None,
                actor: User, demande: Demande | None = None, order: list[int] | None = None
                ) -> Proposal:
    """A new version of the list with one change: ``ordre`` (``order``: demande ids in the new
    order), ``retrait`` or ``ajout`` (``demande``), with its written reason."""
    offre = _own_oriented(offre.id, actor)
    current = current_proposal(offre)
    if current is None or version != current.id:
        raise StaleEdit()
    text = _reason(reason)
    ids = [c.demande_id for c in current.candidates]
    if kind == "ordre":
        if order is None or sorted(order) != sorted(ids):
            raise Refused("Le nouvel ordre doit reprendre exactement les candidats de la liste.",
                          "order")
        if order == ids:
            raise Refused("L'ordre proposé est celui de la liste actuelle.", "order")
        new_ids = list(order)
    elif kind == "retrait":
        if demande is None or demande.id not in ids:
            raise Refused("Ce candidat n'est pas dans la liste.", "demande")
        new_ids = [i for i in ids if i != demande.id]
    elif kind == "ajout":
        if demande is None:
            raise Refused("Choisissez la demande à ajouter.", "demande")
        if demande.id in ids:
            raise Refused("Cette demande est déjà dans la liste.", "demande")
        if len(ids) >= MAX_CANDIDATES:
            raise Refused(f"La liste compte déjà {MAX_CANDIDATES} candidats : retirez-en un "
                          "avant d'en ajouter un autre.", "demande")
        if demande.status != "active":
            raise Refused("Cette demande n'est pas active.", "demande")
        new_ids = [*ids, demande.id]
    else:
        raise Refused("Changement inconnu.")
    previous = {c.demande_id: c for c in current.candidates}
    new = Proposal(
        offre_id=offre.id, source="manuel", created_by_id=actor.id, supersedes_id=current.id,
        change_kind=kind, change_reason=text,
        change_demande_id=demande.id if demande is not None else None,
        parameters=dict(current.parameters or {}),
    )
    for rank, demande_id in enumerate(new_ids, start=1):
        old = previous.get(demande_id)
        moved = old is None or old.rank != rank
        new.candidates.append(ProposalCandidate(
            demande_id=demande_id, rank=rank, score=old.score if old else None,
            explanation=old.explanation if old else {"source": "ajout", "lines": [
                "Ajouté par le réservataire depuis son vivier"]},
            override_reason=text if moved else (old.override_reason if old else None),
        ))
    db.session.add(new)
    db.session.flush()
    return new


def search_pool(offre: Offre, query: str, limit: int = 10) -> list[Demande]:
    """Active demandes of the dwelling's territory by NUR prefix or name (for « ajouter »)."""
    text = (query or "").strip()[:100]
    if len(text) < 2:
        return []
    epci_id = db.session.scalar(
        select(Commune.epci_id).where(Commune.insee == offre.logement.commune_insee))
    like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(Demande).where(
            Demande.status == "active", Demande.purged_at.is_(None),
            or_(Demande.nur.like(f"{like}%", escape="\\"),
                func.lower(Demande.last_name).like(f"{like.lower()}%", escape="\\"),
                func.lower(Demande.first_name).like(f"{like.lower()}%", escape="\\")))
        .order_by(Demande.nur).limit(limit)
    )
    if epci_id is not None:
        stmt = stmt.where(Demande.epci_id == epci_id)
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------- designation


def designate(offre: Offre, *, version: int | None, actor: User, on: date,
              exception: str | None = None, exception_detail: str | None = None
              ) -> list[Designation]:
    """Designate the current list to the bailleur (offer ``oriente`` → ``designe``)."""
    offre = _own_oriented(offre.id, actor)
    if offre.designation_deadline is not None and on > offre.designation_deadline:
        raise Refused(
            f"Le délai de désignation a expiré le {offre.designation_deadline:%d/%m/%Y} : "
            "conformément à la convention, le logement revient au bailleur. Votre "
            "désignation n'a pas été enregistrée.")
    current = current_proposal(offre)
    if current is None or version != current.id:
        raise StaleEdit()
    candidates = list(current.candidates)
    if not candidates:
        raise Refused("La liste est vide : ajoutez au moins un candidat.")
    if len(candidates) > MAX_CANDIDATES:  # pragma: no cover - the table's CHECK holds it
        raise Refused(f"Au plus {MAX_CANDIDATES} candidats.")
    reason = None
    if len(candidates) < MAX_CANDIDATES:
        if exception not in FEWER_EXCEPTIONS:
            raise Refused(
                f"Moins de {MAX_CANDIDATES} candidats : choisissez le motif de l'exception "
                "(CCH R.441-3).", "exception")
        detail = (exception_detail or "").strip()[:MAX_REASON]
        reason = FEWER_EXCEPTIONS[exception] + (f" : {detail}" if detail else "")
    rows = []
    for c in candidates:
        demande = db.session.get(Demande, c.demande_id)
        if demande.status != "active":
            raise Refused(f"La demande {demande.nur} n'est plus active : retirez-la de la liste.")
        rows.append(Designation(
            offre_id=offre.id, demande_id=c.demande_id, reservataire_id=offre.reservataire_id,
            rank=c.rank, designated_by_id=actor.id, reason=c.override_reason,
            fewer_than_three_reason=reason if c.rank == 1 else None,
        ))
    if reason is not None and current.fewer_than_three_reason is None:
        current.fewer_than_three_reason = reason  # else the engine's reason stays on the list
    db.session.add_all(rows)
    offre.flux_status = "designe"
    db.session.flush()
    event(offre, "designation", on, actor=actor, details={
        "candidates": [db.session.get(Demande, r.demande_id).nur for r in rows],
        "proposal": current.id, "exception": reason,
    })
    return rows


def designations(offre: Offre) -> list[Designation]:
    return list(db.session.scalars(
        select(Designation).where(Designation.offre_id == offre.id).order_by(Designation.rank)))
