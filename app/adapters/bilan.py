"""Rows → the plain records of ``matching.flux.bilan``, ``etat_des_lieux`` and ``objectives``.

* ``bilan_events``: the ledger's events of a year for a bailleur's offers, each with its
  dwelling and, for allocations and leases, the household's facts (DALO, L.441-1 priority,
  annual income per consumption unit: ``rfr_n2`` / INSEE units on the event's date);
* ``stock_dwellings`` / ``stock_reservations``: the état des lieux;
* ``patrimoine_items``: each dwelling with its vacancies per past year (one per offer
  declared that year: the offers history), its first letting and its exclusion.

Queries are joins filtered on the bailleur (and year), never one query per row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from types import SimpleNamespace

from sqlalchemy import extract, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import Organisation
from app.adapters.flux import LOGEMENT_HORS_FLUX
from app.attribution.models import Attribution
from app.demandes.models import Demande, HouseholdMember, PriorityCriterion
from app.extensions import db
from app.flux.models import FluxEvent, Offre, ReservationStock
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from matching import records
from matching.facts import consumption_units
from matching.flux import bilan as engine
from matching.flux.etat_des_lieux import StockDwelling, StockReservation
from matching.flux.objectives import PatrimoineItem

BILAN_KINDS = ("mise_a_disposition", "reprise", "attribution", "bail_signe", "hors_flux")
# Allocations that happened (the household of an allocation or lease event).
DONE_ATTRIBUTIONS = ("acceptee", "bail_signe", "terminee")


def slugs() -> dict[int, str]:
    return dict(db.session.execute(select(Organisation.id, Organisation.slug)).all())


def income_per_uc(rfr: float | None, birth_dates: list[date | None], on: date) -> float | None:
    """Annual income per INSEE consumption unit (matching.facts), None without income."""
    if rfr is None:
        return None
    members = [SimpleNamespace(birth_date=b) for b in birth_dates] or [
        SimpleNamespace(birth_date=None)]
    return round(float(rfr) / consumption_units(SimpleNamespace(household=members), on), 2)


def _households(bailleur_id: int, year: int) -> dict[int, tuple[Demande, list, bool]]:
    """offre id → (demande row values, birth dates, priority) of the allocation done on it."""
    in_year = (Logement.bailleur_id == bailleur_id,
               extract("year", FluxEvent.occurred_on) == year,
               FluxEvent.kind.in_(("attribution", "bail_signe")))
    offres = (select(FluxEvent.offre_id).join(Offre, FluxEvent.offre_id == Offre.id)
              .join(Logement, Offre.logement_id == Logement.id).where(*in_year).distinct()
              .subquery())
    rows = db.session.execute(
        select(Attribution.offre_id, Attribution.id, Demande.id, Demande.is_dalo, Demande.rfr_n2)
        .join(Demande, Attribution.demande_id == Demande.id)
        .where(Attribution.offre_id.in_(select(offres.c.offre_id)),
               Attribution.status.in_(DONE_ATTRIBUTIONS))
        .order_by(Attribution.offre_id, Attribution.id)
    ).all()
    by_offre = {offre_id: (demande_id, dalo, rfr) for offre_id, _, demande_id, dalo, rfr in rows}
    demandes = {d for d, _, _ in by_offre.values()}
    births: dict[int, list] = defaultdict(list)
    priority: set[int] = set()
    if demandes:
        done = (select(Attribution.demande_id)
                .where(Attribution.offre_id.in_(select(offres.c.offre_id)),
                       Attribution.status.in_(DONE_ATTRIBUTIONS)))
        for demande_id, birth in db.session.execute(
            select(HouseholdMember.demande_id, HouseholdMember.birth_date)
            .where(HouseholdMember.demande_id.in_(done))
            .order_by(HouseholdMember.demande_id, HouseholdMember.position)
        ):
            births[demande_id].append(birth)
        priority = set(db.session.scalars(
            select(PriorityCriterion.demande_id).where(PriorityCriterion.demande_id.in_(done))
            .distinct()))
    return {offre_id: (SimpleNamespace(dalo=bool(dalo), rfr=rfr), births[d], d in priority)
            for offre_id, (d, dalo, rfr) in by_offre.items()}


def bilan_events(bailleur_id: int, year: int, *, epci_id: int | None = None
                 ) -> list[engine.BilanEvent]:
    """The year's events of the bailleur's offers (optionally on one EPCI's communes)."""
    names = slugs()
    epci = aliased(Organisation)
    query = (
        select(FluxEvent.kind, FluxEvent.occurred_on, FluxEvent.reservataire_id,
               FluxEvent.details, Offre.id, Offre.ref, Offre.excluded_from_base, Logement.ref,
               Logement.commune_insee, Logement.typology, Logement.financing, Logement.qpv,
               Logement.construction_year, Logement.hors_flux_reason, epci.slug)
        .join(Offre, FluxEvent.offre_id == Offre.id)
        .join(Logement, Offre.logement_id == Logement.id)
        .join(Commune, Logement.commune_insee == Commune.insee)
        .outerjoin(epci, Commune.epci_id == epci.id)
        .where(Logement.bailleur_id == bailleur_id, FluxEvent.kind.in_(BILAN_KINDS),
               extract("year", FluxEvent.occurred_on) == year)
        .order_by(FluxEvent.occurred_on, FluxEvent.id)
    )
    if epci_id is not None:
        query = query.where(Commune.epci_id == epci_id)
    households = _households(bailleur_id, year)
    dwellings: dict[int, engine.Dwelling] = {}
    out = []
    for (kind, on, reservataire_id, details, offre_id, offre_ref, excluded, lg_ref, commune,
         typology, financing, qpv, built, hors_flux, epci_slug) in db.session.execute(query):
        dwelling = dwellings.get(offre_id)
        if dwelling is None:
            dwelling = dwellings[offre_id] = engine.Dwelling(
                lg_ref, commune, typology, financing, bool(qpv), built, epci_slug)
        participant = names.get(reservataire_id) if reservataire_id else None
        cancels = False
        household = None
        exclusion = None
        if kind == "reprise":
            cancels = reservataire_id is not None
            if not cancels:  # still counted: the réservataire is in the details
                taken_from = (details or {}).get("reservataire_id")
                participant = names.get(taken_from) if taken_from else None
        elif kind in ("attribution", "bail_signe") and offre_id in households:
            facts, births, priority = households[offre_id]
            household = engine.Household(
                dalo=facts.dalo, priority=priority,
                income_per_uc=income_per_uc(facts.rfr, births, on),
                relogement_npnru=excluded == "relogement_npnru")
        elif kind == "hors_flux":
            exclusion = excluded or hors_flux
        out.append(engine.BilanEvent(kind, offre_ref, on, dwelling, participant, cancels,
                                     household, exclusion))
    return out


def not_concerned_counts(bailleur_id: int) -> dict[str, int]:
    """The bailleur's dwellings out of the flux now, by reason (défense…, vente, démolition)."""
    return dict(db.session.execute(
        select(Logement.hors_flux_reason, func.count(Logement.id))
        .where(Logement.bailleur_id == bailleur_id, Logement.hors_flux_reason.is_not(None),
               Logement.retired_on.is_(None))
        .group_by(Logement.hors_flux_reason)
    ).all())


# --------------------------------------------------------------------------- état des lieux


def stock_dwellings(bailleur_id: int) -> list[StockDwelling]:
    """The bailleur's parc (dwellings still in it), with the reason a dwelling is not concerned."""
    return [StockDwelling(ref, commune, LOGEMENT_HORS_FLUX.get(reason) if reason else None)
            for ref, commune, reason in db.session.execute(
                select(Logement.ref, Logement.commune_insee, Logement.hors_flux_reason)
                .where(Logement.bailleur_id == bailleur_id, Logement.retired_on.is_(None)))]


def stock_reservations(bailleur_id: int) -> list[StockReservation]:
    res = aliased(Organisation)
    return [StockReservation(lg, slug, conv, ends)
            for lg, slug, conv, ends in db.session.execute(
                select(Logement.ref, res.slug, ReservationStock.convention_ref,
                       ReservationStock.ends_on)
                .join(Logement, ReservationStock.logement_id == Logement.id)
                .join(res, ReservationStock.reservataire_id == res.id)
                .where(ReservationStock.bailleur_id == bailleur_id)
                .order_by(Logement.ref))]


# --------------------------------------------------------------------------- objectives


def patrimoine_items(bailleur_id: int, departement: str, years: range) -> list[PatrimoineItem]:
    """The bailleur's dwellings in a département with their vacancies per observed year.

    A vacancy is an offer declared that year (withdrawn or not: the dwelling was vacant); a
    year is observed when the bailleur declared at least one vacancy in the département."""
    in_dep = (Logement.bailleur_id == bailleur_id,
              Logement.commune_insee.startswith(departement, autoescape=True))
    vacancies: dict[int, dict[int, int]] = defaultdict(dict)
    year_col = extract("year", Offre.declared_on)
    for logement_id, year, n in db.session.execute(
        select(Offre.logement_id, year_col, func.count(Offre.id))
        .join(Logement, Offre.logement_id == Logement.id)
        .where(*in_dep, year_col >= years.start, year_col < years.stop)
        .group_by(Offre.logement_id, year_col)
    ):
        vacancies[logement_id][int(year)] = n
    # The years the platform saw the bailleur's vacancies (a year before it was used is not
    # a year without vacancies).
    observed = sorted({y for per in vacancies.values() for y in per})
    slug = db.session.scalar(select(Organisation.slug).where(Organisation.id == bailleur_id))
    items = []
    for (logement_id, ref, commune, zone, typology, financing, rent, qpv, built,
         reason) in db.session.execute(
        select(Logement.id, Logement.ref, Logement.commune_insee, Logement.zone,
               Logement.typology, Logement.financing, Logement.rent, Logement.qpv,
               Logement.construction_year, Logement.hors_flux_reason)
        .where(*in_dep, Logement.retired_on.is_(None)).order_by(Logement.id)
    ):
        record = records.Logement(id=ref, commune=commune, zone=zone, typology=typology,
                                  financing=financing, rent=float(rent), bailleur=slug,
                                  qpv=bool(qpv), construction_year=built)
        # Every observed year counts for a dwelling that existed then (0 when no offer).
        seen = {y: vacancies[logement_id].get(y, 0) for y in observed
                if built is None or built <= y}
        items.append(PatrimoineItem(record, seen, None, LOGEMENT_HORS_FLUX.get(reason or "")))
    return items
