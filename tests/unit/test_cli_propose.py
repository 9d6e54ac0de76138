"""``python -m matching propose``: output lines, error lines and exit status (docs/formats.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
X = "67482"


def demande(ident: str, filed: str = "2022-01-01", **changes) -> dict:
    record = {
        "id": ident, "filed_on": filed,
        "household": [{"role": "demandeur", "birth_date": "1985-05-01"}],
        "rfr_n2": 15000, "monthly_resources": 1600,
        "current_housing": {"kind": "locataire_prive", "commune": X},
        "wishes": {"communes": [X]},
    }
    record.update(changes)
    return record


def offer(ident: str, **changes) -> dict:
    record = {"id": ident, "commune": X, "zone": "autres_regions", "typology": "T2",
              "financing": "PLUS", "rent": 350, "charges": 50}
    record.update(changes)
    return record


def jsonl(path: Path, records: list) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
                    encoding="utf-8")
    return str(path)


def run(tmp_path: Path, demandes: list, offers: list, applications: list | None = None,
        *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "matching", "propose",
            "--offers", jsonl(tmp_path / "offers.jsonl", offers),
            "--grid", "eurometropole-strasbourg", "--at", "2026-03-01",
            "--input", jsonl(tmp_path / "demandes.jsonl", demandes)]
    if applications is not None:
        args += ["--applications", jsonl(tmp_path / "applications.jsonl", applications)]
    return subprocess.run([*args, *extra], cwd=REPO, capture_output=True, text=True, timeout=120)


def lines(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_line_per_offer_in_input_order_with_the_contract_fields(tmp_path):
    demandes = [demande("D1", "2015-01-01"), demande("D2", "2016-01-01"),
                demande("D3", "2017-01-01"), demande("APP", "2025-01-01")]
    apps = [{"demande": "APP", "offer": "L2", "applied_on": "2026-02-01"}]
    result = run(tmp_path, demandes, [offer("L2"), offer("L1")], apps)
    assert result.returncode == 0, result.stderr
    out = lines(result)
    assert [o["offer"] for o in out] == ["L2", "L1"]
    assert set(out[0]) == {"offer", "candidates", "exception"}
    first = out[0]["candidates"]
    assert set(first[0]) == {"id", "rank", "score", "source", "reasons"}
    assert [(c["id"], c["rank"], c["source"]) for c in first] == [
        ("APP", 1, "candidature"), ("D1", 2, "vivier"), ("D2", 3, "vivier")]
    assert out[0]["exception"] is None
    assert isinstance(first[1]["score"], float) and first[1]["reasons"]


def test_batch_never_lists_a_demande_twice_and_says_why_a_list_is_short(tmp_path):
    demandes = [demande(f"D{i}", f"201{i}-01-01") for i in range(4)]
    result = run(tmp_path, demandes, [offer("L1"), offer("L2")], None, "--batch")
    assert result.returncode == 0, result.stderr
    out = lines(result)
    chosen = [c["id"] for o in out for c in o["candidates"]]
    assert len(chosen) == len(set(chosen)) == 4
    assert all("au lieu de 3" in o["exception"] for o in out)
    alone = lines(run(tmp_path, demandes, [offer("L1"), offer("L2")]))
    assert [c["id"] for c in alone[0]["candidates"]] == [c["id"] for c in alone[1]["candidates"]]


def test_bad_records_are_reported_by_line_and_the_others_still_go_through(tmp_path):
    demandes = [demande("D1"), {"id": "BAD", "filed_on": "hier"}, demande("D1")]
    offers = [offer("L1"), offer("L0", typology="T9")]
    apps = [{"demande": "GHOST", "offer": "L1", "applied_on": "2026-02-01"}]
    result = run(tmp_path, demandes, offers, apps)
    assert result.returncode == 1
    err = result.stderr.splitlines()
    assert "line 2: filed_on: date AAAA-MM-JJ invalide : 'hier'" in err
    assert "line 3: id: identifiant en double : D1" in err
    assert any(e.endswith("offers.jsonl: line 2: typology: valeur inconnue 'T9' (attendu : "
                          "T1, T2, T3, T4, T5, T6)") for e in err)
    assert any("applications.jsonl: line 1: demande: demande inconnue ou rejetée : GHOST" in e
               for e in err)
    out = lines(result)
    assert [o["offer"] for o in out] == ["L1"]
    assert [c["id"] for c in out[0]["candidates"]] == ["D1"]


def test_usage_errors_exit_2(tmp_path):
    ok = [demande("D1")]
    bad_apps = run(tmp_path, ok, [offer("L1")], [{"demande": "D1", "offer": "L1"}])
    assert bad_apps.returncode == 2
    assert "applications.jsonl: line 1: applied_on: champ obligatoire manquant" in bad_apps.stderr
    assert bad_apps.stdout == ""
    assert run(tmp_path, ok, [offer("L1")], None, "--policy", "inexistante").returncode == 2
    no_grid = subprocess.run([sys.executable, "-m", "matching", "propose", "--offers", "x",
                              "--at", "2026-03-01", "--input", "y"],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert no_grid.returncode == 2
    missing_year = run(tmp_path, ok, [offer("L1")], None)
    assert missing_year.returncode == 0
    far = subprocess.run([sys.executable, "-m", "matching", "propose", "--offers",
                          str(tmp_path / "offers.jsonl"), "--grid", "eurometropole-strasbourg",
                          "--at", "1990-01-01", "--input", str(tmp_path / "demandes.jsonl")],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert far.returncode == 2
    assert far.stderr.startswith("erreur : ")
