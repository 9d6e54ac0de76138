"""The screens of a CAL decision (c): the bailleur sees its pending conditions with the days
left (overdue in evidence) and lifts one from the dossier (refusals next to their field, 422;
nothing kept); the lease form waits for the lifting; the requester sees the condition on the
proposal and in their applications; another bailleur gets 404, other roles 403."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.attribution import cal, conditions, designation
from app.attribution.models import Attribution, Bail, CalConditionOutcome, CalDecision, Candidature
from app.extensions import db
from tests.factories import OrganisationFactory, UserFactory
from tests.functional.sessions import login
from tests.support.dossiers import TODAY, territory

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
DEADLINE = TODAY + timedelta(days=15)  # 17 December 2026


@pytest.fixture
def today(app):
    app.config["PLATFORM_TODAY"] = TODAY.isoformat()
    yield TODAY
    app.config["PLATFORM_TODAY"] = None


def _conditional(t):
    """Three candidates designated; the first allocated under condition, the second ranked
    next; the session closed (the first has the proposal)."""
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY)
    rows = designation.designations(t.offre)
    session = cal.create_session(t.bailleur.id, TODAY, "Siège")
    cal.add_dossier(session, t.offre, actor=t.cal_user)
    for row, data in zip(rows, [
        cal.DecisionInput("attribution_sous_condition", condition="Avis d'imposition 2025",
                          condition_deadline=DEADLINE),
        cal.DecisionInput("attribution_rang", rank=2),
        cal.DecisionInput("non_attribution", reasons="Ressources supérieures au plafond"),
    ], strict=True):
        cal.record_decision(session, t.offre, row.demande, data, supersedes=None,
                            actor=t.cal_user, on=TODAY)
    [attribution] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    db.session.commit()
    return attribution, rows, session


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _token(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def test_the_bailleur_sees_its_pending_conditions_and_the_days_left(client, app, today):
    t = territory()
    _conditional(t)
    login(client, t.bailleur_user)
    listing = _text(client.get("/bailleur/dossiers"))
    assert "Conditions en attente (1)" in listing
    assert "Avis d'imposition 2025" in listing and "15 jours restants" in listing
    app.config["PLATFORM_TODAY"] = (DEADLINE + timedelta(days=2)).isoformat()
    overdue = _text(client.get("/bailleur/dossiers"))
    assert 'class="is-overdue"' in overdue
    assert '<span class="badge badge-danger">Dépassée de 2 jours</span>' in overdue
    page = _text(client.get(f"/bailleur/dossiers/{t.offre.ref}"))
    assert "Date limite dépassée de 2 jours" in page
    assert "Enregistrer la réception de la pièce manquante" in page


def test_the_bailleur_lifts_the_condition_then_signs_the_lease(client, today):
    t = territory()
    attribution, rows, session = _conditional(t)
    first = rows[0].demande
    requester = t.requesters[t.demandes.index(first)]
    login(client, requester)
    url = f"/mon-espace/propositions/{attribution.id}"
    page = _text(client.get(url))
    assert "Attribution sous condition suspensive" in page
    assert "Pièce manquante : <strong>Avis d'imposition 2025</strong>" in page
    assert "17 décembre 2026" in page
    accepted = client.post(f"{url}/accepter", data={"csrf_token": _token(client, url),
                                                    "version": "1"}, follow_redirects=True)
    assert "dès que le bailleur aura reçu la pièce" in _text(accepted)
    client.post("/deconnexion", data={"csrf_token": _token(client, url)})

    login(client, t.bailleur_user)
    dossier = f"/bailleur/dossiers/{t.offre.ref}"
    page = _text(client.get(dossier))
    assert "le bail pourra être signé une fois la pièce « Avis d'imposition 2025 » reçue" in page
    assert "Enregistrer le bail et clore le dossier" not in page
    token = TOKEN.search(page).group(1)
    version = db.session.get(Attribution, attribution.id).version
    lease = client.post(f"{dossier}/bail", data={
        "csrf_token": token, "version": version, "signed_on": "02/12/2026",
        "starts_on": "05/12/2026", "rent": "400", "charges": "80"})
    assert lease.status_code == 422
    assert "Le bail ne peut pas encore être signé" in _text(lease)
    assert db.session.scalar(select(func.count(Bail.id))) == 0

    decision = db.session.scalar(select(CalDecision).where(CalDecision.demande_id == first.id))
    late = client.post(f"{dossier}/condition", data={
        "csrf_token": token, "decision": str(decision.id), "received_on": "03/12/2026"})
    assert late.status_code == 422
    body = _text(late)
    assert "La date de réception ne peut pas être dans le futur." in body
    assert 'id="received_on-error"' in body  # next to its field
    missing = client.post(f"{dossier}/condition", data={
        "csrf_token": token, "decision": str(decision.id), "received_on": ""})
    assert missing.status_code == 422
    assert "Indiquez la date de réception de la pièce." in _text(missing)
    assert db.session.scalar(select(func.count(CalConditionOutcome.id))) == 0

    done = client.post(f"{dossier}/condition", data={
        "csrf_token": token, "decision": str(decision.id), "received_on": "02/12/2026",
        "document": "", "note": "Déposé à l'agence"})
    assert done.status_code == 302
    outcome = db.session.scalar(select(CalConditionOutcome))
    assert (outcome.outcome, outcome.note, outcome.recorded_by_id) == (
        "levee", "Déposé à l'agence", t.bailleur_user.id)
    page = _text(client.get(dossier))
    assert "pièce reçue le 2 décembre 2026" in page
    assert "Enregistrer le bail et clore le dossier" in page
    again = client.post(f"{dossier}/condition", data={
        "csrf_token": token, "decision": str(decision.id), "received_on": "02/12/2026"})
    assert again.status_code == 409
    version = db.session.get(Attribution, attribution.id).version
    ok = client.post(f"{dossier}/bail", data={
        "csrf_token": token, "version": version, "signed_on": "02/12/2026",
        "starts_on": "05/12/2026", "rent": "400", "charges": "80"})
    assert ok.status_code == 302
    assert t.offre.flux_status == "bail_signe"
    # The CAL's session page tells what became of its decision.
    client.post("/deconnexion", data={"csrf_token": token})
    login(client, t.cal_user)
    assert "Condition levée le 2 décembre 2026" in _text(client.get(f"/cal/sessions/{session.id}"))


def test_the_requester_sees_the_lapse_on_the_proposal_and_in_the_applications(client, today):
    t = territory()
    attribution, rows, _ = _conditional(t)
    first = rows[0].demande
    db.session.add(Candidature(offre_id=t.offre.id, demande_id=first.id, status="deposee"))
    db.session.commit()
    requester = t.requesters[t.demandes.index(first)]
    login(client, requester)
    pending = _text(client.get("/mon-espace/candidatures"))
    assert "Attribué sous condition" in pending
    assert "Pièce manquante : Avis d'imposition 2025" in pending
    conditions.lapse_due(DEADLINE + timedelta(days=1))
    db.session.commit()
    lapsed = _text(client.get("/mon-espace/candidatures"))
    assert '<span class="badge badge-danger">Attribution caduque</span>' in lapsed
    page = _text(client.get(f"/mon-espace/propositions/{attribution.id}"))
    assert "Attribution caduque : la pièce n'a pas été reçue au 17 décembre 2026" in page
    assert "Cette proposition est annulée" in page
    assert "Attribution caduque" in _text(client.get("/mon-espace/propositions"))


def test_another_bailleur_gets_404_and_other_roles_403(client, today):
    t = territory()
    _, rows, _ = _conditional(t)
    decision = db.session.scalar(select(CalDecision).where(
        CalDecision.demande_id == rows[0].demande_id))
    data = {"decision": str(decision.id), "received_on": "02/12/2026"}
    other = UserFactory(role="bailleur", organisation=OrganisationFactory())
    login(client, other)
    token = _token(client, "/compte/mot-de-passe")
    assert "Conditions en attente" not in _text(client.get("/bailleur/dossiers"))
    assert client.post(f"/bailleur/dossiers/{t.offre.ref}/condition",
                       data={"csrf_token": token, **data}).status_code == 404
    client.post("/deconnexion", data={"csrf_token": token})
    for user in (t.cal_user, t.reservataire_user, t.requesters[0]):
        login(client, user)
        token = _token(client, "/compte/mot-de-passe")
        assert client.post(f"/bailleur/dossiers/{t.offre.ref}/condition",
                           data={"csrf_token": token, **data}).status_code == 403, user.role
        client.post("/deconnexion", data={"csrf_token": token})
    assert db.session.scalar(select(func.count(CalConditionOutcome.id))) == 0


@pytest.mark.parametrize("payload", [
    {"decision": "99999999999999999999", "received_on": "31/02/2026", "document": "²"},
    {"decision": "١٢", "received_on": "02/12/2026", "document": "-1", "note": "n" * 5000},
    {"decision": "", "received_on": "", "document": "9" * 300},
])
def test_bad_input_is_refused_next_to_the_fields_never_500(client, today, payload):
    t = territory()
    _conditional(t)
    login(client, t.bailleur_user)
    dossier = f"/bailleur/dossiers/{t.offre.ref}"
    response = client.post(f"{dossier}/condition",
                           data={"csrf_token": _token(client, dossier), **payload})
    assert response.status_code == 422
    assert "Le formulaire contient" in _text(response)
    assert db.session.scalar(select(func.count(CalConditionOutcome.id))) == 0


def test_a_dossier_without_pending_condition_refuses_the_form(client, today):
    t = territory()
    login(client, t.bailleur_user)
    dossier = f"/bailleur/dossiers/{t.offre.ref}"
    response = client.post(f"{dossier}/condition", data={
        "csrf_token": _token(client, dossier), "decision": "1", "received_on": "02/12/2026"})
    assert response.status_code == 409
    assert "Aucune condition suspensive de ce dossier n'attend de pièce." in _text(response)
