"""The dossier screens, role by role: réservataire designation, CAL session and minutes,
requester's answer, bailleur's visits and lease; refusals re-displayed (422), stale forms
(409), another organisation's dossier (404)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.attribution import cal, designation
from app.attribution.models import Attribution, Bail, CalDecision, Designation
from app.demandes.models import Refusal
from app.extensions import db
from tests.factories import OrganisationFactory, UserFactory
from tests.functional.sessions import login
from tests.support.dossiers import TODAY, territory
from tests.support.system import weasyprint_missing

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def today(app):
    app.config["PLATFORM_TODAY"] = TODAY.isoformat()
    yield TODAY
    app.config["PLATFORM_TODAY"] = None


def _token(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def _designated(t):
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY)
    db.session.commit()
    return designation.designations(t.offre)


def _proposed(t):
    rows = _designated(t)
    session = cal.create_session(t.bailleur.id, TODAY, "Siège")
    cal.add_dossier(session, t.offre, actor=t.cal_user)
    for rank, row in enumerate(rows, start=1):
        cal.record_decision(session, t.offre, row.demande,
                            cal.DecisionInput("attribution_rang", rank=rank), supersedes=None,
                            actor=t.cal_user, on=TODAY)
    [attribution] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    db.session.commit()
    return attribution, rows


# --------------------------------------------------------------------------- réservataire


def test_reservataire_queue_counts_down_and_the_list_is_designated(client, today):
    t = territory()
    login(client, t.reservataire_user)
    queue = client.get("/reservataire/logements").get_data(as_text=True)
    assert t.offre.ref in queue and "18 j" in queue  # 20 December − 2 December
    url = f"/reservataire/logements/{t.offre.ref}"
    page = client.get(url).get_data(as_text=True)
    proposal = designation.current_proposal(t.offre)
    first = db.session.get(type(t.demandes[0]), proposal.candidates[0].demande_id)
    assert first.nur in page
    token = TOKEN.search(page).group(1)
    # A change without its reason is refused next to the field.
    response = client.post(f"{url}/liste", data={
        "csrf_token": token, "version": proposal.id, "demande": first.nur,
        "action": "descendre", "reason": ""})
    assert response.status_code == 422
    assert "Indiquez la raison de ce changement" in response.get_data(as_text=True)
    response = client.post(f"{url}/liste", data={
        "csrf_token": token, "version": proposal.id, "demande": first.nur,
        "action": "descendre", "reason": "Demande prioritaire en deuxième"})
    assert response.status_code == 302
    current = designation.current_proposal(t.offre)
    assert current.candidates[1].demande_id == first.id
    assert current.candidates[1].override_reason == "Demande prioritaire en deuxième"
    # The form filled from the first version is now stale.
    stale = client.post(f"{url}/designer", data={"csrf_token": token, "version": proposal.id})
    assert stale.status_code == 409
    assert "Rechargez la page, vérifiez, puis recommencez" in stale.get_data(as_text=True)
    done = client.post(f"{url}/designer", data={"csrf_token": token, "version": current.id})
    assert done.status_code == 302
    assert db.session.scalar(select(db.func.count(Designation.id))) == 3


def test_reservataire_searches_its_pool_and_adds_with_a_reason(client, today):
    t = territory(n_demandes=4)
    login(client, t.reservataire_user)
    url = f"/reservataire/logements/{t.offre.ref}"
    client.get(url)
    proposal = designation.current_proposal(t.offre)
    out = db.session.get(type(t.demandes[0]), proposal.candidates[2].demande_id)
    token = _token(client, url)
    client.post(f"{url}/liste", data={"csrf_token": token, "version": proposal.id,
                                      "demande": out.nur, "action": "retirer",
                                      "reason": "Ménage parti"})
    spare = next(d for d in t.demandes if d.id not in
                 {c.demande_id for c in designation.current_proposal(t.offre).candidates})
    found = client.get(f"{url}?q={spare.nur}").get_data(as_text=True)
    assert f'value="{spare.nur}"' in found
    response = client.post(f"{url}/liste", data={
        "csrf_token": token, "version": designation.current_proposal(t.offre).id,
        "demande": spare.nur, "action": "ajouter", "reason": "Signalé par le CCAS"})
    assert response.status_code == 302
    added = designation.current_proposal(t.offre)
    assert added.change_kind == "ajout" and added.change_reason == "Signalé par le CCAS"


def test_reservataire_designation_after_the_deadline_is_refused_on_the_page(client, app):
    t = territory()
    app.config["PLATFORM_TODAY"] = "2026-12-21"
    try:
        login(client, t.reservataire_user)
        url = f"/reservataire/logements/{t.offre.ref}"
        token = _token(client, url)
        version = designation.current_proposal(t.offre).id
        response = client.post(f"{url}/designer", data={"csrf_token": token, "version": version})
    finally:
        app.config["PLATFORM_TODAY"] = None
    assert response.status_code == 422
    assert "Le délai de désignation a expiré le 20/12/2026" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- CAL


def test_cal_session_agenda_decisions_close_and_minutes(client, today):
    t = territory()
    rows = _designated(t)
    login(client, t.cal_user)
    token = _token(client, "/cal/sessions")
    bad = client.post("/cal/sessions", data={"csrf_token": token, "held_on": "31/02/2026"})
    assert bad.status_code == 422 and "Date invalide" in bad.get_data(as_text=True)
    created = client.post("/cal/sessions", data={"csrf_token": token, "held_on": "03/12/2026",
                                                 "location": "Salle du conseil"})
    assert created.status_code == 302
    url = created.headers["Location"]
    session_id = int(url.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"{url}/dossiers", data={"csrf_token": token, "offre": t.offre.ref}
                       ).status_code == 302
    decide = f"{url}/decisions/{t.offre.ref}"
    missing = client.post(decide, data={"csrf_token": token, "version": "0",
                                        "demande": rows[2].demande.nur,
                                        "decision": "non_attribution", "reasons": ""})
    assert missing.status_code == 422
    assert "Indiquez les motifs de la décision" in missing.get_data(as_text=True)
    for row, data in zip(rows, [
        {"decision": "attribution_rang", "rank": "1"},
        {"decision": "attribution_sous_condition", "condition": "Avis d'imposition 2025",
         "condition_deadline": "15/12/2026"},
        {"decision": "irrecevable", "reasons": "Titre de séjour expiré"},
    ], strict=True):
        response = client.post(decide, data={"csrf_token": token, "version": "0",
                                             "demande": row.demande.nur, **data})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    first = db.session.scalar(select(CalDecision).where(
        CalDecision.demande_id == rows[2].demande_id))
    # A correction names the decision in force; a second "first decision" is stale.
    assert client.post(decide, data={"csrf_token": token, "version": "0",
                                     "demande": rows[2].demande.nur,
                                     "decision": "attribution"}).status_code == 409
    assert client.post(decide, data={"csrf_token": token, "version": str(first.id),
                                     "demande": rows[2].demande.nur, "decision": "non_attribution",
                                     "reasons": "Ressources supérieures au plafond PLUS"}
                       ).status_code == 302
    assert client.post(f"{url}/cloture", data={"csrf_token": token}).status_code == 302
    attribution = db.session.scalar(select(Attribution))
    assert attribution.demande_id == rows[0].demande_id
    if weasyprint_missing():
        pytest.skip(weasyprint_missing())
    from pypdf import PdfReader

    pdf = client.get(f"/cal/sessions/{session_id}/pv.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())
    assert "Procès-verbal de la séance du 3 décembre 2026" in text
    assert t.offre.ref in text and rows[0].demande.nur in text
    assert "Attribution par ordre de priorité" in text
    assert "Avis d'imposition 2025" in text
    assert "Ressources supérieures au plafond PLUS" in text
    assert "décision rectifiée" in text


# --------------------------------------------------------------------------- requester


def test_requester_sees_the_deadline_and_the_consequence_before_confirming_a_refusal(
        client, today):
    t = territory()
    attribution, rows = _proposed(t)
    requester = t.requesters[t.demandes.index(rows[0].demande)]
    login(client, requester)
    listing = client.get("/mon-espace/propositions").get_data(as_text=True)
    assert "Réponse attendue" in listing
    url = f"/mon-espace/propositions/{attribution.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Répondez avant le" in page and "10 jours restants" in page
    from app.attribution.proposals import refusal_preview

    preview = refusal_preview(attribution, TODAY)
    from app.formatting import fr_number

    assert f"Si vous refusez : <strong>{fr_number(preview.score_after)} points" in page
    token = TOKEN.search(page).group(1)
    empty = client.post(f"{url}/refuser", data={"csrf_token": token, "version": "1"})
    assert empty.status_code == 422 and "Indiquez la raison" in empty.get_data(as_text=True)
    step = client.post(f"{url}/refuser", data={"csrf_token": token, "version": "1",
                                               "reason": "Trop loin de l'école"})
    assert step.status_code == 200 and "Je confirme mon refus" in step.get_data(as_text=True)
    assert db.session.scalar(select(Refusal.id)) is None  # not yet
    done = client.post(f"{url}/refuser", data={"csrf_token": token, "version": "1",
                                               "reason": "Trop loin de l'école", "confirm": "oui"})
    assert done.status_code == 302
    refusal = db.session.scalar(select(Refusal))
    assert refusal.reason == "Trop loin de l'école"
    nxt = db.session.scalar(select(Attribution).where(Attribution.status == "proposee"))
    assert nxt.demande_id == rows[1].demande_id


def test_requester_accepts_and_the_bailleur_signs_the_lease(client, today):
    t = territory()
    attribution, rows = _proposed(t)
    requester = t.requesters[t.demandes.index(rows[0].demande)]
    login(client, requester)
    url = f"/mon-espace/propositions/{attribution.id}"
    token = _token(client, url)
    assert client.post(f"{url}/accepter", data={"csrf_token": token, "version": "1"}
                       ).status_code == 302
    client.post("/deconnexion", data={"csrf_token": token})
    login(client, t.bailleur_user)
    dossier = f"/bailleur/dossiers/{t.offre.ref}"
    page = client.get(dossier).get_data(as_text=True)
    assert "Signature du bail" in page
    token = TOKEN.search(page).group(1)
    version = db.session.get(Attribution, attribution.id).version
    bad = client.post(f"{dossier}/bail", data={"csrf_token": token, "version": version,
                                               "signed_on": "02/12/2026", "starts_on": "01/12/2026",
                                               "rent": "400", "charges": "80"})
    assert bad.status_code == 422
    assert "Le bail ne peut prendre effet avant sa signature" in bad.get_data(as_text=True)
    ok = client.post(f"{dossier}/bail", data={"csrf_token": token, "version": version,
                                              "signed_on": "02/12/2026", "starts_on": "05/12/2026",
                                              "rent": "400", "charges": "80,50"})
    assert ok.status_code == 302
    assert db.session.scalar(select(Bail)).charges == 80.5
    assert t.offre.flux_status == "bail_signe"


def test_bailleur_records_a_visit(client, today):
    t = territory()
    rows = _designated(t)
    login(client, t.bailleur_user)
    dossier = f"/bailleur/dossiers/{t.offre.ref}"
    token = _token(client, dossier)
    bad = client.post(f"{dossier}/visites", data={"csrf_token": token, "demande": "inconnu",
                                                  "visited_on": "01/12/2026", "outcome": "absent"})
    assert bad.status_code == 422
    ok = client.post(f"{dossier}/visites", data={"csrf_token": token,
                                                 "demande": rows[0].demande.nur,
                                                 "visited_on": "01/12/2026",
                                                 "outcome": "interesse"})
    assert ok.status_code == 302
    assert "Visite faite, candidat intéressé" in client.get(dossier).get_data(as_text=True)


# --------------------------------------------------------------------------- isolation, input


def test_another_organisations_dossiers_answer_404(client, today):
    t = territory()
    attribution, rows = _proposed(t)
    other_bailleur = OrganisationFactory()
    other_res = OrganisationFactory(reservataire=True)
    for user, urls in [
        (UserFactory(role="reservataire", organisation=other_res),
         [f"/reservataire/logements/{t.offre.ref}"]),
        (UserFactory(role="cal", organisation=other_bailleur),
         [f"/cal/sessions/{cal.ranking(t.offre)[0].session_id}",
          f"/cal/sessions/{cal.ranking(t.offre)[0].session_id}/pv.pdf"]),
        (UserFactory(role="bailleur", organisation=other_bailleur),
         [f"/bailleur/dossiers/{t.offre.ref}"]),
        (UserFactory(role="demandeur"), [f"/mon-espace/propositions/{attribution.id}"]),
    ]:
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.role, url)
        token = _token(client, "/compte/mot-de-passe")
        client.post("/deconnexion", data={"csrf_token": token})


@pytest.mark.parametrize("payload", [
    {"version": "x" * 5000, "demande": "\u00b2", "action": "ajouter", "reason": "r" * 9000},
    {"version": "99999999999999999999", "demande": "", "action": "zzz", "reason": ""},
])
def test_bad_input_never_answers_500(client, today, payload):
    t = territory()
    login(client, t.reservataire_user)
    url = f"/reservataire/logements/{t.offre.ref}"
    token = _token(client, url)
    for action in ("liste", "designer"):
        response = client.post(f"{url}/{action}", data={"csrf_token": token, **payload})
        assert response.status_code in (409, 422), (action, response.status_code)
