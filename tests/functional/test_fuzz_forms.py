"""No 500 on user input: every form route of the application, fed hostile values.

Every endpoint accepting POST (found in ``app.url_map``) is posted, with the client of the
role it requires and a valid CSRF token (so the form logic really runs), a plausible form in
which hypothesis replaces some fields (and adds unknown ones) with hostile values: integers
beyond 64 bits or negative, NUL bytes, 100 000-character strings, odd Unicode (superscript
and Arabic-Indic digits, bidi controls, emoji), malformed dates. The answer may refuse
(4xx), never fail (5xx: in tests an unexpected exception propagates and fails the test), and
never echoes a long value back whole. Examples are derandomized: the same run every time.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.access import AUTHENTICATED, PUBLIC, access_of
from app.accounts.models import ROLE_ORGANISATION_KIND
from tests.factories import (
    DEFAULT_PASSWORD,
    CommuneFactory,
    ConventionFactory,
    DemandeFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.functional.sessions import login

ECHO_LIMIT = 4000  # the longest text a field keeps (an offer's description)
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
ORGANISATION_TRAITS = {"bailleur": {}, "reservataire": {"reservataire": True},
                       "epci": {"epci": True}, "operateur": {"operateur": True}}

# Examples per route: enough to reach every field several times, small enough for CI (the
# suite runs twice, on 2 cores). The demande form has ~40 fields, hence more examples; the
# authentication forms have a few fields and each example costs an argon2 hash (~0.1-0.5 s).
EXAMPLES = {"portal.demande_create": 40, "portal.demande_edit": 40, "auth.logout": 6}
DEFAULT_EXAMPLES = 10

# ----------------------------------------------------------------------------- values

HUGE_OR_NEGATIVE = st.one_of(
    st.integers(min_value=2**31 - 1, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-1),
).map(str)
TRICKY = st.sampled_from([
    "9223372036854775808", "-9223372036854775809", "18446744073709551616", "2147483648",
    "0", "-0", "+1", "1e309", "1e-309", "NaN", "inf", "-inf", "1_000", "0x1F", " 12 ",
    "²", "¹²³", "١٢", "３", "٣١/٠٢/٢٠٢٠",  # digits str.isdigit() accepts, int() may not
    "31/02/2024", "29/02/2023", "00/00/0000", "32/13/2020", "01/01/0000", "01/01/10000",
    "9999-99-99", "0001-01-01", "2024-02-30", "1/1/1", "01/01/1899", "31/12/9999",
    "\x00", "45\x00234", "", " ", "\u202e45234", "\u200b", "😀", "é" * 5, "<script>x</script>",
    "'; DROP TABLE users; --", "%00", "../../etc/passwd", "1,5", "1.2.3", "--1", "€",
])
ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # lone surrogates cannot be sent
    max_size=40,
)
LONG = st.sampled_from(["a", "9", "é", "😀", "<", "\x00"]).map(lambda c: c * 100_000)
HOSTILE = st.one_of(HUGE_OR_NEGATIVE, TRICKY, ODD_TEXT, LONG)
# Posted in every field at once (long values kept under the form-size limit).
SWEEP = ["9223372036854775808", "-9223372036854775809", "²", "١٢", "31/02/2024",
         "01/01/10000", "\u202e😀", "9" * 5_000]
# Names nobody declared: row numbers out of range, in other digits, and plain unknown names.
UNKNOWN_FIELDS = [
    "inconnu", "household-99999999999999999999-role", "household-²-role", "household-١-role",
    "household-31-first_name", "communes-9", "communes-²", "communes-99999999999999999999",
    "remove_member", "add_member", "epci", "id", "role", "is_admin",
]

# ----------------------------------------------------------------------------- helpers


class FormFields(HTMLParser):
    """What a browser would submit from the page's forms: name → value (first option of a
    select unless one is selected; checked boxes only)."""

    def __init__(self, page: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self.names: list[str] = []
        self._select: str | None = None
        self.feed(page)

    def _name(self, name: str) -> None:
        if name != "csrf_token" and name not in self.names:
            self.names.append(name)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("hidden", "submit"):
            self._name(name)
            if a.get("type") != "checkbox" or "checked" in a:
                self.values.setdefault(name, a.get("value") or "")
        elif tag == "textarea" and name:
            self._name(name)
        elif tag == "select" and name:
            self._name(name)
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def post_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def user_for(role: str):
    kind = ROLE_ORGANISATION_KIND.get(role)
    organisation = OrganisationFactory(**ORGANISATION_TRAITS[kind]) if kind else None
    return UserFactory(role=role, organisation=organisation)


@pytest.fixture
def world(db_session):
    """A territory with communes, a requester with an active demande, a user per role."""
    epci = OrganisationFactory(epci=True, name="Orléans Métropole", departement="45")
    communes = [CommuneFactory(insee=code, name=name, epci=epci)
                for code, name in (("45234", "Orléans"), ("45147", "Fleury-les-Aubrais"))]
    requester = UserFactory(role="demandeur")
    demande = DemandeFactory(nur="045-2025-000123", epci=epci, requester_id=requester.id,
                             wishes=communes[:1])
    bailleur = OrganisationFactory()
    logement = LogementFactory(bailleur=bailleur, commune=communes[0])
    return SimpleNamespace(epci=epci, requester=requester, demande=demande,
                           bailleur=UserFactory(role="bailleur", organisation=bailleur),
                           logement=logement, offre=OffreFactory(logement=logement),
                           convention=ConventionFactory(bailleur=bailleur))


# Values of path arguments, by name: a POST route with another argument must be added here.
PATH_ARGUMENTS = {"nur": lambda world: world.demande.nur,
                  "logement_id": lambda world: world.logement.id,
                  "ref": lambda world: world.offre.ref, "media_id": lambda world: 1,
                  "attribution_id": lambda world: 1, "session_id": lambda world: 1,
                  "document_id": lambda world: 1,
                  "convention_id": lambda world: world.convention.id,
                  "offre_id": lambda world: world.offre.id,
                  "candidature_id": lambda world: 1, "saved_id": lambda world: 1}

# A form to start from, for routes whose empty form would stop at the first check.
VALID = {
    "auth.login": lambda world: {"email": world.requester.email,
                                 "password": "pas le bon mot de passe"},
    "auth.register": lambda world: {
        "full_name": "Camille Martin", "email": "camille.fuzz@example.org",
        "new_password": "trois pommes vertes sur la table",
        "confirmation": "trois pommes vertes sur la table", "accept_terms": "y"},
    "portal.demande_link": lambda world: {
        "nur": "045-2025-000124", "last_name": "Martin", "birth_date": "02/04/1990"},
    "portal.demande_renew": lambda world: {
        "rfr_n2": "14200", "monthly_resources": "1350", "confirm": "y"},
    "auth.change_password": lambda world: {
        "current_password": DEFAULT_PASSWORD,
        "new_password": "trois pommes vertes sur la table",
        "confirmation": "trois pommes vertes sur la table"},
}


def test_every_post_route_is_fuzzed(app):
    """A new form route joins the fuzzing below (or this test says which one is missing)."""
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            assert set(rule.arguments) <= set(PATH_ARGUMENTS), (rule.rule, rule.arguments)
    assert post_endpoints(app) == set(FUZZED_ENDPOINTS)


FUZZED_ENDPOINTS = ["auth.login", "auth.logout", "auth.change_password", "auth.register",
                    "portal.demande_create", "portal.demande_edit",
                    "bailleur.logement_edit", "bailleur.logement_retire",
                    "bailleur.logement_exclude", "bailleur.logements_import",
                    "bailleur.vacancy_declare", "bailleur.offre_publish",
                    "bailleur.offre_media_add", "bailleur.offre_media_delete",
                    "reservataire.logement_change", "reservataire.logement_designate",
                    "reservataire.logements_propose",
                    "cal.sessions", "cal.session_agenda", "cal.session_decision",
                    "cal.session_close", "bailleur.dossier_visit", "bailleur.dossier_lease",
                    "bailleur.dossier_condition",
                    "portal.proposition_accept", "portal.proposition_refuse",
                    "portal.demande_link", "portal.demande_renew", "portal.documents",
                    "portal.document_delete", "bailleur.justificatifs",
                    "reservataire.justificatifs", "cal.justificatifs",
                    "bailleur.convention_create", "bailleur.convention_edit",
                    "bailleur.conventions_import", "bailleur.etat_des_lieux_import",
                    "bailleur.objectifs", "bailleur.orientation_batch",
                    "bailleur.orientation_offre", "bailleur.orientation_vacancy",
                    "bailleur.takeback_all", "bailleur.takeback_one", "epci.flux_overview",
                    "portal.candidature_withdraw", "portal.offre_apply",
                    "portal.recherche_delete", "portal.recherche_save"]


@pytest.mark.parametrize("endpoint", FUZZED_ENDPOINTS)
def test_hostile_input_never_causes_a_server_error(app, client, world, monkeypatch, endpoint):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-02")
    # Throttling would turn most sign-in and password attempts into 429 before the form's
    # own checks; it has its own tests.
    monkeypatch.setitem(app.config, "LOGIN_MAX_ATTEMPTS", 0)
    monkeypatch.setitem(app.config, "LOGIN_MAX_ATTEMPTS_PER_CLIENT", 0)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    access = access_of(app.view_functions[endpoint])
    user = None
    if PUBLIC not in access:
        user = world.requester if AUTHENTICATED in access or "demandeur" in access \
            else world.bailleur if "bailleur" in access else user_for(next(iter(access)))
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **{name: PATH_ARGUMENTS[name](world) for name in rule.arguments})
    token_page = "/connexion" if user is None else "/compte/mot-de-passe"

    def sign_in_and_token() -> str:
        if user is not None and client.get(token_page).status_code != 200:
            login(client, user)  # signed out by the previous example (logout, password change)
        return TOKEN.search(client.get(token_page).get_data(as_text=True)).group(1)

    sign_in_and_token()
    page = client.get(url).get_data(as_text=True) if "GET" in rule.methods else ""
    form = FormFields(page)
    base = {**form.values, **VALID.get(endpoint, lambda w: {})(world)}
    if endpoint == "portal.demande_create":  # start from the saved demande's values
        edit = FormFields(client.get(f"/mon-espace/demande/{world.demande.nur}/modifier")
                          .get_data(as_text=True))
        base = {**edit.values, "epci": str(world.epci.id), "save": "1"}
    names = form.names + [n for n in VALID.get(endpoint, lambda w: {})(world) if n not in form.names]
    candidates = names + UNKNOWN_FIELDS

    def post(values: dict) -> None:
        values = {**values, "csrf_token": sign_in_and_token()}

        response = client.post(url, data=values)

        posted = {name: value for name, value in values.items() if base.get(name) != value}
        assert response.status_code < 500, (endpoint, posted)
        text = response.get_data(as_text=True)
        for value in values.values():
            for one in value if isinstance(value, list) else [value]:
                # A value longer than any field keeps is never echoed back whole: a field
                # re-displays at most its own maximum length (free-text reasons: 2 000).
                if len(one) > ECHO_LIMIT:
                    assert html.escape(one[:ECHO_LIMIT]) not in text, (endpoint, posted)
                    assert one[:ECHO_LIMIT] not in text, (endpoint, posted)

    # Every field at once, for each kind of hostile value: each field's own parsing sees it.
    for value in SWEEP:
        post({**base, **{name: value for name in candidates}})

    # Then hypothesis: a few fields of an otherwise plausible form, so the checks that
    # combine fields and the saving itself run too.
    @settings(max_examples=EXAMPLES.get(endpoint, DEFAULT_EXAMPLES), derandomize=True,
              database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def post_hostile(data):
        fields = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4,
                                    unique=True), label="fields")
        values = dict(base)
        for name in fields:
            values[name] = data.draw(st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2,
                                                                 max_size=3)), label=name)
        post(values)

    post_hostile()


# ----------------------------------------------------------------------------- the reported cases


def test_a_territory_id_beyond_64_bits_is_refused_next_to_the_field(app, client, world,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-02")
    other = UserFactory(role="demandeur")
    login(client, other)
    page = client.get("/mon-espace/demande/nouvelle").get_data(as_text=True)
    data = {**FormFields(page).values, "epci": "9223372036854775808", "communes-0": "45234",
            "csrf_token": TOKEN.search(page).group(1), "save": "1"}

    response = client.post("/mon-espace/demande/nouvelle", data=data)

    assert response.status_code == 422
    assert "Choisissez une valeur dans la liste proposée." in response.get_data(as_text=True)


def test_a_10000_character_commune_code_is_quoted_by_a_short_prefix(app, client, world,
                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-02")
    login(client, world.requester)
    url = f"/mon-espace/demande/{world.demande.nur}/modifier"
    page = client.get(url).get_data(as_text=True)
    code = "4" * 10_000
    data = {**FormFields(page).values, "communes-1": code,
            "csrf_token": TOKEN.search(page).group(1), "save": "1"}

    response = client.post(url, data=data)

    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert f"Commune inconnue : {'4' * 40}…." in text
    assert "4" * 41 not in text
    assert len(response.data) < 60_000  # the page without the echo (it was 57 KB + the echo)
