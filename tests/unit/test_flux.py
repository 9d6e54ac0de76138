"""Legal caps on the shares of conventions de réservation (CCH R.441-5)."""

from __future__ import annotations

import pytest

from matching import flux, parameters
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


# --------------------------------------------------------------------------- dated caps


def test_caps_are_read_from_the_dated_parameters():
    caps = flux.caps_for_year(2026)
    assert (caps.etat, caps.etat_agents, caps.garantie_emprunt) == (30.0, 5.0, 20.0)
    assert all("R.441-5" in v.reference for v in caps.references)


def test_a_convention_of_a_year_without_caps_is_a_clear_error():
    old = Convention(id="C-old", bailleur="b", reservataire="r", reservataire_kind="etat",
                     departement="45", year=2019, share_percent=10.0)
    with pytest.raises(flux.CapsUnavailable, match="aucun plafond légal .* 2019"):
        flux.check_caps([old])


@pytest.fixture
def lower_state_cap_from_2027(tmp_path, monkeypatch):
    """An operator's override: a (hypothetical) State cap of 25 % from 2027."""
    (tmp_path / "flux.yaml").write_text(
        "plafond_etat:\n  values:\n    2027-01-01:\n      value: 25\n"
        "      reference: \"Décret fictif (test)\"\n", encoding="utf-8")
    monkeypatch.setenv(parameters.OVERRIDE_ENV, str(tmp_path))
    parameters.default.cache_clear()
    yield
    monkeypatch.delenv(parameters.OVERRIDE_ENV)
    parameters.default.cache_clear()


def test_caps_follow_the_value_in_force_on_1_january_of_the_year(lower_state_cap_from_2027):
    def etat(year):
        return Convention(id=f"C-{year}", bailleur="b", reservataire="prefet",
                          reservataire_kind="etat", departement="45", year=year, share_percent=27.0)

    assert flux.check_caps([etat(2026)]) == []
    [violation] = flux.check_caps([etat(2027)])
    assert (violation.code, violation.cap, violation.total) == ("plafond_etat", 25.0, 27.0)
    assert "25 %" in violation.message


def test_the_caps_of_a_year_come_from_the_dated_parameters():
    caps = flux.caps_for_year(2026)
    assert (caps.etat, caps.etat_agents, caps.garantie_emprunt) == (30.0, 5.0, 20.0)
    assert all("R.441-5" in value.reference for value in caps.references)
