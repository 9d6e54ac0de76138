"""Cookie flags and HTTP security headers, under the production and the test profiles."""

from __future__ import annotations

import secrets

import pytest

from app import create_app


@pytest.fixture
def production_client(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", "sqlite://")  # never connected to by these requests
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    client = create_app("production").test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "cotaflux.example"})
    return client


def cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    name_value, *attributes = [part.strip() for part in header.split(";")]
    parsed = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return name_value.split("=", 1)[0], parsed


def test_production_session_cookie_is_host_only_secure_httponly_and_lax(production_client):
    response = production_client.get("/connexion")  # the CSRF token opens a session

    assert response.status_code == 200
    (header,) = response.headers.getlist("Set-Cookie")
    name, attributes = cookie_attributes(header)
    assert name == "__Host-cotaflux_session"
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    # __Host- requires Path=/ and no Domain, or the browser drops the cookie.
    assert attributes["path"] == "/" and "domain" not in attributes


def test_production_pages_carry_the_security_headers(production_client):
    headers = production_client.get("/connexion").headers

    csp = {d.split()[0]: d.split()[1:] for d in headers["Content-Security-Policy"].split("; ")}
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    hsts = dict(
        (part.strip().partition("=")[::2])
        for part in headers["Strict-Transport-Security"].split(";")
    )
    assert int(hsts["max-age"]) >= 31536000 and "includeSubDomains" in hsts
    assert headers["Cache-Control"] == "no-store"


def test_error_pages_carry_the_security_headers_too(production_client):
    headers = production_client.get("/page-qui-n-existe-pas").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_without_https_there_is_no_hsts_but_the_other_headers_stay(client):
    # The test profile runs over plain HTTP: HSTS there would pin a developer's browser.
    response = client.get("/connexion")
    assert "Strict-Transport-Security" not in response.headers
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    (header,) = response.headers.getlist("Set-Cookie")
    _, attributes = cookie_attributes(header)
    assert "httponly" in attributes and attributes["samesite"] == "Lax"
