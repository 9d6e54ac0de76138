"""Read helpers for the réservataire area (always scoped to the user's organisation)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.attribution.models import Designation
from app.extensions import db
from app.flux.models import OPEN_FLUX_STATUSES, Convention, Offre
from app.patrimoine.models import Logement


def home_summary(user: User) -> dict:
    """The réservataire's conventions, the open offers oriented to it, its designations."""
    org_id = user.organisation_id
    conventions = db.session.scalars(
        select(Convention)
        .options(joinedload(Convention.bailleur))
        .where(Convention.reservataire_id == org_id)
        .order_by(Convention.year.desc(), Convention.share_percent.desc())
    ).all()
    offres = db.session.scalars(
        select(Offre)
        .options(joinedload(Offre.logement).joinedload(Logement.commune),
                 joinedload(Offre.logement).joinedload(Logement.bailleur))
        .where(Offre.reservataire_id == org_id, Offre.flux_status.in_(OPEN_FLUX_STATUSES))
        .order_by(Offre.designation_deadline.asc(), Offre.id)
    ).all()
    return {
        "organisation": user.organisation,
        "conventions": conventions,
        "offres": offres,
        "designations": db.session.scalar(
            select(func.count(Designation.id)).where(Designation.reservataire_id == org_id)
        ),
    }


