"""Tenant isolation: an organisation (or a requester) never sees another one's records.

Another tenant's record answers 404, exactly like a record that does not exist, so that
its existence is not revealed either. Each staff read of a demande is audited.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.factories import (
    CommuneFactory,
    DemandeFactory,
    DesignationFactory,
    LogementFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)
from tests.functional.sessions import login


def _audit_reads(db_session, nur):
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "demande.read", AuditEvent.entity_id == nur)
    ).all()


# --- bailleurs -------------------------------------------------------------------------


def test_bailleur_lists_only_its_own_logements(client):
    mine = OrganisationFactory(name="Habitat Loiret")
    other = OrganisationFactory(name="Autre Bailleur")
    LogementFactory(bailleur=mine, ref="MINE-001", address="1 rue du Bailleur Un",
                    programme=ProgrammeFactory(bailleur=mine, name="Les Acacias"))
    LogementFactory(bailleur=other, ref="OTHER-001", address="9 avenue de l'Autre",
                    programme=ProgrammeFactory(bailleur=other, name="Résidence Étrangère"))
    login(client, UserFactory(role="bailleur", organisation=mine))

    page = client.get("/bailleur/logements").get_data(as_text=True)

    assert "MINE-001" in page and "Les Acacias" in page
    assert "OTHER-001" not in page
    assert "avenue de l" not in page and "Résidence Étrangère" not in page
    assert "1 logement dans votre patrimoine" in page


def test_bailleur_cannot_open_another_bailleurs_logement(client):
    mine = OrganisationFactory()
    own = LogementFactory(bailleur=mine, ref="MINE-002", address="2 rue du Bailleur Un")
    foreign = LogementFactory(ref="OTHER-002", address="9 avenue de l'Autre")
    login(client, UserFactory(role="bailleur", organisation=mine))

    response = client.get(f"/bailleur/logements/{foreign.id}")
    assert response.status_code == 404
    assert "OTHER-002" not in response.get_data(as_text=True)
    # Same answer as a logement that does not exist at all.
    assert client.get(f"/bailleur/logements/{foreign.id + 10_000}").status_code == 404

    page = client.get(f"/bailleur/logements/{own.id}").get_data(as_text=True)
    assert "MINE-002" in page and "2 rue du Bailleur Un" in page


def test_bailleur_logement_list_is_paginated_within_its_own_parc(client):
    mine = OrganisationFactory()
    LogementFactory.create_batch(27, bailleur=mine)
    LogementFactory.create_batch(30)  # other bailleurs' parc does not add pages
    login(client, UserFactory(role="bailleur", organisation=mine))

    first = client.get("/bailleur/logements").get_data(as_text=True)
    assert "Page 1 sur 2" in first and 'rel="next"' in first
    second = client.get("/bailleur/logements?page=2").get_data(as_text=True)
    # One link to each logement's page (its actions link to sub-pages).
    assert "Page 2 sur 2" in second
    assert len(re.findall(r'href="/bailleur/logements/\d+"', second)) == 2
    assert client.get("/bailleur/logements?page=3").status_code == 404


def test_cal_member_cannot_see_the_bailleur_logement_pages(client):
    # The CAL decides on candidates; browsing the parc is the bailleur agents' job.
    org = OrganisationFactory()
    logement = LogementFactory(bailleur=org)
    login(client, UserFactory(role="cal", organisation=org))
    assert client.get(f"/bailleur/logements/{logement.id}").status_code == 403


# --- réservataires ---------------------------------------------------------------------


def test_reservataire_lists_only_the_candidates_it_designated(client):
    mine = OrganisationFactory(reservataire=True)
    other = OrganisationFactory(reservataire=True, reservataire_kind="etat")
    DesignationFactory(reservataire=mine, demande=DemandeFactory(nur="045-2025-100001",
                                                                 last_name="Designee"))
    DesignationFactory(reservataire=other, demande=DemandeFactory(nur="045-2025-100002",
                                                                  last_name="Etrangere"))
    login(client, UserFactory(role="reservataire", organisation=mine))

    page = client.get("/reservataire/candidats").get_data(as_text=True)

    assert "045-2025-100001" in page and "Designee" in page
    assert "045-2025-100002" not in page and "Etrangere" not in page


def test_reservataire_opens_only_demandes_it_designated_and_each_read_is_audited(
    client, db_session
):
    mine = OrganisationFactory(reservataire=True)
    other = OrganisationFactory(reservataire=True, reservataire_kind="etat")
    DesignationFactory(reservataire=mine, demande=DemandeFactory(nur="045-2025-200001"))
    DesignationFactory(reservataire=other, demande=DemandeFactory(nur="045-2025-200002"))
    DemandeFactory(nur="045-2025-200003")  # designated by nobody
    agent = UserFactory(role="reservataire", organisation=mine)
    login(client, agent)

    response = client.get("/reservataire/demandes/045-2025-200001")
    assert response.status_code == 200
    assert "045-2025-200001" in response.get_data(as_text=True)
    (event,) = _audit_reads(db_session, "045-2025-200001")
    assert event.actor_id == agent.id
    assert event.organisation_id == mine.id
    assert event.entity_type == "demande"
    assert event.details == {"area": "reservataire"}

    assert client.get("/reservataire/demandes/045-2025-200002").status_code == 404
    assert client.get("/reservataire/demandes/045-2025-200003").status_code == 404
    assert client.get("/reservataire/demandes/045-2025-999999").status_code == 404
    # A refused read reveals nothing and records no read.
    assert _audit_reads(db_session, "045-2025-200002") == []


def test_a_demande_designated_by_two_reservataires_is_open_to_both(client):
    demande = DemandeFactory(nur="045-2025-300001")
    first = OrganisationFactory(reservataire=True)
    second = OrganisationFactory(reservataire=True, reservataire_kind="etat")
    DesignationFactory(reservataire=first, demande=demande)
    DesignationFactory(reservataire=second, demande=demande)
    login(client, UserFactory(role="reservataire", organisation=second))
    assert client.get("/reservataire/demandes/045-2025-300001").status_code == 200


# --- requesters ------------------------------------------------------------------------


def test_requester_sees_only_its_own_demande(client):
    me = UserFactory(role="demandeur")
    someone = UserFactory(role="demandeur")
    DemandeFactory(nur="045-2025-400001", requester_id=me.id, last_name="Moi")
    DemandeFactory(nur="045-2025-400002", requester_id=someone.id, last_name="Quelquun")
    login(client, me)

    page = client.get("/mon-espace/demandes/045-2025-400001").get_data(as_text=True)
    assert "045-2025-400001" in page

    response = client.get("/mon-espace/demandes/045-2025-400002")
    assert response.status_code == 404
    assert "Quelquun" not in response.get_data(as_text=True)
    assert client.get("/mon-espace/demandes/045-2025-499999").status_code == 404


# --- EPCIs -----------------------------------------------------------------------------


def test_epci_opens_only_demandes_of_its_territory_and_each_read_is_audited(client, db_session):
    mine = OrganisationFactory(epci=True)
    other = OrganisationFactory(epci=True)
    DemandeFactory(nur="045-2025-500001", epci=mine, wishes=[CommuneFactory(name="Saran")])
    DemandeFactory(nur="045-2025-500002", epci=other, last_name="Voisin")
    agent = UserFactory(role="epci", organisation=mine)
    login(client, agent)

    page = client.get("/epci/demandes/045-2025-500001").get_data(as_text=True)
    assert "045-2025-500001" in page and "Saran" in page
    (event,) = _audit_reads(db_session, "045-2025-500001")
    assert event.actor_id == agent.id and event.details == {"area": "epci"}

    response = client.get("/epci/demandes/045-2025-500002")
    assert response.status_code == 404
    assert "Voisin" not in response.get_data(as_text=True)
    assert _audit_reads(db_session, "045-2025-500002") == []


def test_epci_search_finds_its_demandes_and_does_not_reveal_other_territories(client):
    mine = OrganisationFactory(epci=True)
    DemandeFactory(nur="045-2025-600001", epci=mine)
    DemandeFactory(nur="045-2025-600002", epci=OrganisationFactory(epci=True))
    login(client, UserFactory(role="epci", organisation=mine))

    found = client.get("/epci/demandes?nur=+045-2025-600001+")
    assert found.status_code == 302
    assert found.headers["Location"] == "/epci/demandes/045-2025-600001"

    foreign = client.get("/epci/demandes?nur=045-2025-600002").get_data(as_text=True)
    missing = client.get("/epci/demandes?nur=045-2025-699999").get_data(as_text=True)
    for page in (foreign, missing):  # the same answer: existence elsewhere is not revealed
        assert "Aucune demande de votre territoire ne porte ce numéro" in page
        assert 'class="error-summary"' in page and 'aria-invalid="true"' in page


def test_epci_search_asks_for_a_number(client):
    login(client, UserFactory(role="epci", organisation=OrganisationFactory(epci=True)))
    page = client.get("/epci/demandes?nur=").get_data(as_text=True)
    assert "Indiquez le numéro unique de la demande." in page
    assert "<title>Erreur : " in page
    blank = client.get("/epci/demandes").get_data(as_text=True)
    assert "error-summary" not in blank  # the empty search page shows no error
