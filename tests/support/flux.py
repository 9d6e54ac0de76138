"""A small flux for the flux tests: one bailleur in département 45 with three conventions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.accounts.models import Organisation
from app.flux.models import Convention, Offre
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from tests.factories import (
    CommuneFactory,
    ConventionFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
)

TODAY = date(2026, 3, 2)


@dataclass
class Flux:
    bailleur: Organisation
    etat: Organisation
    action_logement: Organisation
    commune_org: Organisation
    communes: list[Commune]
    conventions: dict[str, Convention]
    logements: list[Logement] = field(default_factory=list)

    def vacancy(self, *, commune: Commune | None = None, typology: str = "T3",
                **offre) -> Offre:
        lg = LogementFactory(bailleur=self.bailleur, commune=commune or self.communes[0],
                             typology=typology,
                             hors_flux_reason=offre.pop("hors_flux_reason", None))
        self.logements.append(lg)
        return OffreFactory(logement=lg, declared_on=TODAY, available_on=TODAY, **offre)


def make_flux(*, counts_after_takeback: bool = True, scoped: bool = False) -> Flux:
    """État 25 % (mise à disposition), Action Logement 20 % (attribution), a commune 10 %
    (garantie d'emprunt, its own commune only when ``scoped``); the bailleur keeps 45 %."""
    bailleur = OrganisationFactory(departement="45")
    etat = OrganisationFactory(reservataire=True, reservataire_kind="etat")
    al = OrganisationFactory(reservataire=True, reservataire_kind="action_logement")
    commune_org = OrganisationFactory(reservataire=True, reservataire_kind="commune")
    communes = [CommuneFactory(), CommuneFactory()]
    conventions = {
        "etat": ConventionFactory(bailleur=bailleur, reservataire=etat, share_percent=25.0,
                                  counts_on="mise_a_disposition", designation_delay_days=30,
                                  counts_after_takeback=counts_after_takeback),
        "al": ConventionFactory(bailleur=bailleur, reservataire=al, share_percent=20.0,
                                counts_on="attribution", designation_delay_days=15,
                                counts_after_takeback=counts_after_takeback),
        "commune": ConventionFactory(
            bailleur=bailleur, reservataire=commune_org, share_percent=10.0,
            origin="garantie_emprunt", counts_on="mise_a_disposition",
            scope_communes=[communes[1].insee] if scoped else []),
    }
    return Flux(bailleur, etat, al, commune_org, communes, conventions)
