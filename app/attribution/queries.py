"""Read helpers on candidatures, designations and decisions, scoped to the organisation."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.attribution.models import Designation
from app.demandes.models import Demande
from app.demandes.queries import demande_details
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement

CANDIDATS_PER_PAGE = 25


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
