"""``python -m matching eligibility``: output lines, error lines and exit status (docs/formats.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

OFFER = {
    "id": "LGT-45234-0042", "bailleur": "logem-loiret", "commune": "45234",
    "zone": "autres_regions", "typology": "T3", "rooms": 3, "surface": 64.5,
    "financing": "PLUS", "rent": 412.30, "charges": 95.00, "reservataire": "action-logement",
}


def demande(ident: str, **changes) -> dict:
    record = {
        "id": ident, "filed_on": "2025-01-15",
        "household": [
            {"role": "demandeur", "birth_date": "1990-04-02"},
            {"role": "enfant", "birth_date": "2019-09-01", "is_dependent": True},
        ],
        "rfr_n2": 14200, "monthly_resources": 1800,
        "current_housing": {"kind": "residence_sociale"},
        "employer": {"contributes_action_logement": True},
        "wishes": {"communes": ["45234"]},
    }
    record.update(changes)
    return record


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "matching", "eligibility", *args],
        input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO,
    )


@pytest.fixture
def offer_file(tmp_path):
    path = tmp_path / "offre.json"
    path.write_text(json.dumps(OFFER), encoding="utf-8")
    return path


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_all_good_records_exit_0_with_one_line_each(offer_file):
    result = run(["--offer", str(offer_file), "--at", "2026-11-28"],
                 jsonl(demande("D-1"), demande("D-2", rfr_n2=50000)))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["D-1", "D-2"]
    first, second = lines
    assert first["eligible"] is True and first["reasons"] == []
    assert first["category"] == 3 and first["plafond"] == 37584 and first["rfr_used"] == 14200
    assert first["taux_effort"] == pytest.approx(507.3 / 1800, abs=1e-4)
    assert first["reste_a_vivre"] == pytest.approx((1800 - 507.3) / 1.3 / 30, abs=1e-2)
    assert second["eligible"] is False
    assert second["reasons"][0]["code"] == "plafond_depasse"
    assert second["reasons"][0]["plafond"] == 37584 and second["reasons"][0]["message"]


def test_bad_records_are_reported_and_the_others_processed(offer_file, tmp_path):
    bad_enum = demande("D-BAD")
    bad_enum["household"][0]["role"] = "voisin"
    missing = demande("D-MISSING")
    del missing["rfr_n2"]
    text = jsonl(demande("D-1")) + jsonl(bad_enum) + "{not json\n" + jsonl(missing, demande("D-5"))
    infile = tmp_path / "demandes.jsonl"
    infile.write_text(text, encoding="utf-8")
    result = run(["--offer", str(offer_file), "--at", "2026-11-28", "--input", str(infile)])
    assert result.returncode == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["D-1", "D-5"]
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert all(re.match(r"^line \d+: [^:]+: .+", e) for e in errors), errors
    assert errors[0].startswith("line 2: household[0].role: valeur inconnue")
    assert errors[1].startswith("line 3: ")
    assert errors[2].startswith("line 4: rfr_n2: champ obligatoire manquant")


def test_csv_input(offer_file, tmp_path):
    infile = tmp_path / "demandes.csv"
    infile.write_text(
        "id,filed_on,household,rfr_n2,monthly_resources,current_housing.kind,wishes.communes\n"
        'D-CSV,2025-01-15,"[{""role"": ""demandeur"", ""birth_date"": ""1980-01-01""}]",'
        '30000,2000,locataire_prive,"[""45234""]"\n',
        encoding="utf-8",
    )
    result = run(["--offer", str(offer_file), "--at", "2026-11-28", "--input", str(infile)])
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["id"] == "D-CSV" and line["category"] == 1 and line["plafond"] == 23403
    assert {r["code"] for r in line["reasons"]} == {"plafond_depasse", "typologie_inadaptee",
                                                    "filtre_reservataire"}


def test_offer_as_one_line_jsonl(tmp_path):
    offer = tmp_path / "offre.jsonl"
    offer.write_text(json.dumps(OFFER) + "\n", encoding="utf-8")
    result = run(["--offer", str(offer), "--at", "2026-11-28"], jsonl(demande("D-1")))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--at", "2026-11-28"],  # --offer missing
        ["--offer", "OFFER", "--at", "28/11/2026"],  # bad date
        ["--offer", "/nonexistent/offre.json", "--at", "2026-11-28"],  # no such file
        ["--offer", "OFFER", "--at", "2026-11-28", "--input", "/nonexistent.jsonl"],
        ["--offer", "OFFER", "--at", "2026-11-28", "--format", "xml"],
        ["--offer", "OFFER", "--at", "2027-03-01"],  # no ceilings for 2027: refuse to answer
    ],
)
def test_usage_errors_exit_2(offer_file, args):
    args = [str(offer_file) if a == "OFFER" else a for a in args]
    result = run(args, jsonl(demande("D-1")))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip()
    assert result.stdout == ""


def test_invalid_offer_is_a_usage_error(tmp_path):
    offer = tmp_path / "offre.json"
    offer.write_text(json.dumps({**OFFER, "financing": "HLM"}), encoding="utf-8")
    result = run(["--offer", str(offer), "--at", "2026-11-28"], jsonl(demande("D-1")))
    assert result.returncode == 2
    assert "financing" in result.stderr
