"""Command line: cotation, grids, grid-check, simulate (docs/formats.md contract)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from matching.cli import cotation as cli
from matching.cli.common import UsageError

GOOD = {"id": "A", "filed_on": "2025-01-15", "household": [{"role": "demandeur"}], "rfr_n2": 12000,
        "current_housing": {"kind": "residence_sociale", "commune": "67482", "rooms": 1},
        "employment": [{"member": 0, "contract": "cdd"}], "wishes": {"communes": ["67482", "67043"]},
        "refusals": [{"date": "2025-07-15", "adapted": True}]}
BAD = {"id": "B", "filed_on": "2025-01-15", "household": [{"role": "demandeur"}], "rfr_n2": 1,
       "current_housing": {"kind": "chateau"}, "wishes": {"communes": ["67482"]}}


def run(argv, capsys):
    """Run a subcommand through this module's parser; return (status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="python -m matching")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
    except UsageError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        status = 2
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def demandes(tmp_path):
    path = tmp_path / "demandes.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (GOOD, BAD, dict(GOOD, id="C"))) + "\n", encoding="utf-8")
    return path


def test_cotation_outputs_one_line_per_good_record_and_reports_bad_ones(demandes, capsys):
    status, out, err = run(["cotation", "--grid", "eurometropole-strasbourg", "--at", "2025-11-15",
                            "--input", str(demandes)], capsys)
    assert status == 1
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == ["A", "C"]
    assert lines[0]["score"] == 6.4
    assert lines[0]["grid"] == "eurometropole-strasbourg@2021-seed"
    assert lines[0]["by_choice"] == [{"commune": "67482", "score": 6.4}, {"commune": "67043", "score": 6.4}]
    assert err.startswith("line 2: current_housing.kind: valeur inconnue 'chateau'")


def test_cotation_reads_csv(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("id,filed_on,household,rfr_n2,current_housing.kind,wishes.communes\n"
                    'X,2025-01-15,"[{""role"": ""demandeur""}]",1000,squat,"[""67482""]"\n', encoding="utf-8")
    status, out, _ = run(["cotation", "--grid", "eurometropole-strasbourg", "--at", "2025-11-15",
                          "--input", str(path)], capsys)
    assert status == 0
    assert json.loads(out)["score"] == 13.0


def test_unknown_grid_is_a_usage_error(demandes, capsys):
    status, _, err = run(["cotation", "--grid", "lune", "--at", "2025-11-15", "--input", str(demandes)], capsys)
    assert status == 2 and "grille inconnue 'lune'" in err


def test_invalid_grid_file_prints_validation_errors(tmp_path, demandes, capsys):
    grid = yaml.safe_load((Path(cli.__file__).parents[1] / "grids" / "eurometropole-strasbourg.yaml").read_text())
    grid["criteria"][3]["when"] = {"field": "foo", "eq": 1}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(grid, allow_unicode=True), encoding="utf-8")
    status, _, err = run(["cotation", "--grid", str(path), "--at", "2025-11-15", "--input", str(demandes)], capsys)
    assert status == 2
    assert "criteria[3].when.field: champ inconnu 'foo'" in err
    status, _, err = run(["grid-check", str(path)], capsys)
    assert status == 2 and "criteria[3].when.field" in err


def test_grid_before_its_effective_date_is_refused(demandes, capsys):
    status, _, err = run(["cotation", "--grid", "orleans-metropole-exemple", "--at", "2025-11-15",
                          "--input", str(demandes)], capsys)
    assert status == 2 and "n'entre en vigueur que le 2026-01-01" in err


def test_grids_lists_presets(capsys):
    status, out, _ = run(["grids"], capsys)
    assert status == 0
    assert out.splitlines() == [
        "eurometropole-strasbourg\tEurométropole de Strasbourg\t2021-seed\t2021-01-01",
        "orleans-metropole-exemple\tOrléans Métropole\t2026.1-exemple\t2026-01-01",
    ]
    status, out, _ = run(["grids", "--json"], capsys)
    first = json.loads(out.splitlines()[0])
    assert first["id"] == "eurometropole-strasbourg" and first["warnings"]


def test_grid_check_valid_preset_with_warnings(capsys):
    path = Path(cli.__file__).parents[1] / "grids" / "eurometropole-strasbourg.yaml"
    status, out, err = run(["grid-check", str(path)], capsys)
    assert status == 0 and "grille valide (1 avertissement(s))" in out
    assert "avertissement : criteria: priorités légales non pondérées" in err


def test_simulate_text_json_and_csv(demandes, tmp_path, capsys):
    csv_path = tmp_path / "ranks.csv"
    status, out, err = run(["simulate", "--grid", "eurometropole-strasbourg", "--grid", "orleans-metropole-exemple",
                            "--at", "2026-03-01", "--input", str(demandes), "--csv", str(csv_path)], capsys)
    assert status == 1 and "line 2:" in err
    assert out.startswith("Simulation au 2026-03-01 sur 2 demandes")
    assert csv_path.read_text().splitlines()[0] == "id,score_a,score_b,rank_a,rank_b,change"
    status, out, _ = run(["simulate", "--grid", "eurometropole-strasbourg", "--grid", "eurometropole-strasbourg",
                          "--at", "2026-03-01", "--input", str(demandes), "--json"], capsys)
    assert json.loads(out)["rank_changes"]["unchanged"] == 2
    status, _, err = run(["simulate", "--grid", "eurometropole-strasbourg", "--at", "2026-03-01",
                          "--input", str(demandes)], capsys)
    assert status == 2 and "deux grilles" in err


def test_python_dash_m_matching_end_to_end(demandes):
    proc = subprocess.run([sys.executable, "-m", "matching", "cotation", "--grid", "eurometropole-strasbourg",
                           "--at", "2025-11-15", "--input", str(demandes)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[0])["score"] == 6.4
    assert proc.stderr.startswith("line 2: current_housing.kind")
    proc = subprocess.run([sys.executable, "-m", "matching", "cotation", "--grid", "lune", "--at", "2025-11-15"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
