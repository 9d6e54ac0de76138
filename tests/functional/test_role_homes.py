"""Each role lands on its own home, whose figures are its organisation's own."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import (
    AuditEventFactory,
    CalDecisionFactory,
    CalSessionFactory,
    CommuneFactory,
    ConventionFactory,
    DemandeFactory,
    DesignationFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)
from tests.functional.sessions import login, stat

HOMES = {
    "demandeur": "/mon-espace",
    "bailleur": "/bailleur/",
    "reservataire": "/reservataire/",
    "cal": "/cal/",
    "epci": "/epci/",
    "admin": "/admin/",
}
ORG_TRAITS = {
    "bailleur": {},
    "cal": {},
    "reservataire": {"reservataire": True},
    "epci": {"epci": True},
    "admin": {"operateur": True},
}


def _user(role: str, **kw):
    if role == "demandeur":
        return UserFactory(role=role, **kw)
    org = OrganisationFactory(name=f"Organisation du rôle {role}", **ORG_TRAITS[role])
    return UserFactory(role=role, organisation=org, **kw)


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_lands_on_its_home_with_its_navigation(client, role):
    user = _user(role, full_name=f"Personne {role}")
    response = login(client, user)
    assert response.request.path == HOMES[role]
    page = response.get_data(as_text=True)
    assert f"Personne {role}" in page
    assert 'aria-label="Navigation principale"' in page
    assert 'aria-current="page"' in page  # the home entry is marked as the current page
    if role != "demandeur":
        assert f"Organisation du rôle {role}" in page


@pytest.mark.parametrize(
    "role, forbidden",
    [
        ("bailleur", "/epci/"),  # a landlord is not an intercommunal authority
        ("reservataire", "/bailleur/logements"),  # a quota holder does not see the parc
        ("demandeur", "/reservataire/candidats"),  # a requester sees no staff page
        ("epci", "/admin/"),  # only the operator administers the platform
    ],
)
def test_a_role_cannot_open_another_roles_pages(client, role, forbidden):
    login(client, _user(role))
    assert client.get(forbidden).status_code == 403


def test_bailleur_home_counts_only_its_own_parc_offres_and_conventions(client):
    mine = OrganisationFactory(name="Habitat Loiret")
    other = OrganisationFactory(name="Autre Bailleur")
    ProgrammeFactory(bailleur=mine)
    logements = LogementFactory.create_batch(3, bailleur=mine)
    LogementFactory.create_batch(5, bailleur=other)
    OffreFactory(logement=logements[0], flux_status="a_orienter")
    al = OrganisationFactory(name="Action Logement Services", reservataire=True)
    OffreFactory(logement=logements[1], flux_status="oriente", reservataire=al)
    OffreFactory(logement=logements[2], flux_status="bail_signe")
    for other_logement in LogementFactory.create_batch(4, bailleur=other):
        OffreFactory(logement=other_logement, flux_status="a_orienter")
    ConventionFactory(bailleur=mine, reservataire=al, share_percent=22.5)
    prefecture = OrganisationFactory(name="Préfecture du Cher", reservataire=True,
                                     reservataire_kind="etat")
    ConventionFactory(bailleur=other, reservataire=prefecture)

    page = login(client, UserFactory(role="bailleur", organisation=mine)).get_data(as_text=True)

    assert stat(page, "logements") == "3"
    assert stat(page, "programmes") == "1"
    assert stat(page, "offres en cours") == "2"  # à orienter + orienté; a lease closes it
    assert stat(page, "conventions de réservation") == "1"
    assert "Action Logement Services" in page and "22,5" in page
    assert "Préfecture du Cher" not in page


def test_reservataire_home_shows_its_conventions_and_the_offres_oriented_to_it(client):
    mine = OrganisationFactory(name="Action Logement Services", reservataire=True)
    other = OrganisationFactory(name="Ville de Fleury", reservataire=True,
                                reservataire_kind="commune")
    bailleur = OrganisationFactory(name="Habitat Loiret")
    ConventionFactory(bailleur=bailleur, reservataire=mine, share_percent=31.25)
    ConventionFactory(bailleur=OrganisationFactory(name="Bailleur Étranger"), reservataire=other)
    OffreFactory(ref="OFF-MINE-1", flux_status="oriente", reservataire=mine,
                 logement=LogementFactory(bailleur=bailleur))
    OffreFactory(ref="OFF-MINE-DONE", flux_status="bail_signe", reservataire=mine,
                 logement=LogementFactory(bailleur=bailleur))
    OffreFactory(ref="OFF-OTHER-1", flux_status="oriente", reservataire=other)
    DesignationFactory.create_batch(2, reservataire=mine)
    DesignationFactory(reservataire=other)

    page = login(client, UserFactory(role="reservataire", organisation=mine)).get_data(as_text=True)

    assert stat(page, "conventions de réservation") == "1"
    # The two designations above created two more offres oriented to (and designated by) us.
    assert stat(page, "logements orientés vers vous") == "3"
    assert stat(page, "candidats désignés") == "2"
    assert "Habitat Loiret" in page and "31,25" in page
    assert "OFF-MINE-1" in page
    assert "OFF-MINE-DONE" not in page  # a leased dwelling is no longer waiting for candidates
    assert "OFF-OTHER-1" not in page and "Bailleur Étranger" not in page


def test_cal_home_lists_the_upcoming_sessions_of_its_own_bailleur(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", "2026-11-28")
    mine = OrganisationFactory(name="Habitat Loiret")
    other = OrganisationFactory(name="Autre Bailleur")
    upcoming = CalSessionFactory(bailleur=mine, held_on=date(2026, 12, 3),
                                 location="Salle Jeanne d'Arc")
    CalDecisionFactory.create_batch(2, session=upcoming)
    CalSessionFactory(bailleur=mine, held_on=date(2027, 1, 7), location="Salle Loire")
    CalSessionFactory(bailleur=mine, held_on=date(2026, 10, 1), status="tenue",
                      location="Salle passée")
    CalSessionFactory(bailleur=other, held_on=date(2026, 12, 4), location="Salle étrangère")
    OffreFactory(flux_status="en_cal", logement=LogementFactory(bailleur=mine))
    OffreFactory(flux_status="en_cal", logement=LogementFactory(bailleur=other))

    page = login(client, UserFactory(role="cal", organisation=mine)).get_data(as_text=True)

    assert stat(page, "séances à venir") == "2"
    assert stat(page, "séances tenues en 2026") == "1"
    # One offre of ours waits for the CAL; the decisions' factory offres belong to other bailleurs.
    assert stat(page, "logements en attente de CAL") == "1"
    assert "Salle Jeanne d&#39;Arc" in page and "Salle Loire" in page
    assert "jeudi 3 décembre 2026" in page
    assert "Salle passée" not in page and "Salle étrangère" not in page


def test_epci_home_shows_its_communes_and_counts_its_active_demandes(client):
    mine = OrganisationFactory(name="Orléans Métropole", epci=True)
    other = OrganisationFactory(name="Montargoise", epci=True)
    orleans = CommuneFactory(insee="45234", name="Orléans", epci=mine)
    CommuneFactory(insee="45147", name="Fleury-les-Aubrais", epci=mine)
    CommuneFactory(insee="45208", name="Montargis", epci=other)
    DemandeFactory.create_batch(2, epci=mine, wishes=[orleans])
    DemandeFactory(epci=mine, is_dalo=True)
    DemandeFactory(epci=mine, status="radiee")
    DemandeFactory(epci=mine, status="brouillon")
    DemandeFactory.create_batch(4, epci=other)

    page = login(client, UserFactory(role="epci", organisation=mine)).get_data(as_text=True)

    assert stat(page, "demandes actives") == "3"
    assert stat(page, "dont ménages DALO") == "1"
    assert stat(page, "communes membres") == "2"
    assert "45234" in page and "Fleury-les-Aubrais" in page
    assert "Montargis" not in page and "45208" not in page


def test_admin_home_counts_users_per_role_and_shows_latest_audit_events(client):
    operateur = OrganisationFactory(name="Opérateur Cotaflux", operateur=True)
    bailleur = OrganisationFactory(name="Habitat Loiret")
    UserFactory.create_batch(2, role="bailleur", organisation=bailleur)
    UserFactory(role="cal", organisation=bailleur)
    AuditEventFactory(action="demande.read", entity_type="demande", entity_id="045-2025-424242")
    admin = UserFactory(role="admin", organisation=operateur)

    page = login(client, admin).get_data(as_text=True)

    assert "Habitat Loiret" in page and "Opérateur Cotaflux" in page
    assert "045-2025-424242" in page
    assert "auth.login" in page  # the admin's own sign-in is the latest event
    # Counted from the database as a whole: at least our four staff accounts.
    assert int(stat(page, "comptes").replace("\u00a0", "")) >= 4


def test_demandeur_home_shows_its_active_demande_and_what_to_do_next(client):
    epci = OrganisationFactory(name="Orléans Métropole", epci=True)
    orleans = CommuneFactory(name="Orléans")
    saran = CommuneFactory(name="Saran")
    me = UserFactory(role="demandeur")
    DemandeFactory(nur="045-2025-000777", requester_id=me.id, epci=epci,
                   filed_on=date(2025, 3, 14), wishes=[orleans, saran])
    DemandeFactory(nur="045-2025-000999", requester_id=me.id, status="expiree")
    DemandeFactory(nur="045-2025-000888", requester_id=UserFactory().id)

    page = login(client, me).get_data(as_text=True)

    assert "045-2025-000777" in page
    assert "14 mars 2025" in page
    assert "Orléans, Saran" in page
    assert "Voir ma demande" in page and "/mon-espace/demandes/045-2025-000777" in page
    # An expired demande is not a current one: it is offered for renewal instead.
    current = page[page.index("Ma demande en cours"):]
    assert "045-2025-000999" not in current
    assert "/mon-espace/demandes/045-2025-000999/renouveler" in page
    assert "045-2025-000888" not in page
