"""Position among similar demandes and waiting times of similar allocations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.batch import DemandeTable, cotation_batch
from matching.grid import load_grid
from matching.history import Allocation, parse_allocation
from matching.records import RecordError, parse_demande, read_records
from matching.similar import (
    positions,
    similarity_groups,
    similarity_key,
    table_positions,
    waiting_time,
    waiting_times_by_group,
)
from tests.support.synthetic import synthetic_table

ON = date(2026, 3, 1)


def d(ident, filed_on, commune="45234", typologies=("T2", "T3")):
    return parse_demande({"id": ident, "filed_on": filed_on, "household": [{"role": "demandeur"}],
                          "rfr_n2": 1, "current_housing": {"kind": "autre"},
                          "wishes": {"communes": [commune], "typologies": list(typologies)}})


def test_rank_by_score_then_older_filing_inside_each_group():
    table = DemandeTable.from_demandes([
        d("a", "2024-01-01"), d("b", "2023-01-01"), d("c", "2022-01-01"),
        d("other-commune", "2020-01-01", commune="45284"), d("other-typology", "2020-01-01", typologies=("T3",)),
    ])
    score = np.array([10.0, 10.0, 3.0, 50.0, 50.0])
    pos = table_positions(table, score)
    assert pos.rank.tolist() == [2, 1, 3, 1, 1]
    assert pos.count.tolist() == [3, 3, 3, 1, 1]
    assert pos.label(0) == "position 2 sur 3"


def test_unscored_rows_are_excluded():
    group = np.array([1, 1, 1])
    pos = positions(group, np.array([1.0, np.nan, 2.0]), np.array([0, 0, 0]))
    assert pos.rank.tolist() == [2, 0, 1]
    assert pos.count.tolist() == [2, 0, 2]


def test_similarity_key_of_one_demande():
    assert similarity_key(d("a", "2024-01-01", typologies=("T4", "T2"))) == ("45234", "T2")


def test_custom_similarity_key():
    table = synthetic_table(500, ON, ["45234", "45284"], seed=1)
    groups = similarity_groups(table, ("first_choice", "min_typology", "is_mutation"))
    assert len(np.unique(groups)) > len(np.unique(similarity_groups(table)))
    with pytest.raises(ValueError, match="similarité inconnu"):
        similarity_groups(table, ("couleur",))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_property_vectorised_positions_match_brute_force(seed):
    table = synthetic_table(300, ON, ["45234", "45284", "45169"], seed=seed)
    score = cotation_batch(table, load_grid("orleans-metropole-exemple"), ON).score
    group = similarity_groups(table)
    pos = positions(group, score, table.filed_on)
    filed = table.filed_on.astype(np.int64)
    for i in range(0, 300, 7):
        peers = np.flatnonzero(group == group[i])
        better = sum((score[j], -filed[j], -j) > (score[i], -filed[i], -i) for j in peers)
        assert pos.rank[i] == better + 1
        assert pos.count[i] == len(peers)


# ---- waiting times


def alloc(filed, allocated, commune="45234", typology="T2", first=None):
    return Allocation(date.fromisoformat(filed), date.fromisoformat(allocated), commune, typology, first)


def test_waiting_time_needs_five_allocations():
    history = [alloc("2024-01-01", "2025-06-01")] * 4
    result = waiting_time(history, "45234", "T2", ON)
    assert not result.enough and result.count == 4
    assert result.label.startswith("pas assez de données")


def test_waiting_time_mean_median_inside_twelve_months():
    history = [
        alloc("2024-01-01", "2025-01-01"),  # 12 months
        alloc("2024-07-01", "2025-07-01"),  # 12 months
        alloc("2025-01-01", "2026-01-01"),  # 12 months
        alloc("2023-01-01", "2026-01-01"),  # 36 months
        alloc("2025-07-01", "2026-01-01"),  # 6 months
        alloc("2020-01-01", "2025-02-28"),  # outside the window (on or before 2025-03-01)
        alloc("2020-01-01", "2025-03-01"),  # outside: the window is (2025-03-01, 2026-03-01]
        alloc("2025-01-01", "2026-01-01", typology="T3"),  # other typology
        alloc("2025-01-01", "2026-01-01", commune="45284", first="45234"),  # similar by first choice
    ]
    result = waiting_time(history, "45234", "T2", ON)
    assert result.count == 5
    months = sorted([12.0, 36.0, 6.0, 12.0, 12.0])
    assert result.median_months == pytest.approx(12.0, abs=0.1)
    assert result.mean_months == pytest.approx(sum(months) / 5, abs=0.1)
    assert "en moyenne" in result.label
    by_group = waiting_times_by_group(history, ON)
    assert by_group[("45234", "T2")].count == 5
    assert not by_group[("45234", "T3")].enough


def test_parse_allocation_and_errors():
    text = "\n".join([
        '{"demande_filed_on": "2024-01-01", "allocated_on": "2025-01-01", "commune": "45234", "typology": "T2"}',
        '{"demande_filed_on": "2024-01-01", "allocated_on": "2023-01-01", "commune": "45234", "typology": "T2"}',
        '{"demande_filed_on": "2024-01-01", "allocated_on": "2025-01-01", "commune": "45234", "typology": "T9"}',
    ])
    good, errors = read_records(text.splitlines(), parse_allocation)
    assert [n for n, _ in good] == [1]
    assert [str(e).split(":")[0:2] for e in errors] == [["line 2", " allocated_on"], ["line 3", " typology"]]
    with pytest.raises(RecordError):
        parse_allocation({"allocated_on": "2025-01-01"})
