"""The territory: communes with their zones and their EPCI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.columns import enum_check
from app.extensions import db
from matching import enums
from matching.records import ZONES_ABC

if TYPE_CHECKING:
    from app.accounts.models import Organisation


class Commune(db.Model):
    """A commune (INSEE code), its income-ceiling zones and its EPCI.

    ``zone`` is the PLUS/PLAI zoning (Paris / Île-de-France / autres régions); ``zone_abc``
    the A bis / A / B1 / B2 / C zoning (arrêté du 1er août 2014 as amended), which fixes the
    PLI ceilings."""

    __tablename__ = "communes"
    __table_args__ = (
        enum_check("zone", enums.ZONES),
        enum_check("zone_abc", ZONES_ABC),
        CheckConstraint("length(insee) = 5", name="insee_length"),
    )

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    departement: Mapped[str] = mapped_column(String(3))
    zone: Mapped[str] = mapped_column(String(20))
    zone_abc: Mapped[str | None] = mapped_column(String(5))
    population: Mapped[int | None] = mapped_column(Integer)
    epci_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    has_qpv: Mapped[bool] = mapped_column(Boolean, default=False)

    epci: Mapped[Organisation | None] = relationship(back_populates="communes")

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"
