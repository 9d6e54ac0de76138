"""Settings read from the environment, with a test and a production profile."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEFAULT_SECRET = "dev-only-secret-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


class Config:
    """Development defaults: embedded SQLite under instance/."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'cotaflux.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    MEILI_URL = os.environ.get("MEILI_URL") or None
    MEILI_API_KEY = os.environ.get("MEILI_API_KEY") or None
    DEBUG = _bool("FLASK_DEBUG")
    TESTING = False
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    SESSION_COOKIE_NAME = "cotaflux_session"
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600))
    REMEMBER_COOKIE_DURATION = 0  # no "remember me": a session ends with logout or expiry
    SECURITY_HEADERS = True
    # Login throttling: attempts per (account, client address) within the window.
    LOGIN_MAX_ATTEMPTS = int(os.environ.get("LOGIN_MAX_ATTEMPTS", 5))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", 15 * 60))
    # Retention of personal data of closed demandes (months) before purge.
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS", 24))
    PLATFORM_TODAY = os.environ.get("PLATFORM_TODAY") or None  # ISO date, for demos only


class TestConfig(Config):
    """Test profile: the database comes from TEST_DATABASE_URL (SQLite in memory by default)."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-0123456789"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    LOGIN_MAX_ATTEMPTS = 5


class ProductionConfig(Config):
    """Production: secure cookies; refuses to start with DEBUG or a default secret."""

    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-cotaflux_session"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete."""


def check_production(config: dict) -> None:
    """Refuse to run production with DEBUG on or a missing/default/short secret key."""
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production (unset FLASK_DEBUG).")
    secret = config.get("SECRET_KEY") or ""
    if secret in (DEFAULT_SECRET, TestConfig.SECRET_KEY) or len(secret) < 32:
        raise ConfigError("Set SECRET_KEY to a random value of at least 32 characters.")


CONFIGS = {
    "development": Config,
    "testing": TestConfig,
    "production": ProductionConfig,
}
