"""The life of a CAL decision (c), « attribution sous condition suspensive » (CCH R.441-3).

The CAL allocates the dwelling although a supporting document of the limited list
(R.441-2-4-1) is missing, and sets a deadline. The proposal goes out as for any allocation
(the requester may answer it meanwhile), but the allocation takes effect only once the
condition is lifted:

- **lifted** (``lift``): the bailleur records that the document was received, on or before the
  deadline (optionally the document of the demande that was sent). From then on the dossier
  goes on exactly as for a decision (a). A proposal accepted while the condition was pending
  becomes the allocation at that moment (the ``attribution`` event, the offer ``attribue``);
  until then the lease cannot be signed (``leases.sign_lease``).
- **lapsed** (``lapse``, ``lapse_due``; daily ``flask cal conditions``): the deadline passed
  without the document. The allocation is « caduque »: the candidate's proposal is cancelled
  (attribution ``annulee``) and, when the dwelling was with this candidate, it goes to the next
  candidate ranked by the CAL, as after a refusal; with nobody left it stays in its CAL
  dossier without a proposal, as after the last refusal.

Each end is one ``CalConditionOutcome`` row (at most one per decision: never both, never
twice; the decisions themselves are never edited) and one ledger event
(``condition_levee`` / ``attribution_caduque``); the requester is told by e-mail.
Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.attribution import cal
from app.attribution.models import (
    Attribution,
    CalConditionOutcome,
    CalDecision,
    CalSession,
)
from app.attribution.services import (
    Conflict,
    Refused,
    allocate,
    event,
    expect_status,
    lock_offre,
    notify_bailleur,
    notify_requester,
)
from app.demandes.models import Demande, Document
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement

CONDITIONAL = "attribution_sous_condition"
# A dossier whose conditions still matter: in CAL (proposal out or not yet) or allocated.
OPEN_DOSSIER = ("en_cal", "attribue")
# The candidate's proposal on the dwelling ended: the condition has no object any more.
ENDED_ATTRIBUTIONS = ("refusee", "annulee")
LIVE_ATTRIBUTIONS = ("proposee", "acceptee")
MAX_NOTE = 1000

MSG_LIFTED = "La condition a déjà été levée (pièce reçue le {on:%d/%m/%Y}) : rechargez la page."
MSG_LAPSED = ("L'attribution est déjà caduque depuis le {on:%d/%m/%Y} : la condition ne peut "
              "plus être levée.")
MSG_SUPERSEDED = ("Cette décision a été rectifiée par la commission : rechargez la page pour "
                  "voir la décision en vigueur.")
MSG_ENDED = ("Le candidat n'est plus en lice pour ce logement (proposition refusée ou "
             "caduque) : la condition n'a plus d'objet.")
MSG_LEASE = ("Le bail ne peut pas encore être signé : l'attribution est sous condition "
             "suspensive et la pièce manquante (« {condition} ») n'a pas été reçue. Enregistrez "
             "sa réception, au plus tard le {deadline:%d/%m/%Y}, pour lever la condition "
             "(CCH R.441-3).")


# --------------------------------------------------------------------------- reads


def outcome_of(decision_id: int) -> CalConditionOutcome | None:
    return db.session.scalar(select(CalConditionOutcome).where(
        CalConditionOutcome.cal_decision_id == decision_id))


def outcomes_for(decision_ids) -> dict[int, CalConditionOutcome]:
    """decision id → its condition's outcome, for the decisions that have one."""
    ids = list(decision_ids)
    if not ids:
        return {}
    return {o.cal_decision_id: o for o in db.session.scalars(
        select(CalConditionOutcome).where(CalConditionOutcome.cal_decision_id.in_(ids)))}


def _superseded(decision_id: int) -> bool:
    newer = aliased(CalDecision)
    return bool(db.session.scalar(select(exists().where(newer.supersedes_id == decision_id))))


def _candidate_ended(decision: CalDecision) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Attribution.offre_id == decision.offre_id, Attribution.demande_id == decision.demande_id,
        Attribution.status.in_(ENDED_ATTRIBUTIONS)))))


def pending_condition(attribution: Attribution) -> CalDecision | None:
    """The decision (c) behind this proposal while its condition is not lifted, else None
    (no condition, or lifted: the proposal goes on as for a decision (a))."""
    if attribution.cal_decision_id is None:
        return None
    decision = db.session.get(CalDecision, attribution.cal_decision_id)
    if decision is None or decision.decision != CONDITIONAL:
        return None
    done = outcome_of(decision.id)
    return None if done is not None and done.outcome == "levee" else decision


def pending_query(bailleur_id: int | None = None):
    """Decisions (c) in force whose condition is neither lifted nor lapsed, on a dossier still
    open, for a candidate still in the running; nearest deadline first."""
    newer = aliased(CalDecision)
    stmt = (
        select(CalDecision)
        .join(Offre, Offre.id == CalDecision.offre_id)
        .where(
            CalDecision.decision == CONDITIONAL,
            ~exists().where(newer.supersedes_id == CalDecision.id),
            ~exists().where(CalConditionOutcome.cal_decision_id == CalDecision.id),
            Offre.flux_status.in_(OPEN_DOSSIER),
            ~exists().where(Attribution.offre_id == CalDecision.offre_id,
                            Attribution.demande_id == CalDecision.demande_id,
                            Attribution.status.in_(ENDED_ATTRIBUTIONS)),
        )
        .order_by(CalDecision.condition_deadline, CalDecision.id)
    )
    if bailleur_id is not None:
        stmt = stmt.join(Logement, Logement.id == Offre.logement_id).where(
            Logement.bailleur_id == bailleur_id)
    return stmt


def is_pending(decision: CalDecision) -> bool:
    return db.session.scalar(
        pending_query().where(CalDecision.id == decision.id).limit(1)) is not None


def live_attribution(decision: CalDecision) -> Attribution | None:
    """The candidate's proposal on the dwelling still running (proposed or accepted)."""
    return db.session.scalar(select(Attribution).where(
        Attribution.offre_id == decision.offre_id, Attribution.demande_id == decision.demande_id,
        Attribution.status.in_(LIVE_ATTRIBUTIONS)))


def lease_blocked_message(decision: CalDecision) -> str:
    return MSG_LEASE.format(condition=decision.condition, deadline=decision.condition_deadline)


# --------------------------------------------------------------------------- lift


def _locked(decision: CalDecision) -> tuple[CalDecision, Offre]:
    offre = lock_offre(decision.offre_id)
    decision = db.session.scalar(
        select(CalDecision).where(CalDecision.id == decision.id)
        .execution_options(populate_existing=True))
    return decision, offre


def _refuse_if_ended(decision: CalDecision, offre: Offre) -> None:
    if decision.decision != CONDITIONAL:
        raise Refused("Cette décision n'est pas une attribution sous condition suspensive.")
    if _superseded(decision.id):
        raise Conflict(MSG_SUPERSEDED)
    done = outcome_of(decision.id)
    if done is not None:
        raise Conflict((MSG_LIFTED if done.outcome == "levee" else MSG_LAPSED)
                       .format(on=done.occurred_on))
    expect_status(offre, *OPEN_DOSSIER)
    if _candidate_ended(decision):
        raise Conflict(MSG_ENDED)


def _store(outcome: CalConditionOutcome) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(outcome)
            db.session.flush()
    except IntegrityError as err:  # another agent or the daily command got there first
        raise Conflict("Cette condition vient d'être traitée par ailleurs : rechargez la "
                       "page.") from err


def lift(decision: CalDecision, *, received_on: date, note: str | None,
         document_id: int | None, actor: User, on: date) -> CalConditionOutcome:
    """Record that the missing document was received: the condition is lifted."""
    decision, offre = _locked(decision)
    _refuse_if_ended(decision, offre)
    demande = db.session.get(Demande, decision.demande_id)
    held_on = db.session.get(CalSession, decision.session_id).held_on
    if received_on > on:
        raise Refused("La date de réception ne peut pas être dans le futur.", "received_on")
    if received_on < held_on:
        raise Refused(f"La pièce manquait lors de la séance du {held_on:%d/%m/%Y} : la date "
                      "de réception ne peut pas la précéder.", "received_on")
    if received_on > decision.condition_deadline:
        raise Refused(
            f"La pièce a été reçue après la date limite du "
            f"{decision.condition_deadline:%d/%m/%Y} fixée par la commission : l'attribution est "
            "caduque (CCH R.441-3) et ne peut plus être confirmée.", "received_on")
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise Refused(f"{MAX_NOTE} caractères au plus.", "note")
    document = None
    if document_id is not None:
        document = db.session.get(Document, document_id)
        if document is None or document.demande_id != demande.id:
            raise Refused(f"Choisissez un document de la demande {demande.nur}.", "document")
    outcome = CalConditionOutcome(
        cal_decision_id=decision.id, outcome="levee", occurred_on=received_on,
        recorded_by_id=actor.id, note=text or None,
        document_id=document.id if document is not None else None)
    _store(outcome)
    attribution = live_attribution(decision)
    event(offre, "condition_levee", received_on, actor=actor, note=text or None, details={
        "demande": demande.nur, "cal_decision": decision.id, "condition": decision.condition,
        "condition_deadline": decision.condition_deadline.isoformat(),
        "attribution": attribution.id if attribution is not None else None,
        "document": ({"id": document.id, "name": document.original_name,
                      "criterion": document.criterion} if document is not None else None),
        "recorded_on": on.isoformat(),
    })
    if attribution is not None and attribution.status == "acceptee":
        # Accepted while the condition was pending: the allocation takes effect now.
        expect_status(offre, "en_cal")
        offre.flux_status = "attribue"
        db.session.flush()
        event(offre, "attribution", max(received_on, attribution.answered_on or received_on),
              actor=actor, details={"demande": demande.nur, "attribution": attribution.id,
                                    "condition_levee": True})
    if attribution is None:
        after = ("Le logement vous sera proposé dans votre espace, rubrique « Mes "
                 "propositions », à votre tour dans l'ordre fixé par la commission.\n")
    elif attribution.status == "acceptee":
        after = ("Vous avez accepté la proposition : le bailleur vous contactera pour signer "
                 "le bail.\n")
    else:
        after = (f"Il vous reste à répondre à la proposition avant le "
                 f"{attribution.answer_due_on:%d/%m/%Y}, dans votre espace, rubrique « Mes "
                 "propositions ».\n")
    notify_requester(demande, f"Condition levée : attribution du logement {offre.ref}", (
        f"Bonjour,\n\nLe bailleur a bien reçu la pièce demandée par la commission d'attribution "
        f"(« {decision.condition} ») le {received_on:%d/%m/%Y}. La condition suspensive de "
        f"l'attribution du logement {offre.ref} est levée.\n\n" + after))
    return outcome


# --------------------------------------------------------------------------- lapse


@dataclass(frozen=True)
class Lapse:
    """One condition that lapsed: the decision, the candidate's cancelled proposal (if the
    dwelling was with them) and the proposal made to the next ranked candidate (if any)."""

    decision: CalDecision
    offre: Offre
    demande: Demande
    cancelled: Attribution | None
    following: Attribution | None


def lapse(decision: CalDecision, *, on: date, actor: User | None = None) -> Lapse | None:
    """The deadline passed without the document: the allocation is « caduque ». None when
    there is nothing to do (already ended, not yet due, the dossier closed)."""
    decision, offre = _locked(decision)
    if decision.condition_deadline is None or decision.condition_deadline >= on:
        return None
    if not is_pending(decision):
        return None
    lapsed_on = decision.condition_deadline + timedelta(days=1)
    demande = db.session.get(Demande, decision.demande_id)
    try:
        _store(CalConditionOutcome(cal_decision_id=decision.id, outcome="caduque",
                                   occurred_on=lapsed_on,
                                   recorded_by_id=actor.id if actor is not None else None))
    except Conflict:
        return None  # lifted or lapsed concurrently: nothing left to do
    cancelled = live_attribution(decision)
    nxt = None
    if cancelled is not None:
        cancelled.status = "annulee"
        db.session.flush()
        nxt = cal.next_in_rank(offre)  # the lapsed decision is out of the ranking now
    next_demande = db.session.get(Demande, nxt.demande_id) if nxt is not None else None
    event(offre, "attribution_caduque", lapsed_on, actor=actor, details={
        "demande": demande.nur, "cal_decision": decision.id, "condition": decision.condition,
        "condition_deadline": decision.condition_deadline.isoformat(),
        "attribution": cancelled.id if cancelled is not None else None,
        "next": next_demande.nur if next_demande is not None else None,
    })
    notify_requester(demande, f"Attribution caduque : logement {offre.ref}", (
        f"Bonjour,\n\nLa commission d'attribution vous avait attribué le logement {offre.ref} "
        f"sous condition suspensive : la pièce « {decision.condition} » devait être remise au "
        f"bailleur au plus tard le {decision.condition_deadline:%d/%m/%Y}. Elle n'a pas été "
        "reçue dans ce délai : l'attribution est caduque (article R.441-3 du code de la "
        "construction et de l'habitation)"
        + (" et la proposition de ce logement est annulée" if cancelled is not None else "")
        + ".\n\nVotre demande de logement social reste active.\n"))
    if cancelled is not None:
        if next_demande is not None:
            what = (f"Le logement est proposé au candidat suivant du classement de la "
                    f"commission ({next_demande.nur}).")
        else:
            what = ("Aucun autre candidat classé par la commission : le logement reste en CAL "
                    "sans proposition en cours.")
        notify_bailleur(offre, f"Attribution caduque : {offre.ref}", (
            f"La pièce « {decision.condition} » attendue du demandeur {demande.nur} n'a pas été "
            f"reçue au {decision.condition_deadline:%d/%m/%Y} : l'attribution du logement "
            f"{offre.ref} est caduque. {what}\n"))
    following = None
    if next_demande is not None:
        following = allocate(offre, next_demande, on=on, actor=actor, decision=nxt)
    return Lapse(decision, offre, demande, cancelled, following)


def lapse_due(on: date) -> list[Lapse]:
    """Every pending condition whose deadline is before ``on`` lapses (idempotent)."""
    due = db.session.scalars(pending_query().where(CalDecision.condition_deadline < on)).all()
    return [done for done in (lapse(d, on=on) for d in due) if done is not None]


@dataclass(frozen=True)
class ConditionState:
    """A decision (c) as its pages show it: the condition, its deadline, how it ended."""

    decision: CalDecision
    outcome: CalConditionOutcome | None

    @property
    def state(self) -> str:
        """``en_attente``, ``levee`` or ``caduque``."""
        return self.outcome.outcome if self.outcome is not None else "en_attente"


def condition_of(attribution: Attribution) -> ConditionState | None:
    """The suspensive condition behind a proposal, or None for a decision without one."""
    if attribution.cal_decision_id is None:
        return None
    decision = db.session.get(CalDecision, attribution.cal_decision_id)
    if decision is None or decision.decision != CONDITIONAL:
        return None
    return ConditionState(decision, outcome_of(decision.id))


@dataclass(frozen=True)
class ConditionRow:
    """A decision (c) on a staff page: the candidate, the condition, the days left before its
    deadline (negative: overdue), how it ended, the candidate's running proposal."""

    decision: CalDecision
    offre: Offre
    demande: Demande
    outcome: CalConditionOutcome | None
    is_pending: bool
    days_left: int
    attribution: Attribution | None

    @property
    def state(self) -> str:
        return self.outcome.outcome if self.outcome is not None else (
            "en_attente" if self.is_pending else "sans_objet")


def _rows(decisions: list[CalDecision], pending_ids: set[int], today: date) -> list[ConditionRow]:
    outcomes = outcomes_for(d.id for d in decisions)
    return [ConditionRow(d, d.offre, d.demande, outcomes.get(d.id), d.id in pending_ids,
                         (d.condition_deadline - today).days, live_attribution(d))
            for d in decisions]


def bailleur_pending(bailleur_id: int, today: date) -> list[ConditionRow]:
    """The bailleur's conditions awaiting their document, nearest deadline first."""
    decisions = list(db.session.scalars(pending_query(bailleur_id)))
    return _rows(decisions, {d.id for d in decisions}, today)


def offre_conditions(offre: Offre, today: date) -> list[ConditionRow]:
    """Every decision (c) in force on this dwelling, pending or ended."""
    newer = aliased(CalDecision)
    decisions = list(db.session.scalars(
        select(CalDecision).where(CalDecision.offre_id == offre.id,
                                  CalDecision.decision == CONDITIONAL,
                                  ~exists().where(newer.supersedes_id == CalDecision.id))
        .order_by(CalDecision.condition_deadline, CalDecision.id)))
    pending_ids = set(db.session.scalars(
        pending_query().where(CalDecision.offre_id == offre.id)
        .with_only_columns(CalDecision.id)))
    return _rows(decisions, pending_ids, today)


def documents_of(demande_ids: list[int]) -> list[Document]:
    """The documents sent with these demandes (to link the one received for a condition)."""
    if not demande_ids:
        return []
    return list(db.session.scalars(
        select(Document).where(Document.demande_id.in_(demande_ids))
        .order_by(Document.demande_id, Document.uploaded_at.desc(), Document.id)))
