"""Read helpers for the EPCI area (always scoped to the user's territory)."""

from __future__ import annotations

from sqlalchemy import func, select

from app import parameters
from app.accounts.models import User
from app.clock import platform_today
from app.demandes.models import Demande, WishedCommune
from app.extensions import db
from app.territoire.models import Commune


def home_summary(user: User) -> dict:
    """The territory: member communes and the demandes filed on it."""
    org_id = user.organisation_id
    active = (Demande.epci_id == org_id, Demande.status == "active")
    first_choice = dict(
        db.session.execute(
            select(WishedCommune.commune_insee, func.count(Demande.id))
            .join(Demande, Demande.id == WishedCommune.demande_id)
            .where(*active, WishedCommune.rank == 1)
            .group_by(WishedCommune.commune_insee)
        ).all()
    )
    communes = db.session.scalars(
        select(Commune).where(Commune.epci_id == org_id).order_by(Commune.name)
    ).all()
    return {
        "organisation": user.organisation,
        "communes": [
            {"commune": c, "first_choice": first_choice.get(c.insee, 0)} for c in communes
        ],
        "actives": db.session.scalar(select(func.count(Demande.id)).where(*active)),
        "dalo": db.session.scalar(
            select(func.count(Demande.id)).where(*active, Demande.is_dalo.is_(True))
        ),
        "mutations": db.session.scalar(
            select(func.count(Demande.id)).where(*active, Demande.is_mutation.is_(True))
        ),
        "brouillons": db.session.scalar(
            select(func.count(Demande.id)).where(
                Demande.epci_id == org_id, Demande.status == "brouillon"
            )
        ),
    }


def regulatory_status() -> parameters.Status:
    """The regulatory figures the home warns about: gaps of this year and, from 1 December,
    of the coming one (app.parameters)."""
    return parameters.status(platform_today())
