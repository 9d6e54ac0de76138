"""The portal answers and a demo account can sign in and out."""

from tests.factories import DEFAULT_PASSWORD, OrganisationFactory, UserFactory


def _csrf(client, url):
    import re

    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_landing_page_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Se connecter" in response.get_data(as_text=True)


def test_bailleur_signs_in_and_sees_own_home(client):
    org = OrganisationFactory(name="Habitat Val de Loire")
    UserFactory(email="agent@example.org", role="bailleur", organisation=org, full_name="Agent Test")
    token = _csrf(client, "/connexion")
    response = client.post(
        "/connexion",
        data={"email": "agent@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Agent Test" in page and "Habitat Val de Loire" in page
