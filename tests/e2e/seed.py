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


# Published offers for the location choisie pages (tests/e2e/test_offers_pages.py): called by
# that module's own server, after ``seed()``, so the other browser tests keep their figures.
OFFERS_ELIGIBLE = 23  # T2 PLUS in Orléans and Saran: open to Camille Martin, two pages of 20
OFFERS_CLOSED = {  # closed to her, for the "Pourquoi je ne vois pas d'autres offres ?" panel
    "plafond": ("T2", "PLAI", "45234"),  # her income is above the PLAI ceiling
    "commune": ("T2", "PLUS", "45147"),  # Fleury-les-Aubrais is not among her wishes
    "typologie": ("T6", "PLUS", "45234"),  # far too large for one person
}


def seed_offers() -> list[str]:
    """Publish offers and index them; returns the refs of those open to the requester, the
    most recently published first (the list's default order)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from app.accounts.models import Organisation
    from app.extensions import db
    from app.search.indexing import reindex_offers
    from app.territoire.models import Commune

    bailleur = db.session.scalar(select(Organisation).where(Organisation.slug == "ldc"))
    descriptions = (
        "Appartement rénové avec balcon ensoleillé, proche du tramway.",
        "Calme, cuisine équipée, cave et local à vélos.",
        "Au pied des commerces, double vitrage récent.",
    )
    offers = []

    def publish(ref, typology, financing, insee, rent, description, published_at, **extra):
        logement = LogementFactory(
            ref=f"LDC-{ref}", bailleur=bailleur, commune=db.session.get(Commune, insee),
            typology=typology, rooms=int(typology[1]), financing=financing, rent=rent,
            charges=55.0, surface=20.0 + 12 * int(typology[1]), **extra)
        offre = OffreFactory(ref=ref, logement=logement, flux_status="a_orienter",
                             is_published=True, published_at=published_at,
                             description=description, available_on=date.today() + timedelta(days=45))
        offers.append(offre)
        return offre

    open_refs = []
    for i in range(OFFERS_ELIGIBLE):
        insee = "45234" if i % 3 else "45302"
        offre = publish(f"OFF-E{i:03d}", "T2", "PLUS", insee, 300.0 + 4 * i,
                        descriptions[i % len(descriptions)],
                        datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=i),
                        floor=i % 5, lift=i % 2 == 0, accessible=i % 4 == 0)
        open_refs.append(offre.ref)
    for name, (typology, financing, insee) in OFFERS_CLOSED.items():
        publish(f"OFF-X{name.upper()}", typology, financing, insee, 320.0,
                "Logement lumineux.", datetime(2026, 2, 1, 9, 0, tzinfo=UTC), floor=1)
    db.session.flush()
    reindex_offers([o.id for o in offers])
    return open_refs[::-1]
