"""The requester's "Ma demande de logement social" form: filing, editing, refusing bad input."""

from __future__ import annotations

import html
import re
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from flask import g, request_started
from sqlalchemy import func, select

from app.accounts.models import ROLE_ORGANISATION_KIND, STAFF_ROLES
from app.audit.models import AuditEvent
from app.demandes import services as demande_services
from app.demandes.models import Demande
from app.spaces.requester import demande_forms
from matching.records import RecordError
from tests.factories import CommuneFactory, DemandeFactory, OrganisationFactory, UserFactory
from tests.functional.sessions import login

NEW = "/mon-espace/demande/nouvelle"
TODAY = "2026-03-02"
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')

MSG_UNKNOWN = (
    "Commune inconnue : 45999. Indiquez un code INSEE à 5 chiffres d'une commune du territoire."
)
MSG_NEGATIVE = "Le revenu ne peut pas être négatif."
MSG_HOUSEHOLD = "Le ménage doit compter au moins une personne, dont le demandeur."
MSG_DUPLICATE_PREFIX = "Vous avez déjà une demande active sur ce territoire"


# --------------------------------------------------------------------------- helpers


def edit_url(nur: str) -> str:
    return f"/mon-espace/demande/{nur}/modifier"


class FormState(HTMLParser):
    """What a browser would submit from the page: name → values (checked boxes, selected
    options, text inputs)."""

    def __init__(self, page: str):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("hidden", "submit"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values.setdefault(a["name"], []).append(a.get("value", "on"))
            else:
                self.values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select, self._first_option, self._selected = a.get("name"), None, False
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.values.setdefault(self._select, []).append(a.get("value", ""))
                self._selected = True

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._selected:
                self.values.setdefault(self._select, []).append(self._first_option or "")
            self._select = None


def assert_redisplayed(page: str, data: dict) -> None:
    """Every value the requester typed or ticked is on the page again (nothing lost)."""
    state = FormState(page).values
    for name, posted in data.items():
        if name in ("csrf_token", "save", "add_member", "remove_member"):
            continue
        posted = posted if isinstance(posted, list) else [posted]
        posted = [v for v in posted if v != ""] or [""]
        shown = state.get(name, [""])
        if posted == [""]:
            assert shown in ([""], ["y"]) and (shown == [""] or name not in state), name
        else:  # a group of checkboxes shows its options in its own order
            assert sorted(shown) == sorted(posted), (name, posted, shown)


def field_message(page: str, field_id: str) -> str:
    """The error message shown next to the field (its id is in the field's aria-describedby)."""
    match = re.search(
        rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S
    )
    assert match, f"no message next to {field_id}"
    assert re.search(rf'aria-describedby="[^"]*\b{re.escape(field_id)}-error\b', page), field_id
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).removeprefix("⚠Erreur : ")


def summary_messages(page: str) -> list[tuple[str, str]]:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary at the top of the form"
    return [
        (anchor, html.unescape(text))
        for anchor, text in re.findall(r'<li><a href="#([^"]*)">(.*?)</a></li>', match.group(0))
    ]


def demande_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Demande))


@pytest.fixture(autouse=True)
def _fixed_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", TODAY)


@pytest.fixture(autouse=True)
def _fresh_request_globals(app):
    """Each test request gets an empty ``flask.g``, as in production: the test's application
    context would otherwise keep the CSRF token of the session before sign-in."""

    def clear(sender, **extra):
        namespace = g._get_current_object()
        for name in list(vars(namespace)):
            delattr(namespace, name)

    request_started.connect(clear, app, weak=False)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def territory(db_session):
    epci = OrganisationFactory(epci=True, name="Orléans Métropole", departement="45")
    names = ["Orléans", "Fleury-les-Aubrais", "Olivet", "Saran", "Ingré", "Chécy"]
    codes = ["45234", "45147", "45232", "45302", "45169", "45089"]
    communes = [CommuneFactory(insee=c, name=n, epci=epci) for c, n in zip(codes, names, strict=True)]
    return SimpleNamespace(epci=epci, communes=communes, codes=codes)


@pytest.fixture
def requester(client, db_session):
    user = UserFactory(role="demandeur", full_name="Camille Martin", email="camille@example.org")
    login(client, user)
    return user


def token_of(client, url: str = NEW) -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def valid_data(client, territory, **overrides) -> dict:
    """A complete demande: two persons, two communes, every fieldset filled."""
    data = {
        "csrf_token": token_of(client),
        "epci": str(territory.epci.id),
        "civility": "Mme",
        "last_name": "Martin",
        "phone": "06 12 34 56 78",
        "address": "12 rue de la République, 45000 Orléans",
        "household-0-role": "demandeur",
        "household-0-first_name": "Camille",
        "household-0-birth_date": "02/04/1990",
        "household-0-has_disability": "y",
        "household-1-role": "enfant",
        "household-1-first_name": "Léo",
        "household-1-birth_date": "2019-09-01",
        "household-1-is_dependent": "y",
        "rfr_n2": "14 200",
        "rfr_n1": "",
        "resources_last_12_months": "12000",
        "monthly_resources": "1350,50",
        "housing_kind": "residence_sociale",
        "housing_commune": "45234",
        "housing_rooms": "1",
        "housing_surface": "20",
        "housing_rent": "390",
        "housing_charges": "40",
        "reasons": ["sans_logement", "logement_trop_petit"],
        "contract_demandeur": "cdd",
        "contract_partner": "",
        "employer_siret": "12345678900011",
        "contributes_action_logement": "y",
        "communes-0": "45234",
        "communes-1": "45147",
        "communes-2": "",
        "communes-3": "",
        "communes-4": "",
        "typologies": ["T2", "T3"],
        "max_rent": "550",
        "l441_1": ["sans_logement", "heberge_temporaire"],
        "save": "1",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# --------------------------------------------------------------------------- filing


def test_a_requester_files_a_complete_demande_with_all_its_parts(client, db_session, territory,
                                                                  requester):
    response = client.post(NEW, data=valid_data(client, territory))

    assert response.status_code == 302
    assert response.headers["Location"] == "/mon-espace"
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "Votre demande n° 045-2026-000001 est enregistrée." in page

    demande = db_session.scalar(select(Demande).where(Demande.requester_id == requester.id))
    assert demande.nur == "045-2026-000001"
    assert (demande.epci_id, demande.status, demande.filed_on) == (
        territory.epci.id, "active", date(2026, 3, 2))
    assert demande.renewed_on is None and demande.is_mutation is False
    assert demande.first_name == "Camille" and demande.email == "camille@example.org"
    assert (demande.civility, demande.last_name, demande.phone, demande.address) == (
        "Mme", "Martin", "06 12 34 56 78", "12 rue de la République, 45000 Orléans")
    assert [(m.position, m.role, m.first_name, m.birth_date, m.is_dependent, m.has_disability)
            for m in demande.members] == [
        (0, "demandeur", "Camille", date(1990, 4, 2), False, True),
        (1, "enfant", "Léo", date(2019, 9, 1), True, False),
    ]
    assert (demande.rfr_n2, demande.rfr_n1, demande.resources_last_12_months,
            demande.monthly_resources) == (14200, None, 12000, 1350.5)
    assert (demande.current_housing_kind, demande.current_commune_insee, demande.current_rooms,
            demande.current_surface, demande.current_rent, demande.current_charges) == (
        "residence_sociale", "45234", 1, 20, 390, 40)
    assert sorted(r.reason for r in demande.reasons) == ["logement_trop_petit", "sans_logement"]
    assert [(e.member_position, e.contract) for e in demande.employments] == [(0, "cdd")]
    assert demande.employer_siret == "12345678900011"
    assert demande.employer_contributes_action_logement is True
    assert [(w.rank, w.commune_insee) for w in demande.wished_communes] == [
        (1, "45234"), (2, "45147")]
    assert sorted(t.typology for t in demande.wished_typologies) == ["T2", "T3"]
    assert (demande.max_rent, demande.needs_accessible, demande.is_dalo) == (550, False, False)
    assert sorted(p.criterion for p in demande.priority_criteria) == [
        "heberge_temporaire", "sans_logement"]
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "demande.create"))
    assert (event.actor_id, event.entity_id) == (requester.id, "045-2026-000001")


def test_the_number_continues_the_sequence_of_its_departement_and_year(client, db_session,
                                                                       territory, requester):
    DemandeFactory(nur="045-2026-000041", epci=territory.epci)
    DemandeFactory(nur="045-2025-000900", epci=territory.epci)  # another year: its own sequence

    client.post(NEW, data=valid_data(client, territory))

    nur = db_session.scalar(select(Demande.nur).where(Demande.requester_id == requester.id))
    assert nur == "045-2026-000042"


def test_the_only_territory_is_preselected_and_its_communes_suggested(client, territory,
                                                                      requester):
    page = client.get(NEW).get_data(as_text=True)

    assert FormState(page).values["epci"] == [str(territory.epci.id)]
    assert '<option value="45234">Orléans</option>' in page
    for legend in ("Ménage", "Ressources", "Logement actuel", "Motifs", "Emploi", "Souhaits",
                   "Situation prioritaire"):
        assert f"<h2>{legend}</h2>" in page


def test_with_several_territories_none_is_chosen_for_the_requester(client, territory, requester):
    OrganisationFactory(epci=True, name="Montargoise et Rives du Loing")

    page = client.get(NEW).get_data(as_text=True)

    assert FormState(page).values["epci"] == [""]


# --------------------------------------------------------------------------- bad input

BAD_INPUT = [
    # an INSEE code the platform does not know, as second choice
    ({"communes-1": "45999"}, "communes-1", MSG_UNKNOWN),
    # an unknown code for the current dwelling
    ({"housing_commune": "45999"}, "housing_commune", MSG_UNKNOWN),
    # a negative income, on each income field
    ({"rfr_n2": "-10"}, "rfr_n2", MSG_NEGATIVE),
    ({"last_name": ""}, "last_name", "Indiquez votre nom de famille."),  # identity is required
    ({"phone": "appelez-moi"}, "phone",
     "Numéro de téléphone invalide : 10 chiffres, par exemple 06 12 34 56 78."),
    ({"rfr_n1": "-1"}, "rfr_n1", MSG_NEGATIVE),
    ({"monthly_resources": "-1350"}, "monthly_resources", MSG_NEGATIVE),
    # the only person left empty: no member at all
    ({"household-0-role": "", "household-0-first_name": "", "household-0-birth_date": "",
      "household-0-has_disability": None, "household-1-role": None,
      "household-1-first_name": None, "household-1-birth_date": None,
      "household-1-is_dependent": None}, "household", MSG_HOUSEHOLD),
    # members, but none is the demandeur
    ({"household-0-role": "conjoint"}, "household", MSG_HOUSEHOLD),
    # a date that does not exist
    ({"household-0-birth_date": "31/02/1990"}, "household-0-birth_date",
     "Date invalide : « 31/02/1990 ». Indiquez une date réelle au format JJ/MM/AAAA."),
    ({"household-1-birth_date": "hier"}, "household-1-birth_date",
     "Date invalide : « hier ». Indiquez une date réelle au format JJ/MM/AAAA."),
    # a birth date in the future (platform date: 2 March 2026)
    ({"household-1-birth_date": "03/03/2026"}, "household-1-birth_date",
     "La date de naissance ne peut pas être dans le futur."),
    # SIRET of the wrong length, or with letters
    ({"employer_siret": "1234567890001"}, "employer_siret",
     "Le numéro SIRET doit compter exactement 14 chiffres (sans lettres)."),
    ({"employer_siret": "1234567890001A"}, "employer_siret",
     "Le numéro SIRET doit compter exactement 14 chiffres (sans lettres)."),
    # six communes
    ({"communes-2": "45232", "communes-3": "45302", "communes-4": "45169",
      "communes-5": "45089"}, "communes",
     "Vous pouvez indiquer au plus 5 communes souhaitées."),
    # no commune wished
    ({"communes-0": "", "communes-1": ""}, "communes", "Indiquez au moins une commune souhaitée."),
    # an amount that is not a number
    ({"housing_rent": "390 euros par mois"}, "housing_rent",
     "Indiquez un montant en euros, en chiffres (par exemple 14200 ou 1350,50)."),
    # the same commune twice
    ({"communes-1": "45234"}, "communes-1",
     "La commune Orléans (45234) est déjà indiquée dans un choix précédent."),
    # a partner's contract without a partner in the household
    ({"contract_partner": "cdi"}, "contract_partner",
     "Le ménage ne compte ni conjoint ni codemandeur : ajoutez cette personne au ménage, "
     "ou laissez ce champ vide."),
    # a required choice left empty
    ({"housing_kind": ""}, "housing_kind", "Indiquez votre situation de logement actuelle."),
]


@pytest.mark.parametrize(("overrides", "field_id", "message"), BAD_INPUT)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_saved(
    client, db_session, territory, requester, overrides, field_id, message
):
    data = valid_data(client, territory, **overrides)

    response = client.post(NEW, data=data)

    assert response.status_code == 422  # refused: rolled back
    page = response.get_data(as_text=True)
    assert field_message(page, field_id) == message
    assert (field_id, message) in summary_messages(page)
    assert "<title>Erreur : " in page
    assert demande_count(db_session) == 0
    assert_redisplayed(page, data)


def test_a_commune_of_another_territory_is_refused(client, db_session, territory, requester):
    elsewhere = OrganisationFactory(epci=True, name="Montargoise")
    CommuneFactory(insee="45208", name="Montargis", epci=elsewhere)

    response = client.post(NEW, data=valid_data(client, territory, **{"communes-1": "45208"}))

    page = response.get_data(as_text=True)
    assert field_message(page, "communes-1") == (
        "La commune Montargis (45208) n'est pas sur le territoire d’Orléans Métropole. "
        "Choisissez une commune de ce territoire."
    )
    assert demande_count(db_session) == 0


def test_several_errors_are_all_listed_in_the_summary(client, db_session, territory, requester):
    data = valid_data(client, territory, rfr_n2="-1", employer_siret="12", **{"communes-0": "45999"})

    page = client.post(NEW, data=data).get_data(as_text=True)

    anchors = [anchor for anchor, _ in summary_messages(page)]
    assert anchors == ["rfr_n2", "employer_siret", "communes-0"]  # in the order of the page
    assert "Le formulaire contient 3 erreurs" in page
    assert demande_count(db_session) == 0


# --------------------------------------------------------------------------- rows, no JS


def test_add_a_person_redisplays_the_form_with_one_more_empty_row(client, db_session, territory,
                                                                 requester):
    data = valid_data(client, territory, save=None, add_member="1")

    response = client.post(NEW, data=data)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="household-2-role"' in page and "Personne 3" in page
    assert 'class="error-summary"' not in page  # nothing is checked yet
    assert_redisplayed(page, data)
    assert demande_count(db_session) == 0


def test_remove_a_person_redisplays_the_form_without_that_row(client, db_session, territory,
                                                             requester):
    data = valid_data(client, territory, save=None, remove_member="0")

    page = client.post(NEW, data=data).get_data(as_text=True)

    state = FormState(page).values
    assert state["household-0-first_name"] == ["Léo"]
    assert "household-1-role" not in state
    assert demande_count(db_session) == 0


def test_an_empty_added_row_is_ignored_on_saving(client, db_session, territory, requester):
    data = valid_data(client, territory, **{"household-2-role": "", "household-2-first_name": "",
                                            "household-2-birth_date": ""})

    assert client.post(NEW, data=data).status_code == 302

    demande = db_session.scalar(select(Demande))
    assert [m.role for m in demande.members] == ["demandeur", "enfant"]


# --------------------------------------------------------------------------- one per territory


def test_a_second_active_demande_on_the_same_territory_is_refused(client, db_session, territory,
                                                                  requester):
    DemandeFactory(nur="045-2025-000123", epci=territory.epci, requester_id=requester.id)

    response = client.post(NEW, data=valid_data(client, territory))

    assert response.status_code == 422  # refused: rolled back
    page = response.get_data(as_text=True)
    assert field_message(page, "epci") == (
        "Vous avez déjà une demande active sur ce territoire (n° 045-2025-000123). "
        "Modifiez-la plutôt que d'en déposer une seconde."
    )
    assert demande_count(db_session) == 1


def test_a_concurrent_second_demande_is_refused_by_the_database_with_the_same_message(
    client, db_session, territory, requester, monkeypatch
):
    # The first check misses a demande filed meanwhile (double submission): the partial
    # unique index refuses the insert, and the requester still gets the message.
    DemandeFactory(nur="045-2025-000123", epci=territory.epci, requester_id=requester.id)
    real = demande_services.active_demande_for
    calls = []

    def misses_once(user, epci_id):
        calls.append(epci_id)
        return None if len(calls) == 1 else real(user, epci_id)

    monkeypatch.setattr(demande_services, "active_demande_for", misses_once)

    response = client.post(NEW, data=valid_data(client, territory))

    assert response.status_code == 422  # refused: rolled back
    assert MSG_DUPLICATE_PREFIX in html.unescape(response.get_data(as_text=True))
    assert len(calls) == 2
    assert demande_count(db_session) == 1
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "demande.create")) == 0


def test_a_closed_demande_does_not_prevent_a_new_one(client, db_session, territory, requester):
    DemandeFactory(nur="045-2024-000001", epci=territory.epci, requester_id=requester.id,
                   status="expiree")

    assert client.post(NEW, data=valid_data(client, territory)).status_code == 302
    assert demande_count(db_session) == 2


# --------------------------------------------------------------------------- editing


def test_a_requester_edits_their_demande_and_keeps_its_number(client, db_session, territory,
                                                              requester):
    demande = DemandeFactory(nur="045-2025-000123", epci=territory.epci,
                             requester_id=requester.id, first_name="Camille",
                             wishes=territory.communes[:1])
    url = edit_url(demande.nur)

    page = client.get(url).get_data(as_text=True)
    state = FormState(page).values
    assert state["rfr_n2"] == ["14200"]
    assert state["communes-0"] == ["45234"]
    assert state["household-0-role"] == ["demandeur"]
    assert state["household-0-birth_date"] == ["02/04/1990"]
    assert state["housing_kind"] == ["residence_sociale"]

    data = valid_data(client, territory, epci=None, csrf_token=TOKEN.search(page).group(1),
                      rfr_n2="9800", **{"communes-0": "45147", "communes-1": "45232",
                                        "household-2-role": "conjoint", "household-2-first_name": "Sam",
                                        "household-2-birth_date": "01/01/1988"},
                      contract_partner="cdi")
    response = client.post(url, data=data)

    assert response.status_code == 302
    db_session.expire_all()
    demande = db_session.scalar(select(Demande).where(Demande.nur == "045-2025-000123"))
    assert demande.filed_on == date(2025, 1, 15) and demande.status == "active"
    assert demande.rfr_n2 == 9800
    assert [m.role for m in demande.members] == ["demandeur", "enfant", "conjoint"]
    assert [(e.member_position, e.contract) for e in demande.employments] == [
        (0, "cdd"), (2, "cdi")]
    assert [w.commune_insee for w in demande.wished_communes] == ["45147", "45232"]
    assert demande_count(db_session) == 1
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "demande.update"))
    assert event.entity_id == "045-2025-000123"
    assert "ressources" in event.details["sections"] and "menage" in event.details["sections"]
    assert "9800" not in str(event.details)  # section names only, no personal values


def test_bad_input_on_edit_changes_nothing(client, db_session, territory, requester):
    demande = DemandeFactory(nur="045-2025-000123", epci=territory.epci,
                             requester_id=requester.id, wishes=territory.communes[:1])
    url = edit_url(demande.nur)
    data = valid_data(client, territory, epci=None, csrf_token=token_of(client, url),
                      rfr_n2="-5")

    response = client.post(url, data=data)

    assert response.status_code == 422  # refused: rolled back
    assert field_message(response.get_data(as_text=True), "rfr_n2") == MSG_NEGATIVE
    db_session.expire_all()
    demande = db_session.get(Demande, demande.id)
    assert demande.rfr_n2 == 14200 and len(demande.members) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_editing_another_requesters_demande_is_not_found(client, db_session, territory,
                                                         requester, method):
    other = UserFactory(role="demandeur")
    theirs = DemandeFactory(nur="045-2025-000777", epci=territory.epci, requester_id=other.id)
    data = valid_data(client, territory, epci=None)

    response = getattr(client, method)(edit_url(theirs.nur),
                                       **({"data": data} if method == "post" else {}))

    assert response.status_code == 404
    db_session.expire_all()
    assert db_session.get(Demande, theirs.id).rfr_n2 == 14200


@pytest.mark.parametrize("nur", [
    "045-2025-000555",  # the requester's own demande, but struck off (not active)
    "045-2025-999999",  # no such demande
])
def test_editing_a_closed_or_unknown_demande_is_not_found(client, territory, requester, nur):
    DemandeFactory(nur="045-2025-000555", epci=territory.epci, requester_id=requester.id,
                   status="radiee")

    assert client.get(edit_url(nur)).status_code == 404


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_roles_get_403_on_the_requester_form(client, db_session, territory, role):
    kinds = {"bailleur": {}, "reservataire": {"reservataire": True}, "epci": {"epci": True},
             "operateur": {"operateur": True}}
    organisation = OrganisationFactory(**kinds[ROLE_ORGANISATION_KIND[role]])
    login(client, UserFactory(role=role, organisation=organisation))
    demande = DemandeFactory(epci=territory.epci, requester_id=UserFactory().id)
    token = TOKEN.search(client.get("/", follow_redirects=True).get_data(as_text=True)).group(1)

    for url in (NEW, edit_url(demande.nur)):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={"csrf_token": token, "rfr_n2": "1"}).status_code == 403, url
    assert demande_count(db_session) == 1


@pytest.mark.parametrize("url", [NEW, edit_url("045-2025-000001")])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_a_post_without_csrf_token_is_refused(client, db_session, territory, requester):
    response = client.post(NEW, data=valid_data(client, territory, csrf_token=None))

    assert response.status_code == 400
    assert demande_count(db_session) == 0


# --------------------------------------------------------------------------- the final gate


def test_record_error_paths_map_to_the_form_fields(app, territory):
    from app.spaces.requester.demande_forms import DemandeForm

    with app.test_request_context(NEW, method="POST", data={
        "household-0-role": "demandeur", "household-1-role": "",
        "household-2-role": "enfant", "communes-0": "", "communes-1": "45147",
    }):
        form = DemandeForm(meta={"csrf": False}, epci_choices=[("1", "X")])
        assert form.field_for_path("household[1].birth_date").id == "household-2-birth_date"
        assert form.field_for_path("household").id == "household"
        assert form.field_for_path("wishes.communes[0]").id == "communes-1"
        assert form.field_for_path("current_housing.commune").id == "housing_commune"
        assert form.field_for_path("employer.siret").id == "employer_siret"
        assert form.field_for_path("priority.l441_1[0]").id == "l441_1"
        assert form.field_for_path("verified.rfr_n2") is None  # the form as a whole


def test_a_record_refused_by_the_exchange_format_shows_its_reason_next_to_the_field(
    client, db_session, territory, requester, monkeypatch
):
    # WTForms catches everything known today; parse_demande stays the final gate, and what
    # it refuses is said next to the field its path designates.
    def refuse(record):
        raise RecordError("wishes.communes[1]", "code commune INSEE à 5 caractères attendu")

    monkeypatch.setattr(demande_forms, "parse_demande", refuse)
    data = valid_data(client, territory)

    response = client.post(NEW, data=data)

    assert response.status_code == 422  # refused: rolled back
    page = response.get_data(as_text=True)
    assert field_message(page, "communes-1") == (
        "Donnée refusée : code commune INSEE à 5 caractères attendu."
    )
    assert demande_count(db_session) == 0
    assert_redisplayed(page, data)
