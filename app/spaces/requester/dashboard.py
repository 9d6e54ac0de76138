"""Read helpers for the requester portal (always scoped to the signed-in requester)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.demandes.models import ACTIVE_DEMANDE_STATUSES, Demande
from app.demandes.queries import wished_communes
from app.extensions import db


def home_summary(user: User) -> dict:
    """The requester's active demandes with their wished communes."""
    demandes = db.session.scalars(
        select(Demande)
        .where(Demande.requester_id == user.id, Demande.status.in_(ACTIVE_DEMANDE_STATUSES))
        .order_by(Demande.filed_on)
    ).all()
    return {"demandes": demandes, "communes": wished_communes(demandes)}


