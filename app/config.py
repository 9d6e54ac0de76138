"""Settings read from the environment, with a test and a production profile.

Settings that come from the environment are read when ``create_app`` loads the profile
(``app.config.from_object``), not when this module is imported: a process (or a test) that
sets ``SECRET_KEY`` after the import still gets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEFAULT_SECRET = "dev-only-secret-change-me"
TEST_SECRET = "test-secret-key-not-for-production-0123456789"
MIN_SECRET_LENGTH = 32


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


class FromEnv:
    """A setting read from an environment variable each time the profile is loaded.

    ``from_object`` reads class attributes with ``getattr``, which calls ``__get__``: the
    environment is consulted at ``create_app`` time.
    """

    def __init__(
        self,
        name: str,
        default: Any = None,
        cast: Callable[[str], Any] = str,
        empty_is_unset: bool = False,
    ) -> None:
        self.name, self.default, self.cast, self.empty_is_unset = (
            name,
            default,
            cast,
            empty_is_unset,
        )

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        value = os.environ.get(self.name)
        if value is None or (self.empty_is_unset and not value.strip()):
            return self.default
        return self.cast(value)


class Config:
    """Development defaults: embedded SQLite under instance/."""

    SECRET_KEY = FromEnv("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = FromEnv("DATABASE_URL", f"sqlite:///{INSTANCE / 'cotaflux.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    MEILI_URL = FromEnv("MEILI_URL", None, empty_is_unset=True)
    MEILI_API_KEY = FromEnv("MEILI_API_KEY", None, empty_is_unset=True)
    DEBUG = FromEnv("FLASK_DEBUG", False, _bool)
    TESTING = False
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = FromEnv("SESSION_COOKIE_SECURE", False, _bool)
    SESSION_COOKIE_NAME = "cotaflux_session"
    # Sessions are permanent (set at sign-in) and end after this much inactivity: Flask
    # re-signs the cookie on each request and refuses a signature older than this.
    PERMANENT_SESSION_LIFETIME = FromEnv("SESSION_LIFETIME_SECONDS", 8 * 3600, int)
    REMEMBER_COOKIE_DURATION = 0  # no "remember me": a session ends with logout or expiry
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SECURITY_HEADERS = True
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none).
    # Behind a proxy this must be set, or every visitor shares the proxy's address and the
    # per-address login throttling below would count them all together.
    PROXY_FIX_X_FOR = FromEnv("PROXY_FIX_X_FOR", 0, int)
    # Login throttling: failed attempts within the window, per account and per client address.
    LOGIN_MAX_ATTEMPTS = FromEnv("LOGIN_MAX_ATTEMPTS", 5, int)
    LOGIN_MAX_ATTEMPTS_PER_CLIENT = FromEnv("LOGIN_MAX_ATTEMPTS_PER_CLIENT", 30, int)
    LOGIN_WINDOW_SECONDS = FromEnv("LOGIN_WINDOW_SECONDS", 15 * 60, int)
    # Retention of personal data of closed demandes (months) before purge.
    RETENTION_MONTHS = FromEnv("RETENTION_MONTHS", 24, int)
    # Stored cotation runs older than this (days) are deleted by `flask cotation prune`, except
    # the latest run of each EPCI: a year of history and the month before it.
    COTATION_HISTORY_DAYS = FromEnv("COTATION_HISTORY_DAYS", 400, int)
    PLATFORM_TODAY = FromEnv("PLATFORM_TODAY", None, empty_is_unset=True)  # ISO date; demos
    # Largest request body (413 beyond). The forms need a few kB; 12 MB leaves room for the
    # supporting documents a requester will upload (a few scanned pages).
    MAX_CONTENT_LENGTH = FromEnv("MAX_CONTENT_LENGTH", 12 * 1024 * 1024, int)
    # Uploaded files (supporting documents, offer photos and plans): stored outside the web
    # root, under random names, served only through views that check who may see them.
    UPLOAD_FOLDER = FromEnv("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    UPLOAD_MAX_BYTES = FromEnv("UPLOAD_MAX_BYTES", 8 * 1024 * 1024, int)
    # Outgoing mail (app.mail): "log" writes to the logger and an in-memory outbox; "smtp"
    # sends through MAIL_SERVER.
    MAIL_BACKEND = FromEnv("MAIL_BACKEND", "log")
    MAIL_SERVER = FromEnv("MAIL_SERVER", "localhost")
    MAIL_PORT = FromEnv("MAIL_PORT", 25, int)
    MAIL_USE_TLS = FromEnv("MAIL_USE_TLS", False, _bool)  # STARTTLS
    MAIL_USE_SSL = FromEnv("MAIL_USE_SSL", False, _bool)  # implicit TLS (port 465)
    MAIL_USERNAME = FromEnv("MAIL_USERNAME", None, empty_is_unset=True)
    MAIL_PASSWORD = FromEnv("MAIL_PASSWORD", None, empty_is_unset=True)
    MAIL_DEFAULT_SENDER = FromEnv("MAIL_DEFAULT_SENDER", "Cotaflux <ne-pas-repondre@localhost>")
    MAIL_TIMEOUT_SECONDS = FromEnv("MAIL_TIMEOUT_SECONDS", 10, int)
    # Location choisie: active applications (candidatures) a household may hold at once, and
    # the address the new-offer alert mails link to (the site as its users reach it).
    MAX_ACTIVE_APPLICATIONS = FromEnv("MAX_ACTIVE_APPLICATIONS", 5, int)
    PUBLIC_BASE_URL = FromEnv("PUBLIC_BASE_URL", "http://127.0.0.1:5000")


class TestConfig(Config):
    """Test profile: the database comes from TEST_DATABASE_URL (SQLite in memory by default)."""

    TESTING = True
    DEBUG = False
    SECRET_KEY = TEST_SECRET
    SQLALCHEMY_DATABASE_URI = FromEnv("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    LOGIN_MAX_ATTEMPTS = 5
    LOGIN_MAX_ATTEMPTS_PER_CLIENT = 30
    LOGIN_WINDOW_SECONDS = 15 * 60
    MAIL_BACKEND = "log"


class ProductionConfig(Config):
    """Production: secure cookies; refuses to start with DEBUG or a default secret."""

    SECRET_KEY = FromEnv("SECRET_KEY", None, empty_is_unset=True)
    SESSION_COOKIE_SECURE = True
    # __Host-: the browser only accepts it over HTTPS, for path / and without a Domain, so a
    # sibling sub-domain cannot set or overwrite the session cookie.
    SESSION_COOKIE_NAME = "__Host-cotaflux_session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = FromEnv("MAIL_BACKEND", "smtp")


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete."""


def check_production(config: dict) -> None:
    """Refuse to run production with DEBUG on, insecure cookies or a weak secret key."""
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production (unset FLASK_DEBUG).")
    if config.get("TESTING"):
        raise ConfigError("TESTING must be off in production.")
    secret = config.get("SECRET_KEY") or ""
    if (
        secret in (DEFAULT_SECRET, TEST_SECRET)
        or len(secret) < MIN_SECRET_LENGTH
        or len(set(secret)) < 10  # "aaaa…": long but guessable
    ):
        raise ConfigError(
            f"Set SECRET_KEY to a random value of at least {MIN_SECRET_LENGTH} characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    if not config.get("SESSION_COOKIE_SECURE"):
        raise ConfigError("SESSION_COOKIE_SECURE must be on in production (HTTPS only).")


CONFIGS = {
    "development": Config,
    "testing": TestConfig,
    "production": ProductionConfig,
}
