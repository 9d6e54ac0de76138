"""Explained cotation: data cases, worked example, explanation lines, properties."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.cotation import GridNotApplicable, cotation, refusal_effect
from matching.grid import load_grid, parse_grid
from matching.records import Refusal, parse_demande
from tests.support.synthetic import synthetic_table

CASES = sorted((Path(__file__).parent / "cases" / "cotation").glob("*.yaml"))
STRASBOURG = load_grid("eurometropole-strasbourg")
ORLEANS = load_grid("orleans-metropole-exemple")


def _load_case(path: Path):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    grid = load_grid(case["grid"]) if isinstance(case["grid"], str) else parse_grid(case["grid"])
    return case, grid, parse_demande(case["demande"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path):
    case, grid, demande = _load_case(path)
    result = cotation(demande, grid, case["at"])
    expect = case["expect"]
    assert result.score == expect["score"], case["description"]
    if "base" in expect:
        assert result.base == expect["base"]
    if "priority" in expect:
        assert result.priority is expect["priority"]
    if "refusals_counted" in expect:
        assert result.refusals_counted == expect["refusals_counted"]
    applied = {ln.id for ln in result.criteria if ln.applied}
    assert set(expect.get("applied", ())) <= applied
    assert not set(expect.get("not_applied", ())) & applied
    if "by_choice" in expect:
        assert [[c.commune, c.score] for c in result.by_choice] == expect["by_choice"]


def test_worked_example_is_exactly_6_4_and_explained():
    _, grid, demande = _load_case(Path(__file__).parent / "cases" / "cotation" / "strasbourg_worked_example.yaml")
    result = cotation(demande, grid, date(2025, 11, 15))
    assert result.score == 6.4
    assert result.base == 4.0
    assert result.grid == "eurometropole-strasbourg@2021-seed"
    effects = {ln.id: ln.effect for ln in result.criteria if ln.applied}
    assert effects["logement_precaire"] == "×1,3"
    assert effects["emploi_precaire"] == "×1,3"
    assert "15 juillet 2025" in effects["refus_remise_a_zero"]
    assert "4 mois à partir du refus du 15 juillet 2025" in next(
        ln.label for ln in result.criteria if ln.id == "anciennete")


def test_json_output_follows_formats_md():
    _, grid, demande = _load_case(Path(__file__).parent / "cases" / "cotation" / "strasbourg_worked_example.yaml")
    out = cotation(demande, grid, date(2025, 11, 15)).to_json()
    assert {"id", "score", "priority", "base", "criteria", "grid", "computed_on", "by_choice"} <= set(out)
    assert out["computed_on"] == "2025-11-15"
    assert out["by_choice"] == [{"commune": "67482", "score": 6.4}]
    assert all(set(c) == {"id", "label", "effect"} for c in out["criteria"])
    full = cotation(demande, grid, date(2025, 11, 15)).to_json(all_lines=True)
    assert any(c["applied"] is False for c in full["criteria"])


def demande(**extra):
    raw = {"id": "D", "filed_on": "2024-01-10", "household": [{"role": "demandeur"}], "rfr_n2": 9000,
           "current_housing": {"kind": "locataire_prive", "commune": "67482"},
           "wishes": {"communes": ["67482"]}}
    raw.update(extra)
    return parse_demande(raw)


def test_priority_reasons_dalo_first_then_l441_1():
    d = demande(priority={"dalo": True, "l441_1": ["violences", "handicap"]})
    result = cotation(d, STRASBOURG, date(2025, 1, 10))
    assert result.priority
    assert result.priority_reasons[0] == "Ménage reconnu prioritaire DALO"
    assert result.priority_reasons[1].startswith("L.441-1 : Personne en situation de handicap")
    assert result.priority_reasons[2].startswith("L.441-1 : Personne victime de violences")
    assert not cotation(demande(), STRASBOURG, date(2025, 1, 10)).priority


def test_rejected_verification_never_counts():
    d = demande(current_housing={"kind": "squat", "commune": "67482"}, verified={"current_housing": "rejected"})
    result = cotation(d, STRASBOURG, date(2025, 1, 10))
    line = next(ln for ln in result.criteria if ln.id == "logement_precaire")
    assert not line.applied and "invalidée" in line.note
    assert result.score == 12.0


def test_overcrowding_uses_occupants_versus_rooms():
    household = [{"role": "demandeur"}, {"role": "conjoint"}, {"role": "enfant", "is_dependent": True}]
    d = demande(household=household, current_housing={"kind": "locataire_prive", "commune": "67482", "rooms": 1})
    assert cotation(d, STRASBOURG, date(2025, 1, 10)).score == round(12 * 1.3, 2)
    d = demande(household=household, current_housing={"kind": "locataire_prive", "commune": "67482", "rooms": 2})
    assert cotation(d, STRASBOURG, date(2025, 1, 10)).score == 12.0


def test_taux_effort_and_reste_a_vivre_from_current_dwelling():
    # 1 200 € of resources, 500 € of housing costs: 41.7 % and 700 / 1 / 30 = 23.3 €/day
    d = demande(monthly_resources=1200, current_housing={"kind": "locataire_prive", "commune": "67482",
                                                         "rent": 450, "charges": 50})
    applied = {ln.id for ln in cotation(d, STRASBOURG, date(2025, 1, 10)).criteria if ln.applied}
    assert "taux_effort" in applied and "reste_a_vivre" not in applied


def test_mutation_only_grid_rejects_other_demandes():
    data = yaml.safe_load((Path(__file__).parent / "cases" / "cotation" / "refusal_time_window.yaml").read_text())
    data["grid"]["applies_to"] = "mutations"
    grid = parse_grid(data["grid"])
    with pytest.raises(GridNotApplicable) as info:
        cotation(demande(), grid, date(2025, 1, 10))
    assert info.value.path == "is_mutation"
    assert cotation(demande(is_mutation=True), grid, date(2025, 1, 10)).score == 12.0


def test_refusal_effect_tells_the_cost_of_refusing():
    now, after = refusal_effect(demande(), STRASBOURG, date(2025, 1, 10))
    assert (now, after) == (12.0, 0.0)
    now, after = refusal_effect(demande(filed_on="2020-01-10"), ORLEANS, date(2026, 1, 10))
    assert (now, after) == (72.0, 42.0)
    # the floor of the grid: 24 points minus 30 stays at 0
    assert refusal_effect(demande(), ORLEANS, date(2026, 1, 10)) == (24.0, 0.0)


def test_mobility_needs_epci_communes_when_the_grid_has_none():
    grid = dataclasses.replace(STRASBOURG, territory=dataclasses.replace(STRASBOURG.territory, communes=()))
    d = demande(reasons=["mobilite_professionnelle"], current_housing={"kind": "autre", "commune": "67043"})
    with pytest.raises(ValueError, match="epci_communes"):
        cotation(d, grid, date(2025, 1, 10))
    assert cotation(d, grid, date(2025, 1, 10), epci_communes=["67043", "67482"]).score == round(12 * 1.3, 2)


# ---- properties

ON = date(2026, 3, 1)


def _rows(seed: int, grid):
    return synthetic_table(40, ON, grid.territory.communes, ["75056", "45001"], seed=seed).to_demandes()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), days=st.integers(1, 2000), grid=st.sampled_from([STRASBOURG, ORLEANS]))
def test_property_more_seniority_never_lowers_a_score(seed, days, grid):
    for d in _rows(seed, grid):
        older = dataclasses.replace(d, filed_on=d.filed_on - timedelta(days=days))
        assert cotation(older, grid, ON).score >= cotation(d, grid, ON).score


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), back=st.integers(0, 3000), adapted=st.booleans(),
       grid=st.sampled_from([STRASBOURG, ORLEANS]))
def test_property_adding_a_refusal_never_raises_a_score(seed, back, adapted, grid):
    for d in _rows(seed, grid):
        refusal = Refusal(date=ON - timedelta(days=back), adapted=adapted)
        more = dataclasses.replace(d, refusals=tuple(sorted(d.refusals + (refusal,), key=lambda r: r.date)))
        assert cotation(more, grid, ON).score <= cotation(d, grid, ON).score
