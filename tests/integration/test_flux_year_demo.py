"""The demo's état des lieux, forecasts and labelled demo quartile threshold, on top of the
year of orientations and takebacks (app/demo/flux_demo.py): the bilan screens show figures."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import Organisation
from app.demo.flux_year_demo import DEMO_ARRETE
from app.demo.loader import load_demo
from app.extensions import db
from app.flux import bilan as bilans
from app.flux.models import FluxForecast, QuartileThreshold, ReservationStock


def test_the_demo_year_feeds_the_bilan_through_the_real_services(db_session):
    lines: list[str] = []
    assert load_demo(demandes=400, logements=300, echo=lines.append) is True
    assert db.session.scalar(select(func.count(ReservationStock.id))) > 0
    assert db.session.scalar(select(func.count(FluxForecast.id))) > 0
    assert any("réservations en stock" in line for line in lines)
    threshold = db.session.scalar(select(QuartileThreshold).limit(1))
    assert threshold is not None and threshold.arrete == DEMO_ARRETE
    # A bailleur's bilan has figures.
    bailleur = db.session.scalar(select(Organisation).where(Organisation.kind == "bailleur")
                                 .order_by(Organisation.slug))
    years = bilans.years_with_events([bailleur.id])
    bilan = bilans.build(bailleur, years[0])
    assert bilan.total().made_available > 0 and bilan.total().leased > 0
    assert bilan.quartiles and all(q.threshold is not None for q in bilan.quartiles
                                   if q.epci is not None)
