"""Location choisie in a real browser: the offers list (filters, search, pagination, the
"Pourquoi je ne vois pas d'autres offres ?" panel), an offer's page with its apply button, and
the applications page with its withdraw button.

Every page: no serious or critical axe-core violation, nothing wider than a 360 px phone
(``document.documentElement.scrollWidth <= 360``), a screenshot in tests/e2e/artifacts/ (not
committed). One journey with the keyboard only: Tab to a filter, submit with Enter, open an
offer, apply. The server is this module's own, seeded with 23 offers open to the requester and
3 closed to her (tests/e2e/seed.py, ``seed_offers``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .seed import OFFERS_CLOSED, OFFERS_ELIGIBLE, PASSWORD, seed_offers
from .test_accessibility import violations
from .test_login_keyboard import focused, tab_to

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 360, "height": 740}
PAGE_SIZE = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app.extensions import db

    from .server import LiveServer

    live = LiveServer(tmp_path_factory.mktemp("offers") / "offers.sqlite3").start()
    with live.app.app_context():
        live.open_refs = seed_offers()
        db.session.commit()
        db.session.remove()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def axe_source() -> str:
    from importlib import resources

    try:
        package = resources.files("axe_playwright_python")
    except ModuleNotFoundError:
        pytest.skip("axe-playwright-python is not installed: pip install -e '.[dev]'")
    return (package / "axe.min.js").read_text(encoding="utf-8")


def signed_in(browser, server, *, viewport=PHONE, bypass_csp=True):
    """A new tab signed in as the requester (axe's inline script needs ``bypass_csp``; the
    keyboard test keeps the CSP on and fails on any refusal)."""
    context = browser.new_context(base_url=server.url, locale="fr-FR", viewport=viewport,
                                  bypass_csp=bypass_csp)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/connexion")
    page.fill("#email", server.accounts["demandeur"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


@pytest.fixture
def phone(browser, server):
    context, page = signed_in(browser, server)
    try:
        yield page
    finally:
        context.close()


def check(page, axe_source: str, name: str) -> None:
    """The page as shown now: no serious axe violation, nothing wider than the phone, and a
    screenshot of the whole page."""
    assert violations(page, axe_source) == [], (name, page.url)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide at {PHONE['width']}px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"offres-{name}.png"), full_page=True)


def shown_refs(page) -> list[str]:
    return page.locator(".offer-list [data-offre-ref]").evaluate_all(
        "items => items.map(i => i.dataset.offreRef)")


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_the_list_pages_filters_and_explains_at_360px(phone, server, axe_source):
    page = phone
    page.goto("/mon-espace/offres")
    assert page.locator("#results-title").inner_text().startswith(f"{OFFERS_ELIGIBLE} offres")
    assert shown_refs(page) == server.open_refs[:PAGE_SIZE]
    # "Effacer les filtres" is a link drawn as a ghost button: its text is in the links'
    # colour (6.2:1 on white), not in the buttons' white that vanished on the white card.
    clear = page.locator(".filters a", has_text="Effacer les filtres")
    assert clear.evaluate("e => getComputedStyle(e).color") == "rgb(31, 95, 168)"
    check(page, axe_source, "liste")

    click(page, "a[rel=next]")
    assert shown_refs(page) == server.open_refs[PAGE_SIZE:]
    assert "Page 2 sur 2" in page.locator(".pagination").inner_text()
    check(page, axe_source, "liste-page-2")

    # Text search (accents and endings ignored) with a filter, from the form.
    page.fill("#f-q", "balcons ensoleilles")
    page.select_option("#f-commune", label="Saran")
    click(page, "text=Afficher les offres")
    found = shown_refs(page)
    assert found and all(page.locator(f"[data-offre-ref={r}]").inner_text().count("Saran")
                         for r in found)
    assert all("balcon" in page.locator(f"[data-offre-ref={r}] .offer-text").inner_text()
               for r in found)
    check(page, axe_source, "recherche")

    # The why panel counts the three closed offers and explains the words it uses.
    why = page.locator("#pourquoi")
    text = why.inner_text()
    assert f"{OFFERS_ELIGIBLE + len(OFFERS_CLOSED)} offres publiées en tout" in text
    assert len(why.locator(".why-list li").all()) >= len(OFFERS_CLOSED)
    why.locator("summary").click()
    assert why.locator("details").get_attribute("open") is not None
    check(page, axe_source, "pourquoi")


def test_a_refused_filter_is_announced_next_to_the_field(phone, axe_source):
    page = phone
    page.goto("/mon-espace/offres?loyer_max=beaucoup&etage_max=2")
    assert page.title().startswith("Erreur : ")
    summary = page.locator(".error-summary")
    assert "loyer maximum" in summary.inner_text()
    assert page.locator("#f-loyer_max").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-etage_max").input_value() == "2"  # the other filters still apply
    check(page, axe_source, "filtre-refuse")


def test_an_offer_page_applying_and_withdrawing_at_360px(phone, server, axe_source):
    page = phone
    ref = server.open_refs[3]
    page.goto(f"/mon-espace/offres/{ref}")
    assert page.locator("h1").inner_text().startswith("T2 à ")
    assert page.locator(".criterion.is-ok").count() == 5
    check(page, axe_source, "offre")

    click(page, "text=Postuler à cette offre")
    assert page.url.endswith("/mon-espace/candidatures")
    card = page.locator(f".candidature[data-offre-ref={ref}]")
    assert "En cours" in card.inner_text()
    check(page, axe_source, "candidatures")

    click(page, f".candidature[data-offre-ref={ref}] button:has-text('Retirer ma candidature')")
    card = page.locator(f".candidature[data-offre-ref={ref}]")
    assert "Retirée" in card.inner_text()
    assert card.locator("button").count() == 0
    check(page, axe_source, "candidature-retiree")

    # Back on the list, the offer is no longer marked as applied to.
    page.goto("/mon-espace/offres")
    assert page.locator(f"[data-offre-ref={ref}] .badge").count() == 0


def test_with_the_keyboard_only_a_requester_filters_opens_an_offer_and_applies(browser, server):
    context, page = signed_in(browser, server, viewport={"width": 1280, "height": 900},
                              bypass_csp=False)
    csp_refusals = []
    page.on("console", lambda m: "Content Security Policy" in m.text
            and csp_refusals.append(m.text))
    try:
        page.goto("/mon-espace/offres")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Aller au contenu"
        page.keyboard.press("Enter")
        tab_to(page, lambda e: e["id"] == "f-q", limit=10)
        page.keyboard.type("double vitrage")
        tab_to(page, lambda e: e["id"] == "f-typologie", limit=5)
        page.keyboard.press("ArrowDown")  # the first type after "Tous les types": T1
        page.keyboard.press("ArrowDown")  # T2
        assert page.locator("#f-typologie").input_value() == "T2"
        tab_to(page, lambda e: e["id"] == "f-loyer_max", limit=3)
        page.keyboard.type("500")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # in a text field, Enter submits the search form
        assert "q=double+vitrage" in page.url and "typologie=T2" in page.url
        assert "loyer_max=500" in page.url
        first = shown_refs(page)[0]
        assert "double vitrage" in page.locator(f"[data-offre-ref={first}]").inner_text()

        title = page.locator(f"[data-offre-ref={first}] h3 a").inner_text()
        tab_to(page, lambda e: e["tag"] == "a" and e["text"] == title, limit=30)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith(f"/mon-espace/offres/{first}")

        tab_to(page, lambda e: e["text"] == "Postuler à cette offre", limit=40)
        # The focus is visible: the focused button draws an outline or a ring.
        ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                        return s.outlineStyle + ' ' + s.boxShadow; }""")
        assert not re.fullmatch(r"none none", ring), ring
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/mon-espace/candidatures")
        assert "Votre candidature est enregistrée." in page.locator("main").inner_text()
        assert page.locator(f".candidature[data-offre-ref={first}]").count() == 1
    finally:
        context.close()
    assert csp_refusals == [], "the pages broke their Content-Security-Policy"
