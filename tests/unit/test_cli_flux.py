"""Command line: flux check, flux orient, flux objectives (exit status and output fields)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching.cli import flux as cli
from matching.cli.common import UsageError

CONVENTIONS = [
    {"id": "C-AL", "bailleur": "logem", "reservataire": "action-logement",
     "reservataire_kind": "action_logement", "departement": "45", "year": 2026,
     "share_percent": 22.5},
    {"id": "C-ETAT", "bailleur": "logem", "reservataire": "prefet-45", "reservataire_kind": "etat",
     "departement": "45", "year": 2026, "share_percent": 25},
    {"id": "C-ORL", "bailleur": "logem", "reservataire": "orleans", "reservataire_kind": "commune",
     "departement": "45", "year": 2026, "share_percent": 10, "origin": "garantie_emprunt",
     "scope": {"communes": ["45234"]}},
]


def write_jsonl(path: Path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def vacancy(i: int, commune: str = "45234", **extra):
    return {"id": f"L{i}", "bailleur": "logem", "commune": commune, "zone": "autres_regions",
            "typology": "T3", "financing": "PLUS", "rent": 400, "available_on": "2026-04-01",
            **extra}


def run(argv, capsys):
    parser = argparse.ArgumentParser(prog="python -m matching")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
    except UsageError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        status = 2
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


@pytest.fixture
def conventions(tmp_path):
    return write_jsonl(tmp_path / "conventions.jsonl", CONVENTIONS)


# --------------------------------------------------------------------------- check


def test_check_exits_0_when_every_cap_holds(conventions, capsys):
    assert run(["flux", "check", "--conventions", conventions], capsys) == (0, [], "")


def test_check_prints_one_line_per_violated_cap_and_exits_1(tmp_path, capsys):
    over = [dict(CONVENTIONS[1], share_percent=31),
            dict(CONVENTIONS[2], share_percent=21),
            {**CONVENTIONS[0], "id": "X", "bailleur": "autre", "share_percent": 60},
            {**CONVENTIONS[0], "id": "Y", "bailleur": "autre", "reservataire": "z",
             "share_percent": 45}]
    status, lines, err = run(["flux", "check", "--conventions",
                              write_jsonl(tmp_path / "c.jsonl", over)], capsys)
    assert status == 1 and err == ""
    assert [(v["code"], v["bailleur"]) for v in lines] == [
        ("total_superieur_100", "autre"), ("plafond_etat", "logem"),
        ("plafond_garantie_emprunt", "logem")]
    assert set(lines[1]) == {"code", "bailleur", "departement", "year", "total", "cap", "message"}
    assert (lines[1]["total"], lines[1]["cap"], lines[1]["year"]) == (31, 30, 2026)


def test_check_reports_bad_records_and_years_without_caps_by_line(tmp_path, capsys):
    records = [CONVENTIONS[0], {**CONVENTIONS[1], "share_percent": "beaucoup"},
               {**CONVENTIONS[1], "id": "OLD", "year": 2019}]
    status, lines, err = run(["flux", "check", "--conventions",
                              write_jsonl(tmp_path / "c.jsonl", records)], capsys)
    assert status == 1 and lines == []
    assert err.splitlines()[0].startswith("line 2: share_percent: ")
    assert err.splitlines()[1].startswith("line 3: year: aucun plafond légal")


def test_check_on_a_missing_file_is_a_usage_error(tmp_path, capsys):
    status, _, err = run(["flux", "check", "--conventions", str(tmp_path / "absent.jsonl")], capsys)
    assert status == 2 and "introuvable" in err


# --------------------------------------------------------------------------- orient


def test_orient_prints_one_line_per_vacancy_in_input_order(conventions, tmp_path, capsys):
    records = [vacancy(i, "45234" if i % 2 else "45169") for i in range(10)]
    records[3] = vacancy(3, hors_flux="relogement_npnru")
    status, lines, err = run(["flux", "orient", "--conventions", conventions, "--input",
                              write_jsonl(tmp_path / "v.jsonl", records)], capsys)
    assert (status, err) == (0, "")
    assert [line["id"] for line in lines] == [f"L{i}" for i in range(10)]
    assert {"id", "to", "flux_status", "reason", "gaps"} <= set(lines[0])
    assert set(lines[0]["gaps"]) == {"action-logement", "prefet-45", "orleans", "logem"}
    assert (lines[3]["to"], lines[3]["flux_status"], lines[3]["hors_flux"]) == (
        None, "hors_flux", "relogement_npnru")
    assert {line["to"] for line in lines} - {None} <= {"action-logement", "prefet-45", "orleans",
                                                       "logem"}
    assert all(line["to"] != "orleans" for line in lines if line["id"] in {"L0", "L2", "L4"})
    # After the 9 apportioned dwellings the gaps add up to zero (the shares make 100 %).
    assert abs(sum(lines[-1]["gaps"].values())) < 1e-9


def test_orient_reports_bad_vacancies_and_orients_the_others(conventions, tmp_path, capsys):
    records = [vacancy(0), {"id": "L1", "commune": "45234"}, vacancy(2, hors_flux="chateau"),
               {k: v for k, v in vacancy(3).items() if k != "available_on"}, vacancy(4)]
    status, lines, err = run(["flux", "orient", "--conventions", conventions, "--input",
                              write_jsonl(tmp_path / "v.jsonl", records)], capsys)
    assert status == 1
    assert [line["id"] for line in lines] == ["L0", "L4"]
    assert [e.split(":")[0] for e in err.splitlines()] == ["line 2", "line 3", "line 4"]
    assert "line 3: hors_flux: valeur inconnue" in err
    assert "line 4: available_on: " in err


def test_orient_continues_from_its_own_output_as_history(conventions, tmp_path, capsys):
    records = [vacancy(i, "45234" if i % 3 else "45169") for i in range(40)]
    _, whole, _ = run(["flux", "orient", "--conventions", conventions, "--input",
                       write_jsonl(tmp_path / "all.jsonl", records)], capsys)
    _, first, _ = run(["flux", "orient", "--conventions", conventions, "--input",
                       write_jsonl(tmp_path / "first.jsonl", records[:25])], capsys)
    history = write_jsonl(tmp_path / "history.jsonl", first)
    status, rest, err = run(["flux", "orient", "--conventions", conventions, "--input",
                             write_jsonl(tmp_path / "rest.jsonl", records[25:]),
                             "--history", history], capsys)
    assert (status, err) == (0, "")
    assert [(r["to"], r["gaps"]) for r in rest] == [(w["to"], w["gaps"]) for w in whole[25:]]


def test_orient_refuses_a_history_naming_an_unknown_reservataire(conventions, tmp_path, capsys):
    history = write_jsonl(tmp_path / "h.jsonl", [
        {"logement": "L0", "bailleur": "logem", "departement": "45", "to": "logem",
         "on": "2026-01-03"},
        {"logement": "L1", "bailleur": "logem", "departement": "45", "to": "inconnu",
         "on": "2026-01-04"},
    ])
    status, lines, err = run(["flux", "orient", "--conventions", conventions, "--input",
                              write_jsonl(tmp_path / "v.jsonl", [vacancy(0)]),
                              "--history", history], capsys)
    assert status == 2 and lines == []
    assert f"{history}: line 2: to: inconnu n'est pas un participant" in err


def test_orient_refuses_shares_above_100_percent(tmp_path, capsys):
    over = write_jsonl(tmp_path / "c.jsonl", [dict(CONVENTIONS[0], share_percent=80),
                                              dict(CONVENTIONS[1], share_percent=30)])
    status, _, err = run(["flux", "orient", "--conventions", over, "--input",
                          write_jsonl(tmp_path / "v.jsonl", [vacancy(0)])], capsys)
    assert status == 2 and "dépasse 100 %" in err


# --------------------------------------------------------------------------- objectives


def test_objectives_per_bailleur_and_departement(conventions, tmp_path, capsys):
    patrimoine = [dict(vacancy(i), vacancies_by_year={"2024": 1 if i < 4 else 0,
                                                      "2025": 1 if i < 2 else 0})
                  for i in range(20)]
    sorties = write_jsonl(tmp_path / "s.jsonl", [{"bailleur": "logem", "departement": "45",
                                                  "mutations_internes": 1}])
    status, lines, err = run(["flux", "objectives", "--conventions", conventions,
                              "--patrimoine", write_jsonl(tmp_path / "p.jsonl", patrimoine),
                              "--year", "2026", "--sorties", sorties], capsys)
    assert (status, err) == (0, "")
    [flux] = lines
    assert (flux["bailleur"], flux["departement"], flux["year"]) == ("logem", "45", 2026)
    assert flux["forecast_vacancies"] == 3.0  # 6 vacancies in 40 dwelling-years × 20
    assert flux["base"] == 2.0
    objectives = {o["participant"]: o["objective"] for o in flux["objectives"]}
    assert objectives == {"action-logement": 0.45, "orleans": 0.2, "prefet-45": 0.5,
                          "logem": 0.85}


def test_objectives_without_rotation_asks_for_a_rate(conventions, tmp_path, capsys):
    patrimoine = write_jsonl(tmp_path / "p.jsonl", [vacancy(i) for i in range(4)])
    args = ["flux", "objectives", "--conventions", conventions, "--patrimoine", patrimoine,
            "--year", "2026"]
    status, lines, err = run(args, capsys)
    assert status == 1 and lines == [] and "--rate" in err
    status, lines, err = run([*args, "--rate", "0,25"], capsys)
    assert (status, err) == (0, "") and lines[0]["base"] == 1.0
    status, _, err = run([*args, "--rate", "25"], capsys)
    assert status == 2


def test_python_dash_m_matching_flux_is_registered(conventions):
    done = subprocess.run([sys.executable, "-m", "matching", "flux", "check", "--conventions",
                           conventions], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    done = subprocess.run([sys.executable, "-m", "matching", "flux", "orient"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2  # --conventions is required
