"""State-changing requests sent from another site are refused (403), even with a valid CSRF
token: defence in depth beside the token. Same-origin requests, and requests without these
headers (non-browser clients), pass."""

from __future__ import annotations

import re

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.functional.sessions import login

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
EVIL = "https://site-malveillant.example"


def token_of(client, url: str = "/compte/mot-de-passe") -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def signed_in(client) -> bool:
    return client.get("/mon-espace").status_code == 200


@pytest.fixture
def requester(client, db_session):
    user = UserFactory(role="demandeur")
    login(client, user)
    return user


@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "null"},  # sandboxed frame, opaque origin
    {"Origin": "http://localhost.site-malveillant.example"},
    {"Origin": "https://localhost"},  # another scheme is another origin
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},  # either signal suffices
])
def test_a_cross_site_post_is_refused_even_with_a_valid_token(client, requester, headers):
    response = client.post("/deconnexion", data={"csrf_token": token_of(client)},
                           headers=headers)

    assert response.status_code == 403
    page = " ".join(response.get_data(as_text=True).split())
    assert "<h1>Action refusée</h1>" in page
    assert "envoyée depuis un autre site" in page
    assert signed_in(client)  # the logout did not happen


@pytest.mark.parametrize("headers", [
    {},  # a non-browser client, or an older browser
    {"Origin": "http://localhost"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    {"Sec-Fetch-Site": "none"},  # typed in the address bar, bookmark
])
def test_same_origin_and_headerless_posts_pass(client, requester, headers):
    response = client.post("/deconnexion", data={"csrf_token": token_of(client)},
                           headers=headers)

    assert response.status_code == 302
    assert not signed_in(client)


def test_a_cross_site_sign_in_is_refused_before_any_check(client, db_session):
    user = UserFactory()
    token = TOKEN.search(client.get("/connexion").get_data(as_text=True)).group(1)

    response = client.post("/connexion", headers={"Origin": EVIL},
                           data={"email": user.email, "password": DEFAULT_PASSWORD,
                                 "csrf_token": token})

    assert response.status_code == 403
    assert client.get("/mon-espace").status_code == 302  # not signed in


def test_without_token_a_cross_site_post_is_still_a_403(client, requester):
    response = client.post("/deconnexion", headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403


def test_reading_from_another_site_is_not_affected(client, requester):
    assert client.get("/mon-espace", headers={"Origin": EVIL,
                                             "Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_the_api_answers_a_cross_site_post_with_problem_json(client):
    response = client.post("/api/v1/health", headers={"Origin": EVIL})

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 403 and "autre site" in body["detail"]
    # Without the cross-site signal the same request reaches routing (GET only: 405).
    assert client.post("/api/v1/health").status_code == 405
