"""The whole journey of a new requester in a real browser, checked with axe-core on every
portal page, at 360 px wide, and partly with the keyboard only.

register → sign in → start the demande, leave it as a draft, resume it, file it → read the
cotation → send a supporting document → browse and filter the offers → apply → see the
application's status → answer a proposal. The offers, applications and proposals pages come
from other features: a step runs when its page is in the application's url_map, and
``JOURNEY_STEPS`` says which ran (the test prints it). Screenshots of the key pages go to
tests/e2e/artifacts/ (not committed).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from .seed import PASSWORD
from .test_accessibility import violations
from .test_login_keyboard import focused, tab_to

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 360, "height": 740}
EMAIL = "nouvelle.demandeuse@e2e.example.org"
NEW_PASSWORD = "Un-logement-pour-Lina-2026"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JOURNEY_STEPS: list[str] = []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server of its own: uploads in a temporary folder, a published offer that the
    new requester is eligible for (T2 PLAI in Orléans)."""
    from app.extensions import db
    from tests.factories import LogementFactory, OffreFactory

    from .server import LiveServer

    folder = tmp_path_factory.mktemp("journey")
    live = LiveServer(folder / "journey.sqlite3", UPLOAD_FOLDER=str(folder / "uploads")).start()
    with live.app.app_context():
        from app.accounts.models import Organisation
        from app.territoire.models import Commune

        bailleur = db.session.scalar(select(Organisation).where(Organisation.slug == "hvl"))
        logement = LogementFactory(ref="HVL-0100", bailleur=bailleur,
                                   commune=db.session.get(Commune, "45234"), typology="T2",
                                   rooms=2, financing="PLAI", rent=318.4, charges=60)
        offre = OffreFactory(ref="OFF-JOURNEY", logement=logement, flux_status="a_orienter",
                             is_published=True, available_on=date.today() + timedelta(days=30))
        live.offre_id, live.logement_id = offre.id, logement.id
        _document_of("045-2025-000102")  # designated by the réservataire of the seed
        try:
            from app.search.indexing import reindex_offers
        except ImportError:  # the offers feature is not there: its steps do not run
            pass
        else:
            reindex_offers([offre.id])
        db.session.commit()
        db.session.remove()
    try:
        yield live
    finally:
        live.stop()


def _document_of(nur: str) -> None:
    import io

    from app.demandes.models import Demande, Document, Verification
    from app.extensions import db
    from app.uploads import store

    demande = db.session.scalar(select(Demande).where(Demande.nur == nur))
    stored = store(io.BytesIO(PDF), filename="quittance-novembre.pdf")
    db.session.add(Verification(demande_id=demande.id, criterion="current_housing"))
    db.session.flush()
    db.session.add(Document(demande_id=demande.id, criterion="current_housing",
                            storage_key=stored.key, content_type=stored.content_type,
                            size=stored.size, sha256=stored.sha256,
                            original_name=stored.original_name))


@pytest.fixture
def phone(browser, server):
    """A phone-sized tab; axe's script is injected inline, so the CSP is bypassed here (the
    other browser tests check the CSP)."""
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport=PHONE,
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    from importlib import resources

    try:
        package = resources.files("axe_playwright_python")
    except ModuleNotFoundError:
        pytest.skip("axe-playwright-python is not installed: pip install -e '.[dev]'")
    return (package / "axe.min.js").read_text(encoding="utf-8")


def has_page(server, endpoint: str) -> bool:
    return endpoint in server.app.view_functions


def check(page, axe_source: str, name: str) -> None:
    """The page as it is now: no serious axe violation, nothing wider than the phone, a
    screenshot."""
    assert violations(page, axe_source) == [], (name, page.url)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide at {PHONE['width']}px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{len(JOURNEY_STEPS):02d}-{name}.png"),
                    full_page=True)
    JOURNEY_STEPS.append(name)


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_new_requester_goes_from_registration_to_a_proposal(phone, server, axe_source):
    page = phone
    # Register, then sign in.
    page.goto("/inscription")
    page.fill("#full_name", "Lina Haddad")
    page.fill("#email", EMAIL)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirmation", NEW_PASSWORD)
    page.check("#accept_terms")
    click(page, "button[type=submit]")
    assert page.locator(".error-summary").count() == 0
    check(page, axe_source, "inscription-faite")
    page.goto("/connexion")
    page.fill("#email", EMAIL)
    page.fill("#password", NEW_PASSWORD)
    click(page, "button[type=submit]")
    assert page.url.endswith("/mon-espace")
    check(page, axe_source, "mon-espace-vide")

    # Start the demande, leave halfway: the draft keeps it.
    click(page, "text=Déposer ma demande de logement social")
    page.fill("#last_name", "Haddad")
    page.select_option("#household-0-role", "demandeur")
    page.fill("#household-0-first_name", "Lina")
    page.fill("#household-0-birth_date", "14/02/1991")
    page.fill("#rfr_n2", "13 800")
    check(page, axe_source, "demande-formulaire")
    click(page, "button[name=save_draft]")
    page.goto("/mon-espace")
    click(page, "text=Reprendre ma demande")
    assert page.input_value("#household-0-birth_date") == "14/02/1991"
    assert page.input_value("#rfr_n2") == "13 800"

    # A wrong value is refused next to its field, and nothing typed is lost.
    page.fill("#monthly_resources", "-200")
    click(page, "button[name=save][value='1'].button")
    assert page.locator(".error-summary").count() == 1
    assert "Le revenu ne peut pas être négatif." in page.inner_text("#monthly_resources-error")
    assert page.input_value("#household-0-first_name") == "Lina"
    check(page, axe_source, "demande-erreur")

    # Complete and file it.
    click(page, "button[name=add_member]")
    page.select_option("#household-1-role", "enfant")
    page.fill("#household-1-first_name", "Sami")
    page.fill("#household-1-birth_date", "03/09/2019")
    page.check("#household-1-is_dependent")
    page.fill("#monthly_resources", "1 250")
    page.select_option("#housing_kind", "heberge_tiers")
    page.fill("#communes-0", "45234")
    page.fill("#communes-1", "45302")
    page.check("input[name=typologies][value=T2]")
    page.check("input[name=l441_1][value=sans_logement]")
    click(page, "button[name=save][value='1'].button")
    assert page.url.endswith("/mon-espace"), page.inner_text("main")
    assert "est enregistrée" in page.inner_text("main")
    nur = re.search(r"[0-9]{3}-[0-9]{4}-[0-9]{6}", page.inner_text("main")).group(0)
    check(page, axe_source, "mon-espace-demande")

    # Read the cotation.
    click(page, "nav >> text=Ma cotation")
    main = page.inner_text("main")
    assert "Le détail de ma note, ligne par ligne" in main
    assert "L.441-1 : dépourvu de logement" in main
    assert "Si je refuse un logement adapté" in main
    check(page, axe_source, "ma-cotation")
    click(page, "text=Orléans Métropole — grille en points")
    check(page, axe_source, "grille-publique")

    # Send a supporting document.
    page.goto(f"/mon-espace/demandes/{nur}/justificatifs")
    page.select_option("#criterion", "rfr_n2")
    page.set_input_files("#file", files=[{"name": "avis-2024.pdf", "mimeType": "application/pdf",
                                          "buffer": PDF}])
    click(page, "text=Envoyer le document")
    assert "avis-2024.pdf" in page.inner_text("main")
    assert page.locator("[data-status=declared]").count() == 1
    check(page, axe_source, "justificatifs")

    # Browse and filter the offers, apply, see the application's status.
    if has_page(server, "portal.offres"):
        page.goto("/mon-espace/offres")
        check(page, axe_source, "offres")
        page.select_option("#f-typologie", "T2")
        click(page, "text=Afficher les offres")
        assert page.locator("[data-offre-ref=OFF-JOURNEY]").count() == 1
        click(page, "[data-offre-ref=OFF-JOURNEY] a")
        check(page, axe_source, "offre")
        if has_page(server, "portal.offre_apply"):
            click(page, "text=Postuler à cette offre")
            check(page, axe_source, "offre-candidature")
    if has_page(server, "portal.candidatures"):
        page.goto("/mon-espace/candidatures")
        assert "OFF-JOURNEY" in page.content()
        check(page, axe_source, "candidatures")

    # Answer a proposal (made by the bailleur's CAL: written here straight into the database).
    if has_page(server, "portal.propositions"):
        attribution_id = _propose(server, nur)
        page.goto("/mon-espace/propositions")
        check(page, axe_source, "propositions")
        page.goto(f"/mon-espace/propositions/{attribution_id}")
        check(page, axe_source, "proposition")
        click(page, "text=J'accepte ce logement")
        assert "accept" in page.inner_text("main").lower()
        check(page, axe_source, "proposition-acceptee")
    print("journey steps:", ", ".join(JOURNEY_STEPS))


def _propose(server, nur: str) -> int:
    from app.attribution.models import Attribution
    from app.demandes.models import Demande
    from app.extensions import db

    with server.app.app_context():
        demande = db.session.scalar(select(Demande).where(Demande.nur == nur))
        attribution = Attribution(offre_id=server.offre_id, logement_id=server.logement_id,
                                  demande_id=demande.id, status="proposee",
                                  proposed_on=date.today(),
                                  answer_due_on=date.today() + timedelta(days=10))
        db.session.add(attribution)
        db.session.commit()
        attribution_id = attribution.id
        db.session.remove()
    return attribution_id


def test_the_portal_works_with_the_keyboard_only(browser, server):
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/connexion")
        tab_to(page, lambda e: e["id"] == "email", limit=30)
        page.keyboard.type(server.accounts["demandeur"])
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/mon-espace")

        tab_to(page, lambda e: e["text"] == "Ma cotation", limit=30)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/mon-espace/cotation")

        page.goto("/mon-espace/demande/rattacher")
        tab_to(page, lambda e: e["id"] == "nur", limit=30)
        page.keyboard.type("45-25-1")
        page.keyboard.press("Tab")
        assert focused(page)["id"] == "last_name"
        page.keyboard.type("Martin")
        page.keyboard.press("Tab")
        page.keyboard.type("02/04/1990")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Le numéro doit avoir la forme 045-2025-000123" in page.inner_text("#nur-error")
        assert page.input_value("#last_name") == "Martin"  # nothing lost
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/cotation/orleans-metropole"])
def test_the_public_grid_reads_on_a_phone_without_signing_in(browser, server, axe_source, path):
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport=PHONE,
                                  bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(path)
        assert "La grille de cotation d’Orléans Métropole" in page.inner_text("h1")
        assert violations(page, axe_source) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


@pytest.mark.parametrize("path", [
    "/mon-espace/demande/rattacher",
    "/mon-espace/demandes/045-2025-000101/renouveler",
    "/mon-espace/demandes/045-2025-000101/justificatifs",
    "/mon-espace/demandes/045-2025-000101",
])
def test_the_other_portal_pages_pass_axe_on_a_phone(phone, server, axe_source, path):
    page = phone
    page.goto("/connexion")
    page.fill("#email", server.accounts["demandeur"])
    page.fill("#password", PASSWORD)
    click(page, "button[type=submit]")

    response = page.goto(path)

    assert response.status == 200
    assert violations(page, axe_source) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page{path.replace('/', '-')}.png"), full_page=True)


def test_the_reservataire_rejects_a_document_with_a_reason_and_the_page_passes_axe(
        phone, server, axe_source):
    page = phone
    page.goto("/connexion")
    page.fill("#email", server.accounts["reservataire"])
    page.fill("#password", PASSWORD)
    click(page, "button[type=submit]")
    page.goto("/reservataire/demandes/045-2025-000102")
    click(page, "text=Justificatifs de la demande")
    assert "quittance-novembre.pdf" in page.inner_text("main")
    assert violations(page, axe_source) == []

    page.select_option("#status-current_housing", "rejected")
    click(page, "text=Enregistrer le statut")
    assert "Indiquez la raison du refus" in page.inner_text("main")  # refused, kept on the page
    assert violations(page, axe_source) == []
    page.fill("#reason-current_housing", "Quittance d'un autre logement.")
    click(page, "text=Enregistrer le statut")

    assert page.locator("[data-status=rejected]").count() == 1
    assert "Quittance d'un autre logement." in page.inner_text("main")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reservataire-justificatifs.png"), full_page=True)
