"""Users, their role and their organisation membership."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_check, utcnow
from .organisations import Organisation

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
