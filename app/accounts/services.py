"""Authentication services: credential check with throttling, password change, requester
registration, session revocation. They flush; the request boundary commits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import LoginAttempt, User, new_session_token
from app.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from app.audit.services import record
from app.columns import utcnow
from app.extensions import db

WRONG_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."
WRONG_CURRENT_PASSWORD = "Le mot de passe actuel est incorrect."


@dataclass(frozen=True)
class AuthResult:
    user: User | None
    message: str = ""
    status: int = 200
    retry_after: int | None = None  # seconds, for a throttled attempt


class EmailTaken(Exception):
    """An account already uses this e-mail address (compared case-insensitively).

    Never shown as such to the visitor (see spaces/auth/views.register): its owner is told
    by e-mail instead."""

    def __init__(self, email_key: str) -> None:
        super().__init__(email_key)
        self.email_key = email_key


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def client_address() -> str:
    return (request.remote_addr or "inconnu")[:64]


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])


def _seconds_until_allowed(condition: ColumnElement[bool], limit: int) -> int | None:
    """Seconds until fewer than ``limit`` failures matching ``condition`` remain in the
    window, or None if there are fewer already."""
    if limit <= 0:  # 0 turns this counter off
        return None
    now = utcnow()
    recent = db.session.scalars(
        select(LoginAttempt.attempted_at)
        .where(condition, LoginAttempt.attempted_at >= now - _window())
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    # The limit-th most recent failure has to leave the window before a new try is allowed.
    return max(1, math.ceil((recent[-1] + _window() - now).total_seconds()))


def throttled(email_key: str) -> AuthResult | None:
    """A refusal if this account, or this client address, failed too often recently.

    Per account: stops guessing one account's password from many addresses. Per address:
    stops one address from trying a few passwords on each of many accounts ("spraying").
    """
    config = current_app.config
    waits = [
        wait
        for wait in (
            _seconds_until_allowed(
                LoginAttempt.email_key == email_key, config["LOGIN_MAX_ATTEMPTS"]
            ),
            _seconds_until_allowed(
                LoginAttempt.client == client_address(), config["LOGIN_MAX_ATTEMPTS_PER_CLIENT"]
            ),
        )
        if wait is not None
    ]
    if not waits:
        return None
    wait = max(waits)
    minutes = math.ceil(wait / 60)
    return AuthResult(
        None,
        "Trop de tentatives de connexion échouées. Par sécurité, la connexion est suspendue : "
        f"réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.",
        429,
        retry_after=wait,
    )


def _record_failure(email_key: str, action: str, user: User | None) -> None:
    db.session.add(LoginAttempt(email_key=email_key or "(vide)", client=client_address()))
    record(action, entity_type="user", entity_id=str(user.id) if user else None, email=email_key)


def _find_user(email_key: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email_key))


def authenticate(email: str, password: str) -> AuthResult:
    """Check credentials, throttling repeated failures per account and per client address."""
    email_key = normalise_email(email)
    refusal = throttled(email_key)
    if refusal is not None:
        record("auth.login_throttled", entity_type="user", email=email_key)
        return refusal
    user = _find_user(email_key)
    if user is None:
        verify_password(DUMMY_HASH, password)  # same cost as a real check: no enumeration
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_enabled
    if not ok:
        _record_failure(email_key, "auth.login_failed", user)
        db.session.flush()
        return AuthResult(None, WRONG_CREDENTIALS, 200)
    # Success resets this account's counter only: the address's failures on other accounts
    # still count, so a sprayer cannot clear them by signing in to an account of their own.
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email_key == email_key))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record("auth.login", actor=user, entity_type="user", entity_id=str(user.id))
    db.session.flush()
    return AuthResult(user)


def check_current_password(user: User, password: str) -> AuthResult:
    """Re-check the signed-in user's password (password change), with the same throttling
    as sign-in: a stolen session must not become a way to guess the password."""
    email_key = normalise_email(user.email)
    refusal = throttled(email_key)
    if refusal is not None:
        record(
            "auth.password_change_throttled", actor=user, entity_type="user", entity_id=str(user.id)
        )
        return refusal
    if not verify_password(user.password_hash, password):
        _record_failure(email_key, "auth.password_change_failed", user)
        db.session.flush()
        return AuthResult(None, WRONG_CURRENT_PASSWORD, 422)
    return AuthResult(user)


def rotate_session_token(user: User) -> None:
    """Invalidate every session issued to this user so far (the token is in the cookie)."""
    user.session_token = new_session_token()


def end_session(user: User) -> None:
    """Logout: the session cookie, even if copied before, no longer signs anyone in."""
    rotate_session_token(user)
    record("auth.logout", actor=user, entity_type="user", entity_id=str(user.id))
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """Change the password and end every session issued before (the caller signs the
    current one in again with the new token)."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    rotate_session_token(user)
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.email_key == normalise_email(user.email))
    )
    record("auth.password_changed", actor=user, entity_type="user", entity_id=str(user.id))
    db.session.flush()


def existing_account(email: str) -> User | None:
    """The account using this address (compared case-insensitively), if any."""
    return _find_user(normalise_email(email))


def register_requester(full_name: str, email: str, password: str) -> User:
    """Create a requester (demandeur) account; raise EmailTaken if the address is in use.

    The password is hashed first in both cases, so that an address in use does not answer
    faster than a new one (the page says the same in both cases: no account enumeration).
    An address in use is audited (auth.register_existing) for its owner's sake."""
    email_key = normalise_email(email)
    password_hash = hash_password(password)
    existing = existing_account(email_key)
    if existing is not None:
        record("auth.register_existing", entity_type="user", entity_id=str(existing.id))
        db.session.flush()
        raise EmailTaken(email_key)
    user = User(
        email=email_key,
        full_name=full_name.strip(),
        role="demandeur",
        password_hash=password_hash,
        password_changed_at=utcnow(),
    )
    try:
        # Two simultaneous registrations: the unique index decides; only this insert is undone.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        record("auth.register_existing", entity_type="user", email=email_key)
        db.session.flush()
        raise EmailTaken(email_key) from None
    record("auth.register", actor=user, entity_type="user", entity_id=str(user.id))
    db.session.flush()
    return user
