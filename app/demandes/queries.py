"""Read helpers on demandes: what a demande page shows, and which demande a user may open
(the requester's own, a demande filed on an EPCI's territory)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.accounts.models import User
from app.demandes.models import Demande, WishedCommune
from app.extensions import db
from app.territoire.models import Commune


def wished_communes(demandes: Sequence[Demande]) -> dict[int, list[Commune]]:
    """The wished communes of each demande, in the order of the wishes (one query)."""
    ids = [d.id for d in demandes]
    result: dict[int, list[Commune]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(WishedCommune.demande_id, Commune)
        .join(Commune, Commune.insee == WishedCommune.commune_insee)
        .where(WishedCommune.demande_id.in_(ids))
        .order_by(WishedCommune.demande_id, WishedCommune.rank)
    ).all()
    for demande_id, commune in rows:
        result[demande_id].append(commune)
    return result


def demande_details(demande: Demande) -> dict:
    """What the demande page shows: the demande, its wishes and its household."""
    return {
        "demande": demande,
        "communes": wished_communes([demande])[demande.id],
        "typologies": sorted(t.typology for t in demande.wished_typologies),
        "household_size": len(demande.members),
        "dependents": sum(1 for m in demande.members if m.is_dependent),
    }


def territory_demande(user: User, nur: str) -> dict | None:
    """A demande filed on the user's territory, or None (any other territory's too)."""
    demande = db.session.scalar(
        select(Demande).where(Demande.nur == nur, Demande.epci_id == user.organisation_id)
    )
    return demande_details(demande) if demande is not None else None


def own_demande(user: User, nur: str) -> dict | None:
    """The requester's own demande by NUR, or None (another requester's NUR included)."""
    demande = db.session.scalar(
        select(Demande).where(Demande.nur == nur, Demande.requester_id == user.id)
    )
    return demande_details(demande) if demande is not None else None
