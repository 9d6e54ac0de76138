"""Organisations (bailleurs, réservataires, EPCIs, operator), users and their memberships."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.columns import UTCDateTime, enum_check, utcnow
from app.extensions import db
from matching import enums

if TYPE_CHECKING:
    from app.territoire.models import Commune

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


ROLES = ("demandeur", "bailleur", "reservataire", "cal", "epci", "admin")
STAFF_ROLES = ROLES[1:]
ROLE_LABELS = {
    "demandeur": "Demandeur de logement",
    "bailleur": "Agent de bailleur",
    "reservataire": "Agent de réservataire",
    "cal": "Membre de commission d'attribution (CAL)",
    "epci": "Agent d'EPCI",
    "admin": "Administrateur de la plateforme",
}
# Which organisation kind each staff role belongs to.
ROLE_ORGANISATION_KIND = {
    "bailleur": "bailleur",
    "reservataire": "reservataire",
    "cal": "bailleur",
    "epci": "epci",
    "admin": "operateur",
}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """An account. The session token changes at logout and password change, which
    invalidates every session cookie issued before."""

    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", ROLES),
        # Emails are stored in lower case, so the unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    membership: Mapped[Membership | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    # Flask-Login: the id in the session carries the token, so a rotated token logs out.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def organisation(self) -> Organisation | None:
        return self.membership.organisation if self.membership else None

    @property
    def organisation_id(self) -> int | None:
        return self.membership.organisation_id if self.membership else None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Membership(db.Model):
    """A staff user's organisation (exactly one per staff user)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="membership")
    organisation: Mapped[Organisation] = relationship()


class LoginAttempt(db.Model):
    """Failed login attempts, for throttling (kept in the database so that every worker
    process of a deployment sees the same count)."""

    __tablename__ = "login_attempts"
    __table_args__ = (CheckConstraint("length(email_key) > 0", name="email_key_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    client: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
