"""The example grid of the demo territory and the demo data name the same communes."""

from __future__ import annotations

from app.demo import generate
from matching.grid import load_grid


def test_orleans_example_grid_covers_exactly_the_demo_epci_communes():
    grid = load_grid("orleans-metropole-exemple")
    members = {c["insee"] for c in generate.member_communes()}
    assert len(members) == 22
    assert set(grid.territory.communes) == members
