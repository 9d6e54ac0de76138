"""Signing in through the real login form, for functional tests."""

from __future__ import annotations

import re

from tests.factories import DEFAULT_PASSWORD

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def login(client, user, password: str = DEFAULT_PASSWORD):
    """Sign in as ``user`` with the login form; returns the page landed on."""
    page = client.get("/connexion").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post(
        "/connexion",
        data={"email": user.email, "password": password, "csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200, response.status_code
    return response


def stat(page: str, label: str) -> str:
    """The key figure shown on a home page next to ``label`` (as displayed)."""
    match = re.search(
        r'<span class="stat-value">([^<]*)</span> <span class="stat-label">'
        + re.escape(label) + "<",
        page,
    )
    assert match, f"no key figure {label!r} on the page"
    return match.group(1)
