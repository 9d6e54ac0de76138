"""Applications (candidatures) of a requester to published offers (location choisie).

Services flush and never commit (the request boundary commits). Applying is idempotent: a
double click, a replayed form or two concurrent requests leave one application (the database's
unique (offre, demande) pair settles races, the service returns the existing row). Only a
household the engine finds eligible may apply, and at most ``MAX_ACTIVE_APPLICATIONS`` of its
applications are active at a time. Withdrawing keeps the row (status ``retiree``); applying
again reopens it.

The timeline shown to the requester is derived, never stored: the application itself, then the
designations and proposals that name the household for the offer, the CAL's decision (for a
decision (c), the missing document, its deadline, then « condition levée » or « attribution
caduque ») and the attribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.adapters.records import demande_record, offre_record
from app.attribution.conditions import CONDITIONAL, outcomes_for
from app.attribution.models import (
    ACTIVE_ATTRIBUTION_STATUSES,
    Attribution,
    CalConditionOutcome,
    CalDecision,
    Candidature,
    Designation,
    Proposal,
    ProposalCandidate,
)
from app.columns import utcnow
from app.cotation.queries import latest_scores
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Offre
from app.formatting import fr_date
from app.search.documents import is_listed
from matching.eligibility import Eligibility, eligibility

ACTIVE_STATUSES = ("deposee", "retenue")
DEFAULT_MAX_ACTIVE = 5


class ApplicationRefused(Exception):
    """Why an application cannot be made, in plain French."""


class NotEligible(ApplicationRefused):
    def __init__(self, verdict: Eligibility):
        self.verdict = verdict
        super().__init__("Votre ménage ne remplit pas les conditions de cette offre : "
                         + " ; ".join(r.message for r in verdict.reasons))


class CapReached(ApplicationRefused):
    def __init__(self, cap: int):
        self.cap = cap
        super().__init__(
            f"Vous avez déjà {cap} candidatures en cours, le maximum. Retirez-en une pour "
            "pouvoir postuler à cette offre.")


def active_demande(user: User) -> Demande | None:
    """The requester's active demande (the earliest filed, when there are several)."""
    return db.session.scalar(
        select(Demande).where(Demande.requester_id == user.id, Demande.status == "active")
        .order_by(Demande.filed_on, Demande.id).limit(1))


def listed_offer(ref: str) -> Offre | None:
    """A published, open offer by its ref (anything else answers like a missing one)."""
    return db.session.scalar(select(Offre).where(Offre.ref == ref, is_listed()))


def verdict_for(demande: Demande, offre: Offre, on: date) -> Eligibility:
    """The engine's explained verdict, the same as ``python -m matching eligibility``."""
    return eligibility(demande_record(demande), offre_record(offre), on)


def own_candidature(demande: Demande, offre: Offre) -> Candidature | None:
    return db.session.scalar(select(Candidature).where(
        Candidature.offre_id == offre.id, Candidature.demande_id == demande.id))


def active_count(demande: Demande) -> int:
    return db.session.scalar(select(func.count(Candidature.id)).where(
        Candidature.demande_id == demande.id, Candidature.status.in_(ACTIVE_STATUSES))) or 0


def apply(demande: Demande, offre: Offre, on: date, *, max_active: int = DEFAULT_MAX_ACTIVE
          ) -> tuple[Candidature, bool]:
    """Apply to an offer; returns (application, created). Idempotent for an active one."""
    existing = own_candidature(demande, offre)
    if existing is not None and existing.status in ACTIVE_STATUSES:
        return existing, False
    if existing is not None and existing.status != "retiree":
        raise ApplicationRefused("Votre candidature à cette offre a déjà été examinée.")
    verdict = verdict_for(demande, offre, on)
    if not verdict.ok:
        raise NotEligible(verdict)
    if active_count(demande) >= max_active:
        raise CapReached(max_active)
    if existing is not None:  # withdrawn earlier: reopen the same row
        existing.status, existing.applied_at, existing.withdrawn_at = "deposee", utcnow(), None
        db.session.flush()
        return existing, True
    try:
        with db.session.begin_nested():
            candidature = Candidature(offre_id=offre.id, demande_id=demande.id, status="deposee")
            db.session.add(candidature)
    except IntegrityError:  # a concurrent request inserted it first
        found = own_candidature(demande, offre)
        if found is None:
            raise
        return found, False
    return candidature, True


def withdraw(candidature: Candidature) -> bool:
    """Withdraw an active application; False when it was not active (nothing changes)."""
    if candidature.status not in ACTIVE_STATUSES:
        return False
    candidature.status, candidature.withdrawn_at = "retiree", utcnow()
    db.session.flush()
    return True


def own_candidature_by_id(user: User, candidature_id: int) -> Candidature | None:
    """One of the requester's applications, or None (another requester's included)."""
    return db.session.scalar(
        select(Candidature).join(Demande, Demande.id == Candidature.demande_id)
        .where(Candidature.id == candidature_id, Demande.requester_id == user.id))


# --------------------------------------------------------------------------- chances


BANDS = (  # (highest rank in the band, band): three candidates go before the CAL
    (1, "tres_forte", "très forte"),
    (3, "forte", "forte"),
    (6, "moyenne", "moyenne"),
    (None, "faible", "faible"),
)


@dataclass(frozen=True)
class Chances:
    rank: int  # among the active applicants to the offer, this household included
    applicants: int
    band: str
    band_label: str
    score: float | None


def chances(offre: Offre, demande: Demande) -> Chances:
    """The household's rank by EPCI cotation among the offer's active applicants (itself
    counted even if it has not applied yet), recomputed at each read."""
    applicants = list(db.session.execute(
        select(Candidature.demande_id, Candidature.applied_at)
        .where(Candidature.offre_id == offre.id, Candidature.status.in_(ACTIVE_STATUSES))))
    applied = {d: at for d, at in applicants}
    applied.setdefault(demande.id, datetime.max.replace(tzinfo=None))
    scores = latest_scores(list(applied))

    def key(d: int):
        at = applied[d]
        return (-(scores.get(d) or 0.0), at.replace(tzinfo=None), d)

    order = sorted(applied, key=key)
    rank = order.index(demande.id) + 1
    for limit, band, label in BANDS:
        if limit is None or rank <= limit:
            return Chances(rank, len(order), band, label, scores.get(demande.id))
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- timeline


STEP_LABELS = {
    "deposee": "Candidature déposée",
    "examinee": "Candidature examinée",
    "proposee_cal": "Proposée en commission d'attribution (CAL)",
    "rang": "Classée par la commission",
    "attribuee": "Logement attribué",
    "refusee": "Candidature non retenue",
    "retiree": "Candidature retirée",
    "sous_condition": "Logement attribué sous condition suspensive",
    "condition_levee": "Condition levée",
    "caduque": "Attribution caduque",
}
ATTRIBUTED = ("attribution", "attribution_sous_condition")
REFUSED = ("non_attribution", "irrecevable")


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    on: date | datetime | None
    detail: str | None = None


@dataclass(frozen=True)
class Timeline:
    candidature: Candidature
    steps: tuple[Step, ...]
    # attribuee, refusee, retiree, sous_condition (a decision (c) whose missing document is
    # awaited), caduque (its deadline passed without it), or None while undecided
    outcome: str | None

    @property
    def is_active(self) -> bool:
        return self.candidature.status in ACTIVE_STATUSES and self.outcome is None


def active_offer_ids(demande_id: int, offre_ids: list[int]) -> set[int]:
    """Which of these offers the demande has an active application to: exactly the offers
    whose ``Timeline.is_active`` is true (active status, no CAL decision that attributes or
    refuses, no live attribution), in one query for the offers list's "Vous avez postulé"."""
    if not offre_ids:
        return set()
    c = Candidature
    decided = select(CalDecision.id).where(
        CalDecision.offre_id == c.offre_id, CalDecision.demande_id == c.demande_id,
        CalDecision.decision.in_(ATTRIBUTED + REFUSED))
    attributed = select(Attribution.id).where(
        Attribution.offre_id == c.offre_id, Attribution.demande_id == c.demande_id,
        Attribution.status.in_(ACTIVE_ATTRIBUTION_STATUSES))
    return set(db.session.scalars(select(c.offre_id).where(
        c.demande_id == demande_id, c.offre_id.in_(offre_ids), c.status.in_(ACTIVE_STATUSES),
        ~decided.exists(), ~attributed.exists())))


def timelines(demande_ids: list[int], offre_ids: list[int] | None = None) -> list[Timeline]:
    """Every application of these demandes (to these offers only, when given) with its
    derived timeline, newest first."""
    stmt = select(Candidature).where(Candidature.demande_id.in_(demande_ids))
    if offre_ids is not None:
        stmt = stmt.where(Candidature.offre_id.in_(offre_ids))
    cands = db.session.scalars(
        stmt.order_by(Candidature.applied_at.desc(), Candidature.id.desc())).all()
    if not cands:
        return []
    pairs = {(c.offre_id, c.demande_id) for c in cands}
    offre_ids = sorted({o for o, _ in pairs})

    def by_pair(rows):
        out: dict[tuple[int, int], list] = {}
        for row in rows:
            key = (row[0], row[1])
            if key in pairs:
                out.setdefault(key, []).append(row[2:])
        return out

    designations = by_pair(db.session.execute(
        select(Designation.offre_id, Designation.demande_id, Designation.designated_at,
               Designation.rank).where(Designation.offre_id.in_(offre_ids))))
    proposed = by_pair(db.session.execute(
        select(Proposal.offre_id, ProposalCandidate.demande_id, Proposal.created_at,
               ProposalCandidate.rank)
        .join(ProposalCandidate, ProposalCandidate.proposal_id == Proposal.id)
        .where(Proposal.offre_id.in_(offre_ids))))
    decisions = by_pair(db.session.execute(
        select(CalDecision.offre_id, CalDecision.demande_id, CalDecision.decided_at,
               CalDecision.decision, CalDecision.rank, CalDecision.reasons, CalDecision.id,
               CalDecision.condition, CalDecision.condition_deadline)
        .where(CalDecision.offre_id.in_(offre_ids)).order_by(CalDecision.decided_at)))
    conditions = outcomes_for(row[4] for rows in decisions.values() for row in rows
                              if row[1] == CONDITIONAL)
    attributions = by_pair(db.session.execute(
        select(Attribution.offre_id, Attribution.demande_id, Attribution.proposed_on,
               Attribution.status).where(Attribution.offre_id.in_(offre_ids))))

    out = []
    for c in cands:
        key = (c.offre_id, c.demande_id)
        steps = [Step("deposee", STEP_LABELS["deposee"], c.applied_at)]
        outcome = None
        examined_on = None
        if key in designations or key in proposed:
            examined_on = min(r[0] for r in designations.get(key, []) + proposed.get(key, []))
            steps.append(Step("examinee", STEP_LABELS["examinee"], examined_on))
            steps.append(Step("proposee_cal", STEP_LABELS["proposee_cal"], examined_on))
        elif c.status in ("retenue", "non_retenue"):
            steps.append(Step("examinee", STEP_LABELS["examinee"], None))
        for (decided_at, decision, rank, reasons, decision_id, condition,
             deadline) in decisions.get(key, []):
            if decision == "attribution_rang":
                steps.append(Step("rang", STEP_LABELS["rang"], decided_at,
                                  f"Vous êtes classé(e) au rang {rank} : le logement vous est "
                                  "attribué si les candidats classés avant vous le refusent."))
            elif decision == CONDITIONAL:
                done = conditions.get(decision_id)
                steps.extend(_condition_steps(decided_at, condition, deadline, done))
                outcome = {"levee": "attribuee", "caduque": "caduque"}.get(
                    done.outcome if done is not None else "", "sous_condition")
            elif decision in ATTRIBUTED:
                steps.append(Step("attribuee", STEP_LABELS["attribuee"], decided_at))
                outcome = "attribuee"
            elif decision in REFUSED:
                steps.append(Step("refusee", STEP_LABELS["refusee"], decided_at, reasons))
                outcome = "refusee"
        for proposed_on, status in attributions.get(key, []):
            if status in ACTIVE_ATTRIBUTION_STATUSES and outcome not in (
                    "attribuee", "sous_condition"):
                steps.append(Step("attribuee", STEP_LABELS["attribuee"], proposed_on))
                outcome = "attribuee"
        if outcome is None and c.status == "non_retenue":
            steps.append(Step("refusee", STEP_LABELS["refusee"], None))
            outcome = "refusee"
        if c.status == "retiree":
            steps.append(Step("retiree", STEP_LABELS["retiree"], c.withdrawn_at))
            outcome = outcome or "retiree"
        out.append(Timeline(c, tuple(steps), outcome))
    return out


def _condition_steps(decided_at, condition: str | None, deadline: date | None,
                     done: CalConditionOutcome | None) -> list[Step]:
    """A decision (c): the missing document and its deadline, then how the condition ended."""
    steps = [Step("sous_condition", STEP_LABELS["sous_condition"], decided_at,
                  f"Pièce manquante : {condition}. Elle doit parvenir au bailleur au plus tard "
                  f"le {fr_date(deadline)} ; sans elle, l'attribution deviendra caduque.")]
    if done is not None and done.outcome == "levee":
        steps.append(Step("condition_levee", STEP_LABELS["condition_levee"], done.occurred_on,
                          "Le bailleur a reçu la pièce : l'attribution suit son cours "
                          "(proposition, puis signature du bail)."))
    elif done is not None:
        steps.append(Step("caduque", STEP_LABELS["caduque"], done.occurred_on,
                          f"La pièce n'a pas été reçue au {fr_date(deadline)} : l'attribution "
                          "est caduque (article R.441-3 du code de la construction et de "
                          "l'habitation). Votre demande reste active."))
    return steps
