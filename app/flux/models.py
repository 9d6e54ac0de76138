"""Gestion en flux: conventions de réservation, offers (vacancies) and the flux ledger."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation
from app.columns import UTCDateTime, enum_check, in_values, unique_where, utcnow
from app.extensions import db
from app.patrimoine.models import Logement
from matching import enums

# Statuses in which an offer is still open (not allocated, leased or withdrawn).
# "contingent_bailleur": the vacancy went to the bailleur's own share (no réservataire, no
# deadline); "repris_bailleur": a réservataire's dwelling taken back at its deadline.
OPEN_FLUX_STATUSES = ("a_orienter", "oriente", "contingent_bailleur", "repris_bailleur", "designe",
                      "en_cal")
# Reasons to take a vacancy out of the flux calculation base (CCH R.441-5).
BASE_EXCLUSIONS = ("mutation", "relogement_npnru", "relogement_orcod")
# The ledger's events (app/flux/ledger.py). "mise_a_disposition" is the orientation of a vacancy
# to a réservataire, or to the bailleur's own share when it names none. "condition_levee" and
# "attribution_caduque" end the suspensive condition of a CAL decision (c).
FLUX_EVENT_KINDS = (
    "hors_flux", "mise_a_disposition", "reprise", "designation", "decision_cal", "proposition",
    "acceptation", "refus", "attribution", "bail_signe", "retrait", "visite",
    "condition_levee", "attribution_caduque",
)


class Convention(db.Model):
    """Convention de réservation: one per bailleur × réservataire × département and year."""

    __tablename__ = "conventions"
    __table_args__ = (
        UniqueConstraint("bailleur_id", "reservataire_id", "departement", "year"),
        enum_check("origin", enums.CONVENTION_ORIGINS),
        enum_check("counts_on", enums.COUNTS_ON),
        CheckConstraint("share_percent >= 0 AND share_percent <= 100", name="share_range"),
        CheckConstraint("designation_delay_days > 0", name="delay_positive"),
        CheckConstraint("bailleur_id <> reservataire_id", name="distinct_parties"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    bailleur_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reservataire_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    departement: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    share_percent: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))
    origin: Mapped[str] = mapped_column(String(20))
    designation_delay_days: Mapped[int] = mapped_column(Integer, default=30)
    counts_on: Mapped[str] = mapped_column(String(20), default="mise_a_disposition")
    counts_after_takeback: Mapped[bool] = mapped_column(Boolean, default=True)
    scope_communes: Mapped[list] = mapped_column(JSON, default=list)
    scope_typologies: Mapped[list] = mapped_column(JSON, default=list)
    scope_qpv: Mapped[bool | None] = mapped_column(Boolean)
    signed_on: Mapped[date | None] = mapped_column(Date)
    # The version in force (1 at creation). Each edit first copies the terms in force into
    # ConventionVersion, then bumps it: an orientation names the version it applied.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    bailleur: Mapped[Organisation] = relationship(foreign_keys=[bailleur_id])
    reservataire: Mapped[Organisation] = relationship(foreign_keys=[reservataire_id])


# The terms of a convention that a new version may change (parties, département and year
# identify the convention and never change).
CONVENTION_TERMS = ("share_percent", "origin", "designation_delay_days", "counts_on",
                    "counts_after_takeback", "scope_communes", "scope_typologies", "scope_qpv",
                    "signed_on")


class ConventionVersion(db.Model):
    """The terms of a convention as they were before an edit (its earlier versions).

    The version in force is the convention row itself (``Convention.version``); this table
    keeps every superseded one, never edited, so that what was in force when an orientation
    was decided can always be shown."""

    __tablename__ = "convention_versions"
    __table_args__ = (
        UniqueConstraint("convention_id", "version"),
        enum_check("origin", enums.CONVENTION_ORIGINS),
        enum_check("counts_on", enums.COUNTS_ON),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    share_percent: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))
    origin: Mapped[str] = mapped_column(String(20))
    designation_delay_days: Mapped[int] = mapped_column(Integer)
    counts_on: Mapped[str] = mapped_column(String(20))
    counts_after_takeback: Mapped[bool] = mapped_column(Boolean)
    scope_communes: Mapped[list] = mapped_column(JSON, default=list)
    scope_typologies: Mapped[list] = mapped_column(JSON, default=list)
    scope_qpv: Mapped[bool | None] = mapped_column(Boolean)
    signed_on: Mapped[date | None] = mapped_column(Date)
    # When it stopped being in force, who changed it, and why.
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_note: Mapped[str | None] = mapped_column(Text)

    convention: Mapped[Convention] = relationship()


class Offre(db.Model):
    """A vacancy of a logement published under the flux, with its life cycle."""

    __tablename__ = "offres"
    __table_args__ = (
        enum_check("flux_status", enums.FLUX_STATUSES),
        enum_check("excluded_from_base", BASE_EXCLUSIONS),
        CheckConstraint(
            "flux_status NOT IN ('oriente', 'designe') OR reservataire_id IS NOT NULL",
            name="oriented_has_reservataire",
        ),
        # One open offer per logement at a time.
        unique_where("uq_offres_logement_open", "logement_id",
                     where=in_values("flux_status", OPEN_FLUX_STATUSES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    logement_id: Mapped[int] = mapped_column(ForeignKey("logements.id"), index=True)
    flux_status: Mapped[str] = mapped_column(String(20), default="a_orienter", index=True)
    reservataire_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    convention_id: Mapped[int | None] = mapped_column(ForeignKey("conventions.id"), index=True)
    declared_on: Mapped[date] = mapped_column(Date)
    available_on: Mapped[date] = mapped_column(Date)
    designation_deadline: Mapped[date | None] = mapped_column(Date)
    excluded_from_base: Mapped[str | None] = mapped_column(String(20))
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Publishing (the bailleur's offer page): the date the tenant gave notice, and the
    # neighbourhood named in the offer text (searched with the description and the commune).
    notice_on: Mapped[date | None] = mapped_column(Date)
    quartier: Mapped[str | None] = mapped_column(String(120))

    logement: Mapped[Logement] = relationship()
    reservataire: Mapped[Organisation | None] = relationship()
    convention: Mapped[Convention | None] = relationship()


# Media of a published offer: photos (JPEG, PNG) and a plan (PDF, JPEG, PNG).
MEDIA_KINDS = ("photo", "plan")
MEDIA_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


class OffreMedia(db.Model):
    """A photo or a plan of an offer, stored by ``app/uploads.py`` under a random key.

    Its text alternative is required (accessibility): a photo is described, a plan named."""

    __tablename__ = "offre_media"
    __table_args__ = (
        enum_check("kind", MEDIA_KINDS),
        enum_check("content_type", MEDIA_CONTENT_TYPES),
        CheckConstraint("kind = 'plan' OR content_type <> 'application/pdf'",
                        name="photo_is_an_image"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("length(trim(caption)) > 0", name="caption_given"),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(120))
    caption: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    offre: Mapped[Offre] = relationship()


class FluxEvent(db.Model):
    """Append-only ledger from which every flux count is derived (made available,
    taken back, allocated, leased, withdrawn), per réservataire.

    The migrations install triggers that refuse UPDATE and DELETE on this table, as on
    ``audit_events``: a mistake is corrected by a further event. An event that counts for a
    réservataire names the convention it counts under."""

    __tablename__ = "flux_events"
    __table_args__ = (
        enum_check("kind", FLUX_EVENT_KINDS),
        CheckConstraint(
            "reservataire_id IS NULL OR convention_id IS NOT NULL",
            name="counted_has_convention",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reservataire_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    convention_id: Mapped[int | None] = mapped_column(ForeignKey("conventions.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    # Who recorded it (None for the platform's scheduled commands and imports).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the event carries besides its counts: the orientation's reason and figures, an
    # override and its written reason, the demande concerned, the decision…
    details: Mapped[dict | None] = mapped_column(JSON)

    offre: Mapped[Offre] = relationship()


# --------------------------------------------------------------------------- état des lieux,
# yearly forecasts and quartile thresholds (bilan annuel; issue 7 team B)

MUTATIONS_HORS_BASE = ("internes", "toutes")  # matching.flux.MUTATIONS_HORS_BASE


class ReservationStock(db.Model):
    """État des lieux initial: a dwelling a réservataire held in stock before the flux.

    The bailleur's last imported file (an import replaces the bailleur's previous rows);
    each réservataire's share of the flux is computed from it (matching/flux/etat_des_lieux.py)."""

    __tablename__ = "reservations_stock"
    __table_args__ = (UniqueConstraint("logement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bailleur_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    logement_id: Mapped[int] = mapped_column(ForeignKey("logements.id"))
    reservataire_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    convention_ref: Mapped[str | None] = mapped_column(String(64))  # the stock convention
    ends_on: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    logement: Mapped[Logement] = relationship()
    reservataire: Mapped[Organisation] = relationship(foreign_keys=[reservataire_id])


class FluxForecast(db.Model):
    """The bailleur's settings for a flux's yearly forecast (bailleur × département × year):
    a rotation rate replacing the observed one, and the dwellings it plans to take out of the
    base (mutations, relogements NPNRU / ORCOD)."""

    __tablename__ = "flux_forecasts"
    __table_args__ = (
        UniqueConstraint("bailleur_id", "departement", "year"),
        enum_check("mutations_hors_base", MUTATIONS_HORS_BASE),
        CheckConstraint("rotation_rate IS NULL OR (rotation_rate >= 0 AND rotation_rate <= 1)",
                        name="rotation_rate_range"),
        CheckConstraint("mutations_internes >= 0 AND mutations_externes >= 0 AND "
                        "relogements_npnru >= 0 AND relogements_orcod >= 0",
                        name="withdrawals_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bailleur_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    departement: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    rotation_rate: Mapped[float | None] = mapped_column(Numeric(5, 4, asdecimal=False))
    mutations_internes: Mapped[int] = mapped_column(Integer, default=0)
    mutations_externes: Mapped[int] = mapped_column(Integer, default=0)
    relogements_npnru: Mapped[int] = mapped_column(Integer, default=0)
    relogements_orcod: Mapped[int] = mapped_column(Integer, default=0)
    mutations_hors_base: Mapped[str] = mapped_column(String(10), default="internes")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class QuartileThreshold(db.Model):
    """The lowest-quartile income threshold of an EPCI for a year (annual income per
    consumption unit), fixed by arrêté; entered by the EPCI, never guessed (CCH L.441-1)."""

    __tablename__ = "quartile_thresholds"
    __table_args__ = (
        UniqueConstraint("epci_id", "year"),
        CheckConstraint("threshold > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    epci_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    arrete: Mapped[str] = mapped_column(String(200))  # the arrêté's reference
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
