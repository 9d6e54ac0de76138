"""Browser fixtures: Debian's chromium driven by Playwright's sync API, a live server.

Playwright's own browser builds are never downloaded (its installer would fail here): the tests
use the system chromium at /usr/bin/chromium, and skip (saying why) where it is missing
(tests/support/system.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.system import chromium_missing, require

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from .server import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("e2e") / "cotaflux-e2e.sqlite3").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    require(chromium_missing(CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class CspWatcher:
    """Collects the browser's Content-Security-Policy refusals (inline style or script…)."""

    def __init__(self, page) -> None:
        self.violations: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab with the application's real security headers (CSP enforced)."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.csp = CspWatcher(page)
    try:
        yield page
    finally:
        context.close()
    assert page.csp.violations == [], "the page broke its Content-Security-Policy"
