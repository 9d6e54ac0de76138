"""Read helpers on demandes shared by the areas that show one (requester, réservataire, EPCI).

Which demande a user may open is decided by each area's queries.py; this module only
gathers what the demande page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from .extensions import db
from .models import Commune, Demande, WishedCommune


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
