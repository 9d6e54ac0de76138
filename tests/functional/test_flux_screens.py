"""The flux screens of the bailleur and the réservataire: forms, refusals, tenant isolation."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from app.flux.ledger import history
from app.flux.orientation import confirm
from tests.factories import OrganisationFactory, UserFactory
from tests.functional.sessions import CSRF, login
from tests.support.flux import TODAY, make_flux


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", TODAY.isoformat())
    return TODAY


@pytest.fixture
def flux_setup(db_session, today):
    f = make_flux()
    user = UserFactory(role="bailleur", organisation=f.bailleur)
    return f, user


def _token(client, url):
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def _convention_form(token, f, **overrides):
    data = {"csrf_token": token, "reservataire": str(f.etat.id), "departement": "45",
            "year": "2026", "share_percent": "4", "origin": "financement",
            "designation_delay_days": "30", "counts_on": "mise_a_disposition",
            "scope_qpv": "", "signed_on": ""}
    data.update(overrides)
    return data


def test_every_flux_page_of_the_bailleur_answers(client, flux_setup):
    f, user = flux_setup
    offre = f.vacancy()
    login(client, user)
    c = f.conventions["etat"]
    for url in ("/bailleur/conventions", f"/bailleur/conventions/{c.id}",
                "/bailleur/conventions/nouvelle", f"/bailleur/conventions/{c.id}/modifier",
                "/bailleur/orientation", f"/bailleur/orientation/{offre.id}",
                "/bailleur/orientation/vacance", "/bailleur/echeances",
                "/bailleur/conventions/export.csv", "/bailleur/conventions/export.jsonl"):
        assert client.get(url).status_code == 200, url
    page = client.get("/bailleur/conventions").get_data(as_text=True)
    assert "45 %" in page  # the own share: what the conventions leave


def test_a_share_above_the_states_cap_is_refused_next_to_the_field(client, flux_setup):
    f, user = flux_setup
    login(client, user)
    other_state = OrganisationFactory(reservataire=True, reservataire_kind="etat")
    token = _token(client, "/bailleur/conventions/nouvelle")
    response = client.post("/bailleur/conventions/nouvelle", data=_convention_form(
        token, f, reservataire=str(other_state.id), share_percent="6"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "dépassent 30 %" in page and 'id="share_percent-error"' in page
    ok = client.post("/bailleur/conventions/nouvelle", data=_convention_form(
        token, f, reservataire=str(other_state.id), share_percent="4,5"))
    assert ok.status_code == 302


def test_an_edit_shows_in_the_version_history(client, flux_setup):
    f, user = flux_setup
    login(client, user)
    c = f.conventions["al"]
    url = f"/bailleur/conventions/{c.id}/modifier"
    data = _convention_form(_token(client, url), f, share_percent="18", counts_on="attribution",
                            change_note="avenant")
    assert client.post(url, data=data).status_code == 302
    page = client.get(f"/bailleur/conventions/{c.id}").get_data(as_text=True)
    assert "version 2" in page and "avenant" in page and "20 %" in page


def test_override_without_reason_is_refused_then_kept_with_it(client, flux_setup):
    f, user = flux_setup
    offre = f.vacancy()
    login(client, user)
    url = f"/bailleur/orientation/{offre.id}"
    page = client.get(url).get_data(as_text=True)
    assert "objectif" in page  # the reason in words and figures
    token = CSRF.search(page).group(1)
    refused = client.post(url, data={"csrf_token": token, "chosen": f.etat.slug,
                                     "override_reason": ""})
    assert refused.status_code == 422
    assert "Indiquez par écrit" in refused.get_data(as_text=True)
    assert history(offre) == []
    done = client.post(url, data={"csrf_token": token, "chosen": f.etat.slug,
                                  "override_reason": "candidat prioritaire DALO"})
    assert done.status_code == 302
    [event] = history(offre)
    assert event.details["override_reason"] == "candidat prioritaire DALO"


def test_batch_confirmation_follows_the_proposals_in_order(client, flux_setup):
    f, user = flux_setup
    offres = [f.vacancy() for _ in range(3)]
    login(client, user)
    token = _token(client, "/bailleur/orientation")
    response = client.post("/bailleur/orientation/confirmer", data={
        "csrf_token": token, "offres": [str(o.id) for o in offres]})
    assert response.status_code == 302
    assert all(o.flux_status != "a_orienter" for o in offres)


def test_takeback_button_after_the_deadline(client, flux_setup, app):
    f, user = flux_setup
    offre = f.vacancy()
    confirm(offre, TODAY - timedelta(days=40), chosen=f.etat.slug, override_reason="ancien")
    login(client, user)
    page = client.get("/bailleur/echeances").get_data(as_text=True)
    assert "Échu depuis" in page
    token = CSRF.search(page).group(1)
    response = client.post(f"/bailleur/echeances/{offre.id}/reprendre",
                           data={"csrf_token": token})
    assert response.status_code == 302 and offre.flux_status == "repris_bailleur"


def test_the_reservataire_sees_its_dwellings_with_days_left(client, flux_setup):
    f, _ = flux_setup
    offre = f.vacancy()
    confirm(offre, TODAY, chosen=f.etat.slug, override_reason="test")
    other = f.vacancy()
    confirm(other, TODAY, chosen=f.action_logement.slug, override_reason="test")
    login(client, UserFactory(role="reservataire", organisation=f.etat))
    page = client.get("/reservataire/flux").get_data(as_text=True)
    assert offre.ref in page and other.ref not in page and "30 jours" in page


def test_another_organisations_records_answer_404(client, flux_setup):
    f, _ = flux_setup
    offre = f.vacancy()
    confirm(offre, TODAY - timedelta(days=40), chosen=f.etat.slug, override_reason="ancien")
    waiting = f.vacancy()
    stranger = UserFactory(role="bailleur", organisation=OrganisationFactory())
    login(client, stranger)
    c = f.conventions["etat"]
    for url in (f"/bailleur/conventions/{c.id}", f"/bailleur/conventions/{c.id}/modifier",
                f"/bailleur/orientation/{waiting.id}"):
        assert client.get(url).status_code == 404, url
    token = _token(client, "/bailleur/conventions/nouvelle")
    assert client.post(f"/bailleur/echeances/{offre.id}/reprendre",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/bailleur/orientation/{waiting.id}",
                       data={"csrf_token": token}).status_code == 404
    assert offre.flux_status == "oriente" and waiting.flux_status == "a_orienter"
    assert f.bailleur.slug not in client.get("/bailleur/conventions/export.csv") \
        .get_data(as_text=True)


@pytest.mark.parametrize("field, value", [
    ("share_percent", "abc"), ("share_percent", "1e400"), ("share_percent", "²"),
    ("year", "99999999999999999999"), ("designation_delay_days", "-3"),
    ("reservataire", "9" * 30), ("scope_communes", "x" * 5000), ("signed_on", "31/02/2026"),
    ("scope_typologies", "T99"),
])
def test_bad_input_is_refused_without_a_server_error(client, flux_setup, field, value):
    f, user = flux_setup
    login(client, user)
    token = _token(client, "/bailleur/conventions/nouvelle")
    response = client.post("/bailleur/conventions/nouvelle",
                           data=_convention_form(token, f, **{field: value}))
    assert response.status_code == 422


def test_an_import_upload_reports_each_bad_line(client, flux_setup):
    f, user = flux_setup
    login(client, user)
    token = _token(client, "/bailleur/conventions")
    body = ("id,bailleur,reservataire,reservataire_kind,departement,year,share_percent\n"
            f"X-1,{f.bailleur.slug},{f.etat.slug},etat,45,2027,1\n"
            f"X-2,autre-bailleur,{f.etat.slug},etat,45,2027,1\n")
    response = client.post("/bailleur/conventions/import", data={
        "csrf_token": token, "fmt": "csv",
        "file": (io.BytesIO(body.encode()), "conventions.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r"Ligne 3 · bailleur", page)
    empty = client.post("/bailleur/conventions/import", data={"csrf_token": token, "fmt": "csv"},
                        content_type="multipart/form-data")
    assert empty.status_code == 422
