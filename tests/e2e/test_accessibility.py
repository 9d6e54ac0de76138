"""axe-core finds no serious or critical accessibility violation on the main pages.

axe's JavaScript comes from the PyPI package ``axe-playwright-python`` (a dev dependency),
which ships ``axe.min.js``; nothing is fetched at run time. It is injected with
``page.add_script_tag(content=...)``, an inline script that the application's own
Content-Security-Policy (``script-src 'self'``) rightly refuses: these tests open their
pages in a browser context with ``bypass_csp=True``. The CSP itself stays on in the server
and is checked by the other browser tests, which fail on any CSP refusal.
"""

from __future__ import annotations

import os
from importlib import resources

import pytest

from .seed import PASSWORD

pytestmark = pytest.mark.e2e

BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_source() -> str:
    try:
        package = resources.files("axe_playwright_python")
    except ModuleNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("axe-playwright-python is missing: install the dev extras (.[dev])")
        pytest.skip("axe-playwright-python is not installed: pip install -e '.[dev]'")
    return (package / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def axe_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", bypass_csp=True)
    try:
        yield context
    finally:
        context.close()


def violations(page, axe_source: str) -> list[dict]:
    """Serious and critical axe violations of the page, in a readable form."""
    page.add_script_tag(content=axe_source)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"rule": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def sign_in(page, email: str) -> None:
    page.goto("/connexion")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


@pytest.mark.parametrize("path", ["/", "/connexion"])
def test_public_pages_have_no_serious_violation(axe_context, axe_source, path):
    page = axe_context.new_page()
    page.goto(path)
    assert violations(page, axe_source) == []


def test_refused_sign_in_page_has_no_serious_violation(axe_context, axe_source, live_server):
    page = axe_context.new_page()
    page.goto("/connexion")
    page.fill("#email", live_server.accounts["bailleur"])
    page.fill("#password", "not the password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator(".error-summary").count() == 1
    assert violations(page, axe_source) == []


@pytest.mark.parametrize(
    "role, paths",
    [
        ("demandeur", ["/mon-espace", "/mon-espace/demandes/045-2025-000101",
                       "/mon-espace/demande/045-2025-000101/modifier"]),
        ("bailleur", ["/bailleur/", "/bailleur/logements", "/bailleur/logements/1"]),
        ("reservataire", ["/reservataire/", "/reservataire/candidats",
                          "/reservataire/demandes/045-2025-000102"]),
        ("cal", ["/cal/"]),
        ("epci", ["/epci/", "/epci/demandes?nur=000", "/epci/demandes/045-2025-000101"]),
        ("admin", ["/admin/"]),
    ],
)
def test_role_pages_have_no_serious_violation(axe_context, axe_source, live_server, role, paths):
    page = axe_context.new_page()
    sign_in(page, live_server.accounts[role])
    found = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        if problems := violations(page, axe_source):
            found[path] = problems
    assert found == {}


def test_refused_demande_form_has_no_serious_violation(axe_context, axe_source, live_server):
    page = axe_context.new_page()
    sign_in(page, live_server.accounts["demandeur"])
    page.goto("/mon-espace/demande/045-2025-000101/modifier")
    page.fill("#last_name", "")
    page.fill("#rfr_n2", "-5")
    with page.expect_navigation():
        page.click("button[name=save]:not(.visually-hidden)")
    assert page.locator(".error-summary").count() == 1
    assert violations(page, axe_source) == []
