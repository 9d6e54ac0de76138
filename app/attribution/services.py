"""Shared rules of the road from vacancy to lease: errors, offer locks, the exclusive allocation.

Services flush and never commit (the request boundary or the CLI command commits once). A step
that changes an offer's status locks the offer row first (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite serialises writers anyway), re-reads it and checks the status it expects:
of two agents acting on the same dwelling at the same moment, the second waits, then finds the
status changed and gets a clear conflict message. The allocation itself is also guarded by the
database: at most one active attribution per logement (``uq_attributions_logement_active``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.attribution.models import (
    ACTIVE_ATTRIBUTION_STATUSES,
    Attribution,
    CalConditionOutcome,
    CalDecision,
)
from app.demandes.models import Demande
from app.extensions import db
from app.flux.ledger import record_event
from app.flux.models import FluxEvent, Offre
from app.mail import send_mail
from matching.proposition import answer_due_on

MSG_CONFLICT_ALLOCATED = (
    "Ce logement vient d'être attribué par un autre agent : votre action n'a pas été "
    "enregistrée. Rechargez la page pour voir la situation à jour."
)
MSG_CONFLICT_STATUS = (
    "Ce logement a changé d'état entre-temps (il est maintenant « {status} ») : votre action "
    "n'a pas été enregistrée. Rechargez la page pour voir la situation à jour."
)
MSG_STALE = (
    "Ces informations ont été modifiées par quelqu'un d'autre depuis que vous avez ouvert la "
    "page : rien n'a été enregistré. Rechargez la page, vérifiez, puis recommencez."
)


class AttributionError(Exception):
    """A step refused, with a French message (and the form field it concerns, if any)."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Refused(AttributionError):
    """The step breaks a rule (missing reason, deadline passed…): 422 with the message."""


class Conflict(AttributionError):
    """Someone else changed the dossier first (concurrent allocation, status moved on): 409."""

    status_code = 409


class StaleEdit(Conflict):
    """The form was filled in from an older version of the record: 409."""

    def __init__(self, message: str = MSG_STALE, field: str | None = None):
        super().__init__(message, field)


def lock_offre(offre_id: int) -> Offre:
    """The offer, its row locked until the end of the transaction and its state re-read."""
    offre = db.session.scalar(
        select(Offre).where(Offre.id == offre_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if offre is None:  # pragma: no cover - callers pass an offer they just read
        raise Conflict("Ce logement n'existe plus.")
    return offre


def expect_status(offre: Offre, *statuses: str) -> None:
    """Refuse the step unless the offer is (still) in one of ``statuses``."""
    if offre.flux_status not in statuses:
        from app.labels import label

        raise Conflict(MSG_CONFLICT_STATUS.format(status=label(offre.flux_status, "flux")))


def check_version(record_version: int, submitted: int | None) -> None:
    """Refuse a stale edit: the form's version must be the record's current one."""
    if submitted is None or submitted != record_version:
        raise StaleEdit()


def event(offre: Offre, kind: str, on: date, *, actor: User | None,
          details: Mapping[str, Any] | None = None, note: str | None = None) -> FluxEvent:
    """One ledger event of the offer, counted for its réservataire under its convention when
    it has one (an orientation without convention counts for nobody)."""
    if offre.reservataire_id is not None and offre.convention_id is None:
        return record_event(offre, kind, on, reservataire_id=None, convention_id=None,
                            actor=actor, details=details, note=note)
    return record_event(offre, kind, on, actor=actor, details=details, note=note)


def active_attribution(offre: Offre) -> Attribution | None:
    return db.session.scalar(
        select(Attribution).where(Attribution.logement_id == offre.logement_id,
                                  Attribution.status.in_(ACTIVE_ATTRIBUTION_STATUSES))
    )


def allocate(offre: Offre, demande: Demande, *, on: date, actor: User | None,
             decision: CalDecision | None = None) -> Attribution:
    """Propose the dwelling to a demande: an ``Attribution`` in ``proposee`` (answer due in the
    R.441-10 delay), a ``proposition`` event and a mail to the requester.

    Exclusive: the offer row is locked and at most one active attribution per logement can
    exist (partial unique index); the loser of a race gets ``Conflict``."""
    offre = lock_offre(offre.id)
    expect_status(offre, "en_cal")
    if active_attribution(offre) is not None:
        raise Conflict(MSG_CONFLICT_ALLOCATED)
    attribution = Attribution(
        offre_id=offre.id, logement_id=offre.logement_id, demande_id=demande.id,
        reservataire_id=offre.reservataire_id,
        cal_decision_id=decision.id if decision is not None else None,
        status="proposee", proposed_on=on, answer_due_on=answer_due_on(on),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attribution)
            db.session.flush()
    except IntegrityError as err:
        raise Conflict(MSG_CONFLICT_ALLOCATED) from err
    event(offre, "proposition", on, actor=actor, details={
        "demande": demande.nur, "attribution": attribution.id,
        "answer_due_on": attribution.answer_due_on.isoformat(),
        "cal_decision": decision.id if decision is not None else None,
    })
    notify_requester(demande, "Une proposition de logement vous est faite", (
        f"Bonjour,\n\nÀ la suite de la commission d'attribution, le logement {offre.ref} vous "
        f"est proposé. Vous avez jusqu'au {attribution.answer_due_on:%d/%m/%Y} pour répondre "
        "(acceptation ou refus) dans votre espace, rubrique « Mes propositions ». Sans réponse "
        "dans ce délai, la proposition est considérée comme refusée (CCH R.441-10).\n"
        + _condition_notice(decision)
    ))
    return attribution


def _condition_notice(decision: CalDecision | None) -> str:
    """The paragraph of the proposal mail for a decision (c) whose condition is pending."""
    if decision is None or decision.decision != "attribution_sous_condition":
        return ""
    if db.session.scalar(select(CalConditionOutcome.id).where(
            CalConditionOutcome.cal_decision_id == decision.id)) is not None:
        return ""
    return (f"\nCette attribution est prononcée sous condition suspensive (CCH R.441-3) : la "
            f"pièce « {decision.condition} » doit être remise au bailleur au plus tard le "
            f"{decision.condition_deadline:%d/%m/%Y}. Le bail ne peut être signé qu'après sa "
            "réception ; sans elle, l'attribution deviendra caduque.\n")


def notify_requester(demande: Demande, subject: str, body: str) -> None:
    to = demande.email
    if not to and demande.requester_id is not None:
        user = db.session.get(User, demande.requester_id)
        to = user.email if user else None
    if to:
        send_mail(to, subject, body)


def notify_bailleur(offre: Offre, subject: str, body: str) -> None:
    """Mail the bailleur's staff (its bailleur and CAL users) about a dossier."""
    from app.accounts.models import Membership

    users = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == offre.logement.bailleur_id,
               User.role.in_(("bailleur", "cal")))
        .order_by(User.id)
    ).all()
    for user in users:
        send_mail(user.email, subject, body)
    if not users:
        current_app.logger.info("no bailleur user to notify about %s", offre.ref)
