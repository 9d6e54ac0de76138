"""Out-of-range ids and page numbers in URLs answer 404, never 500 (on every backend)."""

from __future__ import annotations

import pytest

from tests.factories import OrganisationFactory, UserFactory
from tests.functional.sessions import CSRF, login


@pytest.mark.parametrize(
    "role, path",
    [
        ("bailleur", "/bailleur/logements/99999999999999999999999"),  # beyond a 64-bit integer
        ("bailleur", "/bailleur/logements?page=99999999999999999999"),
        ("bailleur", "/bailleur/logements?page=0"),
        ("bailleur", "/bailleur/logements?page=-3"),
        ("reservataire", "/reservataire/candidats?page=123456789012345678901"),
        ("epci", "/epci/demandes/" + "9" * 300),
    ],
)
def test_out_of_range_urls_are_missing_pages(client, role, path):
    kind = {"bailleur": "bailleur", "reservataire": "reservataire", "epci": "epci"}.get(role)
    if kind is None:
        user = UserFactory(role=role)
    else:
        traits = {"reservataire": {"reservataire": True}, "epci": {"epci": True}}.get(kind, {})
        user = UserFactory(role=role, organisation=OrganisationFactory(**traits))
    login(client, user)
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_a_non_numeric_page_falls_back_to_the_first_page(client):
    user = UserFactory(role="bailleur", organisation=OrganisationFactory())
    login(client, user)
    assert client.get("/bailleur/logements?page=abc").status_code == 200


@pytest.mark.parametrize(
    "method, path, data",
    [
        ("get", "/mon-espace/demande/%00/modifier", None),
        ("get", "/mon-espace?q=045%00", None),
        ("post", "/compte/mot-de-passe", {"current_password": "x\x00"}),
    ],
)
def test_nul_bytes_are_refused_as_a_bad_request(client, method, path, data):
    login(client, UserFactory(role="demandeur"))
    if data is not None:  # a valid CSRF token, so that only the NUL byte is wrong
        page = client.get("/compte/mot-de-passe").get_data(as_text=True)
        data["csrf_token"] = CSRF.search(page).group(1)
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)
