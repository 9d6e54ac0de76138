"""Supporting documents: the requester sends them per criterion, staff with the demande in a
dossier read them (audited) and verify or reject them; nobody else reaches them."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.demandes.models import Document, Verification
from tests.factories import (
    CommuneFactory,
    DemandeFactory,
    DesignationFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.functional.sessions import login

PDF = b"%PDF-1.4\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 4096)
    return tmp_path


@pytest.fixture
def owner(client, db_session):
    user = UserFactory(role="demandeur")
    login(client, user)
    return user


def docs_url(nur: str) -> str:
    return f"/mon-espace/demandes/{nur}/justificatifs"


def send(client, nur: str, data: bytes, name: str, criterion: str = "rfr_n2"):
    token = TOKEN.search(client.get(docs_url(nur)).get_data(as_text=True)).group(1)
    return client.post(docs_url(nur), data={
        "csrf_token": token, "criterion": criterion,
        "file": (io.BytesIO(data), name, "application/pdf")},
        content_type="multipart/form-data")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_requester_sends_a_document_for_a_criterion_and_sees_it_declared(client, db_session,
                                                                             owner, _uploads):
    demande = DemandeFactory(requester_id=owner.id)

    response = send(client, demande.nur, PDF, "avis 2024.pdf")

    assert response.status_code == 302
    [document] = db_session.scalars(select(Document)).all()
    assert (document.criterion, document.content_type, document.size, document.original_name) == (
        "rfr_n2", "application/pdf", len(PDF), "avis 2024.pdf")
    assert (_uploads / document.storage_key[:2] / document.storage_key).read_bytes() == PDF
    assert db_session.get(Verification, (demande.id, "rfr_n2")).status == "declared"
    page = text(client.get(docs_url(demande.nur)))
    assert "avis 2024.pdf" in page and "Déclaré, pas encore vérifié" in page
    assert "Un fichier PDF, JPEG ou PNG de 4 Ko au plus." in page  # UPLOAD_MAX_BYTES
    with client.get(f"/mon-espace/justificatifs/{document.id}") as served:
        assert served.data == PDF and served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"].startswith("attachment")


def test_a_disguised_file_is_refused_with_a_clear_message_and_the_choice_kept(client, db_session,
                                                                              owner):
    demande = DemandeFactory(requester_id=owner.id)

    response = send(client, demande.nur, b"MZ\x90\x00 not a pdf", "avis.pdf",
                    criterion="current_housing")

    assert response.status_code == 422
    page = text(response)
    assert "Ce fichier n'est pas un PDF, JPEG, PNG valide" in page
    assert '<option selected value="current_housing">' in page or (
        'value="current_housing" selected' in page)
    assert db_session.scalars(select(Document)).all() == []


def test_an_oversized_file_is_refused(client, db_session, owner, _uploads):
    demande = DemandeFactory(requester_id=owner.id)

    response = send(client, demande.nur, PDF + b"0" * 5000, "gros.pdf")

    assert response.status_code == 422
    assert "Ce fichier est trop volumineux" in text(response)
    assert list(_uploads.rglob("*")) == [] or all(p.is_dir() for p in _uploads.rglob("*"))


def test_another_requesters_documents_are_not_found(client, db_session, owner):
    other = DemandeFactory(requester_id=UserFactory().id)
    send_as_owner = DemandeFactory(requester_id=owner.id)
    send(client, send_as_owner.nur, PDF, "a.pdf")
    document = db_session.scalars(select(Document)).one()
    document_of_other = Document(demande_id=other.id, criterion="rfr_n2", storage_key="f" * 32,
                                 content_type="application/pdf", size=3, sha256="0" * 64,
                                 original_name="x.pdf")
    db_session.add(Verification(demande_id=other.id, criterion="rfr_n2"))
    db_session.flush()
    db_session.add(document_of_other)
    db_session.commit()

    assert client.get(docs_url(other.nur)).status_code == 404
    assert client.get(f"/mon-espace/justificatifs/{document_of_other.id}").status_code == 404
    with client.get(f"/mon-espace/justificatifs/{document.id}") as served:
        assert served.status_code == 200


def _staff_setup(client, db_session):
    """A demande with one document, designated by a réservataire on a bailleur's offer."""
    requester = UserFactory(role="demandeur")
    designation = DesignationFactory(demande=DemandeFactory(requester_id=requester.id),
                                     offre__logement__commune=CommuneFactory(insee="45234"))
    demande = designation.demande
    login(client, requester)
    send(client, demande.nur, PNG, "quittance.png", criterion="current_housing")
    client.post("/deconnexion", data={"csrf_token": TOKEN.search(
        client.get("/mon-espace").get_data(as_text=True)).group(1)})
    return demande, designation


def test_the_designating_reservataire_reads_and_verifies_with_an_audit_trail(client, db_session):
    demande, designation = _staff_setup(client, db_session)
    staff = UserFactory(role="reservataire", organisation=designation.reservataire)
    login(client, staff)
    url = f"/reservataire/demandes/{demande.nur}/justificatifs"

    page = client.get(url)
    assert page.status_code == 200 and "quittance.png" in text(page)
    document = db_session.scalars(select(Document)).one()
    with client.get(f"{url}/{document.id}") as served:
        assert served.data == PNG
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    refused = client.post(url, data={"csrf_token": token, "criterion": "current_housing",
                                     "status": "rejected", "reason": ""})
    assert refused.status_code == 422
    assert "Indiquez la raison du refus" in text(refused)
    client.post(url, data={"csrf_token": token, "criterion": "current_housing",
                           "status": "rejected", "reason": "Quittance illisible."})

    verification = db_session.get(Verification, (demande.id, "current_housing"))
    assert (verification.status, verification.reason, verification.verified_by_id) == (
        "rejected", "Quittance illisible.", staff.id)
    actions = set(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == staff.id, AuditEvent.entity_id == demande.nur)))
    assert {"demande.documents.read", "document.read", "verification.set"} <= actions


def test_the_requester_sees_the_rejection_and_its_reason(client, db_session):
    requester = UserFactory(role="demandeur")
    demande = DemandeFactory(requester_id=requester.id)
    db_session.add(Verification(demande_id=demande.id, criterion="rfr_n2", status="rejected",
                                reason="Avis d'une autre année."))
    db_session.add(Verification(demande_id=demande.id, criterion="household", status="verified"))
    db_session.commit()
    login(client, requester)

    page = text(client.get(docs_url(demande.nur)))

    assert "Raison du refus : Avis d'une autre année." in re.sub(r"<[^>]+>", "", page)
    assert 'data-status="verified"' in page and 'data-status="rejected"' in page


def test_the_bailleur_of_the_offer_and_the_epci_see_them_others_do_not(client, db_session):
    demande, designation = _staff_setup(client, db_session)
    bailleur = designation.offre.logement.bailleur
    allowed = [
        (UserFactory(role="bailleur", organisation=bailleur), "bailleur"),
        (UserFactory(role="cal", organisation=bailleur), "cal"),
        (UserFactory(role="epci", organisation=demande.epci), "epci"),
    ]
    refused = [
        (UserFactory(role="bailleur", organisation=OrganisationFactory()), "bailleur"),
        (UserFactory(role="reservataire",
                     organisation=OrganisationFactory(reservataire=True)), "reservataire"),
        (UserFactory(role="epci", organisation=OrganisationFactory(epci=True)), "epci"),
    ]
    for user, space in allowed + refused:
        login(client, user)
        status = client.get(f"/{space}/demandes/{demande.nur}/justificatifs").status_code
        assert status == (200 if (user, space) in allowed else 404), (space, user.organisation)
        client.post("/deconnexion", data={"csrf_token": TOKEN.search(
            client.get(f"/{space}/").get_data(as_text=True)).group(1)})


def test_the_epci_reads_but_cannot_set_a_status(client, db_session):
    demande, _designation = _staff_setup(client, db_session)
    login(client, UserFactory(role="epci", organisation=demande.epci))
    url = f"/epci/demandes/{demande.nur}/justificatifs"

    page = client.get(url)

    assert 'name="status"' not in page.get_data(as_text=True)
    assert client.post(url, data={"criterion": "current_housing", "status": "verified"}
                       ).status_code in (400, 405)


def test_an_allocation_proposal_opens_the_documents_to_its_bailleur_and_reservataire(
        client, db_session):
    from datetime import date

    from app.attribution.models import Attribution
    from tests.factories import LogementFactory, OffreFactory

    demande = DemandeFactory()
    bailleur = OrganisationFactory()
    reservataire = OrganisationFactory(reservataire=True)
    logement = LogementFactory(bailleur=bailleur, commune=CommuneFactory(insee="45234"))
    offre = OffreFactory(logement=logement, flux_status="designe", reservataire=reservataire)
    db_session.add(Attribution(offre_id=offre.id, logement_id=logement.id,
                               demande_id=demande.id, reservataire_id=reservataire.id,
                               status="proposee", proposed_on=date(2026, 3, 2),
                               answer_due_on=date(2026, 3, 12)))
    db_session.commit()

    for user, space in ((UserFactory(role="bailleur", organisation=bailleur), "bailleur"),
                        (UserFactory(role="reservataire", organisation=reservataire),
                         "reservataire")):
        login(client, user)
        assert client.get(f"/{space}/demandes/{demande.nur}/justificatifs").status_code == 200
        client.post("/deconnexion", data={"csrf_token": TOKEN.search(
            client.get(f"/{space}/").get_data(as_text=True)).group(1)})
