"""Household category and income retained: YAML cases plus invariants (docs/regulation.md, « Catégorie de ménage » and « Revenu retenu »)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from matching.household import categorie_menage, revenu_retenu
from matching.records import Member, parse_demande

CASES = Path(__file__).parent / "cases" / "eligibility"


def load_cases(name: str) -> list[dict]:
    with (CASES / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def birth_date_for(age: int, on: date) -> date:
    """A birth date giving exactly `age` whole years on `on` (birthday on that very day)."""
    return on.replace(year=on.year - age)


def member(spec: dict, on: date) -> Member:
    if "birth_date" in spec:
        born = spec["birth_date"]
    elif "age" in spec:
        born = birth_date_for(spec["age"], on)
    else:
        born = None
    return Member(
        role=spec["role"],
        birth_date=born,
        is_dependent=spec.get("dependent", False),
        has_disability=spec.get("disability", False),
    )


HOUSEHOLD_CASES = load_cases("household.yaml")


@pytest.mark.parametrize("case", HOUSEHOLD_CASES, ids=[c["id"] for c in HOUSEHOLD_CASES])
def test_household_category_case(case):
    on = case["at"]
    result = categorie_menage([member(m, on) for m in case["household"]], on)
    expect = case["expect"]
    assert (result.category, result.extra_persons) == (expect["category"], expect["extra_persons"])
    if "jeune_menage" in expect:
        assert result.is_jeune_menage is expect["jeune_menage"]
    assert result.why and "catégorie" in result.why  # always explained


def test_category_explanation_names_the_rule():
    on = date(2026, 3, 1)
    alone_with_child = [member({"role": "demandeur", "age": 35}, on),
                        member({"role": "enfant", "age": 4, "dependent": True}, on)]
    why = categorie_menage(alone_with_child, on).why
    assert "Personne seule avec 1 personne à charge" in why
    assert "catégorie 3" in why


def test_empty_household_is_rejected():
    with pytest.raises(ValueError):
        categorie_menage([], date(2026, 1, 1))


RFR_CASES = load_cases("rfr.yaml")


def demande_with_income(income: dict) -> object:
    return parse_demande({
        "id": "D-RFR", "filed_on": "2025-01-01",
        "household": [{"role": "demandeur", "birth_date": "1980-01-01"}],
        "current_housing": {"kind": "locataire_prive"}, "wishes": {"communes": ["45234"]},
        **income,
    })


@pytest.mark.parametrize("case", RFR_CASES, ids=[c["id"] for c in RFR_CASES])
def test_income_retained_case(case):
    result = revenu_retenu(demande_with_income(case["demande"]), case["at"])
    expect = case["expect"]
    assert result.amount == pytest.approx(expect["amount"])
    assert result.source == expect["source"]
    assert result.year == expect["year"]
    assert result.why


def test_income_retained_explains_the_drop():
    result = revenu_retenu(demande_with_income({"rfr_n2": 20000, "rfr_n1": 15000}), date(2026, 6, 1))
    assert "au moins 10 %" in result.why and "2025" in result.why


# --------------------------------------------------------------------------- invariants

ON = date(2026, 3, 1)
members_strategy = st.builds(
    Member,
    role=st.sampled_from(["conjoint", "codemandeur", "enfant", "autre"]),
    birth_date=st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2026, 3, 1))),
    is_dependent=st.booleans(),
    has_disability=st.booleans(),
)
applicant_strategy = st.builds(
    Member,
    role=st.just("demandeur"),
    birth_date=st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2008, 1, 1))),
    is_dependent=st.just(False),
    has_disability=st.booleans(),
)


@given(applicant_strategy, st.lists(members_strategy, max_size=9), members_strategy)
def test_adding_a_person_never_lowers_the_category(applicant, others, newcomer):
    before = categorie_menage([applicant, *others], ON)
    after = categorie_menage([applicant, *others, newcomer], ON)
    assert (after.category, after.extra_persons) >= (before.category, before.extra_persons)


@given(applicant_strategy, st.lists(members_strategy, max_size=12))
def test_category_is_bounded_and_extra_persons_follow_equivalent_size(applicant, others):
    result = categorie_menage([applicant, *others], ON)
    assert 1 <= result.category <= 6
    assert result.equivalent_persons >= result.persons
    assert result.extra_persons == max(result.equivalent_persons - 6, 0)
    # No rule adds more than one person to the real size, and jeune ménage only reaches 3.
    assert result.equivalent_persons <= result.persons + 1
