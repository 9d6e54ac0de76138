"""A small known year of a flux, for the bilan tests (figures computed by hand in the tests).

Bailleur in département 45, one EPCI (quartile threshold 10 000 € per UC in 2025 unless
``threshold=None``), conventions 2025: État 25 % (counts made available), Action Logement 20 %
(counts allocations, a takeback no longer counts). Year 2025:

====  =========================  =====================================================
offer dwelling                   events
====  =========================  =====================================================
O1    T2 PLUS hors QPV 1970      État 1 Feb; allocated 1 Mar (DALO, 8 000 €/UC); lease
O2    T3 PLAI QPV 1995           Action Logement 10 Feb; taken back 20 Mar, not counted
O3    T3 PLUS hors QPV 2010      bailleur 1 Apr; allocated 1 May (priority, 30 000 €); lease
O4    T2 PLUS QPV 1970           Action Logement 1 Jun; allocated 1 Jul (couple 24 000 €:
                                 16 000 €/UC); lease
O5    T4 PLAI hors QPV (unknown) État 1 Aug; allocated 1 Sep (adult + child, 9 000 €:
                                 6 923 €/UC); lease
O6    T3 PLUS hors QPV           hors flux 1 Oct (relogement NPNRU)
O7    T3 PLUS hors QPV           État 20 Dec 2024 (another year)
====  =========================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.accounts.models import Organisation
from app.attribution.models import Attribution, Bail
from app.demandes.models import HouseholdMember, PriorityCriterion
from app.extensions import db
from app.flux.ledger import record_event
from app.flux.models import Convention, QuartileThreshold
from app.patrimoine.models import Logement
from tests.factories import (
    CommuneFactory,
    ConventionFactory,
    DemandeFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
)

YEAR = 2025


@dataclass
class Year:
    bailleur: Organisation
    etat: Organisation
    al: Organisation
    epci: Organisation
    conventions: dict[str, Convention]
    logements: list[Logement]


def _demande(epci, rfr: float, *, dalo=False, priority=False, extra_births=()):
    d = DemandeFactory(epci=epci, rfr_n2=rfr, is_dalo=dalo)
    for i, birth in enumerate(extra_births, start=1):
        d.members.append(HouseholdMember(position=i, role="conjoint" if i == 1 else "enfant",
                                         birth_date=birth))
    if priority:
        db.session.add(PriorityCriterion(demande_id=d.id, criterion="handicap"))
    db.session.flush()
    return d


def _allocate(offre, demande, on: date, lease_on: date, reservataire_id):
    attr = Attribution(offre_id=offre.id, logement_id=offre.logement_id, demande_id=demande.id,
                       reservataire_id=reservataire_id, status="bail_signe", proposed_on=on,
                       answer_due_on=on, answered_on=on)
    db.session.add(attr)
    db.session.flush()
    db.session.add(Bail(attribution_id=attr.id, signed_on=lease_on, starts_on=lease_on,
                        rent=400, charges=80))
    db.session.flush()


def make_year(*, threshold: float | None = 10_000) -> Year:
    bailleur = OrganisationFactory(departement="45", name="Loire Habitat test")
    epci = OrganisationFactory(epci=True, name="Métropole test")
    etat = OrganisationFactory(reservataire=True, reservataire_kind="etat", name="Préfet test")
    al = OrganisationFactory(reservataire=True, reservataire_kind="action_logement",
                             name="Action Logement test")
    commune = CommuneFactory(epci_id=epci.id)
    conventions = {
        "etat": ConventionFactory(bailleur=bailleur, reservataire=etat, year=YEAR,
                                  share_percent=25.0, counts_on="mise_a_disposition"),
        "al": ConventionFactory(bailleur=bailleur, reservataire=al, year=YEAR,
                                share_percent=20.0, counts_on="attribution",
                                counts_after_takeback=False),
    }
    if threshold is not None:
        db.session.add(QuartileThreshold(epci_id=epci.id, year=YEAR, threshold=threshold,
                                         arrete="Arrêté préfectoral de test"))
    specs = [("T2", "PLUS", False, 1970), ("T3", "PLAI", True, 1995),
             ("T3", "PLUS", False, 2010), ("T2", "PLUS", True, 1970),
             ("T4", "PLAI", False, None), ("T3", "PLUS", False, 1980),
             ("T3", "PLUS", False, 1980)]
    logements = [LogementFactory(bailleur=bailleur, commune=commune, typology=t, financing=f,
                                 qpv=q, construction_year=y) for t, f, q, y in specs]
    o = [OffreFactory(logement=lg, declared_on=date(2025, 1, 15), available_on=date(2025, 2, 1))
         for lg in logements]
    ce, ca = conventions["etat"], conventions["al"]

    def ev(offre, kind, on, res=None, conv=None, **kw):
        return record_event(offre, kind, on, reservataire_id=res.id if res else None,
                            convention_id=conv.id if conv else None, **kw)

    # O1 État, DALO household, lease.
    ev(o[0], "mise_a_disposition", date(2025, 2, 1), etat, ce)
    d1 = _demande(epci, 8_000, dalo=True)
    _allocate(o[0], d1, date(2025, 3, 1), date(2025, 3, 15), etat.id)
    ev(o[0], "attribution", date(2025, 3, 1), etat, ce)
    ev(o[0], "bail_signe", date(2025, 3, 15), etat, ce)
    # O2 Action Logement, taken back and no longer counted.
    ev(o[1], "mise_a_disposition", date(2025, 2, 10), al, ca)
    ev(o[1], "reprise", date(2025, 3, 20), al, ca,
       details={"reservataire_id": al.id, "counts_after_takeback": False})
    # O3 the bailleur's own share, priority household.
    ev(o[2], "mise_a_disposition", date(2025, 4, 1))
    d2 = _demande(epci, 30_000, priority=True)
    _allocate(o[2], d2, date(2025, 5, 1), date(2025, 5, 20), None)
    ev(o[2], "attribution", date(2025, 5, 1))
    ev(o[2], "bail_signe", date(2025, 5, 20))
    # O4 Action Logement in QPV, a couple above the threshold.
    ev(o[3], "mise_a_disposition", date(2025, 6, 1), al, ca)
    d3 = _demande(epci, 24_000, extra_births=(date(1988, 6, 1),))
    _allocate(o[3], d3, date(2025, 7, 1), date(2025, 7, 10), al.id)
    ev(o[3], "attribution", date(2025, 7, 1), al, ca)
    ev(o[3], "bail_signe", date(2025, 7, 10), al, ca)
    # O5 État, an adult and a child under 14, below the threshold.
    ev(o[4], "mise_a_disposition", date(2025, 8, 1), etat, ce)
    d4 = _demande(epci, 9_000, extra_births=(date(2018, 1, 1),))
    _allocate(o[4], d4, date(2025, 9, 1), date(2025, 9, 15), etat.id)
    ev(o[4], "attribution", date(2025, 9, 1), etat, ce)
    ev(o[4], "bail_signe", date(2025, 9, 15), etat, ce)
    # O6 out of the base for a relogement NPNRU.
    o[5].excluded_from_base = "relogement_npnru"
    ev(o[5], "hors_flux", date(2025, 10, 1))
    # O7 another year.
    ev(o[6], "mise_a_disposition", date(2024, 12, 20), etat, ce)
    db.session.flush()
    return Year(bailleur, etat, al, epci, conventions, logements)
