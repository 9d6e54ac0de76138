"""Operators' override directory (COTAFLUX_PARAMETERS_DIR): values added, errors, what is missing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching import parameters as P

PLUS_AUTRES_CAT1_2027 = """
autres_regions:
  categorie_1:
    values:
      2027-01-01: {value: 23600, reference: "Arrêté de décembre 2026 (test)"}
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return root


def test_an_override_adds_a_year_to_a_shipped_series(tmp_path):
    write(tmp_path, "plafonds_ressources/plus.yaml", PLUS_AUTRES_CAT1_2027)
    params = P.Parameters.load(P.PARAMETERS_DIR, tmp_path)
    name = "plafonds_ressources.plus.autres_regions.categorie_1"
    assert params.get(name, date(2027, 3, 1)).value == 23600
    assert params.get(name, date(2026, 3, 1)).value == 23403  # shipped years kept
    # Still a yearly series: the added value stops at the end of 2027.
    with pytest.raises(P.ParameterMissing):
        params.get(name, date(2028, 1, 1))
    assert params.parameter(name).unit == "EUR/an"


def test_an_override_at_an_existing_date_replaces_the_value(tmp_path):
    write(tmp_path, "plafonds_ressources/plai.yaml", """
ile_de_france:
  categorie_5:
    values:
      2026-01-01: {value: 36900, reference: "Arrêté du 19 décembre 2025, annexe II (test)"}
""")
    params = P.Parameters.load(P.PARAMETERS_DIR, tmp_path)
    found = params.get("plafonds_ressources.plai.ile_de_france.categorie_5", date(2026, 6, 1))
    assert found.value == 36900 and found.provenance == P.SOURCED


def test_the_environment_variable_feeds_the_default_parameters(tmp_path, monkeypatch):
    write(tmp_path, "plafonds_ressources/plus.yaml", PLUS_AUTRES_CAT1_2027)
    monkeypatch.setenv(P.OVERRIDE_ENV, str(tmp_path))
    P.default.cache_clear()
    try:
        assert P.get("plafonds_ressources.plus.autres_regions.categorie_1", date(2027, 1, 1)).value == 23600
    finally:
        monkeypatch.delenv(P.OVERRIDE_ENV)
        P.default.cache_clear()
    with pytest.raises(P.ParameterMissing):
        P.get("plafonds_ressources.plus.autres_regions.categorie_1", date(2027, 1, 1))


def test_validation_names_the_file_and_the_parameter_path(tmp_path):
    write(tmp_path, "plafonds_ressources/plus.yaml", """
autres_regions:
  categorie_2:
    values:
      2027-01-01: {value: 31500}
""")
    write(tmp_path, "plafonds_ressources/plsu.yaml", PLUS_AUTRES_CAT1_2027)  # typo in file name
    problems = P.validate_directory(tmp_path)
    assert len(problems) == 2
    missing_reference = next(p for p in problems if "plus.yaml" in p)
    unknown = next(p for p in problems if "plsu.yaml" in p)
    assert "plafonds_ressources/plus.yaml" in missing_reference
    assert "plafonds_ressources.plus.autres_regions.categorie_2@2027-01-01" in missing_reference
    assert "reference" in missing_reference
    assert "plafonds_ressources/plsu.yaml" in unknown and "paramètre inconnu" in unknown
    with pytest.raises(P.ParameterError, match="plus.yaml"):
        P.Parameters.load(P.PARAMETERS_DIR, tmp_path)


def test_a_valid_directory_has_no_problem_and_a_missing_one_is_reported(tmp_path):
    write(tmp_path, "plafonds_ressources/plus.yaml", PLUS_AUTRES_CAT1_2027)
    assert P.validate_directory(tmp_path) == []
    assert "introuvable" in P.validate_directory(tmp_path / "absent")[0]


def test_missing_for_lists_the_series_without_a_value_on_1_january(tmp_path):
    assert P.missing_for(2026) == []
    missing = P.missing_for(2027)
    assert "irl.revalorisation_plafonds" in missing
    assert "plafonds_ressources.plus.autres_regions.categorie_1" in missing
    assert "menage.jeune_menage_somme_ages_max" not in missing  # not a yearly series
    write(tmp_path, "plafonds_ressources/plus.yaml", PLUS_AUTRES_CAT1_2027)
    with_2027 = P.Parameters.load(P.PARAMETERS_DIR, tmp_path).missing_for(2027)
    assert "plafonds_ressources.plus.autres_regions.categorie_1" not in with_2027
    assert len(with_2027) == len(missing) - 1
