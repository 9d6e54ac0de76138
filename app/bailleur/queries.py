"""Read helpers for the bailleur area (always scoped to the user's organisation)."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from matching import enums

from ..extensions import db
from ..models import Convention, Logement, Offre, Programme, User
from ..models.flux import OPEN_FLUX_STATUSES

LOGEMENTS_PER_PAGE = 25


def home_summary(user: User) -> dict:
    """Key figures of the user's bailleur: parc, offers by flux status, conventions."""
    org_id = user.organisation_id
    counts = dict(
        db.session.execute(
            select(Offre.flux_status, func.count(Offre.id))
            .join(Logement, Offre.logement_id == Logement.id)
            .where(Logement.bailleur_id == org_id)
            .group_by(Offre.flux_status)
        ).all()
    )
    conventions = db.session.scalars(
        select(Convention)
        .options(joinedload(Convention.reservataire))
        .where(Convention.bailleur_id == org_id)
        .order_by(Convention.year.desc(), Convention.share_percent.desc())
    ).all()
    return {
        "organisation": user.organisation,
        "logements": db.session.scalar(
            select(func.count(Logement.id)).where(Logement.bailleur_id == org_id)
        ),
        "programmes": db.session.scalar(
            select(func.count(Programme.id)).where(Programme.bailleur_id == org_id)
        ),
        "offres_ouvertes": sum(counts.get(s, 0) for s in OPEN_FLUX_STATUSES),
        "offres_par_statut": [(s, counts.get(s, 0)) for s in enums.FLUX_STATUSES],
        "conventions": conventions,
    }


def logements_page(user: User, page: int) -> Pagination:
    """One page of the bailleur's logements, by reference."""
    query = (
        select(Logement)
        .options(joinedload(Logement.programme), joinedload(Logement.commune))
        .where(Logement.bailleur_id == user.organisation_id)
        .order_by(Logement.ref, Logement.id)
    )
    return db.paginate(query, page=page, per_page=LOGEMENTS_PER_PAGE, max_per_page=100)


def own_logement(user: User, logement_id: int) -> dict | None:
    """One of the bailleur's logements with its offers, or None (another bailleur's too)."""
    logement = db.session.scalar(
        select(Logement).where(
            Logement.id == logement_id, Logement.bailleur_id == user.organisation_id
        )
    )
    if logement is None:
        return None
    offres = db.session.scalars(
        select(Offre)
        .options(joinedload(Offre.reservataire))
        .where(Offre.logement_id == logement.id)
        .order_by(Offre.declared_on.desc(), Offre.id.desc())
    ).all()
    return {"logement": logement, "offres": offres}
