"""Yearly renewal of a demande (reminder from one month before, renewal, expiry).

A demande lasts one year from its filing or its last renewal (``renewed_on``): it expires on
that anniversary unless renewed. From one month before, the requester's home page reminds
them; « Renouveler ma demande » confirms or updates the resources and sets ``renewed_on``.
``flask demandes expire`` marks the demandes past their anniversary ``expiree``; such a
demande can still be renewed from the portal (same number, same filing date) as long as the
service has not closed it (``radiee``). Flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import record as audit
from app.demandes.models import ACTIVE_DEMANDE_STATUSES, Demande
from app.extensions import db

REMINDER_MONTHS = 1
RENEWABLE_STATUSES = ("active", "expiree")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the last day of the month when it is shorter."""
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    m += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(y, m, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expires_on(demande: Demande) -> date:
    """The anniversary of the filing or of the last renewal: the demande expires that day."""
    return add_months(demande.renewed_on or demande.filed_on, 12)


def reminder_from(demande: Demande) -> date:
    return add_months(expires_on(demande), -REMINDER_MONTHS)


@dataclass(frozen=True)
class RenewalState:
    """What the requester's pages say about the renewal of one demande."""

    expires_on: date
    reminder_from: date
    due: bool  # in the month before expiry: remind and allow renewal
    expired: bool  # past its anniversary (or marked expiree): renew it to keep it
    days_left: int

    @property
    def renewable(self) -> bool:
        return self.due or self.expired


def renewal_state(demande: Demande, today: date) -> RenewalState:
    end = expires_on(demande)
    start = reminder_from(demande)
    expired = demande.status == "expiree" or (demande.status == "active" and today >= end)
    due = demande.status == "active" and start <= today < end
    return RenewalState(end, start, due, expired, (end - today).days)


class RenewalRefused(Exception):
    """The demande cannot be renewed now; the message says why, in French."""


def renew_demande(user: User, demande: Demande, today: date, *, rfr_n2: float,
                  rfr_n1: float | None, monthly_resources: float) -> Demande:
    """Renew: resources confirmed or updated, ``renewed_on`` today, an expired demande active."""
    state = renewal_state(demande, today)
    if demande.status not in RENEWABLE_STATUSES:
        raise RenewalRefused("Cette demande est close : elle ne peut plus être renouvelée.")
    if not state.renewable:
        raise RenewalRefused(
            f"Votre demande est valable jusqu'au {_fr(state.expires_on)}. Vous pourrez la "
            f"renouveler à partir du {_fr(state.reminder_from)}."
        )
    if demande.status == "expiree":
        other = db.session.scalar(select(Demande.nur).where(
            Demande.requester_id == demande.requester_id, Demande.epci_id == demande.epci_id,
            Demande.id != demande.id, Demande.status.in_(ACTIVE_DEMANDE_STATUSES)))
        if other is not None:
            raise RenewalRefused(
                f"Vous avez déjà une demande active sur ce territoire (n° {other}) : "
                "c'est elle qui compte."
            )
    changed = (demande.rfr_n2, demande.rfr_n1, demande.monthly_resources) != (
        rfr_n2, rfr_n1, monthly_resources)
    demande.rfr_n2, demande.rfr_n1, demande.monthly_resources = rfr_n2, rfr_n1, monthly_resources
    demande.renewed_on = today
    demande.status = "active"
    demande.closed_on = None
    db.session.flush()
    audit("demande.renew", actor=user, entity_type="demande", entity_id=demande.nur,
          resources_changed=changed, channel="portail")
    return demande


def expire_demandes(today: date) -> list[str]:
    """Mark ``expiree`` every active demande whose anniversary has passed; their NURs."""
    # A coarse bound in SQL (a year and a few days back), the exact anniversary in Python.
    bound = add_months(today, -12) + timedelta(days=3)
    candidates = db.session.scalars(
        select(Demande).where(Demande.status == "active",
                              func.coalesce(Demande.renewed_on, Demande.filed_on) <= bound)
        .order_by(Demande.nur)
    )
    expired = []
    for demande in candidates:
        if expires_on(demande) <= today:
            demande.status = "expiree"
            demande.closed_on = today
            expired.append(demande.nur)
    db.session.flush()
    if expired:
        audit("demande.expire", entity_type="demande", count=len(expired), on=today.isoformat())
    return expired


def _fr(day: date) -> str:
    from matching.cotation import french_date

    return french_date(day)
