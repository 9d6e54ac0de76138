"""Rows ⇄ the proposal engine (``matching.proposals``, docs/formats.md section « propose »).

- ``TerritoryPool``: the active demandes of one EPCI as a ``Pool`` (``load_table`` with every
  column, the retained income and the maximum rent), the EPCI's cotation grid (as
  ``app.cotation.services`` picks it) and its communes; the records of the chosen rows only
  are read from the database for the explanations. Built once per request (kept in the WSGI
  environ of the request) or once per batch, never per candidate.
- ``policy_set``: the configured preset (``PROPOSAL_POLICY``, default ``defaut``) with what the
  database knows of each réservataire (its kind; a commune réservataire's commune when its
  slug ends with the INSEE code).
- ``applications``: the offer's candidatures that were not withdrawn; ``engaged``: the best rank
  of each demande on the other open dossiers (working lists of oriented offers, designations
  of designated offers and of offers before the CAL).
- ``candidate_explanation``: what is stored with a proposed candidate (the engine's figures
  plus a French summary, ``sections``, shown on the réservataire's and the CAL's dossiers).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from flask import current_app, has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organisation
from app.adapters.records import demande_record, offre_record
from app.attribution.models import Candidature, Designation, Proposal, ProposalCandidate
from app.cotation.columns import Dialect, load_table, read_columns
from app.cotation.services import NoGrid, epci_communes, grid_for_epci
from app.demandes.models import Demande
from app.flux.models import Offre
from app.territoire.models import Commune
from matching import fr
from matching import records as mrecords
from matching.eligibility import REASON_LABELS
from matching.grid import Grid
from matching.proposals import (
    Application,
    Candidate,
    Dossier,
    PolicySet,
    Pool,
    load_policy_set,
    propose,
    propose_batch,
    retained_income,
)

OPEN_LIST = ("oriente",)  # the working list (current proposal) is the open dossier
OPEN_DESIGNATED = ("designe", "en_cal")  # the designations are the open dossier
_ENVIRON_KEY = "cotaflux.proposal_pools"


# --------------------------------------------------------------------------- the pool


@dataclass
class TerritoryPool:
    """One EPCI's demandes for proposals, its grid and communes (see the module docstring)."""

    epci_id: int
    pool: Pool
    grid: Grid | None
    communes: list[str]
    no_grid: str | None = None
    builds: int = 1
    _records: dict[int, mrecords.Demande] = field(default_factory=dict)


def _records_loader(session: Session, ids: np.ndarray, cache: dict[int, mrecords.Demande]
                    ) -> Callable[[Sequence[int]], list[mrecords.Demande]]:
    """Rows → records, read from the database (each row once)."""

    def load(rows: Sequence[int]) -> list[mrecords.Demande]:
        missing = [int(r) for r in rows if int(r) not in cache]
        if missing:
            by_id = {int(ids[r]): r for r in missing}
            found = session.scalars(
                select(Demande).where(Demande.id.in_(list(by_id))).options(
                    selectinload(Demande.members), selectinload(Demande.reasons),
                    selectinload(Demande.employments), selectinload(Demande.wished_communes),
                    selectinload(Demande.wished_typologies),
                    selectinload(Demande.priority_criteria), selectinload(Demande.refusals),
                    selectinload(Demande.verifications)))
            for d in found:
                cache[by_id[d.id]] = demande_record(d)
        return [cache[int(r)] for r in rows]

    return load


def build_pool(session: Session, epci: Organisation) -> TerritoryPool:
    """Load the EPCI's active demandes and prepare its pool (one call per request/batch)."""
    table = load_table(session, epci.id)  # no ``needs``: proposals read every column
    d = Dialect(session.get_bind().dialect.name)
    extra = read_columns(session, (
        f"SELECT id, {d.real('rfr_n1')}, {d.real('resources_last_12_months')}, "
        f"{d.real('max_rent')} FROM demandes WHERE epci_id = {int(epci.id)} "
        f"AND status = 'active' ORDER BY id"),
        [("id", "i4"), ("n1", "f8"), ("l12", "f8"), ("max_rent", "f8")])
    if not np.array_equal(extra["id"], table.ids):  # pragma: no cover - same filter and order
        raise RuntimeError("demandes modifiées pendant le chargement du vivier")
    cache: dict[int, mrecords.Demande] = {}
    pool = Pool(table, _records_loader(session, table.ids, cache),
                rfr_used=retained_income(table.rfr_n2, extra["n1"], extra["l12"]),
                max_rent=extra["max_rent"])
    grid, no_grid = None, None
    try:
        grid = grid_for_epci(session, epci)
    except NoGrid as exc:
        no_grid = str(exc)
    return TerritoryPool(epci.id, pool, grid, epci_communes(session, epci), no_grid,
                         _records=cache)


def territory_pool(session: Session, epci: Organisation,
                   cache: dict[int, TerritoryPool] | None = None) -> TerritoryPool:
    """The EPCI's pool, built once per request (or per ``cache`` given by a batch)."""
    if cache is None and has_request_context():
        cache = request.environ.setdefault(_ENVIRON_KEY, {})
    if cache is not None and epci.id in cache:
        return cache[epci.id]
    built = build_pool(session, epci)
    if cache is not None:
        cache[epci.id] = built
    return built


def offer_epci(session: Session, offre: Offre) -> Organisation | None:
    """The EPCI of the dwelling's commune."""
    return session.scalar(
        select(Organisation).join(Commune, Commune.epci_id == Organisation.id)
        .where(Commune.insee == offre.logement.commune_insee))


# --------------------------------------------------------------------------- policy, inputs


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(part for part in re.split(r"[^a-z0-9]+", plain) if part)


def _commune_of(session: Session, org: Organisation) -> str | None:
    """A commune réservataire's INSEE code: its slug ends with the code, or with the name of
    exactly one commune (of its EPCI when known), e.g. ``commune-orleans``."""
    tail = org.slug.rsplit("-", 1)[-1]
    if len(tail) == 5 and tail[:2].isalnum() and tail[2:].isdigit():
        return tail.upper()
    stmt = select(Commune.insee, Commune.name)
    if org.territory_epci_id is not None:
        stmt = stmt.where(Commune.epci_id == org.territory_epci_id)
    found = [insee for insee, name in session.execute(stmt)
             if org.slug == _folded(name) or org.slug.endswith("-" + _folded(name))]
    return found[0] if len(found) == 1 else None


def policy_set(session: Session) -> PolicySet:
    """The configured preset (``PROPOSAL_POLICY``: a preset id of ``matching/policies`` or a
    YAML file; rules per bailleur, réservataire or réservataire kind), with the kind of every
    réservataire of the platform and the commune of commune réservataires."""
    ref = current_app.config.get("PROPOSAL_POLICY") or "defaut"
    base = load_policy_set(ref)
    kinds = dict(base.kinds)
    communes = dict(base.communes)
    for org in session.scalars(select(Organisation).where(Organisation.kind == "reservataire")):
        kinds.setdefault(org.slug, org.reservataire_kind)
        if org.reservataire_kind == "commune" and org.slug not in communes:
            code = _commune_of(session, org)
            if code is not None:
                communes[org.slug] = code
    return dataclasses.replace(base, kinds=kinds, communes=communes)


def applications(session: Session, offres: Iterable[Offre]) -> list[Application]:
    """The candidatures of these offers not withdrawn (engine records; demande = database id)."""
    ref_of = {o.id: o.ref for o in offres}
    if not ref_of:
        return []
    rows = session.execute(
        select(Candidature.offre_id, Candidature.demande_id, Candidature.applied_at)
        .where(Candidature.offre_id.in_(list(ref_of)), Candidature.status != "retiree",
               Candidature.withdrawn_at.is_(None))
        .order_by(Candidature.applied_at, Candidature.id))
    return [Application(demande=str(demande_id), offer=ref_of[offre_id],
                        applied_on=applied_at.date())
            for offre_id, demande_id, applied_at in rows]


def engaged(session: Session, exclude: Iterable[int] = ()) -> dict[str, int]:
    """Demande (database id) → its best rank on the open dossiers other than ``exclude``:
    the current working list of each oriented offer, the designations of designated offers
    and of offers before the CAL."""
    excluded = list(exclude)
    newer = Proposal.__table__.alias("newer")
    lists = (select(ProposalCandidate.demande_id, ProposalCandidate.rank)
             .join(Proposal, Proposal.id == ProposalCandidate.proposal_id)
             .join(Offre, Offre.id == Proposal.offre_id)
             .where(Offre.flux_status.in_(OPEN_LIST),
                    ~select(newer.c.id).where(newer.c.supersedes_id == Proposal.id).exists()))
    designated = (select(Designation.demande_id, Designation.rank)
                  .join(Offre, Offre.id == Designation.offre_id)
                  .where(Offre.flux_status.in_(OPEN_DESIGNATED)))
    if excluded:
        lists = lists.where(Proposal.offre_id.not_in(excluded))
        designated = designated.where(Designation.offre_id.not_in(excluded))
    both = lists.union_all(designated).subquery()
    rows = session.execute(select(both.c.demande_id, func.min(both.c.rank))
                           .group_by(both.c.demande_id))
    return {str(demande_id): int(rank) for demande_id, rank in rows}


# --------------------------------------------------------------------------- proposing


@dataclass
class Proposed:
    """The engine's dossier for one offer, as the application stores it."""

    offre: Offre
    dossier: Dossier
    grid: str | None
    policy: str

    def parameters(self, on: date) -> dict[str, Any]:
        return {"on": on.isoformat(), "engine": "matching.proposals", "grid": self.grid,
                "policy": self.policy, "exception": self.dossier.exception,
                "shortfall": _plain(self.dossier.shortfall)}


def _no_grid(offre: Offre, reason: str) -> Dossier:
    return Dossier(offre.ref, (), "Aucun candidat proposé automatiquement : " + reason + ".",
                   "aucune")


def propose_offer(session: Session, offre: Offre, on: date,
                  cache: dict[int, TerritoryPool] | None = None) -> Proposed:
    """The engine's candidates for one offer (its applicants first, then the pool)."""
    epci = offer_epci(session, offre)
    if epci is None:
        return Proposed(offre, _no_grid(offre, "la commune du logement n'appartient à aucun "
                                               "EPCI connu"), None, "aucune")
    tp = territory_pool(session, epci, cache)
    if tp.grid is None:
        return Proposed(offre, _no_grid(offre, tp.no_grid or "aucune grille"), None, "aucune")
    policies = policy_set(session)
    dossier = propose(offre_record(offre), tp.pool, applications(session, [offre]), policies,
                      tp.grid, on, engaged=engaged(session, [offre.id]),
                      epci_communes=tp.communes or None)
    return Proposed(offre, dossier, tp.grid.ref, dossier.policy)


def propose_offers(session: Session, offres: Sequence[Offre], on: date,
                   progress: Callable[[str], None] | None = None) -> list[Proposed]:
    """Batch mode: every offer of an EPCI at once (``propose_batch``), no demande twice in
    the batch nor first on another open dossier; one pool per EPCI."""
    step = progress or (lambda _text: None)
    by_epci: dict[int | None, list[Offre]] = {}
    epcis: dict[int, Organisation] = {}
    for o in offres:
        epci = offer_epci(session, o)
        if epci is not None:
            epcis[epci.id] = epci
        by_epci.setdefault(epci.id if epci else None, []).append(o)
    policies = policy_set(session)
    busy = engaged(session, [o.id for o in offres])
    out: dict[int, Proposed] = {}
    for epci_id, group in by_epci.items():
        if epci_id is None:
            for o in group:
                out[o.id] = Proposed(o, _no_grid(o, "la commune du logement n'appartient à "
                                                    "aucun EPCI connu"), None, "aucune")
            continue
        epci = epcis[epci_id]
        tp = build_pool(session, epci)
        step(f"{epci.name} : {len(tp.pool)} demandes actives chargées, "
             f"{len(group)} logement(s) à proposer")
        if tp.grid is None:
            for o in group:
                out[o.id] = Proposed(o, _no_grid(o, tp.no_grid or "aucune grille"), None,
                                     "aucune")
            continue
        # A demande belongs to one EPCI: no demande can be chosen in two groups; ``busy``
        # holds the open dossiers outside the batch.
        dossiers = propose_batch([offre_record(o) for o in group], tp.pool,
                                 applications(session, group), policies, tp.grid, on,
                                 engaged=busy, epci_communes=tp.communes or None)
        for o, dossier in zip(group, dossiers, strict=True):
            out[o.id] = Proposed(o, dossier, tp.grid.ref, dossier.policy)
        step(f"{epci.name} : {sum(len(d.candidates) for d in dossiers)} candidats proposés")
    return [out[o.id] for o in offres]


# --------------------------------------------------------------------------- explanations


def _plain(value: Any) -> Any:
    """Mappings and tuples of the engine → JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def candidate_explanation(candidate: Candidate) -> dict[str, Any]:
    """What is stored with a proposed candidate: the engine's explanation (figures), its
    reasons, and the French summary ``sections`` the dossiers show."""
    data = _plain(candidate.explanation)
    data["reasons"] = list(candidate.reasons)
    data["rank"] = candidate.rank
    data["sections"] = explanation_sections(data)
    return data


_SOURCE = {"candidature": "A candidaté à ce logement", "vivier": "Demande du vivier"}
_RFR_SOURCE = {"rfr_n2": "revenu fiscal de référence N-2", "rfr_n1": "revenu fiscal N-1",
               "resources_last_12_months": "ressources des douze derniers mois"}


def _money(value: Any) -> str:
    return fr.eur(float(value)) if isinstance(value, int | float) else "non connu"


def explanation_sections(e: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A readable French rendering of an engine explanation: titled groups of lines."""
    out: list[dict[str, Any]] = []
    source = e.get("source")
    line = _SOURCE.get(source, "Ajouté à la liste")
    if source == "candidature" and e.get("applied_on"):
        line += f" (candidature du {fr.day(date.fromisoformat(e['applied_on']))})"
    elif source == "vivier":
        line += " : elle souhaite la commune du logement, la liste des candidatures a été complétée"
    out.append({"title": "Origine", "lines": [line]})

    priority = e.get("priority") or {}
    p_lines = []
    if priority.get("dalo_etat"):
        p_lines.append("Ménage reconnu DALO, logement du contingent de l'État : placé avant "
                       "les autres")
    elif priority.get("dalo"):
        p_lines.append("Ménage reconnu DALO")
    if priority.get("menage_prioritaire") and not priority.get("dalo"):
        p_lines.append("Ménage prioritaire (critère L.441-1 ou labellisé)")
    out.append({"title": "Priorité", "lines": p_lines or ["Pas de priorité particulière"]})

    elig = e.get("eligibility") or {}
    el: list[str] = []
    if elig:
        rfr, plafond = elig.get("rfr_used"), elig.get("plafond")
        source_label = _RFR_SOURCE.get(elig.get("rfr_source"), "revenu retenu")
        if plafond is not None:
            el.append(f"Revenu retenu {_money(rfr)} ({source_label}) pour un plafond de "
                      f"{_money(plafond)} (catégorie de ménage {elig.get('category')})")
        else:
            el.append(f"Revenu retenu {_money(rfr)} ({source_label}) ; plafond non disponible")
        if elig.get("eligible"):
            el.append("Éligible au logement : toutes les conditions sont remplies")
        else:
            for reason in elig.get("reasons") or ():
                el.append("Condition non remplie : " + (
                    reason.get("message") or REASON_LABELS.get(reason.get("code"), "")))
        for note in elig.get("notes") or ():
            el.append(str(note))
    out.append({"title": "Éligibilité", "lines": el or ["Non évaluée"]})

    ad = e.get("adequacy") or {}
    a_lines = []
    if ad:
        persons = ad.get("persons")
        low, high = ad.get("typology_min"), ad.get("typology_max")
        bounds = (f"de {low} à {high} personnes" if high else f"à partir de {low} personnes") \
            if low is not None else "sans bornes"
        a_lines.append(f"{fr.plural(int(persons or 0), 'personne')} pour un "
                       f"{ad.get('typology')} ({bounds}) : "
                       f"{'typologie adaptée' if ad.get('typology_ok') else 'typologie inadaptée'}")
        if ad.get("surface") is not None and ad.get("surface_min") is not None:
            a_lines.append(f"Surface {fr.decimal(float(ad['surface']))} m² pour un minimum de "
                           f"{fr.decimal(float(ad['surface_min']))} m²")
    te, rav = e.get("taux_effort"), e.get("reste_a_vivre")
    a_lines.append(f"Taux d'effort : {fr.pct(float(te)) if te is not None else 'non calculé'}")
    a_lines.append("Reste à vivre : " + (f"{fr.eur(float(rav), 2)} par jour et par unité de "
                                         "consommation" if rav is not None else "non calculé"))
    out.append({"title": "Adéquation et taux d'effort", "lines": a_lines})

    cot = e.get("cotation") or {}
    c_lines: list[str] = []
    if "error" in cot:
        c_lines.append(f"La grille ne s'applique pas à cette demande ({cot['error']})")
    elif cot:
        score = e.get("score")
        c_lines.append("Cotation pour la commune du logement : " + (
            f"{fr.decimal(float(score))} points" if score is not None else "non calculée"))
        for crit in cot.get("criteria") or ():
            effect = crit.get("effect")
            sign = f"{'+' if effect >= 0 else '−'}{fr.decimal(abs(float(effect)))}" \
                if isinstance(effect, int | float) else str(effect)
            c_lines.append(f"{crit.get('label')} : {sign}")
        if cot.get("priority_reasons"):
            c_lines.append("Priorité de la grille : " + ", ".join(cot["priority_reasons"]))
    out.append({"title": "Cotation", "lines": c_lines or ["Non calculée"]})

    reasons = e.get("reasons") or []
    if reasons:
        out.append({"title": "Place dans la liste", "lines": [str(r)[:1].upper() + str(r)[1:]
                                                             for r in reasons]})
    return out


__all__ = ["OPEN_DESIGNATED", "OPEN_LIST", "Proposed", "TerritoryPool", "applications",
           "build_pool", "candidate_explanation", "engaged", "explanation_sections",
           "offer_epci", "policy_set", "propose_offer", "propose_offers", "territory_pool"]
