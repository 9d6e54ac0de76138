"""Signing in and out with the keyboard only, and what a refused sign-in shows."""

from __future__ import annotations

import re

import pytest

from .seed import BAILLEUR_NAME, PASSWORD

pytestmark = pytest.mark.e2e


def focused(page) -> dict:
    """What has the keyboard focus: tag, id, classes and text."""
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className,
                           text: (e.innerText || e.value || '').trim()}; }"""
    )


def tab_to(page, predicate, limit: int = 15) -> dict:
    """Press Tab until the focused element satisfies ``predicate``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if predicate(element):
            return element
    raise AssertionError(f"not reached with {limit} presses of Tab; focus on {focused(page)}")


def test_bailleur_signs_in_and_out_with_the_keyboard(page, live_server):
    page.goto("/")
    # The first Tab reaches the skip link, which moves the focus to the content.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Aller au contenu"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "contenu"
    tab_to(page, lambda e: e["text"] == "Se connecter")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/connexion")

    tab_to(page, lambda e: e["id"] == "email")
    page.keyboard.type(live_server.accounts["bailleur"])
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith("/bailleur/")
    assert page.locator("h1").inner_text() == "Bonjour Agathe Lefèvre"
    assert page.locator(".site-header .who-org").inner_text() == BAILLEUR_NAME
    assert page.locator(".stat", has_text="logements").locator(".stat-value").inner_text() == "6"
    current = page.locator(".site-nav [aria-current=page]")
    assert current.inner_text() == "Accueil"

    tab_to(page, lambda e: e["text"] == "Se déconnecter", limit=25)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/connexion")
    assert "Vous êtes déconnecté." in page.locator("main").inner_text()
    assert page.locator(".site-header .who").count() == 0


def test_a_refused_sign_in_shows_the_errors_and_moves_the_focus(page, live_server):
    page.goto("/connexion")
    page.fill("#email", live_server.accounts["bailleur"])
    page.fill("#password", "not the password")
    with page.expect_navigation():
        page.press("#password", "Enter")

    assert page.title().startswith("Erreur : ")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.get_attribute("role") == "alert"
    assert "incorrect" in summary.inner_text()
    # The focus is on the summary, so that it is read out and the keyboard starts there.
    assert "error-summary" in focused(page)["cls"]

    # Its link leads to the field in error, which says what is wrong next to it.
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "a" and "incorrect" in focused(page)["text"]
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "password"
    password = page.locator("#password")
    assert password.get_attribute("aria-invalid") == "true"
    described = password.get_attribute("aria-describedby").split()
    messages = " ".join(page.locator(f"#{i}").inner_text() for i in described)
    assert re.search(r"incorrect", messages)
    error = page.locator(".field.has-error .field-error")
    assert error.inner_text().startswith("⚠")
    # The message is in the danger colour (#b42318), not only signalled by colour (icon, text).
    assert error.evaluate("e => getComputedStyle(e).color") == "rgb(180, 35, 24)"
