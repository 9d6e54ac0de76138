"""Rows ⇄ ``matching.flux`` records: a flux's participants, its history from the ledger, and
the vacancy to orient.

A flux is one bailleur × département × year. Its participants are the réservataires of the
year's conventions plus the bailleur's own share; its history is the ``mise_a_disposition``
events of that bailleur's offers in that département during that year (the earlier
orientations, oldest first), read from the ledger."""

from __future__ import annotations

from sqlalchemy import extract, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Organisation
from app.adapters.records import convention_record, logement_record
from app.extensions import db
from app.flux.models import Convention, FluxEvent, Offre
from app.patrimoine.models import Logement
from matching import flux
from matching.records import Convention as ConventionRecord

# Why a logement or an offer is outside the flux → the engine's hors-flux category.
LOGEMENT_HORS_FLUX = {"defense_securite": "defense", "vente": "vente", "demolition": "demolition"}
OFFRE_EXCLUSION = {"mutation": "mutation_interne", "relogement_npnru": "relogement_npnru",
                   "relogement_orcod": "relogement_orcod"}


def flux_conventions(bailleur_id: int, departement: str, year: int) -> list[Convention]:
    """The conventions of a flux, in force now (each at its current version)."""
    return list(db.session.scalars(
        select(Convention)
        .options(joinedload(Convention.reservataire), joinedload(Convention.bailleur))
        .where(Convention.bailleur_id == bailleur_id, Convention.departement == departement,
               Convention.year == year)
        .order_by(Convention.id)
    ))


def participants(bailleur: Organisation, conventions: list[Convention]
                 ) -> list[flux.Participant]:
    """The flux's participants as the engine sees them (réservataires, then the bailleur)."""
    records: list[ConventionRecord] = [convention_record(c) for c in conventions]
    return flux.participants_for(bailleur.slug, records)


def flux_history(bailleur: Organisation, departement: str, year: int) -> list[flux.FluxEvent]:
    """The year's orientations of a bailleur's offers in a département, oldest first.

    An event naming no réservataire went to the bailleur's own share. An orientation
    cancelled by a takeback that does not count (a ``reprise`` naming the convention, the
    compensating entry) is left out: the réservataire did not receive that dwelling."""
    slugs = dict(db.session.execute(select(Organisation.id, Organisation.slug)).all())
    in_flux = (Logement.bailleur_id == bailleur.id,
               Logement.commune_insee.startswith(departement, autoescape=True))
    rows = db.session.execute(
        select(FluxEvent.offre_id, FluxEvent.reservataire_id, FluxEvent.occurred_on, Logement.ref)
        .join(Offre, FluxEvent.offre_id == Offre.id)
        .join(Logement, Offre.logement_id == Logement.id)
        .where(FluxEvent.kind == "mise_a_disposition", *in_flux,
               extract("year", FluxEvent.occurred_on) == year)
        .order_by(FluxEvent.occurred_on, FluxEvent.id)
    ).all()
    cancelled = set(db.session.execute(
        select(FluxEvent.offre_id, FluxEvent.reservataire_id)
        .join(Offre, FluxEvent.offre_id == Offre.id)
        .join(Logement, Offre.logement_id == Logement.id)
        .where(FluxEvent.kind == "reprise", FluxEvent.reservataire_id.is_not(None), *in_flux)
    ).all())
    return [
        flux.FluxEvent(logement=ref, bailleur=bailleur.slug, departement=departement,
                       to=slugs[reservataire_id] if reservataire_id else bailleur.slug, on=on)
        for offre_id, reservataire_id, on, ref in rows
        if (offre_id, reservataire_id) not in cancelled
    ]


def hors_flux_category(offre: Offre) -> str | None:
    """The engine's hors-flux category of an offer (its logement's, or the offer's exclusion)."""
    reason = offre.logement.hors_flux_reason
    if reason:
        return LOGEMENT_HORS_FLUX[reason]
    if offre.excluded_from_base:
        return OFFRE_EXCLUSION[offre.excluded_from_base]
    return None


def vacancy(offre: Offre, year: int) -> flux.Vacancy:
    """The vacancy record of an offer, in the flux of ``year`` (the year it is oriented)."""
    return flux.Vacancy(logement_record(offre.logement), year, hors_flux_category(offre))


def departement_of(offre: Offre) -> str:
    """The département of an offer's flux (from its commune's INSEE code, as the engine does)."""
    return flux.departement_of(offre.logement.commune_insee)
