"""Demandes de logement social and their parts (docs/formats.md demande)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
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
from matching import enums

DEMANDE_STATUSES = ("brouillon", "active", "attribuee", "radiee", "expiree")
ACTIVE_DEMANDE_STATUSES = ("brouillon", "active")
DEMANDE_STATUS_LABELS = {
    "brouillon": "Brouillon",
    "active": "Active",
    "attribuee": "Logement attribué",
    "radiee": "Radiée",
    "expiree": "Expirée (non renouvelée)",
}
CIVILITIES = ("M.", "Mme", "")


def _money(**kw):
    return mapped_column(Numeric(12, 2, asdecimal=False), **kw)


class Demande(db.Model):
    """One household's application on one territory (EPCI)."""

    __tablename__ = "demandes"
    __table_args__ = (
        enum_check("status", DEMANDE_STATUSES),
        enum_check("current_housing_kind", enums.HOUSING_KINDS),
        CheckConstraint("rfr_n2 >= 0", name="rfr_n2_non_negative"),
        CheckConstraint("rfr_n1 IS NULL OR rfr_n1 >= 0", name="rfr_n1_non_negative"),
        CheckConstraint(
            "resources_last_12_months IS NULL OR resources_last_12_months >= 0",
            name="resources_12m_non_negative",
        ),
        CheckConstraint(
            "monthly_resources IS NULL OR monthly_resources >= 0",
            name="monthly_resources_non_negative",
        ),
        CheckConstraint("renewed_on IS NULL OR renewed_on >= filed_on", name="renewed_after_filed"),
        # At most one active demande per requester and territory.
        unique_where("uq_demandes_requester_epci_active", "requester_id", "epci_id",
                     where=in_values("status", ACTIVE_DEMANDE_STATUSES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nur: Mapped[str] = mapped_column(String(32), unique=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    epci_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    filed_on: Mapped[date] = mapped_column(Date)
    renewed_on: Mapped[date | None] = mapped_column(Date)
    is_mutation: Mapped[bool] = mapped_column(Boolean, default=False)
    # Identity: personal data, audited on read and purged at the end of retention.
    civility: Mapped[str | None] = mapped_column(String(4))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    # Resources.
    rfr_n2: Mapped[float] = _money()
    rfr_n1: Mapped[float | None] = _money()
    resources_last_12_months: Mapped[float | None] = _money()
    monthly_resources: Mapped[float | None] = _money()
    # Current housing.
    current_housing_kind: Mapped[str] = mapped_column(String(30))
    current_commune_insee: Mapped[str | None] = mapped_column(
        ForeignKey("communes.insee"), index=True
    )
    current_rooms: Mapped[int | None] = mapped_column(Integer)
    current_surface: Mapped[float | None] = mapped_column(Numeric(7, 2, asdecimal=False))
    current_rent: Mapped[float | None] = _money()
    current_charges: Mapped[float | None] = _money()
    # Employer.
    employer_siret: Mapped[str | None] = mapped_column(String(14))
    employer_contributes_action_logement: Mapped[bool] = mapped_column(Boolean, default=False)
    # Wishes beyond communes and typologies.
    max_rent: Mapped[float | None] = _money()
    needs_accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    # Priority.
    is_dalo: Mapped[bool] = mapped_column(Boolean, default=False)
    is_acd_labelled: Mapped[bool] = mapped_column(Boolean, default=False)
    labelled_by: Mapped[str | None] = mapped_column(String(200))
    labelled_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Set when personal data has been purged at the end of its retention period.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    epci: Mapped[Organisation] = relationship()
    members: Mapped[list[HouseholdMember]] = relationship(
        order_by="HouseholdMember.position", cascade="all, delete-orphan", back_populates="demande"
    )
    reasons: Mapped[list[DemandeReason]] = relationship(cascade="all, delete-orphan")
    employments: Mapped[list[Employment]] = relationship(cascade="all, delete-orphan")
    wished_communes: Mapped[list[WishedCommune]] = relationship(
        order_by="WishedCommune.rank", cascade="all, delete-orphan"
    )
    wished_typologies: Mapped[list[WishedTypology]] = relationship(cascade="all, delete-orphan")
    priority_criteria: Mapped[list[PriorityCriterion]] = relationship(
        cascade="all, delete-orphan"
    )
    refusals: Mapped[list[Refusal]] = relationship(
        order_by="Refusal.refused_on", cascade="all, delete-orphan"
    )
    verifications: Mapped[list[Verification]] = relationship(cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        if self.purged_at:
            return "(données effacées)"
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)


class HouseholdMember(db.Model):
    __tablename__ = "household_members"
    __table_args__ = (
        UniqueConstraint("demande_id", "position"),
        enum_check("role", enums.HOUSEHOLD_ROLES),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(12))
    first_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    is_dependent: Mapped[bool] = mapped_column(Boolean, default=False)
    has_disability: Mapped[bool] = mapped_column(Boolean, default=False)

    demande: Mapped[Demande] = relationship(back_populates="members")


class DemandeReason(db.Model):
    __tablename__ = "demande_reasons"
    __table_args__ = (enum_check("reason", enums.REASONS),)

    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)


class Employment(db.Model):
    __tablename__ = "employments"
    __table_args__ = (enum_check("contract", enums.CONTRACTS),)

    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), primary_key=True
    )
    member_position: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract: Mapped[str] = mapped_column(String(16))


class WishedCommune(db.Model):
    """Ordered geographic wishes (rank 1 = first choice)."""

    __tablename__ = "wished_communes"
    __table_args__ = (
        UniqueConstraint("demande_id", "commune_insee"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)


class WishedTypology(db.Model):
    __tablename__ = "wished_typologies"
    __table_args__ = (enum_check("typology", enums.TYPOLOGIES),)

    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), primary_key=True
    )
    typology: Mapped[str] = mapped_column(String(2), primary_key=True)


class PriorityCriterion(db.Model):
    """A legal priority situation of CCH L.441-1 declared or recognised for the demande."""

    __tablename__ = "priority_criteria"
    __table_args__ = (enum_check("criterion", enums.L441_1),)

    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(40), primary_key=True)


class Refusal(db.Model):
    """A refused proposal; shared with every bailleur of the territory."""

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), index=True
    )
    refused_on: Mapped[date] = mapped_column(Date)
    offre_id: Mapped[int | None] = mapped_column(ForeignKey("offres.id"), index=True)
    offer_ref: Mapped[str | None] = mapped_column(String(64))  # offers outside the platform
    bailleur_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_adapted: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)


class Verification(db.Model):
    """Verification status of one criterion of the demande (declared / verified / rejected)."""

    __tablename__ = "verifications"
    __table_args__ = (enum_check("status", enums.VERIFICATION),)

    demande_id: Mapped[int] = mapped_column(
        ForeignKey("demandes.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="declared")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why staff rejected the criterion's evidence (shown to the requester); set with "rejected".
    reason: Mapped[str | None] = mapped_column(Text)

    documents: Mapped[list[Document]] = relationship(
        order_by="Document.uploaded_at", cascade="all, delete-orphan", back_populates="verification"
    )


class DemandeDraft(db.Model):
    """What a requester typed in the demande form and has not filed yet (nothing is lost).

    A draft is the raw form data (field name → list of values), not a demande: a draft has no
    NUR, takes no place in the cotation, and a half-filled household is storable. ``demande_id``
    set: pending changes to that filed demande; NULL: a new demande being prepared.
    """

    __tablename__ = "demande_drafts"
    __table_args__ = (
        UniqueConstraint("demande_id"),
        # One draft of a new demande per requester.
        unique_where("uq_demande_drafts_requester_new", "requester_id",
                     where="demande_id IS NULL"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    demande_id: Mapped[int | None] = mapped_column(ForeignKey("demandes.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Document(db.Model):
    """A supporting document the requester uploaded for one criterion of their demande.

    The file is stored outside the web root (app/uploads.py) under ``storage_key``; its
    verification status is the criterion's (``verifications``): declared, verified, rejected.
    """

    __tablename__ = "documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["demande_id", "criterion"],
            ["verifications.demande_id", "verifications.criterion"],
            ondelete="CASCADE",
        ),
        CheckConstraint("size > 0", name="size_positive"),
        Index("ix_documents_demande_criterion", "demande_id", "criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demande_id: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(32), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    verification: Mapped[Verification] = relationship(back_populates="documents")
