"""Read helpers for the réservataire area (always scoped to the user's organisation)."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..demande_reads import demande_details
from ..extensions import db
from ..models import Convention, Demande, Designation, Logement, Offre, User
from ..models.flux import OPEN_FLUX_STATUSES

CANDIDATS_PER_PAGE = 25


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


def candidats_page(user: User, page: int) -> Pagination:
    """One page of the candidates this réservataire designated, latest first."""
    query = (
        select(Designation)
        .options(joinedload(Designation.demande),
                 joinedload(Designation.offre).joinedload(Offre.logement)
                 .joinedload(Logement.commune))
        .where(Designation.reservataire_id == user.organisation_id)
        .order_by(Designation.designated_at.desc(), Designation.id.desc())
    )
    return db.paginate(query, page=page, per_page=CANDIDATS_PER_PAGE, max_per_page=100)


def designated_demande(user: User, nur: str) -> dict | None:
    """A demande this réservataire designated, or None (any other demande)."""
    demande = db.session.scalar(
        select(Demande).where(
            Demande.nur == nur,
            select(Designation.id)
            .where(Designation.demande_id == Demande.id,
                   Designation.reservataire_id == user.organisation_id)
            .exists(),
        )
    )
    if demande is None:
        return None
    details = demande_details(demande)
    details["designations"] = db.session.scalars(
        select(Designation)
        .options(joinedload(Designation.offre).joinedload(Offre.logement)
                 .joinedload(Logement.commune))
        .where(Designation.demande_id == demande.id,
               Designation.reservataire_id == user.organisation_id)
        .order_by(Designation.designated_at.desc())
    ).all()
    return details
