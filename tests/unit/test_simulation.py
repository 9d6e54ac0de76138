"""Grid simulation: rank movements, distributions, priority and low-income shares."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np

from matching.grid import load_grid
from matching.simulation import global_ranks, simulate
from tests.support.synthetic import synthetic_table

ON = date(2026, 3, 1)
STRASBOURG = load_grid("eurometropole-strasbourg")
ORLEANS = load_grid("orleans-metropole-exemple")


def table(n=2000, seed=4):
    return synthetic_table(n, ON, STRASBOURG.territory.communes, ["75056"], seed=seed)


def test_same_grid_moves_nobody():
    report = simulate(table(), STRASBOURG, STRASBOURG, ON)
    assert report.unchanged == report.count == 2000
    assert report.mean_abs_change == 0
    assert report.a.top_priority_share == report.b.top_priority_share


def test_two_grids_compared():
    t = table()
    report = simulate(t, STRASBOURG, ORLEANS, ON, top_n=5)
    assert report.up + report.down + report.unchanged == report.count
    assert report.top_size == 200
    assert len(report.movers) == 5
    assert abs(report.movers[0].change) >= abs(report.movers[-1].change)
    # the example grid weights DALO and L.441-1: priority households rise into the top decile
    assert report.b.top_priority_share > report.a.top_priority_share
    assert dict(report.a.quantiles)[0.5] <= dict(report.a.quantiles)[1.0]
    assert sum(c for _, _, c in report.b.histogram) == report.count
    text = report.text()
    assert text.startswith("Simulation au 2026-03-01 sur 2000 demandes")
    assert "premier quartile de revenus" in text
    summary = report.summary()
    json.dumps(summary)
    assert summary["rank_changes"]["up"] == report.up
    out = io.StringIO()
    report.write_csv(out)
    rows = out.getvalue().splitlines()
    assert rows[0] == "id,score_a,score_b,rank_a,rank_b,change"
    assert len(rows) == 2001


def test_low_income_threshold_parameter():
    t = table(500)
    everyone = simulate(t, STRASBOURG, ORLEANS, ON, low_income_threshold=1e12)
    assert everyone.a.top_low_income_share == 1.0
    nobody = simulate(t, STRASBOURG, ORLEANS, ON, low_income_threshold=-1)
    assert nobody.b.top_low_income_share == 0.0


def test_global_ranks_break_ties_by_filing_date():
    score = np.array([5.0, 5.0, 9.0, np.nan])
    filed = np.array(["2024-01-01", "2023-01-01", "2025-01-01", "2020-01-01"], dtype="datetime64[D]")
    assert global_ranks(score, filed, ~np.isnan(score)).tolist() == [3, 2, 1, 0]
