"""A small territory for the browser tests: one account per role, a few records each."""

from __future__ import annotations

from datetime import date, timedelta

from tests.factories import (
    DEFAULT_PASSWORD,
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

PASSWORD = DEFAULT_PASSWORD
BAILLEUR_NAME = "Habitat Val de Loire"


def seed() -> dict[str, str]:
    """Create the territory; returns the e-mail address of the account of each role."""
    epci = OrganisationFactory(slug="orleans-metropole", name="Orléans Métropole", kind="epci")
    orleans = CommuneFactory(insee="45234", name="Orléans", epci=epci, has_qpv=True)
    saran = CommuneFactory(insee="45302", name="Saran", epci=epci)
    fleury = CommuneFactory(insee="45147", name="Fleury-les-Aubrais", epci=epci, has_qpv=True)

    bailleur = OrganisationFactory(slug="hvl", name=BAILLEUR_NAME)
    other_bailleur = OrganisationFactory(slug="ldc", name="Logis du Centre")
    al = OrganisationFactory(slug="als", name="Action Logement Services", kind="reservataire",
                             reservataire_kind="action_logement")
    prefecture = OrganisationFactory(slug="pref45", name="Préfecture du Loiret",
                                     kind="reservataire", reservataire_kind="etat")
    operateur = OrganisationFactory(slug="op", name="Opérateur Cotaflux", kind="operateur")

    acacias = ProgrammeFactory(bailleur=bailleur, name="Les Acacias", commune=orleans,
                               address="12 rue des Acacias")
    tilleuls = ProgrammeFactory(bailleur=bailleur, name="Le Clos des Tilleuls", commune=saran,
                                address="3 allée des Tilleuls")
    logements = []
    for i, (typology, financing, rent, commune, programme, qpv) in enumerate([
        ("T2", "PLAI", 318.40, orleans, acacias, True),
        ("T3", "PLUS", 412.30, orleans, acacias, True),
        ("T4", "PLUS", 498.75, saran, tilleuls, False),
        ("T1", "PLAI", 251.10, fleury, None, True),
        ("T3", "PLS", 561.00, saran, tilleuls, False),
        ("T5", "PLUS", 604.20, orleans, acacias, True),
    ], start=1):
        logements.append(LogementFactory(
            ref=f"HVL-{i:04d}", bailleur=bailleur, commune=commune, programme=programme,
            typology=typology, rooms=int(typology[1]), financing=financing, rent=rent,
            qpv=qpv, address=f"{i} rue de la République",
        ))
    LogementFactory(ref="LDC-0001", bailleur=other_bailleur, commune=saran)

    ConventionFactory(bailleur=bailleur, reservataire=al, share_percent=31.5)
    ConventionFactory(bailleur=bailleur, reservataire=prefecture, share_percent=25)
    OffreFactory(logement=logements[0], flux_status="a_orienter")
    OffreFactory(logement=logements[1], flux_status="oriente", reservataire=al,
                 designation_deadline=date.today() + timedelta(days=20))
    OffreFactory(logement=logements[2], flux_status="en_cal", reservataire=prefecture)

    requester = UserFactory(email="demandeur@e2e.example.org", role="demandeur",
                            full_name="Camille Martin")
    DemandeFactory(nur="045-2025-000101", requester_id=requester.id, epci=epci,
                   first_name="Camille", last_name="Martin", wishes=[orleans, saran])
    designated = DemandeFactory(nur="045-2025-000102", epci=epci, first_name="Inès",
                                last_name="Benali", wishes=[fleury])
    DesignationFactory(reservataire=al, demande=designated, offre=OffreFactory(
        logement=logements[3], flux_status="designe", reservataire=al,
        designation_deadline=date.today() + timedelta(days=10)))

    CalSessionFactory(bailleur=bailleur, held_on=date.today() + timedelta(days=7),
                      location="Siège, salle du conseil")
    CalSessionFactory(bailleur=bailleur, held_on=date.today() + timedelta(days=35),
                      location="Agence de Saran")

    accounts = {"demandeur": requester.email}
    for role, org, name in [
        ("bailleur", bailleur, "Agathe Lefèvre"),
        ("reservataire", al, "Bruno Caron"),
        ("cal", bailleur, "Claire Dumas"),
        ("epci", epci, "David Moreau"),
        ("admin", operateur, "Élise Robert"),
    ]:
        accounts[role] = UserFactory(email=f"{role}@e2e.example.org", role=role, organisation=org,
                                     full_name=name).email
    return accounts
