"""Household incomes placed relative to the engine's income ceilings.

The generator holds no regulatory figure: the household category comes from
``matching.household.categorie_menage`` and the PLAI and PLUS ceilings from
``matching.household.plafond``, i.e. the dated parameters of ``matching/parameters/``
(docs/regulation.md, « Catégorie de ménage » and « Plafonds de ressources »), in the zone of
the EPCI's communes. A date the parameters do not cover raises
``ParameterMissing``: the demo never falls back on an older ceiling.

What is assumed here is only the *distribution* of incomes around those ceilings (demo
assumption, not a statistic): about a quarter of households under the PLAI ceiling, about 5 %
above the PLUS ceiling, the rest in between, each income kept clear of the ceilings by the
margins below so that the verdict of the engine is never a matter of a few euros.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from matching import parameters as params
from matching.household import HouseholdCategory, categorie_menage, plafond
from matching.records import Member

from .territory import ZONE

# Margins (fractions of the ceiling) an income keeps from the ceilings it is drawn around.
UNDER_PLAI = (0.05, 0.97)  # "under PLAI": 5 % to 97 % of the PLAI ceiling
BETWEEN = (1.01, 0.995)  # "between": from PLAI + 1 % to PLUS − 0.5 %
OVER_PLUS = (1.01, 1.6)  # "over PLUS": 101 % to 160 % of the PLUS ceiling
NO_INCOME_SHARE = 0.25  # of the households under PLAI, those with a zero RFR


def member(raw: Mapping[str, Any]) -> Member:
    """The engine's view of one generated household member."""
    return Member(
        role=raw["role"],
        birth_date=date.fromisoformat(raw["birth_date"]),
        is_dependent=raw["is_dependent"],
        has_disability=raw["has_disability"],
    )


class Ceilings:
    """The engine's PLAI and PLUS ceilings in the demo zone on one date, by household.

    Ceilings are asked of the engine once per (category, persons beyond six); the category
    is asked of the engine for every household.
    """

    def __init__(self, on: date, parameters: params.Parameters | None = None):
        self.on = on
        self.parameters = parameters or params.default()
        self._amounts: dict[tuple[int, int], tuple[int, int]] = {}
        self.of_category(categorie_menage([Member("demandeur")], on, self.parameters))  # fail now

    def category(self, members: Sequence[Mapping[str, Any]]) -> HouseholdCategory:
        """The household category of generated members, by ``matching.household``."""
        return categorie_menage([member(m) for m in members], self.on, self.parameters)

    def of_category(self, category: HouseholdCategory) -> tuple[int, int]:
        """(PLAI ceiling, PLUS ceiling) in €/year for a household category."""
        key = (category.category, category.extra_persons)
        if key not in self._amounts:
            self._amounts[key] = (
                plafond("PLAI", ZONE, category, self.on, self.parameters).amount,
                plafond("PLUS", ZONE, category, self.on, self.parameters).amount,
            )
        return self._amounts[key]

    def __call__(self, members: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
        """(PLAI ceiling, PLUS ceiling) in €/year for generated members."""
        return self.of_category(self.category(members))


def household_category(
    members: Sequence[Mapping[str, Any]], on: date, parameters: params.Parameters | None = None
) -> tuple[int, int]:
    """(catégorie de ménage 1–6, persons beyond six) of generated members, by the engine."""
    category = categorie_menage([member(m) for m in members], on, parameters)
    return category.category, category.extra_persons


def ceilings(
    members: Sequence[Mapping[str, Any]], on: date, parameters: params.Parameters | None = None
) -> tuple[int, int]:
    """(PLAI, PLUS) ceilings of generated members on a date, demo zone, by the engine."""
    return Ceilings(on, parameters)(members)


def draw_income(
    rng: random.Random, plai: float, plus: float, working: bool, size: int, children: int
) -> tuple[int, int]:
    """(RFR N-2, monthly resources): ≈25 % below PLAI, ≈5 % above PLUS overall."""
    u = rng.random()
    low, high = (0.16, 0.93) if working else (0.42, 0.985)
    if u < low:
        rfr = 0.0 if rng.random() < NO_INCOME_SHARE else plai * rng.uniform(*UNDER_PLAI)
    elif u < high:
        rfr = rng.uniform(plai * BETWEEN[0], plus * BETWEEN[1])
    else:
        rfr = plus * rng.uniform(*OVER_PLUS)
    # RFR ≈ 90 % of taxable income (10 % deduction); add non-taxable benefits for low incomes.
    monthly = rfr / 0.9 / 12 * rng.uniform(0.9, 1.15)
    if rfr < plai:
        monthly += rng.uniform(350, 650) + 150 * min(size - 1, 4)
    if children >= 2:
        monthly += 140 + 180 * (children - 2)
    return round(rfr), round(monthly)
