"""The demo's incomes are placed against the engine's ceilings, never against a copy of them.

The generator is given the engine's dated parameters; household categories and income
ceilings are those of ``matching.household``. A generator keeping a ceiling table, an IRL
chain or a category rule of its own would fail these tests as soon as the parameters differ
from its copy.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest

from app.demo import generate as g
from matching import household
from matching import parameters as params
from matching.records import parse_demande

ON = date(2026, 11, 28)
N = 1500


def _changed(base: params.Parameters, changes: dict[str, object]) -> params.Parameters:
    """The shipped parameters with some leaves' values replaced (value → new value)."""
    out = {}
    for name in base.names():
        p = base.parameter(name)
        change = changes.get(name) or next(
            (f for prefix, f in changes.items() if name.startswith(prefix + ".")), None
        )
        if change is not None:
            p = dataclasses.replace(
                p, values=tuple(dataclasses.replace(v, value=change(v.value)) for v in p.values)
            )
        out[name] = p
    return params.Parameters(out)


def _engine_ceilings(d: dict, parameters: params.Parameters) -> tuple[int, int]:
    category = household.categorie_menage(parse_demande(d), ON, parameters)
    return tuple(
        household.plafond(f, g.ZONE, category, ON, parameters).amount for f in ("PLAI", "PLUS")
    )


def _misplaced(demandes: list[dict], parameters: params.Parameters) -> list[tuple]:
    """Incomes in the margins the generator keeps clear around the engine's ceilings.

    Intended placement: no income, or at most 97 % of the PLAI ceiling; or from 101 % of the
    PLAI ceiling to 99.5 % of the PLUS ceiling; or at least 101 % of the PLUS ceiling (half a
    euro of rounding allowed).
    """
    out = []
    for d in demandes:
        plai, plus = _engine_ceilings(d, parameters)
        rfr = d["rfr_n2"]
        placed = (
            rfr <= 0.97 * plai + 0.5
            or 1.01 * plai - 0.5 <= rfr <= 0.995 * plus + 0.5
            or rfr >= 1.01 * plus - 0.5
        )
        if not placed:
            out.append((d["id"], rfr, plai, plus))
    return out


def test_incomes_keep_clear_of_the_engine_ceilings_of_each_household():
    demandes = g.generate_demandes(random.Random(3), N, ON)
    assert _misplaced(demandes, params.default()) == []
    # Each band is populated: the margins are not met by putting everybody far away.
    bands = {"sous PLAI": 0, "entre": 0, "au-dessus PLUS": 0}
    for d in demandes:
        plai, plus = _engine_ceilings(d, params.default())
        key = (
            "sous PLAI"
            if d["rfr_n2"] < plai
            else "entre"
            if d["rfr_n2"] <= plus
            else "au-dessus PLUS"
        )
        bands[key] += 1
    assert bands["sous PLAI"] / N == pytest.approx(0.25, abs=0.05)
    assert bands["au-dessus PLUS"] / N == pytest.approx(0.05, abs=0.025)


def test_scaling_the_engine_ceilings_scales_every_generated_income():
    shipped = params.default()
    scaled = _changed(shipped, {"plafonds_ressources": lambda v: round(v * 1.5)})
    before = g.generate_demandes(random.Random(7), N, ON, shipped)
    after = g.generate_demandes(random.Random(7), N, ON, scaled)
    assert [d["household"] for d in after] == [d["household"] for d in before]
    # Same draws, ceilings 1.5 times higher: each income 1.5 times higher, to rounding.
    off = [
        (b["id"], b["rfr_n2"], a["rfr_n2"])
        for b, a in zip(before, after, strict=True)
        if abs(a["rfr_n2"] - 1.5 * b["rfr_n2"]) > 3
    ]
    assert off == []
    assert sum(a["rfr_n2"] for a in after) > 1.45 * sum(b["rfr_n2"] for b in before)


def test_household_categories_are_the_engines_including_the_jeune_menage_limit():
    # Every couple without dependant whose ages add up to 120 or less becomes a "jeune ménage"
    # (category 3): incomes must follow the category the engine gives with that limit.
    shipped = params.default()
    changed = _changed(
        shipped,
        {
            "menage.jeune_menage_somme_ages_max": lambda v: 120,
            "plafonds_ressources": lambda v: round(v * 1.2),
        },
    )
    demandes = g.generate_demandes(random.Random(11), N, ON, changed)
    jeunes = [
        d
        for d in demandes
        if household.categorie_menage(parse_demande(d), ON, changed).is_jeune_menage
        and not household.categorie_menage(parse_demande(d), ON, shipped).is_jeune_menage
    ]
    assert len(jeunes) > 30  # the changed rule matters for this sample
    assert _misplaced(demandes, changed) == []


def test_a_date_the_ceilings_do_not_cover_fails_clearly():
    last = params.default().parameter("plafonds_ressources.plus.autres_regions.categorie_1")
    uncovered = date(last.values[-1].start.year + 1, 3, 1)
    with pytest.raises(params.ParameterMissing, match="plafonds_ressources"):
        g.generate_demandes(random.Random(1), 10, uncovered)
    with pytest.raises(params.ParameterMissing, match="plafonds_ressources"):
        g.generate_territory(seed=1, demandes=10, logements=10, on=uncovered)
