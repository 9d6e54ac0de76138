"""A small territory for the dossier tests: a bailleur, a réservataire under a convention,
a dwelling of Orléans (so the Orléans example grid scores its demandes), an offer oriented to
the réservataire, and demandes wishing the dwelling's commune that the proposal engine finds
eligible for it (couples, employees of a company contributing to Action Logement — the
réservataire's kind —, resources giving a taux d'effort under a third)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.accounts.models import Organisation, User
from app.demandes.models import Demande, HouseholdMember, WishedTypology
from app.extensions import db
from app.flux.models import Convention, Offre
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from tests.factories import (
    CommuneFactory,
    ConventionFactory,
    DemandeFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    UserFactory,
)

TODAY = date(2026, 12, 2)
ORLEANS = "45234"  # one of the 22 communes of the Orléans example grid


@dataclass
class Territory:
    epci: Organisation
    commune: Commune
    bailleur: Organisation
    reservataire: Organisation
    convention: Convention
    logement: Logement
    offre: Offre
    demandes: list[Demande]
    bailleur_user: User
    cal_user: User
    reservataire_user: User
    requesters: list[User] = field(default_factory=list)


def territory(n_demandes: int = 4, ref: str = "OFF-T-0001") -> Territory:
    epci = db.session.query(Organisation).filter_by(siren="244500468").one_or_none() or \
        OrganisationFactory(epci=True, siren="244500468", name="Orléans Métropole (test)")
    commune = db.session.get(Commune, ORLEANS) or CommuneFactory(
        insee=ORLEANS, name="Orléans", epci_id=epci.id)
    bailleur = OrganisationFactory(name="Bailleur test")
    reservataire = OrganisationFactory(reservataire=True, name="Réservataire test")
    convention = ConventionFactory(bailleur=bailleur, reservataire=reservataire)
    logement = LogementFactory(bailleur=bailleur, commune=commune, typology="T3", rent=400.0,
                               charges=80.0)
    offre = OffreFactory(ref=ref, logement=logement, flux_status="oriente",
                         reservataire=reservataire, convention_id=convention.id,
                         designation_deadline=date(2026, 12, 20))
    requesters, demandes = [], []
    for i in range(n_demandes):
        user = UserFactory(role="demandeur")
        d = DemandeFactory(epci=epci, requester_id=user.id, wishes=[commune],
                           filed_on=date(2024 + i % 2, 1 + i, 10), email=user.email,
                           monthly_resources=2100, employer_contributes_action_logement=True)
        d.members.append(HouseholdMember(position=1, role="conjoint",
                                         birth_date=date(1991, 6, 1)))
        db.session.add(WishedTypology(demande_id=d.id, typology="T3"))
        requesters.append(user)
        demandes.append(d)
    db.session.commit()
    return Territory(
        epci=epci, commune=commune, bailleur=bailleur, reservataire=reservataire,
        convention=convention, logement=logement, offre=offre, demandes=demandes,
        bailleur_user=UserFactory(role="bailleur", organisation=bailleur),
        cal_user=UserFactory(role="cal", organisation=bailleur),
        reservataire_user=UserFactory(role="reservataire", organisation=reservataire),
        requesters=requesters,
    )
