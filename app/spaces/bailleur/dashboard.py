"""Read helpers for the bailleur area (always scoped to the user's organisation)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.extensions import db
from app.flux.models import OPEN_FLUX_STATUSES, Convention, Offre
from app.patrimoine.models import Logement, Programme
from matching import enums


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


