"""Legal caps on the shares of conventions de réservation (CCH R.441-5)."""

from __future__ import annotations

import pytest

from matching import flux
from matching.records import Convention


def _convention(kind: str, share: float, origin: str = "financement", bailleur: str = "b") -> Convention:
    return Convention(id=f"C-{kind}-{share}", bailleur=bailleur, reservataire=f"r-{kind}",
                      reservataire_kind=kind, departement="45", year=2026,
                      share_percent=share, origin=origin)


@pytest.mark.parametrize(
    "conventions, code",
    [
        ([_convention("etat", 31.0)], "plafond_etat"),  # State above 30 % in total
        ([_convention("etat", 26.0), _convention("etat_agents", 5.0)], "plafond_etat"),  # 31 % together
        ([_convention("etat_agents", 6.0)], "plafond_etat_agents"),  # State employees above 5 %
        ([_convention("commune", 21.0, "garantie_emprunt")], "plafond_garantie_emprunt"),
        ([_convention("commune", 12.0, "garantie_emprunt"),
          _convention("epci", 9.0, "garantie_emprunt")], "plafond_garantie_emprunt"),
        ([_convention("action_logement", 60.0), _convention("autre", 45.0)], "total_superieur_100"),
    ],
)
def test_each_cap_violation_is_reported_once(conventions, code):
    violations = flux.check_caps(conventions)
    assert [v.code for v in violations] == [code]
    assert "%" in violations[0].message


def test_shares_at_the_caps_are_allowed():
    conventions = [
        _convention("etat", 25.0), _convention("etat_agents", 5.0),
        _convention("commune", 20.0, "garantie_emprunt"),
        _convention("epci", 15.0, "financement"),  # not a loan guarantee: outside the 20 % cap
        _convention("action_logement", 35.0),
    ]
    assert flux.check_caps(conventions) == []


def test_caps_are_checked_per_bailleur():
    conventions = [_convention("etat", 20.0, bailleur="a"), _convention("etat", 20.0, bailleur="b")]
    assert flux.check_caps(conventions) == []
