"""Dated regulatory parameters: lookup rules, provenance and the derivation chains (docs/parameters.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from matching import parameters as P
from matching.household import (
    HouseholdCategory,
    PlafondNotProvided,
    plafond,
    plafond_parameter_names,
)

CASES = Path(__file__).parent / "cases" / "eligibility"
ZONES = ("paris_limitrophes", "ile_de_france", "autres_regions")
KEYS = tuple(f"categorie_{i}" for i in range(1, 7)) + ("personne_supplementaire",)
PLUS_SOURCED_YEARS = (2025, 2026)


def value(name: str, year: int) -> P.ParameterValue:
    return P.get(name, date(year, 6, 1))


def irl(year: int) -> float:
    return P.get("irl.revalorisation_plafonds", date(year, 1, 1)).value


# --------------------------------------------------------------------------- lookup rules


def test_the_current_year_has_a_plus_ceiling():
    # Intended to fail on 1 January of a year whose ceilings were not added yet: add the new
    # arrêté's values to matching/parameters/plafonds_ressources/plus.yaml.
    today = date.today()
    for zone in ZONES:
        found = P.get(f"plafonds_ressources.plus.{zone}.categorie_1", today)
        assert found.start.year == today.year


def test_a_year_after_the_last_ceiling_raises_parameter_missing():
    with pytest.raises(P.ParameterMissing) as excinfo:
        P.get("plafonds_ressources.plus.autres_regions.categorie_1", date(2027, 1, 1))
    message = str(excinfo.value)
    assert "2027-01-01" in message and "aucune valeur" in message and "2026-12-31" in message


def test_a_date_before_the_first_value_raises_parameter_missing():
    with pytest.raises(P.ParameterMissing, match="première valeur au 2023-01-01"):
        P.get("plafonds_ressources.plus.autres_regions.categorie_1", date(2022, 12, 31))


def test_lookup_takes_the_latest_start_on_or_before_the_date():
    name = "plafonds_ressources.plus.autres_regions.categorie_1"
    assert P.get(name, date(2025, 12, 31)).value == 23201
    assert P.get(name, date(2026, 1, 1)).value == 23403


def test_non_yearly_parameters_stay_valid_until_replaced():
    assert P.get("menage.jeune_menage_somme_ages_max", date(2031, 1, 1)).value == 55
    assert P.get("proposition.delai_reponse_jours", date(2030, 5, 5)).value == 10


def test_unknown_parameter_is_an_error():
    with pytest.raises(P.UnknownParameter):
        P.get("plafonds_ressources.plus.mars.categorie_1", date(2026, 1, 1))


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_gap_in_a_yearly_series_is_not_bridged(tmp_path):
    params = P.Parameters.load(write(tmp_path, """
s:
  yearly: true
  values:
    2023-01-01: {value: 1, reference: r}
    2025-01-01: {value: 3, reference: r}
"""))
    assert params.get("p.s", date(2023, 7, 1)).value == 1
    with pytest.raises(P.ParameterMissing):
        params.get("p.s", date(2024, 7, 1))
    assert params.get("p.s", date(2025, 7, 1)).value == 3


def test_explicit_valid_until(tmp_path):
    params = P.Parameters.load(write(tmp_path, """
s:
  values:
    2023-01-01: {value: 1, reference: r, valid_until: 2023-06-30}
"""))
    with pytest.raises(P.ParameterMissing):
        params.get("p.s", date(2023, 7, 1))


@pytest.mark.parametrize(
    "text",
    [
        "s: {values: {2023-01-01: {value: 1}}}",  # no reference
        "s: {values: {2023-01-01: {value: 1, reference: r, derived: true}}}",  # derived, no how
        "s: {values: {2023-01-01: {value: 1, reference: r, typo: 2}}}",  # unknown key
        "s: {values: {}}",  # empty series
    ],
)
def test_loader_rejects_malformed_values(tmp_path, text):
    with pytest.raises(P.ParameterError):
        P.Parameters.load(write(tmp_path, text))


# --------------------------------------------------------------------------- provenance


def test_every_value_has_a_reference_and_derived_values_say_how():
    params = P.default()
    for name in params.names():
        for v in params.parameter(name).values:
            assert v.reference.strip(), name
            if v.derived:
                assert v.derivation and v.derivation.strip(), (name, v.start)


def test_ceilings_are_yearly_series():
    params = P.default()
    for name in params.names():
        if name.startswith("plafonds_ressources."):
            assert params.parameter(name).yearly, name


def test_plus_2023_to_2026_are_published_values_not_estimates():
    for zone in ZONES:
        for key in KEYS:
            name = f"plafonds_ressources.plus.{zone}.{key}"
            for year in (2024, 2025, 2026):
                found = value(name, year)
                assert found.provenance == P.SOURCED and found.url, (name, year)
            assert not value(name, 2023).derived


def test_no_plai_value_of_2024_or_2025_comes_from_the_irl_chain_where_a_table_was_found():
    # 2024 is the published table (single publication: to verify); 2025 is published for
    # Paris and for the categories shared with Île-de-France, derived elsewhere; 2026 derived.
    for zone in ZONES:
        for key in KEYS:
            name = f"plafonds_ressources.plai.{zone}.{key}"
            assert not value(name, 2022).derived
            assert value(name, 2024).provenance == P.TO_VERIFY, name
            assert value(name, 2026).provenance == P.DERIVED, name
    assert value("plafonds_ressources.plai.paris_limitrophes.categorie_1", 2025).provenance == P.SOURCED
    assert value("plafonds_ressources.plai.ile_de_france.categorie_5", 2025).provenance == P.DERIVED


def test_plai_2025_paris_is_the_published_14_683_not_the_drifted_14_682():
    assert value("plafonds_ressources.plai.paris_limitrophes.categorie_1", 2025).value == 14683
    assert value("plafonds_ressources.plai.paris_limitrophes.personne_supplementaire", 2025).value == 5121


def test_jeune_menage_limit_is_marked_to_verify():
    found = P.get("menage.jeune_menage_somme_ages_max", date(2026, 1, 1))
    assert found.value == 55 and found.to_verify
    assert "29 juillet 1987" in found.reference


def test_default_typology_table():
    table = P.get("typologie.adequation", date(2026, 1, 1)).value
    assert table == {
        "T1": {"min": 1, "max": 1}, "T2": {"min": 1, "max": 2}, "T3": {"min": 2, "max": 4},
        "T4": {"min": 3, "max": 6}, "T5": {"min": 4, "max": 8}, "T6": {"min": 5, "max": None},
    }


def test_caf_occupancy_norm_and_refusal_delay():
    on = date(2026, 1, 1)
    assert P.get("suroccupation_caf.surface_2_personnes", on).value == 16
    assert P.get("suroccupation_caf.surface_par_personne_supplementaire", on).value == 9
    assert P.get("suroccupation_caf.surface_maximum_exigee", on).value == 70
    assert P.get("proposition.delai_reponse_jours", on).value == 10


# --------------------------------------------------------------------------- derivation chains


def test_irl_chain_reproduces_plus_autres_regions_categorie_1():
    # docs/regulation.md, « Révision annuelle des plafonds »: 21 878 (2023) → 22 642 (2024) → 23 201 (2025) → 23 403 (2026).
    amounts = [21878]
    for year in (2024, 2025, 2026):
        amounts.append(P.revalue(amounts[-1], irl(year)))
    assert amounts == [21878, 22642, 23201, 23403]
    name = "plafonds_ressources.plus.autres_regions.categorie_1"
    assert [value(name, y).value for y in (2023, 2024, 2025, 2026)] == amounts


def test_irl_rates():
    assert [irl(y) for y in (2023, 2024, 2025, 2026)] == [0.0349, 0.0349, 0.0247, 0.0087]


def test_every_derived_plai_value_follows_the_irl_chain_from_the_latest_sourced_value():
    for zone in ZONES:
        for key in KEYS:
            name = f"plafonds_ressources.plai.{zone}.{key}"
            for year in (2023, 2024, 2025, 2026):
                current = value(name, year)
                if current.derived:
                    assert current.value == P.revalue(value(name, year - 1).value, irl(year)), (name, year)


def test_pls_is_130_percent_of_plus():
    assert value("plafonds_ressources.pls.autres_regions.categorie_1", 2023).value == 28441
    for zone in ZONES:
        for key in KEYS:
            for year in (2023, 2024, 2025, 2026):
                pls = value(f"plafonds_ressources.pls.{zone}.{key}", year)
                plus = value(f"plafonds_ressources.plus.{zone}.{key}", year)
                assert pls.is_estimate == plus.is_estimate, (zone, key, year)
                assert pls.value == P.round_euro(Decimal(plus.value) * Decimal("1.3")), (zone, key, year)


def test_round_euro_rounds_half_up():
    assert P.round_euro(0.5) == 1 and P.round_euro(2.5) == 3 and P.round_euro(2.49) == 2


# --------------------------------------------------------------------------- ceilings


def _plafond_cases() -> list[dict]:
    with (CASES / "plafonds.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


PLAFOND_CASES = _plafond_cases()


@pytest.mark.parametrize("case", PLAFOND_CASES, ids=[c["id"] for c in PLAFOND_CASES])
def test_plafond_case(case):
    category = case["category"]
    extra = case.get("extra_persons", 0)
    household = HouseholdCategory(category, extra, category + extra, category + extra, False, "test")
    result = plafond(case["financing"], case["zone"], household, case["at"])
    assert result.amount == case["expect"]["amount"]
    assert result.derived is case["expect"]["derived"]
    assert result.estimate is case["expect"].get("estimate", result.derived)
    assert result.reference and result.explanation
    if result.derived:
        assert "dérivée" in result.explanation
    assert ("à confirmer" in result.explanation) is result.estimate


def test_pli_ceilings_need_the_household_not_its_hlm_category():
    household = HouseholdCategory(1, 0, 1, 1, False, "test")
    with pytest.raises(TypeError, match="PLI"):
        plafond("PLI", "A", household, date(2026, 1, 1))
    with pytest.raises(PlafondNotProvided):
        plafond_parameter_names("PLI", "A", 1)


def test_every_pli_zone_and_line_has_2024_to_2026_values_and_b2_c_share_a_column():
    for node in ("zone_a_bis", "zone_a", "zone_b1", "zone_b2_c"):
        for line in ("personne_seule", "couple", "une_personne_a_charge", "deux_personnes_a_charge",
                     "trois_personnes_a_charge", "quatre_personnes_a_charge",
                     "par_personne_a_charge_supplementaire"):
            for year in (2024, 2025, 2026):
                assert value(f"plafonds_ressources.pli.{node}.{line}", year).value > 0
    with pytest.raises(P.ParameterMissing):
        value("plafonds_ressources.pli.zone_a.couple", 2027)


def test_plafond_for_2027_refuses_to_answer():
    household = HouseholdCategory(3, 0, 3, 3, False, "test")
    with pytest.raises(P.ParameterMissing):
        plafond("PLUS", "autres_regions", household, date(2027, 2, 1))
