"""The vectorised engine gives exactly the explained engine's scores."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.batch import DemandeTable, cotation_batch, months_between
from matching.batch.facts import younger_than
from matching.cotation import cotation
from matching.facts import age_on, seniority_months
from matching.grid import load_grid, parse_grid
from matching.grid_registry import FACTS, FIELDS
from tests.support.synthetic import synthetic_table

ON = date(2026, 3, 1)
STRASBOURG = load_grid("eurometropole-strasbourg")
ORLEANS = load_grid("orleans-metropole-exemple")
OUTSIDE = ["75056", "45001", "67999"]


def _condition_for(source: str, name: str, spec) -> dict:
    """A condition that exercises a registry entry (so both engines must implement it)."""
    if spec.kind == "bool":
        return {source: name, "eq": True}
    if spec.kind == "number":
        return {source: name, "ge": 1}
    if spec.kind == "enum":
        return {source: name, "in": list(spec.values[:2])}
    if spec.kind == "commune":
        return {source: name, "in": ["67482", "67043"]}
    return {source: name, "any_of": list(spec.values[:3])}


def registry_grid(combination: str) -> dict:
    """Every field and fact of the registry in one grid, plus a verified.* field."""
    effect = {"coefficient": 1.1} if combination == "coefficients" else {"points": 7}
    criteria = []
    entries = [("field", n, s) for n, s in FIELDS.items()] + [("fact", n, s) for n, s in FACTS.items()]
    for i, (source, name, spec) in enumerate(entries):
        criteria.append({"id": f"c{i}", "label": name, "when": _condition_for(source, name, spec),
                         "effect": effect, "counts_if": "verified" if i % 3 == 0 else "declared"})
    criteria.append({"id": "verif", "label": "v", "when": {"field": "verified.rfr_n2", "eq": "verified"},
                     "effect": effect})
    criteria.append({"id": "negation", "label": "n", "when": {"not": {"all": [
        {"fact": "taux_effort_logement_actuel", "ne": 0.2}, {"field": "current_housing.commune", "is_null": False}]}},
        "effect": effect})
    criteria.append({"id": "vide", "label": "e", "when": {"field": "reasons", "empty": True}, "effect": effect})
    criteria.append({"id": "tous", "label": "a", "when": {"fact": "contrats_adultes", "all_of": ["cdd", "chomage"]},
                     "effect": effect})
    criteria.append({"id": "aucun", "label": "a", "when": {"field": "priority.l441_1", "none_of": ["handicap"]},
                     "effect": effect})
    mobility = {"by": {"fact": "portee_mobilite"}, "values": {"hors_epci": 1.8, "epci": 1.3}}
    if combination == "points":
        mobility = {"by": {"fact": "portee_mobilite"}, "values": {"hors_epci": 30, "epci": 15}, "default": 2}
    criteria.append({"id": "mob", "label": "m", "when": {"always": True},
                     "effect": {"coefficient" if combination == "coefficients" else "points": mobility}})
    return {
        "id": "registre", "label": "Tout le registre",
        "territory": {"epci": "Test", "communes": list(STRASBOURG.territory.communes)},
        "version": combination, "effective_on": "2020-01-01", "combination": combination,
        "seniority": {"points_per_month": 0.5, "max_months": 60},
        "refusals": {"reset_base": True, "penalty_points": 3, "max_counted": 2, "only_adapted": True,
                     "window_months": 18},
        "verified_file_bonus": {"label": "b", "keys": ["rfr_n2"], "include_applied_criteria": True,
                                "effect": effect},
        "score": {"min": 1, "max": 400},
        "priority": {"criteria": ["c0"]},
        "criteria": criteria,
    }


GRIDS = [STRASBOURG, ORLEANS, parse_grid(registry_grid("coefficients")), parse_grid(registry_grid("points"))]


def assert_same(table: DemandeTable, grid, on=ON):
    batch = cotation_batch(table, grid, on)
    for i, d in enumerate(table.to_demandes()):
        explained = cotation(d, grid, on)
        choices = [s for s in batch.by_choice[i] if not np.isnan(s)]
        assert explained.score == batch.score[i], (grid.ref, i)
        assert [c.score for c in explained.by_choice] == choices, (grid.ref, i)
        assert explained.base == batch.base[i]
        assert explained.priority == batch.priority[i]
        assert explained.refusals_counted == batch.refusals_counted[i]


@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: g.ref)
def test_batch_equals_explained_on_seeded_random_data(grid):
    table = synthetic_table(1500, ON, STRASBOURG.territory.communes, OUTSIDE, seed=11)
    assert_same(table, grid)


@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: g.ref)
def test_table_from_records_gives_the_same_scores(grid):
    synthetic = synthetic_table(500, ON, STRASBOURG.territory.communes, OUTSIDE, seed=5)
    rebuilt = DemandeTable.from_demandes(synthetic.to_demandes())
    a = cotation_batch(synthetic, grid, ON)
    b = cotation_batch(rebuilt, grid, ON)
    assert np.array_equal(a.score, b.score)
    assert_same(rebuilt, grid)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), grid=st.sampled_from(GRIDS),
       on=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_property_batch_equals_explained(seed, grid, on):
    table = synthetic_table(60, on, STRASBOURG.territory.communes, OUTSIDE, seed=seed)
    assert_same(table, grid, on)


def test_applies_to_mutations_masks_other_rows():
    data = registry_grid("points")
    data["applies_to"] = "mutations"
    grid = parse_grid(data)
    table = synthetic_table(200, ON, STRASBOURG.territory.communes, OUTSIDE, seed=2)
    result = cotation_batch(table, grid, ON)
    assert np.array_equal(np.isnan(result.score), ~table.is_mutation)


@settings(max_examples=50, deadline=None)
@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2031, 1, 1)),
       on=st.dates(min_value=date(2000, 1, 1), max_value=date(2031, 1, 1)))
def test_property_months_between_matches_facts(start, on):
    assert months_between(np.array([np.datetime64(start, "D")]), on)[0] == seniority_months(start, on)


@settings(max_examples=200, deadline=None)
@given(birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2031, 1, 1)),
       on=st.dates(min_value=date(2000, 1, 1), max_value=date(2031, 1, 1)),
       years=st.integers(min_value=0, max_value=100))
def test_property_younger_than_matches_facts(birth, on, years):
    got = younger_than(np.array([np.datetime64(birth, "D"), np.datetime64("NaT")]), on, years)
    assert got.tolist() == [age_on(birth, on) < years, False]


@pytest.mark.parametrize("on", [date(2028, 2, 29), date(2024, 2, 29), date(2026, 3, 1)])
def test_younger_than_around_29_february(on):
    """Every birth date of the threshold's neighbourhood, leap years and common ones."""
    for years in (14, 18, 4):
        births = [date(on.year - years, 2, 20) + timedelta(days=k) for k in range(15)]
        got = younger_than(np.array(births, dtype="datetime64[D]"), on, years)
        assert got.tolist() == [age_on(b, on) < years for b in births]


def test_synthetic_generator_is_reproducible():
    a = synthetic_table(100, ON, ["67482"], seed=9)
    b = synthetic_table(100, ON, ["67482"], seed=9)
    assert np.array_equal(a.rent, b.rent, equal_nan=True)
    assert len(a) == 100
