"""The bilan annuel from the ledger of a small known year (tests/support/bilan.py): every
figure below is counted by hand from the table in that module."""

from __future__ import annotations

from datetime import date

import pytest

from app.flux import bilan as service
from app.flux.queries import convention_progress
from matching.flux import bilan as engine
from tests.support.bilan import YEAR, make_year


@pytest.fixture
def year(db_session):
    return make_year()


def test_totals_per_participant(year):
    bilan = service.build(year.bailleur, YEAR)
    etat, al, own = (bilan.totals[year.etat.slug], bilan.totals[year.al.slug],
                     bilan.totals[None])
    # État: O1 and O5 (O7 is of 2024); both allocated and leased.
    assert (etat.made_available, etat.allocated, etat.leased) == (2, 2, 2)
    # Action Logement: O2 taken back and no longer counted, O4 counted.
    assert (al.made_available, al.taken_back, al.taken_back_cancelled) == (1, 1, 1)
    assert (al.allocated, al.leased) == (1, 1)
    # The bailleur's own share: O3.
    assert (own.made_available, own.allocated, own.leased) == (1, 1, 1)
    assert bilan.participants == tuple(sorted([year.al.slug, year.etat.slug])) + (None,)
    assert bilan.relogements == {"relogement_npnru": 1, "relogement_orcod": 0}


def test_the_bilan_agrees_with_each_conventions_derived_progress(year):
    bilan = service.build(year.bailleur, YEAR)
    for key, slug in (("etat", year.etat.slug), ("al", year.al.slug)):
        progress = convention_progress(year.conventions[key], date(YEAR, 12, 31))
        counts = bilan.totals[slug]
        assert counts.made_available == progress.made_available
        assert counts.allocated == progress.allocated
        assert counts.leased == progress.leased


def test_breakdowns_by_typology_qpv_and_period(year):
    bilan = service.build(year.bailleur, YEAR)
    typology = {v: (c.made_available, c.allocated, c.leased)
                for v, c in bilan.breakdown("typology")}
    # T2: O1, O4; T3: O2 (cancelled: 0 made available) and O3; T4: O5.
    assert typology == {"T2": (2, 2, 2), "T3": (1, 1, 1), "T4": (1, 1, 1)}
    qpv = {v: c.leased for v, c in bilan.breakdown("qpv")}
    assert qpv == {"hors QPV": 3, "en QPV": 1}
    period = {v: c.allocated for v, c in bilan.breakdown("period", year.etat.slug)}
    assert period == {"1949 à 1974": 1, "inconnue": 1}


def test_priority_households_and_quartile_ratios(year):
    bilan = service.build(year.bailleur, YEAR)
    etat = bilan.ratios_for(year.etat.slug)
    assert (etat.allocations, etat.dalo, etat.priority) == (2, 1, 0)
    assert etat.ratio == pytest.approx(0.5) and etat.status == engine.CONFORME
    al = bilan.ratios_for(year.al.slug)
    assert (al.allocations, al.ratio, al.status) == (1, 0.0, engine.NON_CONFORME)
    own = bilan.ratios_for(None)
    assert (own.allocations, own.priority, own.status) == (1, 1, engine.CONFORME)
    (q,) = bilan.quartiles
    # Leases outside QPV: O1 8 000 €/UC (low), O3 30 000 € (not), O5 9 000 / 1,3 UC (low).
    assert (q.outside_leases, q.outside_low) == (3, 2)
    assert q.outside_ratio == pytest.approx(2 / 3)
    # In QPV: O4, 24 000 € / 1,5 UC = 16 000 € > 10 000 €: another quartile.
    assert (q.inside_leases, q.inside_others, q.inside_status) == (1, 1, engine.CONFORME)


def test_without_the_arretes_threshold_the_ratios_are_to_be_entered(db_session):
    year = make_year(threshold=None)
    (q,) = service.build(year.bailleur, YEAR).quartiles
    assert q.threshold is None
    assert q.outside_ratio is None and q.inside_ratio is None
    assert (q.outside_status, q.inside_status) == (engine.A_RENSEIGNER, engine.A_RENSEIGNER)


def test_flask_flux_bilan_writes_every_bilan_of_the_year(app, year, tmp_path):
    from tests.support.system import weasyprint_missing

    if weasyprint_missing():
        pytest.skip(weasyprint_missing())
    result = app.test_cli_runner().invoke(args=[
        "flux", "bilan", "--year", str(YEAR), "--bailleur", year.bailleur.slug,
        "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # The bailleur's whole bilan, one per réservataire with a 2025 convention, one per EPCI.
    pdfs = sorted(p.name for p in tmp_path.rglob("*.pdf"))
    b = year.bailleur.slug
    assert pdfs == sorted([f"bilan-{YEAR}-{b}.pdf", f"bilan-{YEAR}-{b}-{year.etat.slug}.pdf",
                           f"bilan-{YEAR}-{b}-{year.al.slug}.pdf",
                           f"bilan-{YEAR}-{b}-{year.epci.slug}.pdf"])
    assert len(list(tmp_path.rglob("*.csv"))) == 4 * 3
    totals = (tmp_path / year.al.slug / f"bilan-{YEAR}-{b}-{year.al.slug}-totaux.csv").read_text()
    assert totals.splitlines()[1].startswith(f"{YEAR},{b},{year.al.slug},1,1,1,1,1,")
    assert "4 bilan(s) écrit(s)" in result.output


def test_flask_flux_bilan_refuses_an_unknown_bailleur(app, year, tmp_path):
    result = app.test_cli_runner().invoke(args=[
        "flux", "bilan", "--year", str(YEAR), "--bailleur", "personne", "--output",
        str(tmp_path)])
    assert result.exit_code == 2
    assert "bailleur inconnu" in result.output
