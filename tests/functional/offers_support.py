"""A small territory for the location choisie tests: one requester household, offers it is
eligible for and offers it is not (each for a known reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.extensions import db
from app.search.indexing import reindex_offers
from tests.factories import (
    CommuneFactory,
    DemandeFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    UserFactory,
)

TODAY = date(2026, 12, 2)


@dataclass
class Territory:
    requester: object
    demande: object
    orleans: object
    olivet: object
    elsewhere: object
    eligible: list  # offers open to the household
    closed: dict  # reason code → offer


def offer(commune, *, typology="T2", financing="PLUS", rent=380.0, charges=60.0, floor=2,
          lift=False, accessible=False, description=None, quarter=None, surface=48.0,
          published_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), bailleur=None):
    lg = LogementFactory(commune=commune, typology=typology, financing=financing, rent=rent,
                         charges=charges, floor=floor, lift=lift, accessible=accessible,
                         rooms=int(typology[1]), surface=surface, qpv_name=quarter,
                         qpv=bool(quarter), **({"bailleur": bailleur} if bailleur else {}))
    return OffreFactory(logement=lg, is_published=True, published_at=published_at,
                        description=description, flux_status="a_orienter")


def build_territory() -> Territory:
    bailleur = OrganisationFactory()
    orleans = CommuneFactory(name="Orléans", insee="45234")
    olivet = CommuneFactory(name="Olivet", insee="45232")
    elsewhere = CommuneFactory(name="Saran", insee="45302")
    requester = UserFactory(email="camille@example.org")
    demande = DemandeFactory(wishes=[orleans, olivet], requester_id=requester.id,
                             rfr_n2=14200, monthly_resources=1350)
    eligible = [
        offer(orleans, description="Appartement rénové avec balcon ensoleillé, proche du tramway.",
              quarter="La Source", rent=350, bailleur=bailleur),
        offer(orleans, description="Calme, cuisine équipée, cave.", rent=340, floor=0,
              accessible=True, bailleur=bailleur),
        offer(olivet, typology="T1", description="Studio lumineux près des bords du Loiret.",
              rent=300, floor=5, lift=True, bailleur=bailleur),
    ]
    closed = {
        "plafond_depasse": offer(orleans, financing="PLAI", rent=300, bailleur=bailleur),
        "hors_souhaits_geographiques": offer(elsewhere, rent=300, bailleur=bailleur),
        "typologie_inadaptee": offer(orleans, typology="T6", rent=300, surface=120,
                                     bailleur=bailleur),
    }
    # Not listed: unpublished, or allocated.
    OffreFactory(logement=LogementFactory(commune=orleans, typology="T2", bailleur=bailleur),
                 is_published=False)
    OffreFactory(logement=LogementFactory(commune=orleans, typology="T2", bailleur=bailleur),
                 is_published=True, flux_status="attribue")
    db.session.commit()
    reindex_offers([o.id for o in [*eligible, *closed.values()]])
    db.session.commit()
    return Territory(requester, demande, orleans, olivet, elsewhere, eligible, closed)
