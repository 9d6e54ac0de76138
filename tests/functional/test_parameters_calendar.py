"""The regulatory calendar seen in the pages: a warning from 1 December, no cliff on 1 January.

The yearly figures (income ceilings, IRL) of year Y+1 are published in late December. From
1 December, while they are not loaded, the admin and EPCI homes warn; on 1 January with
nothing loaded, no page fails (never a 500) and a page that needs a ceiling says plainly that
the year's ceilings are not loaded yet (503), instead of using last year's value.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from app import create_app
from app.accounts.access import public
from app.clock import platform_today
from matching import parameters as params
from matching.household import categorie_menage, plafond
from matching.records import Member
from tests.factories import (
    OrganisationFactory,
    UserFactory,
)
from tests.functional.sessions import login

COMING_WARNING = "Les plafonds de ressources 2027 ne sont pas encore chargés"
CURRENT_ERROR = "Les plafonds de ressources 2027 ne sont pas chargés"
PLAIN_MESSAGE = "Les plafonds de ressources de l'année 2027 ne sont pas encore chargés"


@pytest.fixture
def pin_today(app):
    """Pin the platform's date (PLATFORM_TODAY) for the test, restoring it afterwards."""
    before = app.config.get("PLATFORM_TODAY")

    def pin(day: str) -> None:
        app.config["PLATFORM_TODAY"] = day

    yield pin
    app.config["PLATFORM_TODAY"] = before


@pytest.fixture(autouse=True)
def _shipped_values_only(monkeypatch):
    """These tests describe the shipped values, which stop at 2026."""
    monkeypatch.delenv(params.OVERRIDE_ENV, raising=False)
    params.default.cache_clear()
    assert params.missing_for(2027), "the shipped parameters now cover 2027: move these dates"
    yield
    params.default.cache_clear()


def _staff(role: str, **traits):
    return UserFactory(role=role, organisation=OrganisationFactory(**traits))


HOMES = {"admin": ("/admin/", {"operateur": True}), "epci": ("/epci/", {"epci": True})}


@pytest.mark.parametrize("role", list(HOMES))
def test_from_1_december_the_admin_and_epci_homes_warn_that_next_years_ceilings_are_missing(
    client, pin_today, role
):
    path, traits = HOMES[role]
    login(client, _staff(role, **traits))

    pin_today("2026-12-02")
    page = client.get(path).get_data(as_text=True)

    assert COMING_WARNING in page
    assert "publiés fin décembre par arrêté" in page
    assert "Valeurs attendues : PLAI, PLUS, PLS, PLI, IRL." in page
    assert CURRENT_ERROR not in page


def test_the_admin_warning_says_what_the_operator_must_do(client, pin_today):
    login(client, _staff("admin", operateur=True))
    pin_today("2026-12-02")

    page = client.get("/admin/").get_data(as_text=True)

    assert "<code>COTAFLUX_PARAMETERS_DIR</code>" in page
    assert "<code>flask parameters check</code>" in page


def test_the_epci_warning_leaves_the_loading_to_the_operator(client, pin_today):
    login(client, _staff("epci", epci=True))
    pin_today("2026-12-02")

    page = html.unescape(client.get("/epci/").get_data(as_text=True))

    assert "L'opérateur de la plateforme les chargera" in page
    assert "flask parameters check" not in page


@pytest.mark.parametrize("role", list(HOMES))
def test_before_1_december_no_warning(client, pin_today, role):
    path, traits = HOMES[role]
    login(client, _staff(role, **traits))

    pin_today("2026-11-30")
    page = client.get(path).get_data(as_text=True)

    assert "plafonds de ressources" not in page.lower()


@pytest.mark.parametrize("role", list(HOMES))
def test_on_1_january_with_nothing_loaded_the_homes_show_an_error(client, pin_today, role):
    path, traits = HOMES[role]
    login(client, _staff(role, **traits))

    pin_today("2027-01-01")
    response = client.get(path)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert re.search(r'class="notice notice-error" role="alert"[^>]*>\s*<h2[^>]*>'
                     + re.escape(CURRENT_ERROR), page)
    assert "(PLAI, PLUS, PLS, PLI, IRL)" in page
    assert COMING_WARNING not in page  # 2028 is not due before 1 December 2027


# --- every GET page of every role on 1 January 2027 ------------------------------------

# Every page of every role on 1 January without the year's values: see
# tests/functional/test_every_page.py, which opens them on the demo territory.


# --- a page that needs a ceiling, on 1 January without the year's values ---------------


@pytest.fixture
def ceiling_app(database_url):
    """An app with one page that looks the PLUS ceiling of a household up on today's date
    (pages that show a ceiling do exactly this through the engine)."""
    probe = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                        "PLATFORM_TODAY": "2027-01-01"})

    def ceiling():
        on = platform_today()
        household = categorie_menage([Member("demandeur")], on)
        return {"plafond": plafond("PLUS", "autres_regions", household, on).amount}

    probe.add_url_rule("/plafond", "probe_ceiling", public(ceiling))
    probe.add_url_rule("/api/v1/plafond", "probe_ceiling_api", public(ceiling))
    return probe


def test_a_page_needing_a_ceiling_says_plainly_the_years_ceilings_are_not_loaded(ceiling_app):
    response = ceiling_app.test_client().get("/plafond")
    page = html.unescape(response.get_data(as_text=True))

    assert response.status_code == 503
    assert PLAIN_MESSAGE in page
    assert "publiés fin décembre par arrêté" in page
    last_year = params.get("plafonds_ressources.plus.autres_regions.categorie_1", date(2026, 1, 1))
    assert str(last_year.value) not in page.replace("\u202f", "").replace(" ", "")


def test_the_api_answers_problem_json_with_503(ceiling_app):
    response = ceiling_app.test_client().get("/api/v1/plafond")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == PLAIN_MESSAGE
    assert body["parameter"].startswith("plafonds_ressources.plus.autres_regions.")
    assert body["date"] == "2027-01-01"


def test_the_same_page_serves_the_ceiling_once_the_year_is_in_force(ceiling_app):
    ceiling_app.config["PLATFORM_TODAY"] = "2026-12-31"

    response = ceiling_app.test_client().get("/plafond")

    assert response.status_code == 200
    shipped = params.get("plafonds_ressources.plus.autres_regions.categorie_1", date(2026, 12, 31))
    assert response.get_json() == {"plafond": shipped.value}
