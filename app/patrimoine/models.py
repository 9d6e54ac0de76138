"""Patrimoine: programmes (residences) and logements (docs/formats.md logement fields)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation
from app.columns import UTCDateTime, enum_check, utcnow
from app.extensions import db
from app.territoire.models import Commune
from matching import enums

# Why a dwelling is outside the flux (décret n° 2020-145; docs/regulation.md, « Assiette du flux »).
HORS_FLUX_REASONS = ("defense_securite", "vente", "demolition")
HORS_FLUX_REASON_LABELS = {
    "defense_securite": "Défense nationale ou sécurité intérieure",
    "vente": "Logement destiné à la vente",
    "demolition": "Logement destiné à la démolition",
}
# Why a dwelling left the bailleur's parc (it keeps its history; no new vacancy).
RETIRED_REASONS = ("vendu", "demoli", "autre")
RETIRED_REASON_LABELS = {
    "vendu": "Vendu",
    "demoli": "Démoli",
    "autre": "Autre sortie du patrimoine",
}


class Programme(db.Model):
    """A residence or building programme of a bailleur."""

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("bailleur_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bailleur_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"))
    address: Mapped[str | None] = mapped_column(String(300))
    construction_year: Mapped[int | None] = mapped_column(Integer)

    bailleur: Mapped[Organisation] = relationship()
    commune: Mapped[Commune] = relationship()


class Logement(db.Model):
    """A dwelling of a bailleur's parc."""

    __tablename__ = "logements"
    __table_args__ = (
        UniqueConstraint("bailleur_id", "ref"),
        enum_check("zone", enums.ZONES),
        enum_check("typology", enums.TYPOLOGIES),
        enum_check("financing", enums.FINANCINGS),
        enum_check("hors_flux_reason", HORS_FLUX_REASONS),
        enum_check("retired_reason", RETIRED_REASONS),
        CheckConstraint("(retired_on IS NULL) = (retired_reason IS NULL)",
                        name="retired_with_reason"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("rooms IS NULL OR rooms >= 1", name="rooms_positive"),
        CheckConstraint("surface IS NULL OR surface > 0", name="surface_positive"),
        CheckConstraint("rent >= 0 AND charges >= 0", name="rent_charges_non_negative"),
        CheckConstraint(
            "construction_year IS NULL OR construction_year BETWEEN 1800 AND 2100",
            name="construction_year_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64))  # the bailleur's id (docs/formats.md `id`)
    bailleur_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    zone: Mapped[str] = mapped_column(String(20))
    qpv: Mapped[bool] = mapped_column(Boolean, default=False)
    qpv_name: Mapped[str | None] = mapped_column(String(120))
    typology: Mapped[str] = mapped_column(String(2))
    rooms: Mapped[int | None] = mapped_column(Integer)
    surface: Mapped[float | None] = mapped_column(Numeric(7, 2, asdecimal=False))
    floor: Mapped[int | None] = mapped_column(Integer)
    lift: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    financing: Mapped[str] = mapped_column(String(4))
    rent: Mapped[float] = mapped_column(Numeric(9, 2, asdecimal=False))
    charges: Mapped[float] = mapped_column(Numeric(9, 2, asdecimal=False), default=0)
    construction_year: Mapped[int | None] = mapped_column(Integer)
    hors_flux_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Out of the parc (sold, demolished…): kept for its history, no new vacancy.
    retired_on: Mapped[date | None] = mapped_column(Date)
    retired_reason: Mapped[str | None] = mapped_column(String(20))
    # Optimistic locking: every UPDATE checks and bumps it, so a stale edit is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    bailleur: Mapped[Organisation] = relationship()
    programme: Mapped[Programme | None] = relationship()
    commune: Mapped[Commune] = relationship()

    __mapper_args__ = {"version_id_col": version}

