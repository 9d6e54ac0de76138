"""The commission d'attribution (CAL/CALEOL): sessions, agenda, decisions, minutes (CCH R.441-3).

Decisions per candidate: (a) attribution; (b) attribution par rang (1, 2, 3: the next one gets
the dwelling if the previous refuses); (c) attribution sous condition suspensive (the missing
document and a deadline); (d) non-attribution and (e) irrecevabilité, each with its reasons
(notified to the applicant). A recorded decision is never edited: a correcting decision names
the one it supersedes (the table refuses UPDATE and DELETE). When the session is closed, the
first-ranked candidate of each dossier receives the proposal (``services.allocate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from app.accounts.models import User
from app.attribution.designation import current_proposal, designations, engine_exception
from app.attribution.models import (
    CAL_DECISION_LABELS,
    CAL_DECISIONS,
    CAL_DECISIONS_WITH_REASONS,
    MAX_CANDIDATES,
    Attribution,
    CalConditionOutcome,
    CalDecision,
    CalDossier,
    CalSession,
    Designation,
)
from app.attribution.services import (
    Conflict,
    Refused,
    StaleEdit,
    allocate,
    event,
    expect_status,
    lock_offre,
)
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement

# Decisions that give the dwelling (in rank order) and their default rank.
ALLOCATING = ("attribution", "attribution_rang", "attribution_sous_condition")
MAX_TEXT = 2000


@dataclass
class DecisionInput:
    decision: str
    rank: int | None = None
    reasons: str | None = None
    condition: str | None = None
    condition_deadline: date | None = None


def create_session(bailleur_id: int, held_on: date, location: str | None) -> CalSession:
    session = CalSession(bailleur_id=bailleur_id, held_on=held_on,
                         location=(location or "").strip()[:200] or None)
    db.session.add(session)
    db.session.flush()
    return session


def lock_session(session: CalSession) -> CalSession:
    return db.session.scalar(
        select(CalSession).where(CalSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True))


def schedulable_offres(bailleur_id: int) -> list[Offre]:
    """The bailleur's designated offers not yet on any agenda."""
    on_agenda = select(CalDossier.offre_id)
    return list(db.session.scalars(
        select(Offre).join(Logement, Logement.id == Offre.logement_id)
        .where(Logement.bailleur_id == bailleur_id, Offre.flux_status == "designe",
               Offre.id.not_in(on_agenda))
        .order_by(Offre.designation_deadline, Offre.id)
    ))


def add_dossier(session: CalSession, offre: Offre, *, actor: User) -> CalDossier:
    """Put a designated offer of the session's bailleur on its agenda."""
    session = lock_session(session)
    if session.status != "planifiee":
        raise Refused("Cette séance est close : son ordre du jour ne change plus.")
    offre = lock_offre(offre.id)
    if offre.logement.bailleur_id != session.bailleur_id:
        raise Refused("Ce logement n'appartient pas au bailleur de la commission.", "offre")
    expect_status(offre, "designe")
    if db.session.scalar(select(CalDossier.id).where(CalDossier.offre_id == offre.id)):
        raise Conflict("Ce logement est déjà inscrit à l'ordre du jour d'une séance.")
    position = (db.session.scalar(select(func.max(CalDossier.position))
                                  .where(CalDossier.session_id == session.id)) or 0) + 1
    dossier = CalDossier(session_id=session.id, offre_id=offre.id, position=position,
                         added_by_id=actor.id)
    db.session.add(dossier)
    db.session.flush()
    return dossier


def current_decisions(session: CalSession, offre: Offre) -> dict[int, CalDecision]:
    """demande id → its decision in force (the last of its correction chain)."""
    newer = CalDecision.__table__.alias("newer")
    rows = db.session.scalars(
        select(CalDecision).where(
            CalDecision.session_id == session.id, CalDecision.offre_id == offre.id,
            ~select(newer.c.id).where(newer.c.supersedes_id == CalDecision.id).exists())
        .order_by(CalDecision.id)
    )
    return {d.demande_id: d for d in rows}


def decision_history(session: CalSession, offre: Offre) -> list[CalDecision]:
    return list(db.session.scalars(
        select(CalDecision).where(CalDecision.session_id == session.id,
                                  CalDecision.offre_id == offre.id).order_by(CalDecision.id)))


def validate(data: DecisionInput, *, on: date) -> dict[str, str]:
    """Field → French message for a decision missing what the regulation requires."""
    errors: dict[str, str] = {}
    if data.decision not in CAL_DECISIONS:
        errors["decision"] = "Choisissez la décision."
        return errors
    if data.decision == "attribution_rang" and (
            data.rank is None or not 1 <= data.rank <= MAX_CANDIDATES):
        errors["rank"] = f"Indiquez le rang (1 à {MAX_CANDIDATES})."
    if data.decision in CAL_DECISIONS_WITH_REASONS and not (data.reasons or "").strip():
        errors["reasons"] = ("Indiquez les motifs de la décision : ils sont notifiés au "
                             "demandeur.")
    if data.decision == "attribution_sous_condition":
        if not (data.condition or "").strip():
            errors["condition"] = "Indiquez la pièce manquante (condition suspensive)."
        if data.condition_deadline is None:
            errors["condition_deadline"] = "Indiquez la date limite pour lever la condition."
        elif data.condition_deadline < on:
            errors["condition_deadline"] = "La date limite ne peut pas être passée."
    for name in ("reasons", "condition"):
        if len(getattr(data, name) or "") > MAX_TEXT:
            errors[name] = f"{MAX_TEXT} caractères au plus."
    return errors


def record_decision(session: CalSession, offre: Offre, demande: Demande, data: DecisionInput, *,
                    supersedes: int | None, actor: User, on: date) -> CalDecision:
    """Record the CAL's decision for one designated candidate (or a correction of the one in
    force: ``supersedes`` must name it, else the form was stale)."""
    session = lock_session(session)
    if session.status != "planifiee":
        raise Refused("Cette séance est close : ses décisions ne changent plus.")
    offre = lock_offre(offre.id)
    expect_status(offre, "designe", "en_cal")
    if not db.session.scalar(select(CalDossier.id).where(
            CalDossier.session_id == session.id, CalDossier.offre_id == offre.id)):
        raise Refused("Ce logement n'est pas à l'ordre du jour de la séance.")
    if not db.session.scalar(select(Designation.id).where(
            Designation.offre_id == offre.id, Designation.demande_id == demande.id)):
        raise Refused("Cette demande n'est pas désignée sur ce logement.")
    errors = validate(data, on=on)
    if errors:
        field, message = next(iter(errors.items()))
        raise Refused(message, field)
    in_force = current_decisions(session, offre).get(demande.id)
    if (in_force.id if in_force else None) != supersedes:
        raise StaleEdit()
    allocating = data.decision in ALLOCATING
    conditional = data.decision == "attribution_sous_condition"
    decision = CalDecision(
        session_id=session.id, offre_id=offre.id, demande_id=demande.id,
        decision=data.decision,
        rank=(data.rank or 1) if data.decision == "attribution_rang" else (
            1 if allocating else None),
        reasons=(data.reasons or "").strip() or None,
        condition=(data.condition or "").strip() if conditional else None,
        condition_deadline=data.condition_deadline if conditional else None,
        decided_by_id=actor.id, supersedes_id=supersedes,
    )
    db.session.add(decision)
    db.session.flush()
    offre.flux_status = "en_cal"
    event(offre, "decision_cal", on, actor=actor, details={
        "demande": demande.nur, "decision": data.decision, "rank": decision.rank,
        "session": session.id, "supersedes": supersedes,
        "reasons": decision.reasons, "condition": decision.condition,
        "condition_deadline": (decision.condition_deadline.isoformat()
                               if decision.condition_deadline else None),
    })
    return decision


def ranking(offre: Offre) -> list[CalDecision]:
    """The decisions in force that give the dwelling, in rank order (then designation rank):
    who gets the proposal first, and who next after a refusal or a lapsed condition."""
    dossier = db.session.scalar(select(CalDossier).where(CalDossier.offre_id == offre.id))
    if dossier is None:
        return []
    rank_of = {d.demande_id: d.rank for d in designations(offre)}
    decisions = [d for d in current_decisions(dossier.session, offre).values()
                 if d.decision in ALLOCATING]
    # A decision (c) whose condition lapsed (« caduque », app/attribution/conditions.py)
    # gives the dwelling to nobody any more.
    if decisions:
        lapsed = set(db.session.scalars(select(CalConditionOutcome.cal_decision_id).where(
            CalConditionOutcome.outcome == "caduque",
            CalConditionOutcome.cal_decision_id.in_([d.id for d in decisions]))))
        decisions = [d for d in decisions if d.id not in lapsed]
    return sorted(decisions, key=lambda d: (d.rank or 1, rank_of.get(d.demande_id, 9), d.id))


def next_in_rank(offre: Offre) -> CalDecision | None:
    """The best-ranked allocating decision whose candidate has not had this dwelling yet."""
    tried = set(db.session.scalars(select(Attribution.demande_id)
                                   .where(Attribution.offre_id == offre.id)))
    return next((d for d in ranking(offre) if d.demande_id not in tried), None)


def close_session(session: CalSession, *, actor: User, on: date) -> list[Attribution]:
    """Close the session: every dossier has a decision per designated candidate; the
    first-ranked candidate of each dossier receives the proposal."""
    session = lock_session(session)
    if session.status != "planifiee":
        raise Conflict("Cette séance est déjà close.")
    for dossier in session.dossiers:
        designated = {d.demande_id for d in designations(dossier.offre)}
        missing = designated - set(current_decisions(session, dossier.offre))
        if missing:
            raise Refused(f"Le dossier {dossier.offre.ref} attend encore "
                          f"{len(missing)} décision(s) : la séance ne peut être close.")
    proposals = []
    for dossier in session.dossiers:
        first = next_in_rank(dossier.offre)
        if first is not None:
            proposals.append(allocate(dossier.offre, db.session.get(Demande, first.demande_id),
                                      on=on, actor=actor, decision=first))
    session.status = "tenue"
    db.session.flush()
    return proposals


@dataclass
class DossierCandidate:
    """One designated candidate as the CAL reads the dossier: the designation, the engine's
    explanation (French sections, from the designated list) and the supporting documents."""

    designation: Designation
    sections: list[dict]
    documents: list  # app.demandes.documents.CriterionDocuments with a status or a file


@dataclass
class DossierView:
    """What the CAL reads for one dossier besides the dwelling: each designated candidate
    (by demande id) and why the engine found fewer than three, if it did."""

    candidates: dict[int, DossierCandidate]
    engine_exception: str | None


def dossier_view(offre: Offre) -> DossierView:
    """The designated candidates with their explanation and documents.

    The explanation is the one stored with the candidate on the list the réservataire
    designated (a candidate it added by hand has none); documents are every criterion the
    requester declared or sent a file for, with its verification status (CAL members of the
    bailleur may open them: ``app.demandes.documents.staff_may_see``)."""
    from app.demandes.documents import documents_by_criterion

    proposal = current_proposal(offre)
    stored = {c.demande_id: c.explanation or {} for c in (proposal.candidates if proposal
                                                         else ())}
    out = {}
    for d in designations(offre):
        explanation = stored.get(d.demande_id, {})
        sections = explanation.get("sections") or (
            [{"title": "Explication", "lines": explanation["lines"]}]
            if explanation.get("lines") else [])
        documents = [c for c in documents_by_criterion(d.demande)
                     if c.status is not None or c.documents]
        out[d.demande_id] = DossierCandidate(d, sections, documents)
    return DossierView(out, engine_exception(offre))


def minutes(session: CalSession) -> list[dict]:
    """The procès-verbal's content: per dossier, the dwelling and each candidate's decision
    in force (with what it corrects)."""
    out = []
    for dossier in session.dossiers:
        offre = dossier.offre
        decisions = current_decisions(session, offre)
        rows = []
        for d in designations(offre):
            decision = decisions.get(d.demande_id)
            rows.append({"designation": d, "demande": d.demande, "decision": decision,
                         "label": CAL_DECISION_LABELS.get(decision.decision) if decision else None})
        out.append({"dossier": dossier, "offre": offre, "logement": offre.logement, "rows": rows})
    return out
