"""Read helpers on programmes and logements, always scoped to the bailleur that owns them."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement

LOGEMENTS_PER_PAGE = 25


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
