"""Read helpers for the requester portal (always scoped to the signed-in requester)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Demande, User
from ..models.demandes import ACTIVE_DEMANDE_STATUSES


def home_summary(user: User) -> dict:
    demandes = db.session.scalars(
        select(Demande).where(
            Demande.requester_id == user.id, Demande.status.in_(ACTIVE_DEMANDE_STATUSES)
        )
    ).all()
    return {"demandes": demandes}
