# ruff: noqa: F811  (the fixtures imported from test_demande_form are parameters here)
"""The requester's demande beyond the form: drafts, an existing NUR, yearly renewal, bad input."""

from __future__ import annotations

import html
from datetime import date

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.demandes.models import Demande, DemandeDraft
from tests.factories import DemandeFactory, UserFactory
from tests.functional.test_demande_form import (  # noqa: F401 (fixtures)
    NEW,
    TOKEN,
    _fixed_today,
    _fresh_request_globals,
    assert_redisplayed,
    field_message,
    requester,
    territory,
    token_of,
    valid_data,
)

LINK = "/mon-espace/demande/rattacher"


def renew_url(nur: str) -> str:
    return f"/mon-espace/demandes/{nur}/renouveler"


def drafts(db_session) -> list[DemandeDraft]:
    return list(db_session.scalars(select(DemandeDraft)))


# --------------------------------------------------------------------------- drafts


def test_a_half_filled_demande_is_kept_as_a_draft_and_found_again(client, db_session, territory,
                                                                   requester):
    data = valid_data(client, territory, rfr_n2="", monthly_resources="", **{
        "communes-0": "", "communes-1": "", "household-0-birth_date": "31/02/1990"})
    data.pop("save")
    data["save_draft"] = "1"

    response = client.post(NEW, data=data)

    assert response.status_code == 302  # saved, whatever is still missing or wrong
    assert db_session.scalar(select(func.count()).select_from(Demande)) == 0  # not filed
    [draft] = drafts(db_session)
    assert draft.requester_id == requester.id and draft.demande_id is None
    assert draft.data["household-0-birth_date"] == ["31/02/1990"]  # even an invalid date
    home = client.get("/mon-espace").get_data(as_text=True)
    assert "Reprendre ma demande" in home
    page = client.get(NEW).get_data(as_text=True)
    assert "Nous avons repris votre brouillon" in page
    assert_redisplayed(page, {k: v for k, v in data.items() if k != "save_draft"})


def test_a_refused_demande_is_kept_as_a_draft_too(client, db_session, territory, requester):
    data = valid_data(client, territory, rfr_n2="-5")

    response = client.post(NEW, data=data)

    assert response.status_code == 422
    [draft] = drafts(db_session)
    assert draft.data["rfr_n2"] == ["-5"] and draft.data["last_name"] == ["Martin"]
    assert "csrf_token" not in draft.data and "save" not in draft.data


def test_filing_the_demande_discards_the_draft(client, db_session, territory, requester):
    partial = valid_data(client, territory, rfr_n2="")
    partial["save_draft"] = "1"
    client.post(NEW, data=partial)
    assert len(drafts(db_session)) == 1

    response = client.post(NEW, data=valid_data(client, territory))

    assert response.status_code == 302
    assert drafts(db_session) == []
    assert db_session.scalar(select(Demande.nur).where(Demande.requester_id == requester.id))


def test_a_draft_keeps_only_form_fields_and_bounded_values(client, db_session, territory,
                                                            requester):
    data = valid_data(client, territory, last_name="x" * 5000)
    data["save_draft"] = "1"
    data["not a field!"] = "y"
    client.post(NEW, data=data)

    [draft] = drafts(db_session)
    assert "not a field!" not in draft.data
    assert len(draft.data["last_name"][0]) == 1000


def test_pending_changes_to_a_filed_demande_are_a_draft_of_that_demande(client, db_session,
                                                                         territory, requester):
    client.post(NEW, data=valid_data(client, territory))
    demande = db_session.scalar(select(Demande).where(Demande.requester_id == requester.id))
    edit = f"/mon-espace/demande/{demande.nur}/modifier"
    data = valid_data(client, territory, phone="07 00 00 00 01", rfr_n2="")
    data.pop("epci")
    data["csrf_token"] = token_of(client, edit)

    assert client.post(edit, data=data).status_code == 422

    [draft] = drafts(db_session)
    assert draft.demande_id == demande.id
    page = client.get(edit).get_data(as_text=True)
    assert 'value="07 00 00 00 01"' in page  # the edit form comes back as it was left
    assert demande.phone == "06 12 34 56 78"  # the demande itself is unchanged


# --------------------------------------------------------------------------- bad input


def test_a_household_without_adult_is_refused_and_nothing_is_lost(client, db_session, territory,
                                                                  requester):
    data = valid_data(client, territory, **{"household-0-birth_date": "01/01/2015"})

    response = client.post(NEW, data=data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_message(page, "household") == (
        "Le ménage doit compter au moins un adulte (18 ans ou plus) : vérifiez les dates de "
        "naissance.")
    assert_redisplayed(page, data)


def test_a_birth_date_in_the_future_is_refused(client, territory, requester):
    data = valid_data(client, territory, **{"household-1-birth_date": "01/01/2030"})

    page = client.post(NEW, data=data).get_data(as_text=True)

    assert field_message(page, "household-1-birth_date") == (
        "La date de naissance ne peut pas être dans le futur.")


def test_absurd_resources_are_refused(client, territory, requester):
    data = valid_data(client, territory, rfr_n2="25000000", monthly_resources="900000")

    response = client.post(NEW, data=data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_message(page, "rfr_n2") == "Ce montant semble trop élevé : vérifiez-le."
    assert field_message(page, "monthly_resources") == "Ce montant semble trop élevé : vérifiez-le."
    assert_redisplayed(page, data)


# --------------------------------------------------------------------------- NUR


def _link(client, **fields):
    token = TOKEN.search(client.get(LINK).get_data(as_text=True)).group(1)
    return client.post(LINK, data={"csrf_token": token, **fields})


def test_a_demande_registered_at_a_guichet_is_attached_with_its_number_and_identity(
        client, db_session, requester):
    demande = DemandeFactory(nur="045-2025-000777", requester_id=None, last_name="Le Goff")

    response = _link(client, nur="045 2025 000777".replace(" ", "-", 2).replace(" ", ""),
                     last_name="LE GOFF", birth_date="02/04/1990")

    assert response.status_code == 302
    assert demande.requester_id == requester.id
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "La demande n° 045-2025-000777 est rattachée à votre compte." in page
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "demande.link"))
    assert event.actor_id == requester.id


def test_a_malformed_number_is_refused_next_to_its_field(client, requester):
    response = _link(client, nur="45-25-777", last_name="Martin", birth_date="02/04/1990")

    assert response.status_code == 422
    assert field_message(response.get_data(as_text=True), "nur").startswith(
        "Le numéro doit avoir la forme 045-2025-000123")


def test_a_wrong_identity_and_an_unknown_number_get_the_same_answer(client, db_session,
                                                                    requester):
    DemandeFactory(nur="045-2025-000778", requester_id=None, last_name="Durand")
    owned = DemandeFactory(nur="045-2025-000779", requester_id=UserFactory().id,
                           last_name="Petit")

    answers = [
        _link(client, nur="045-2025-000778", last_name="Durand", birth_date="03/04/1990"),
        _link(client, nur="045-2025-000999", last_name="Durand", birth_date="02/04/1990"),
        _link(client, nur=owned.nur, last_name="Petit", birth_date="02/04/1990"),
    ]

    pages = [html.unescape(r.get_data(as_text=True)) for r in answers]
    assert {r.status_code for r in answers} == {422}
    assert all("Nous n'avons pas trouvé de demande à ce numéro" in p for p in pages)
    assert owned.requester_id != requester.id
    refused = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "demande.link_refused"))
    assert refused == 3  # kept although the answer is a refusal: they limit the attempts


def test_attempts_are_limited_per_account(client, requester):
    DemandeFactory(nur="045-2025-000780", requester_id=None, last_name="Durand")
    for day in range(1, 6):
        _link(client, nur="045-2025-000780", last_name="Durand", birth_date=f"0{day}/01/1980")

    response = _link(client, nur="045-2025-000780", last_name="Durand", birth_date="02/04/1990")

    assert response.status_code == 422
    assert "Trop d'essais infructueux" in html.unescape(response.get_data(as_text=True))


def test_a_second_active_demande_on_the_same_territory_is_not_attached(client, db_session,
                                                                       requester):
    mine = DemandeFactory(requester_id=requester.id)
    other = DemandeFactory(nur="045-2025-000781", requester_id=None, epci=mine.epci,
                           last_name="Martin")

    response = _link(client, nur=other.nur, last_name="Martin", birth_date="02/04/1990")

    assert response.status_code == 422
    assert f"Vous avez déjà une demande active sur ce territoire (n° {mine.nur})" in (
        response.get_data(as_text=True))
    assert other.requester_id is None


# --------------------------------------------------------------------------- renewal


def test_the_home_page_reminds_from_one_month_before_expiry(client, app, monkeypatch, requester):
    DemandeFactory(nur="045-2025-000100", requester_id=requester.id, filed_on=date(2025, 4, 10))

    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-09")
    assert "Renouveler ma demande" not in client.get("/mon-espace").get_data(as_text=True)
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-10")
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "expire le 10 avril 2026, dans 31 jours" in page
    assert "Renouveler ma demande" in page


def test_renewing_confirms_the_resources_and_sets_the_renewal_date(client, db_session, app,
                                                                   monkeypatch, requester):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-20")
    demande = DemandeFactory(requester_id=requester.id, filed_on=date(2025, 4, 10))
    token = TOKEN.search(client.get(renew_url(demande.nur)).get_data(as_text=True)).group(1)

    response = client.post(renew_url(demande.nur), data={
        "csrf_token": token, "rfr_n2": "15 300", "rfr_n1": "", "monthly_resources": "1400",
        "confirm": "y"})

    assert response.status_code == 302
    assert (demande.renewed_on, demande.rfr_n2, demande.monthly_resources) == (
        date(2026, 3, 20), 15300, 1400)
    assert "elle est valable jusqu'au 20 mars 2027" in html.unescape(
        client.get("/mon-espace").get_data(as_text=True))


def test_renewal_needs_the_confirmation_and_refuses_negative_resources(client, db_session, app,
                                                                       monkeypatch, requester):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-20")
    demande = DemandeFactory(requester_id=requester.id, filed_on=date(2025, 4, 10))
    token = TOKEN.search(client.get(renew_url(demande.nur)).get_data(as_text=True)).group(1)

    response = client.post(renew_url(demande.nur), data={
        "csrf_token": token, "rfr_n2": "-1", "monthly_resources": "1400"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_message(page, "rfr_n2") == "Le revenu ne peut pas être négatif."
    assert "Cochez la case pour confirmer" in page
    assert 'value="-1"' in page and 'value="1400"' in page
    assert demande.renewed_on is None


def test_a_demande_far_from_its_anniversary_cannot_be_renewed_yet(client, app, monkeypatch,
                                                                  requester):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-03-02")
    demande = DemandeFactory(requester_id=requester.id, filed_on=date(2025, 9, 1))

    page = client.get(renew_url(demande.nur)).get_data(as_text=True)

    assert "Vous pourrez la renouveler à partir du 1 août 2026" in page.replace("1er", "1")
    assert 'name="confirm"' not in page


def test_an_expired_demande_says_how_to_renew_and_is_renewed(client, db_session, app,
                                                             monkeypatch, requester):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-05-02")
    demande = DemandeFactory(requester_id=requester.id, filed_on=date(2025, 4, 10),
                             status="expiree", closed_on=date(2026, 4, 10))

    home = client.get("/mon-espace").get_data(as_text=True)
    assert "a expiré le 10 avril 2026 faute de renouvellement" in home
    token = TOKEN.search(client.get(renew_url(demande.nur)).get_data(as_text=True)).group(1)
    client.post(renew_url(demande.nur), data={"csrf_token": token, "rfr_n2": "14200",
                                              "monthly_resources": "1350", "confirm": "y"})

    assert (demande.status, demande.renewed_on, demande.closed_on) == (
        "active", date(2026, 5, 2), None)
    assert demande.filed_on == date(2025, 4, 10)  # seniority kept


def test_another_requesters_demande_cannot_be_renewed(client, requester):
    demande = DemandeFactory(requester_id=UserFactory().id)

    assert client.get(renew_url(demande.nur)).status_code == 404
