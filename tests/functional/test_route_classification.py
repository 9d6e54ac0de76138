"""Every route declares who may use it; nothing else passes (deny by default)."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.accounts.access import AUTHENTICATED, PUBLIC, access_of, public, roles_required
from app.accounts.models import ROLE_ORGANISATION_KIND, ROLES
from tests.factories import DEFAULT_PASSWORD, OrganisationFactory, UserFactory

# Endpoints open to anonymous visitors. Adding one is a conscious decision: add it here, in
# the same change, with the reason.
PUBLIC_ENDPOINTS = {
    "static",  # CSS and JS of the pages
    "portal.home",  # landing page (redirects signed-in users to their home)
    "auth.login",  # sign-in form
    "auth.register",  # requester self-registration
    "api.health",  # load balancer probe; reveals nothing
    "portal.public_cotation",  # an EPCI's cotation grid: public by law, no personal data
}

# The home page of each role.
ROLE_HOMES = {
    "demandeur": "/mon-espace",
    "bailleur": "/bailleur/",
    "reservataire": "/reservataire/",
    "cal": "/cal/",
    "epci": "/epci/",
    "admin": "/admin/",
}

# OrganisationFactory arguments per organisation kind (its default kind is bailleur).
ORGANISATION_TRAITS = {
    "bailleur": {},
    "reservataire": {"reservataire": True},
    "epci": {"epci": True},
    "operateur": {"operateur": True},
}

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')



def test_every_endpoint_is_classified(app):
    unclassified = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_of(app.view_functions[rule.endpoint]) is None
    )
    assert unclassified == [], (
        "routes without @public, @login_required or @roles_required (they answer 403 to "
        f"everyone): {unclassified}"
    )


def test_only_the_listed_endpoints_are_public(app):
    public_endpoints = {"static"} | {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if PUBLIC in (access_of(app.view_functions[rule.endpoint]) or ())
    }
    assert public_endpoints == PUBLIC_ENDPOINTS, (
        "a route became public, or stopped being: update PUBLIC_ENDPOINTS consciously"
    )


def test_every_classification_names_known_roles(app):
    known = {PUBLIC, AUTHENTICATED, *ROLES}
    for endpoint, view in app.view_functions.items():
        assert set(access_of(view) or ()) <= known, endpoint


def test_the_role_homes_are_restricted_to_their_role(app):
    for role, path in ROLE_HOMES.items():
        endpoint, _ = app.url_map.bind("localhost").match(path)
        assert access_of(app.view_functions[endpoint]) == {role}, path


def test_an_unclassified_route_added_at_runtime_is_refused():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    calls = []

    def forgotten():
        calls.append("ran")
        return "données personnelles"

    @public
    def open_page():
        return "bonjour"

    app.add_url_rule("/oubliee", "forgotten", forgotten, methods=["GET", "POST"])
    app.add_url_rule("/ouverte", "open_page", open_page)
    client = app.test_client()

    assert client.get("/ouverte").status_code == 200  # the classification is what decides
    for method in (client.get, client.post):
        response = method("/oubliee")
        assert response.status_code in (400, 403)  # 400: the POST's CSRF check comes first
    assert client.get("/oubliee").status_code == 403
    assert calls == []


def test_roles_required_refuses_unknown_roles():
    with pytest.raises(ValueError):
        roles_required("superadmin")
    with pytest.raises(ValueError):
        roles_required()


# --- enforcement on the role homes --------------------------------------------------------


@pytest.mark.parametrize("path", ROLE_HOMES.values())
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_own_home_and_gets_403_on_the_others(client, role):
    kind = ROLE_ORGANISATION_KIND.get(role)  # None for a requester: no organisation
    organisation = OrganisationFactory(**ORGANISATION_TRAITS[kind]) if kind else None
    user = UserFactory(role=role, organisation=organisation)
    token = TOKEN.search(client.get("/connexion").get_data(as_text=True)).group(1)
    response = client.post(
        "/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302

    for other_role, path in ROLE_HOMES.items():
        expected = 200 if other_role == role else 403
        assert client.get(path).status_code == expected, (role, path)
