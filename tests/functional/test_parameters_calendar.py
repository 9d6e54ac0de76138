"""The regulatory calendar seen in the pages: a warning from 1 December, no cliff on 1 January.

The yearly figures (income ceilings, IRL) of year Y+1 are published in late December. From
1 December, while they are not loaded, the admin and EPCI homes warn; on 1 January with
nothing loaded, no page fails (never a 500) and a page that needs a ceiling says plainly that
the year's ceilings are not loaded yet (503), instead of using last year's value.
"""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest

from app import create_app
from app.accounts.access import public
from app.attribution.models import Candidature
from app.clock import platform_today
from app.demandes.models import Document, Verification
from app.extensions import db
from app.uploads import store
from matching import parameters as params
from matching.household import categorie_menage, plafond
from matching.records import Member
from tests.factories import (
    DemandeFactory,
    DesignationFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.functional.sessions import login
from tests.support.system import weasyprint_missing

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

ROLE_PREFIXES = {
    "demandeur": ("portal.", "auth.change_password"),
    "bailleur": ("bailleur.",),
    "reservataire": ("reservataire.",),
    "cal": ("cal.",),
    "epci": ("epci.",),
    "admin": ("admin.",),
}
ANONYMOUS_OR_REDIRECT = {"portal.home"}  # the landing page redirects a signed-in user home


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path, monkeypatch):
    """Supporting documents of the worlds below are stored in the test's own folder."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))


def _document(demande) -> dict[str, object]:
    """A stored supporting document of the demande: the URL arguments of its pages."""
    stored = store(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="avis.pdf")
    db.session.add(Verification(demande_id=demande.id, criterion="rfr_n2"))
    db.session.flush()
    document = Document(demande_id=demande.id, criterion="rfr_n2", storage_key=stored.key,
                        content_type=stored.content_type, size=stored.size,
                        sha256=stored.sha256, original_name=stored.original_name)
    db.session.add(document)
    db.session.commit()
    return {"nur": demande.nur, "document_id": document.id}


def _applied_to(bailleur) -> object:
    """A demande in a dossier of the bailleur (an application to one of its offers)."""
    demande = DemandeFactory()
    offre = OffreFactory(logement=LogementFactory(bailleur=bailleur))
    db.session.add(Candidature(offre_id=offre.id, demande_id=demande.id))
    db.session.commit()
    return demande


def _world(role: str) -> tuple[object, dict[str, object]]:
    """A user of the role and the URL arguments of its pages (records it may open)."""
    if role == "demandeur":
        user = UserFactory(role="demandeur")
        demande = DemandeFactory(requester_id=user.id)
        return user, _document(demande)
    if role == "bailleur":
        org = OrganisationFactory()
        return UserFactory(role=role, organisation=org), {
            "logement_id": LogementFactory(bailleur=org).id, **_document(_applied_to(org))}
    if role == "reservataire":
        org = OrganisationFactory(reservataire=True)
        demande = DemandeFactory()
        DesignationFactory(reservataire=org, demande=demande)
        return UserFactory(role=role, organisation=org), _document(demande)
    if role == "epci":
        org = OrganisationFactory(epci=True)
        return UserFactory(role=role, organisation=org), _document(DemandeFactory(epci=org))
    if role == "cal":
        org = OrganisationFactory()
        return UserFactory(role=role, organisation=org), _document(_applied_to(org))
    return UserFactory(role=role, organisation=OrganisationFactory(operateur=True)), {}


def _get_pages(app, role: str) -> list[tuple[str, list[str]]]:
    prefixes = ROLE_PREFIXES[role]
    return sorted(
        (rule.endpoint, sorted(rule.arguments))
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint.startswith(prefixes)
    )


@pytest.mark.parametrize("role", list(ROLE_PREFIXES))
def test_on_1_january_without_values_every_page_answers_without_a_500(
    app, client, pin_today, role
):
    user, arguments = _world(role)
    login(client, user)
    pin_today("2027-01-01")

    walked = []
    for endpoint, names in _get_pages(app, role):
        if endpoint.endswith("_pdf") and weasyprint_missing():
            continue  # the PDF pages need WeasyPrint's libraries (tests/functional/test_pdf.py)
        unknown = [n for n in names if n not in arguments]
        assert not unknown, f"{endpoint}: give a value for {unknown} in _world({role!r})"
        with app.test_request_context():
            from flask import url_for

            path = url_for(endpoint, **{n: arguments[n] for n in names})
        response = client.get(path)
        assert response.status_code != 500, f"{path} answered 500"
        if response.status_code == 503:  # a page that needs a ceiling says so, plainly
            assert PLAIN_MESSAGE in html.unescape(response.get_data(as_text=True)), path
        else:
            assert response.status_code in (200, 302, 303), (path, response.status_code)
        response.close()  # a served file stays open until its response is closed
        walked.append(endpoint)
    assert walked, f"no GET page found for {role}"


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
