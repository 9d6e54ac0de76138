"""Read helpers for the requester portal (always scoped to the signed-in requester)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.clock import platform_today
from app.demandes.drafts import draft_saved_at
from app.demandes.models import ACTIVE_DEMANDE_STATUSES, Demande
from app.demandes.queries import wished_communes
from app.demandes.renewal import renewal_state
from app.extensions import db


def home_summary(user: User) -> dict:
    """The requester's active demandes with their wished communes, the renewal of each (and
    the expired ones, to renew), and their draft of a new demande if any."""
    demandes = db.session.scalars(
        select(Demande)
        .where(Demande.requester_id == user.id, Demande.status.in_(ACTIVE_DEMANDE_STATUSES))
        .order_by(Demande.filed_on)
    ).all()
    expired = db.session.scalars(
        select(Demande)
        .where(Demande.requester_id == user.id, Demande.status == "expiree")
        .order_by(Demande.filed_on)
    ).all()
    today = platform_today()
    return {"demandes": demandes, "communes": wished_communes(demandes),
            "renewal": {d.id: renewal_state(d, today) for d in (*demandes, *expired)},
            "expired": expired, "draft_saved_at": draft_saved_at(user)}


