"""Read helpers for the CAL area (always scoped to the user's bailleur)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.accounts.models import User
from app.attribution.models import CalDecision, CalSession
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement


def home_summary(user: User, today: date) -> dict:
    """Upcoming sessions of the user's bailleur, with what they will examine."""
    org_id = user.organisation_id
    decisions = (
        select(CalDecision.session_id,
               func.count(func.distinct(CalDecision.offre_id)).label("offres"),
               func.count(CalDecision.id).label("candidats"))
        .group_by(CalDecision.session_id)
        .subquery()
    )
    rows = db.session.execute(
        select(CalSession,
               func.coalesce(decisions.c.offres, 0), func.coalesce(decisions.c.candidats, 0))
        .outerjoin(decisions, decisions.c.session_id == CalSession.id)
        .where(CalSession.bailleur_id == org_id, CalSession.held_on >= today,
               CalSession.status == "planifiee")
        .order_by(CalSession.held_on, CalSession.id)
    ).all()
    year_start = date(today.year, 1, 1)
    return {
        "organisation": user.organisation,
        "sessions": [{"session": s, "offres": o, "candidats": c} for s, o, c in rows],
        "offres_en_cal": db.session.scalar(
            select(func.count(Offre.id))
            .join(Logement, Offre.logement_id == Logement.id)
            .where(Logement.bailleur_id == org_id, Offre.flux_status == "en_cal")
        ),
        "sessions_tenues": db.session.scalar(
            select(func.count(CalSession.id)).where(
                CalSession.bailleur_id == org_id, CalSession.held_on >= year_start,
                CalSession.held_on < today, CalSession.status != "planifiee",
            )
        ),
        "year": today.year,
    }
