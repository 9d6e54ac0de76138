"""Imports report every bad row with its line and reason, and commit nothing partial."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.demandes.models import Demande, HouseholdMember, WishedCommune
from app.extensions import db
from app.flux.models import Convention
from app.imports import import_records
from app.patrimoine.models import Logement
from tests.factories import CommuneFactory, OrganisationFactory


def _demande(nur: str, **changes) -> dict:
    record = {
        "id": nur, "filed_on": "2025-01-15", "renewed_on": "2026-01-10", "is_mutation": False,
        "household": [
            {"role": "demandeur", "birth_date": "1990-04-02", "is_dependent": False, "has_disability": False},
            {"role": "enfant", "birth_date": "2019-09-01", "is_dependent": True, "has_disability": False},
        ],
        "rfr_n2": 14200, "monthly_resources": 1350,
        "current_housing": {"kind": "residence_sociale", "commune": "45234", "rooms": 1,
                            "surface": 20, "rent": 390, "charges": 40},
        "reasons": ["sans_logement"], "employment": [{"member": 0, "contract": "cdd"}],
        "wishes": {"communes": ["45234", "45284"], "typologies": ["T2", "T3"], "max_rent": 550},
        "priority": {"dalo": False, "l441_1": ["sans_logement"]},
        "refusals": [{"date": "2025-07-20", "offer": "OFF-88", "adapted": True, "reason": "quartier"}],
        "verified": {"rfr_n2": "verified"},
    }
    record.update(changes)
    return record


def _jsonl(*records) -> io.StringIO:
    return io.StringIO("".join(json.dumps(r) + "\n" for r in records))


@pytest.fixture
def territory(db_session):
    epci = OrganisationFactory(slug="orleans-metropole", kind="epci")
    CommuneFactory(insee="45234", name="Orléans", epci=epci)
    CommuneFactory(insee="45284", name="Saint-Jean-de-Braye", epci=epci)
    return epci


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_valid_demandes_are_imported_with_all_their_parts(territory):
    report = import_records("demandes", _jsonl(_demande("045-2025-000001"), _demande("045-2025-000002")))
    assert report.ok, report.errors
    assert _count(Demande) == 2
    assert _count(HouseholdMember) == 4
    demande = db.session.scalar(select(Demande).where(Demande.nur == "045-2025-000001"))
    assert [w.commune_insee for w in demande.wished_communes] == ["45234", "45284"]
    assert demande.refusals[0].is_adapted is True
    assert demande.epci_id == territory.id


def test_every_bad_row_is_reported_and_nothing_is_written(territory):
    stream = _jsonl(
        _demande("045-2025-000010"),  # line 1: good
        _demande("045-2025-000011", rfr_n2=-100),  # line 2: negative income
        _demande("045-2025-000012", household=[]),  # line 3: empty household
        _demande("045-2025-000013", wishes={"communes": ["45999"]}),  # line 4: unknown commune
        _demande("045-2025-000010"),  # line 5: duplicate NUR in the file
    )
    report = import_records("demandes", stream)
    assert not report.ok
    found = {(e.line, e.path) for e in report.errors}
    assert found == {(2, "rfr_n2"), (3, "household"), (4, "wishes.communes[0]"), (5, "id")}
    messages = " ".join(e.reason for e in report.errors)
    assert "supérieur ou égal à 0" in messages and "commune inconnue : 45999" in messages
    assert _count(Demande) == 0  # the good first line was not written either
    assert _count(WishedCommune) == 0


def test_invalid_json_line_is_reported_with_its_number(territory):
    stream = io.StringIO(json.dumps(_demande("045-2025-000020")) + "\n{not json\n")
    report = import_records("demandes", stream)
    assert [(e.line, e.path) for e in report.errors] == [(2, "(json)")]
    assert _count(Demande) == 0


def test_csv_demandes_use_dotted_columns_and_json_cells(territory):
    rows = (
        "id,filed_on,rfr_n2,household,current_housing.kind,wishes.communes\n"
        '045-2025-000030,2025-02-01,12000,"[{""role"": ""demandeur""}]",heberge_tiers,"[""45234""]"\n'
        '045-2025-000031,2025-02-01,12000,"[{""role"": ""demandeur""}]",chateau,"[""45234""]"\n'
    )
    report = import_records("demandes", io.StringIO(rows), "csv")
    assert [(e.line, e.path) for e in report.errors] == [(3, "current_housing.kind")]
    assert _count(Demande) == 0


def test_existing_demande_is_not_imported_twice(territory):
    assert import_records("demandes", _jsonl(_demande("045-2025-000040"))).ok
    report = import_records("demandes", _jsonl(_demande("045-2025-000040")))
    assert [e.reason for e in report.errors] == ["la demande 045-2025-000040 existe déjà"]


def test_logements_need_a_known_bailleur_and_commune(territory):
    OrganisationFactory(slug="habitat-loire", kind="bailleur")
    base = {"id": "LGT-1", "bailleur": "habitat-loire", "commune": "45234", "zone": "autres_regions",
            "typology": "T3", "financing": "PLUS", "rent": 412.3}
    report = import_records("logements", _jsonl(
        base, {**base, "id": "LGT-2", "bailleur": "inconnu"}, {**base, "id": "LGT-3", "commune": "45001"}))
    assert [(e.line, e.path) for e in report.errors] == [(2, "bailleur"), (3, "commune")]
    assert _count(Logement) == 0
    assert import_records("logements", _jsonl(base)).ok
    assert _count(Logement) == 1


def test_a_convention_of_a_year_without_legal_caps_is_reported_on_its_line(territory):
    OrganisationFactory(slug="habitat-loire", kind="bailleur")
    OrganisationFactory(slug="etat-45", kind="reservataire", reservataire_kind="etat")
    report = import_records("conventions", _jsonl(
        {"id": "C-2019", "bailleur": "habitat-loire", "departement": "45", "year": 2019,
         "origin": "autre", "reservataire": "etat-45", "reservataire_kind": "etat",
         "share_percent": 25},
    ))
    assert [(e.line, e.path) for e in report.errors] == [(1, "year")]
    assert _count(Convention) == 0


def test_conventions_over_the_state_cap_are_refused(territory):
    OrganisationFactory(slug="habitat-loire", kind="bailleur")
    OrganisationFactory(slug="etat-45", kind="reservataire", reservataire_kind="etat")
    OrganisationFactory(slug="etat-agents-45", kind="reservataire", reservataire_kind="etat_agents")
    base = {"bailleur": "habitat-loire", "departement": "45", "year": 2026, "origin": "autre"}
    report = import_records("conventions", _jsonl(
        {**base, "id": "C-1", "reservataire": "etat-45", "reservataire_kind": "etat", "share_percent": 27},
        {**base, "id": "C-2", "reservataire": "etat-agents-45", "reservataire_kind": "etat_agents",
         "share_percent": 5},
    ))
    assert not report.ok
    assert any("30 %" in e.reason for e in report.errors)
    assert _count(Convention) == 0


def test_flask_import_command_reports_lines_and_exit_status(app, territory, tmp_path):
    bad = tmp_path / "demandes.jsonl"
    bad.write_text(json.dumps(_demande("045-2025-000050", rfr_n2=-1)) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", "demandes", str(bad)])
    assert result.exit_code == 1
    assert "line 1: rfr_n2:" in result.output
    good = tmp_path / "ok.jsonl"
    good.write_text(json.dumps(_demande("045-2025-000051")) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", "demandes", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 enregistrement(s) importé(s)" in result.output


def test_nul_characters_are_reported_not_stored(territory):
    csv_text = (
        "id,filed_on,rfr_n2,household,current_housing.kind,wishes.communes\n"
        '045\x00-1,2025-01-01,1,"[{""role"": ""demandeur""}]",autre,"[""45234""]"\n'
    )
    report = import_records("demandes", io.StringIO(csv_text), "csv")
    assert [(e.line, e.path) for e in report.errors] == [(2, "id")]
    report = import_records("demandes", _jsonl(_demande("045-2025-0\u0000")))
    assert [(e.line, e.path, e.reason) for e in report.errors] == [
        (1, "id", "caractère NUL interdit dans un texte")]
    assert _count(Demande) == 0


def test_a_malformed_csv_line_is_reported_and_reading_goes_on(territory):
    huge = "x" * 200_000  # beyond the csv module's field size limit
    csv_text = f"id,filed_on\n{huge},2025-01-01\n045-2,2025-01-01\n"
    report = import_records("demandes", io.StringIO(csv_text), "csv")
    assert report.errors[0].path == "(csv)" and "CSV invalide" in report.errors[0].reason
    assert report.read == 2  # the next line was still read (and refused for its own reasons)
    assert _count(Demande) == 0


def test_the_command_line_import_refuses_what_the_table_would_refuse(territory):
    # The same checks as the bailleur's web import: never a database error on a bad value.
    OrganisationFactory(slug="habitat-loire", kind="bailleur")
    base = {"bailleur": "habitat-loire", "commune": "45234", "zone": "autres_regions",
            "qpv": False, "typology": "T2", "financing": "PLUS", "rent": 400, "charges": 50}
    report = import_records("logements", _jsonl(
        {**base, "id": "L-1", "rooms": 0},
        {**base, "id": "L-2", "surface": -3},
        {**base, "id": "L" * 80},
    ))
    assert [(e.line, e.path) for e in report.errors] == [(1, "rooms"), (2, "surface"), (3, "id")]
    assert _count(Logement) == 0
