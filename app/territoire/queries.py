"""Read helpers on the territory's communes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.territoire.models import Commune


@dataclass(frozen=True)
class CommuneInfo:
    """What a form needs to know about a commune."""

    insee: str
    name: str
    epci_id: int | None


def known_communes(codes: Iterable[str]) -> dict[str, CommuneInfo]:
    """The communes among these INSEE codes that the platform knows (one query)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Commune.insee, Commune.name, Commune.epci_id).where(Commune.insee.in_(wanted))
    ).all()
    return {insee: CommuneInfo(insee, name, epci_id) for insee, name, epci_id in rows}
