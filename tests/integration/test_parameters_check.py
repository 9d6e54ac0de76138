"""The operator's yearly update: an override directory, checked at start-up and by a command.

``COTAFLUX_PARAMETERS_DIR`` (environment, or the app config) names a directory of YAML files in
the shipped format; the app validates it at start-up (production refuses an invalid one) and
``flask parameters check [--year Y]`` lists what a year lacks: status 0 when nothing is
missing, 1 when values are missing, 2 when the directory is invalid.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date
from pathlib import Path

import pytest
import yaml

from app import create_app
from app.parameters import (
    ParametersDirectoryError,
    coming_year_gaps,
    current_year_gaps,
    default_check_year,
    loaded,
    series_of,
)
from matching import parameters as params

PLUS_CAT1 = "plafonds_ressources.plus.autres_regions.categorie_1"


@pytest.fixture(autouse=True)
def _no_override_in_environment(monkeypatch):
    monkeypatch.delenv(params.OVERRIDE_ENV, raising=False)
    params.default.cache_clear()
    yield
    params.default.cache_clear()


def _app(**config):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **config})


def _file_and_keys(name: str) -> tuple[Path, list[str]]:
    """Where a parameter lives in the shipped layout: its file and its keys inside it."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = Path(*parts[:cut]).with_suffix(".yaml")
        if (params.PARAMETERS_DIR / path).is_file():
            return path, parts[cut:]
    raise AssertionError(f"no shipped file for {name}")


def write_overrides(directory: Path, values: dict[str, object], year: int = 2027) -> Path:
    """An override directory giving each parameter a value on 1 January of ``year``."""
    trees: dict[Path, dict] = {}
    for name, value in values.items():
        path, keys = _file_and_keys(name)
        node = trees.setdefault(path, {})
        for key in keys:
            node = node.setdefault(key, {})
        node["values"] = {date(year, 1, 1): {
            "value": value, "reference": f"Arrêté du 20 décembre {year - 1} (essai)"}}
    for path, tree in trees.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    return directory


def complete_2027(directory: Path) -> Path:
    """Every parameter missing in 2027 given its 2026 value (the figure does not matter here)."""
    shipped = params.Parameters.load()
    return write_overrides(directory, {
        name: shipped.get(name, date(2026, 6, 1)).value for name in shipped.missing_for(2027)})


def invalid(directory: Path) -> Path:
    (directory / "plafonds_ressources").mkdir(parents=True)
    (directory / "plafonds_ressources" / "plus.yaml").write_text(
        "autres_regions:\n  categorie_1:\n    values:\n      2027-01-01: {value: 23600}\n",
        encoding="utf-8")
    (directory / "plafonds_ressources" / "plux.yaml").write_text(
        "autres_regions:\n  categorie_1:\n    values:\n"
        "      2027-01-01: {value: 23600, reference: Arrêté}\n", encoding="utf-8")
    return directory


# --- the override directory ------------------------------------------------------------


def test_a_2027_value_in_the_override_directory_is_served(tmp_path):
    app = _app(COTAFLUX_PARAMETERS_DIR=str(write_overrides(tmp_path, {PLUS_CAT1: 23600})))

    with app.app_context():
        value = loaded().get(PLUS_CAT1, date(2027, 1, 1))
        assert value.value == 23600
        assert value.reference.startswith("Arrêté du 20 décembre 2026")
        assert loaded().get(PLUS_CAT1, date(2026, 1, 1)).value != 23600  # 2026 is unchanged
        assert PLUS_CAT1 not in current_year_gaps(date(2027, 1, 1))


def test_the_environment_variable_reaches_the_engine_the_pages_use(tmp_path, monkeypatch):
    monkeypatch.setenv(params.OVERRIDE_ENV, str(write_overrides(tmp_path, {PLUS_CAT1: 23600})))
    params.default.cache_clear()
    app = _app()

    with app.app_context():
        assert loaded() is params.default()
        assert params.get(PLUS_CAT1, date(2027, 3, 1)).value == 23600


def test_production_refuses_to_start_with_an_invalid_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv(params.OVERRIDE_ENV, str(invalid(tmp_path)))

    with pytest.raises(ParametersDirectoryError) as refused:
        create_app("production")

    message = str(refused.value)
    assert "répertoire de paramètres invalide (2 problème(s))" in message
    plus, plux = (str(tmp_path / "plafonds_ressources" / f) for f in ("plus.yaml", "plux.yaml"))
    assert f"{plus}: {PLUS_CAT1}@2027-01-01: chaque valeur doit avoir « value » et « reference »" \
        in message
    assert f"{plux}: paramètre inconnu 'plafonds_ressources.plux.autres_regions" in message


def test_production_starts_with_a_valid_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv(params.OVERRIDE_ENV, str(write_overrides(tmp_path, {PLUS_CAT1: 23600})))

    assert create_app("production").config["COTAFLUX_CONFIG_NAME"] == "production"


def test_development_and_testing_start_and_log_the_problems(tmp_path, caplog):
    # So that the admin home and `flask parameters check` can show them to the developer.
    with caplog.at_level(logging.ERROR, logger="app"):
        app = _app(COTAFLUX_PARAMETERS_DIR=str(invalid(tmp_path)))

    assert "répertoire de paramètres invalide (2 problème(s))" in caplog.text
    assert "plux.yaml" in caplog.text
    assert app.extensions["cotaflux.parameter_problems"]


# --- gaps of the coming and current years ----------------------------------------------


def test_the_coming_year_is_watched_from_1_december():
    app = _app()
    with app.app_context():
        assert coming_year_gaps(date(2026, 11, 30)) == []
        gaps = coming_year_gaps(date(2026, 12, 1))
        assert PLUS_CAT1 in gaps and "irl.revalorisation_plafonds" in gaps
        assert series_of(gaps) == ["PLAI", "PLUS", "PLS", "PLI", "IRL"]
        assert current_year_gaps(date(2026, 12, 1)) == []
        assert series_of(current_year_gaps(date(2027, 1, 1))) == series_of(gaps)


def test_the_default_year_of_the_check():
    assert default_check_year(date(2026, 11, 30)) == 2026
    assert default_check_year(date(2026, 12, 1)) == 2027
    assert default_check_year(date(2027, 1, 1)) == 2027


# --- flask parameters check ---------------------------------------------------------------


def test_check_lists_what_the_coming_year_lacks_from_1_december_and_exits_1():
    app = _app(PLATFORM_TODAY="2026-12-02")

    result = app.test_cli_runner().invoke(args=["parameters", "check"])

    assert result.exit_code == 1
    missing = params.missing_for(2027)
    assert (f"{len(missing)} paramètre(s) sans valeur au 1er janvier 2027 "
            "(PLAI, PLUS, PLS, PLI, IRL) :") in result.output
    assert f"  {PLUS_CAT1}\n" in result.output
    assert "COTAFLUX_PARAMETERS_DIR : non défini" in result.output


def test_check_before_1_december_controls_the_current_year_and_exits_0():
    app = _app(PLATFORM_TODAY="2026-11-30")

    result = app.test_cli_runner().invoke(args=["parameters", "check"])

    assert result.exit_code == 0, result.output
    assert "Tous les paramètres ont une valeur au 1er janvier 2026." in result.output


@pytest.mark.parametrize("year, status", [(2026, 0), (2027, 1), (2022, 1)])
def test_check_year_option(year, status):
    result = _app(PLATFORM_TODAY="2026-12-02").test_cli_runner().invoke(
        args=["parameters", "check", "--year", str(year)])

    assert result.exit_code == status, result.output


def test_check_passes_once_the_override_directory_completes_the_year(tmp_path):
    app = _app(PLATFORM_TODAY="2026-12-02", COTAFLUX_PARAMETERS_DIR=str(complete_2027(tmp_path)))

    result = app.test_cli_runner().invoke(args=["parameters", "check"])

    assert result.exit_code == 0, result.output
    assert f"COTAFLUX_PARAMETERS_DIR : {tmp_path}" in result.output
    assert "Tous les paramètres ont une valeur au 1er janvier 2027." in result.output


def test_check_with_a_partial_directory_lists_only_what_is_left(tmp_path):
    app = _app(PLATFORM_TODAY="2026-12-02",
               COTAFLUX_PARAMETERS_DIR=str(write_overrides(tmp_path, {PLUS_CAT1: 23600})))

    result = app.test_cli_runner().invoke(args=["parameters", "check"])

    assert result.exit_code == 1
    assert f"  {PLUS_CAT1}\n" not in result.output
    assert f"{len(params.missing_for(2027)) - 1} paramètre(s) sans valeur" in result.output


def test_check_reports_an_invalid_directory_file_by_file_and_exits_2(tmp_path):
    app = _app(PLATFORM_TODAY="2026-12-02", COTAFLUX_PARAMETERS_DIR=str(invalid(tmp_path)))

    result = app.test_cli_runner().invoke(args=["parameters", "check"])

    assert result.exit_code == 2
    assert f"COTAFLUX_PARAMETERS_DIR={tmp_path} : répertoire invalide, 2 problème(s) :" \
        in result.output
    assert f"{tmp_path / 'plafonds_ressources' / 'plus.yaml'}: {PLUS_CAT1}@2027-01-01" \
        in result.output
    assert "sans valeur" not in result.output
