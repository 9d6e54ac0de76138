"""``python -m matching parameters``: listing (table, JSON, --at) and ``check`` exit codes."""

from __future__ import annotations

import json

from matching import parameters as P
from matching.__main__ import main


def test_json_lists_every_parameter_with_its_provenance(capsys):
    assert main(["parameters", "--format", "json", "--at", "2025-06-01"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(P.default().names())
    plai = rows["plafonds_ressources.plai.paris_limitrophes.categorie_1"]
    assert (plai["value"], plai["start"], plai["provenance"]) == (14683, "2025-01-01", "sourced")
    assert rows["plafonds_ressources.plai.ile_de_france.categorie_5"]["provenance"] == "derived"
    assert rows["menage.jeune_menage_somme_ages_max"]["provenance"] == "to_verify"


def test_without_a_date_the_latest_value_is_listed_and_a_date_too_early_says_missing(capsys):
    assert main(["parameters", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["plafonds_ressources.plus.autres_regions.categorie_1"]["start"] == "2026-01-01"
    assert main(["parameters", "--format", "json", "--at", "2020-01-01"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    early = rows["plafonds_ressources.pli.zone_a.couple"]
    assert early["value"] is None and "aucune valeur" in early["missing"]


def test_table_has_one_line_per_parameter(capsys):
    assert main(["parameters", "--at", "2026-01-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("paramètre")
    assert len(lines) == 1 + len(P.default().names())
    assert any(line.startswith("plafonds_ressources.pls.ile_de_france.categorie_4")
               and "75309" in line and line.endswith("sourced") for line in lines)


def test_check_exits_1_and_lists_what_a_year_lacks(capsys):
    assert main(["parameters", "check", "--year", "2027"]) == 1
    out = capsys.readouterr().out
    assert "sans valeur au 1er janvier 2027" in out and "irl.revalorisation_plafonds" in out
    assert main(["parameters", "check", "--year", "2026", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"year": 2026, "missing": []}


def test_check_reads_an_override_directory_and_refuses_a_broken_one(tmp_path, capsys):
    (tmp_path / "irl.yaml").write_text(
        "revalorisation_plafonds:\n  values:\n    2027-01-01: {value: 0.01}\n", encoding="utf-8")
    assert main(["parameters", "check", "--year", "2027", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "irl.yaml" in err and "irl.revalorisation_plafonds@2027-01-01" in err
