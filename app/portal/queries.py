"""Read helpers for the requester portal (always scoped to the signed-in requester)."""

from __future__ import annotations

from sqlalchemy import select

from ..demande_reads import demande_details, wished_communes
from ..extensions import db
from ..models import Demande, User
from ..models.demandes import ACTIVE_DEMANDE_STATUSES


def home_summary(user: User) -> dict:
    """The requester's active demandes with their wished communes."""
    demandes = db.session.scalars(
        select(Demande)
        .where(Demande.requester_id == user.id, Demande.status.in_(ACTIVE_DEMANDE_STATUSES))
        .order_by(Demande.filed_on)
    ).all()
    return {"demandes": demandes, "communes": wished_communes(demandes)}


def own_demande(user: User, nur: str) -> dict | None:
    """The requester's own demande by NUR, or None (another requester's NUR included)."""
    demande = db.session.scalar(
        select(Demande).where(Demande.nur == nur, Demande.requester_id == user.id)
    )
    return demande_details(demande) if demande is not None else None
