"""Read helpers for the bailleur area (always scoped to the user's organisation)."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Logement, Offre, User


def home_summary(user: User) -> dict:
    org_id = user.organisation_id
    return {
        "organisation": user.organisation,
        "logements": db.session.scalar(
            select(func.count(Logement.id)).where(Logement.bailleur_id == org_id)
        ),
        "offres_ouvertes": db.session.scalar(
            select(func.count(Offre.id))
            .join(Logement, Offre.logement_id == Logement.id)
            .where(Logement.bailleur_id == org_id, Offre.flux_status.in_(("a_orienter", "oriente", "repris_bailleur", "designe", "en_cal")))
        ),
    }
