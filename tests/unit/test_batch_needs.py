"""What a grid reads: a table reduced to it scores exactly like the full table."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from matching.batch import TableNeeds, cotation_batch
from matching.grid import load_grid
from tests.support.synthetic import synthetic_table

ON = date(2026, 3, 1)


def _reduced(table, needs: TableNeeds):
    """The table as a loader honouring ``needs`` would build it."""
    verified = {}
    for key in needs.verified_keys:
        column = table.verified.get(key, np.zeros(len(table), np.int8))
        verified[key] = np.where(column == 2, 2, 0).astype(np.int8) if needs.rejected_only \
            else column
    numbers = {c: getattr(table, c) if c in needs.numbers else np.full(len(table), np.nan)
               for c in ("rooms", "surface", "rent", "charges", "monthly_resources", "rfr_n2")}
    return dataclasses.replace(
        table, verified=verified, **numbers,
        typologies=table.typologies if needs.typologies else np.zeros(len(table), np.int64),
        wishes=table.wishes[:, :1] if needs.first_wish_only else table.wishes)


@pytest.mark.parametrize("grid_id", ["eurometropole-strasbourg", "orleans-metropole-exemple"])
def test_a_table_reduced_to_the_needs_of_a_grid_scores_the_same(grid_id):
    grid = load_grid(grid_id)
    table = synthetic_table(3000, ON, grid.territory.communes, ["75056"], seed=4)
    needs = TableNeeds.for_grid(grid, choices=False)
    full = cotation_batch(table, grid, ON, choices=False)
    reduced = cotation_batch(_reduced(table, needs), grid, ON, choices=False)
    np.testing.assert_array_equal(full.score, reduced.score)
    np.testing.assert_array_equal(full.priority, reduced.priority)


def test_needs_follow_what_the_grid_reads():
    strasbourg = TableNeeds.for_grid(load_grid("eurometropole-strasbourg"), choices=False)
    assert strasbourg.rejected_only and not strasbourg.typologies and strasbourg.first_wish_only
    assert strasbourg.numbers == {"rooms", "rent", "charges", "monthly_resources"}
    assert "rfr_n2" not in strasbourg.verified_keys and "household" in strasbourg.verified_keys
    orleans = TableNeeds.for_grid(load_grid("orleans-metropole-exemple"), choices=True)
    assert not orleans.rejected_only  # its verified-file bonus needs "verified" statuses
    assert not orleans.first_wish_only
