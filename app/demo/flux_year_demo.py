"""The demo's état des lieux, forecasts and quartile threshold, for the bilan screens.

Called by ``app/demo/loader.py`` after ``app/demo/flux_demo.py`` (team A's part of the
year: orientations by the engine and takebacks at the deadline, on top of the history's
twelve months of allocations and leases in the ledger); this module extends it with what
the bilan screens need besides the ledger. Deterministic (seeded), small and fast:

* an état des lieux per bailleur: each réservataire of the current year's conventions holds in
  stock about its share of the bailleur's dwellings (imported by ``import_stock``, the
  service behind the bailleur's upload);
* the forecast settings of the current year (observed rotation, a few mutations);
* the EPCI's quartile threshold of the history's years, labelled as a demo value: the first
  quartile of the demo demandes' incomes per consumption unit (how the arrêté's figure is
  derived), never a figure presented as an arrêté's.
"""

from __future__ import annotations

import io
import random
import statistics
from collections.abc import Callable
from datetime import date

from sqlalchemy import extract, select

from app.accounts.models import Organisation
from app.adapters.bilan import income_per_uc
from app.demandes.models import Demande, HouseholdMember
from app.extensions import db
from app.flux.etat_des_lieux import import_stock
from app.flux.models import Convention, FluxEvent, FluxForecast, QuartileThreshold
from app.patrimoine.models import Logement

DEMO_ARRETE = "Valeur de démonstration : premier quartile des revenus par UC des demandes"


def _stock_csv(bailleur: Organisation, year: int, rng: random.Random) -> str:
    refs = list(db.session.scalars(
        select(Logement.ref).where(Logement.bailleur_id == bailleur.id,
                                   Logement.retired_on.is_(None),
                                   Logement.hors_flux_reason.is_(None))
        .order_by(Logement.id)))
    rng.shuffle(refs)
    lines = ["logement,reservataire,convention,date_fin"]
    position = 0
    for c in db.session.scalars(select(Convention).where(
            Convention.bailleur_id == bailleur.id, Convention.year == year)
            .order_by(Convention.id)):
        count = round(len(refs) * float(c.share_percent) / 100 * rng.uniform(0.9, 1.1))
        for ref in refs[position:position + count]:
            lines.append(f"{ref},{c.reservataire.slug},STOCK-{c.ref},{year + 5}-12-31")
        position += count
    return "\n".join(lines) + "\n"


def _threshold(epci: Organisation, on: date) -> float | None:
    rows = db.session.execute(
        select(Demande.id, Demande.rfr_n2).where(Demande.epci_id == epci.id)).all()
    births: dict[int, list] = {}
    for demande_id, birth in db.session.execute(
            select(HouseholdMember.demande_id, HouseholdMember.birth_date)
            .join(Demande, HouseholdMember.demande_id == Demande.id)
            .where(Demande.epci_id == epci.id)):
        births.setdefault(demande_id, []).append(birth)
    incomes = sorted(v for d, rfr in rows
                     if (v := income_per_uc(rfr, births.get(d, []), on)) is not None)
    if len(incomes) < 4:
        return None
    return round(statistics.quantiles(incomes, n=4)[0], 2)


def load_flux_year_demo(on: date, *, seed: int = 2026,
                        echo: Callable[[str], None] = print) -> dict[str, int]:
    rng = random.Random(seed + 7)
    bailleurs = list(db.session.scalars(select(Organisation).where(
        Organisation.kind == "bailleur").order_by(Organisation.slug)))
    stock = forecasts = 0
    for bailleur in bailleurs:
        report = import_stock(bailleur, io.StringIO(_stock_csv(bailleur, on.year, rng)))
        stock += report.read if report.ok else 0
        for dep in sorted({(bailleur.departement or "")} - {""}):
            db.session.add(FluxForecast(bailleur_id=bailleur.id, departement=dep, year=on.year,
                                        mutations_internes=rng.randint(2, 6),
                                        relogements_npnru=rng.randint(0, 3)))
            db.session.add(FluxForecast(bailleur_id=bailleur.id, departement=dep,
                                        year=on.year + 1, mutations_internes=rng.randint(2, 6),
                                        mutations_externes=rng.randint(0, 3),
                                        relogements_npnru=rng.randint(0, 3)))
            forecasts += 2
    years = sorted({int(y) for y in db.session.scalars(
        select(extract("year", FluxEvent.occurred_on)).distinct())})
    for epci in db.session.scalars(select(Organisation).where(Organisation.kind == "epci")):
        value = _threshold(epci, on)
        if value is not None:
            for year in years:
                db.session.add(QuartileThreshold(epci_id=epci.id, year=year, threshold=value,
                                                 arrete=DEMO_ARRETE))
    db.session.flush()
    echo(f"  bilan du flux : {stock} réservations en stock (état des lieux), {forecasts} "
         f"prévisions annuelles, seuil de quartile de démonstration pour {len(years)} année(s)")
    return {"stock": stock, "forecasts": forecasts, "years": len(years)}
