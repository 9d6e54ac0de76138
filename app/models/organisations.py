"""Organisations (bailleurs, réservataires, EPCIs, operator) and the territory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching import enums

from ..extensions import db
from .base import UTCDateTime, enum_check, utcnow

ORGANISATION_KINDS = ("bailleur", "reservataire", "epci", "operateur")
ORGANISATION_KIND_LABELS = {
    "bailleur": "Bailleur social",
    "reservataire": "Réservataire",
    "epci": "EPCI",
    "operateur": "Opérateur de la plateforme",
}


class Organisation(db.Model):
    """A legal entity using the platform; staff users belong to exactly one."""

    __tablename__ = "organisations"
    __table_args__ = (
        enum_check("kind", ORGANISATION_KINDS),
        enum_check("reservataire_kind", enums.RESERVATAIRE_KINDS),
        CheckConstraint(
            "(kind = 'reservataire') = (reservataire_kind IS NOT NULL)",
            name="reservataire_kind_iff_reservataire",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    reservataire_kind: Mapped[str | None] = mapped_column(String(20))
    siren: Mapped[str | None] = mapped_column(String(9))
    departement: Mapped[str | None] = mapped_column(String(3))
    # For a réservataire that is a collectivité, or an EPCI: its territory (an EPCI org).
    territory_epci_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    communes: Mapped[list[Commune]] = relationship(
        back_populates="epci", foreign_keys="Commune.epci_id"
    )

    @property
    def kind_label(self) -> str:
        if self.kind == "reservataire" and self.reservataire_kind:
            return enums.RESERVATAIRE_KIND_LABELS[self.reservataire_kind]
        return ORGANISATION_KIND_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Commune(db.Model):
    """A commune (INSEE code), its income-ceiling zone and its EPCI."""

    __tablename__ = "communes"
    __table_args__ = (
        enum_check("zone", enums.ZONES),
        CheckConstraint("length(insee) = 5", name="insee_length"),
    )

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    departement: Mapped[str] = mapped_column(String(3))
    zone: Mapped[str] = mapped_column(String(20))
    population: Mapped[int | None] = mapped_column(Integer)
    epci_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    has_qpv: Mapped[bool] = mapped_column(Boolean, default=False)

    epci: Mapped[Organisation | None] = relationship(back_populates="communes")

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"
