"""Every page a role can reach renders on the demo territory: today, and on a 1 January whose
ceilings are not loaded yet (never a 500; a page that needs a ceiling says so plainly, 503).

The pages are found the way a person finds them: from the role's home, following the links
each page shows. The demo territory gives every screen real records (offers, dossiers, CAL
sessions, bilans, documents), so each page is opened with arguments that exist. A GET page of
the role that no link reaches makes the test fail, unless it is listed below with the reason.
"""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.accounts.models import Organisation
from app.demandes.models import Demande
from app.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from app.extensions import db
from tests.functional.sessions import CSRF
from tests.support.system import weasyprint_missing

PLAIN_MESSAGE = "Les plafonds de ressources de l'année 2027 ne sont pas encore chargés"
HREF = re.compile(r'href="([^"#]+)"')
PER_ENDPOINT = 2  # pages opened per endpoint (two offers, two logements…)
MAX_PAGES = 400

# Where each role starts, and the endpoints it may follow besides its own space.
HOMES = {
    "demandeur": ("/mon-espace", ("portal.", "auth.change_password")),
    "bailleur": ("/bailleur/", ("bailleur.",)),
    "reservataire": ("/reservataire/", ("reservataire.",)),
    "cal": ("/cal/", ("cal.",)),
    "epci": ("/epci/", ("epci.",)),
    "admin": ("/admin/", ("admin.",)),
}
# GET pages of a role that no page links to, with the reason.
NOT_LINKED = {
    "portal.home": "the public landing page; a signed-in requester is sent to /mon-espace",
    "portal.offre_media": "served inside <img>/<object>, not as a link (checked by its own tests)",
    "portal.demande_create": "the demo requester has filed already (tests/functional/"
                             "test_demande_form.py opens it)",
    "portal.demande_link": "offered to a requester without a demande (tests/functional/"
                           "test_portal_demande.py)",
}
ACCOUNTS = {role: email for email, _, role, _ in DEMO_ACCOUNTS}


@pytest.fixture
def demo(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    load_demo(demandes=300, logements=200, echo=lambda _: None)


def sign_in(client, role: str) -> None:
    token = CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)
    response = client.post("/connexion", data={
        "email": ACCOUNTS[role], "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, (role, response.status_code)


def endpoint_of(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
    except HTTPException:
        return None
    return endpoint


def starts(role: str) -> list[str]:
    """The role's home, plus what a person reaches by typing into a search form."""
    home, _ = HOMES[role]
    if role != "epci":
        return [home]
    # The EPCI opens a demande of its territory through the NUR search form (a GET form).
    epci = db.session.scalar(select(Organisation).where(Organisation.slug == "orleans-metropole"))
    nur = db.session.scalar(select(Demande.nur).where(Demande.epci_id == epci.id)
                            .order_by(Demande.id).limit(1))
    return [home, f"/epci/demandes/{nur}"]


def crawl(app, client, role: str, check) -> dict[str, list[str]]:
    """Open the role's pages breadth-first from its home; ``check(path, response)`` judges each."""
    _, allowed = HOMES[role]
    opened: dict[str, list[str]] = {}
    queue = deque(starts(role))
    seen = set(queue)
    while queue and sum(map(len, opened.values())) < MAX_PAGES:
        path = queue.popleft()
        endpoint = endpoint_of(app, path)
        if endpoint is None or not endpoint.startswith(allowed):
            continue
        if len(opened.setdefault(endpoint, [])) >= PER_ENDPOINT:
            continue
        if endpoint.endswith("_pdf") and weasyprint_missing():
            continue  # PDFs need WeasyPrint's system libraries (tests/functional/test_pdf.py)
        response = client.get(path)
        opened[endpoint].append(path)
        check(path, response)
        links = []
        if response.status_code in (301, 302, 303):
            links = [response.headers["Location"]]
        elif response.mimetype == "text/html":
            links = HREF.findall(response.get_data(as_text=True))
        response.close()  # a served file stays open until its response is closed
        for link in links:
            link = html.unescape(link)
            parts = urlsplit(link)
            if parts.netloc and parts.netloc != "localhost":
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target.startswith("/") and target not in seen:
                seen.add(target)
                queue.append(target)
    return opened


def role_pages(app, role: str) -> set[str]:
    _, allowed = HOMES[role]
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint.startswith(allowed)}


@pytest.mark.parametrize("role", list(HOMES))
def test_every_page_of_the_role_renders_on_the_demo_territory(app, client, demo, role):
    sign_in(client, role)
    failures = []

    def check(path, response):
        if response.status_code not in (200, 302, 303):
            failures.append((path, response.status_code))

    opened = crawl(app, client, role, check)
    assert failures == []
    unreached = role_pages(app, role) - set(opened) - set(NOT_LINKED)
    if weasyprint_missing():
        unreached = {e for e in unreached if not e.endswith("_pdf")}
    assert unreached == set(), f"{role}: pages no link reaches (link them or say why)"


@pytest.mark.parametrize("role", list(HOMES))
def test_on_1_january_without_the_years_values_no_page_fails(app, client, demo, role,
                                                            monkeypatch):
    sign_in(client, role)
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2027-01-01")
    failures = []
    plain = []

    def check(path, response):
        if response.status_code == 503:  # a page that needs a ceiling says so, plainly
            if PLAIN_MESSAGE not in html.unescape(response.get_data(as_text=True)):
                failures.append((path, "503 without the plain message"))
            plain.append(path)
        elif response.status_code not in (200, 302, 303):
            failures.append((path, response.status_code))

    opened = crawl(app, client, role, check)
    assert failures == []
    assert opened, f"no page opened for {role}"
    if role == "demandeur":
        # The offers list needs this year's ceilings: it must say they are not loaded.
        assert any(p.startswith("/mon-espace/offres") for p in plain), plain
