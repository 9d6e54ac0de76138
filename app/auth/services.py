"""Authentication services: credential check with throttling, session revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select

from ..audit import record
from ..extensions import db
from ..models import LoginAttempt, User
from ..models.base import utcnow
from ..models.users import new_session_token
from .passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password


@dataclass(frozen=True)
class AuthResult:
    user: User | None
    message: str = ""
    status: int = 200


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def client_address() -> str:
    return (request.remote_addr or "inconnu")[:64]


def _recent_failures(email_key: str) -> int:
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email_key == email_key, LoginAttempt.attempted_at >= utcnow() - window
        )
    ) or 0


def authenticate(email: str, password: str) -> AuthResult:
    """Check credentials, throttling repeated failures per account."""
    email_key = normalise_email(email)
    limit = current_app.config["LOGIN_MAX_ATTEMPTS"]
    if _recent_failures(email_key) >= limit:
        minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
        record("auth.login_throttled", entity_type="user", entity_id=email_key)
        return AuthResult(
            None,
            f"Trop de tentatives de connexion échouées. Réessayez dans {minutes} minutes.",
            429,
        )
    user = db.session.scalar(select(User).where(User.email == email_key))
    if user is None:
        verify_password(DUMMY_HASH, password)  # same cost as a real check
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_enabled
    if not ok:
        db.session.add(LoginAttempt(email_key=email_key, client=client_address()))
        record("auth.login_failed", entity_type="user", entity_id=email_key)
        return AuthResult(None, "Adresse électronique ou mot de passe incorrect.", 200)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email_key == email_key))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record("auth.login", actor=user, entity_type="user", entity_id=str(user.id))
    db.session.flush()
    return AuthResult(user)


def rotate_session_token(user: User) -> None:
    """Invalidate every session issued to this user so far."""
    user.session_token = new_session_token()
    record("auth.sessions_revoked", actor=user, entity_type="user", entity_id=str(user.id))


def set_password(user: User, password: str) -> None:
    """Change the password and end every other session."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    rotate_session_token(user)
