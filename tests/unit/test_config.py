"""The production profile refuses unsafe settings; settings are read at create_app time."""

from __future__ import annotations

import secrets

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app
from app.config import DEFAULT_SECRET, TEST_SECRET, ConfigError

STRONG = secrets.token_urlsafe(48)


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    for name in ("SECRET_KEY", "FLASK_DEBUG", "COTAFLUX_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_production_starts_with_a_strong_secret_set_after_import(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG)  # set long after app.config was imported

    app = create_app("production")

    assert app.config["SECRET_KEY"] == STRONG
    assert not app.debug and not app.testing
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")


@pytest.mark.parametrize(
    "secret",
    [
        None,  # not set at all
        "",  # set but empty
        DEFAULT_SECRET,  # the development default
        TEST_SECRET,  # the test profile's
        "x7Qp2rLm9vTz",  # random but short
        "ab" * 32,  # long but made of two characters
    ],
)
def test_production_refuses_a_missing_default_or_weak_secret(monkeypatch, secret):
    if secret is not None:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production")


@pytest.mark.parametrize("value", ["1", "true", "oui"])
def test_production_refuses_debug(monkeypatch, value):
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("FLASK_DEBUG", value)
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app("production")


def test_production_keeps_secure_cookies_even_if_asked_otherwise(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")  # production hard-codes True
    assert create_app("production").config["SESSION_COOKIE_SECURE"] is True


def test_development_reads_its_settings_at_create_app_time(monkeypatch):
    monkeypatch.setenv("SESSION_LIFETIME_SECONDS", "1800")
    monkeypatch.setenv("LOGIN_MAX_ATTEMPTS", "7")
    app = create_app("development")
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 1800
    assert app.permanent_session_lifetime.total_seconds() == 1800
    assert app.config["LOGIN_MAX_ATTEMPTS"] == 7
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET  # development may run with the default


def test_proxy_headers_are_trusted_only_when_configured():
    plain = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert not isinstance(plain.wsgi_app, ProxyFix)
    proxied = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROXY_FIX_X_FOR": 1}
    )
    assert isinstance(proxied.wsgi_app, ProxyFix) and proxied.wsgi_app.x_for == 1
