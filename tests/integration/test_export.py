"""flask export writes the exchange records (docs/formats.md) that the imports read back
unchanged: demandes, logements, offres and conventions, in JSON Lines and CSV."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import delete, select

from app.accounts.models import Organisation
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Convention
from app.imports import import_records
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from matching import records
from tests.factories import CommuneFactory, LogementFactory, OffreFactory, OrganisationFactory
from tests.integration.test_imports import _demande


@pytest.fixture
def territory(db_session):
    epci = OrganisationFactory(slug="orleans-metropole", kind="epci")
    CommuneFactory(insee="45234", name="Orléans", epci=epci)
    CommuneFactory(insee="45284", name="Saint-Jean-de-Braye", epci=epci)
    OrganisationFactory(slug="habitat-loire", kind="bailleur")
    OrganisationFactory(slug="etat-45", kind="reservataire", reservataire_kind="etat")
    return epci


DEMANDES = [
    _demande("045-2025-000001"),
    _demande("045-2025-000002", is_mutation=True, rfr_n1=12000, resources_last_12_months=11000,
             current_housing={"kind": "locataire_hlm", "commune": "45284", "rooms": 3,
                              "surface": 61.5, "rent": 480, "charges": 90},
             employer={"siret": "12345678900011", "contributes_action_logement": True},
             priority={"dalo": True, "l441_1": ["handicap", "violences"], "acd_labelled": True,
                       "labelled_by": "Préfecture du Loiret", "labelled_on": "2025-03-01"},
             verified={"rfr_n2": "verified", "household": "rejected"}),
]
LOGEMENTS = [
    {"id": "LGT-1", "bailleur": "habitat-loire", "programme": None, "commune": "45234",
     "zone": "autres_regions", "qpv": True, "typology": "T3", "rooms": 3, "surface": 64.5,
     "floor": 2, "lift": True, "accessible": False, "financing": "PLUS", "rent": 412.3,
     "charges": 95, "construction_year": 1998},
    {"id": "LGT-2", "bailleur": "habitat-loire", "commune": "45284", "zone": "autres_regions",
     "typology": "T1", "financing": "PLAI", "rent": 250},
]
CONVENTIONS = [
    {"id": "C-1", "bailleur": "habitat-loire", "reservataire": "etat-45",
     "reservataire_kind": "etat", "departement": "45", "year": 2026, "share_percent": 25,
     "origin": "financement"},
]


def _jsonl(rows) -> io.StringIO:
    return io.StringIO("".join(json.dumps(r) + "\n" for r in rows))


def export(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


PARSERS = {"demandes": records.parse_demande, "logements": records.parse_logement,
           "conventions": records.parse_convention, "offres": records.parse_logement}


def parsed(text: str, kind: str, fmt: str = "jsonl") -> list:
    good, errors = records.read_records(io.StringIO(text), PARSERS[kind], fmt)
    assert errors == []
    return [r for _, r in good]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize(("kind", "rows"), [
    ("demandes", DEMANDES), ("logements", LOGEMENTS), ("conventions", CONVENTIONS)])
def test_exported_records_are_the_imported_ones(app, territory, kind, rows, fmt):
    assert import_records(kind, _jsonl(rows)).ok

    out = export(app, kind, "--format", fmt)

    originals = [PARSERS[kind](r) for r in rows]
    assert sorted(parsed(out, kind, fmt), key=lambda r: r.id) == sorted(
        originals, key=lambda r: r.id)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_file_exported_then_imported_again_exports_identically(app, territory, tmp_path, fmt):
    assert import_records("demandes", _jsonl(DEMANDES)).ok
    path = tmp_path / f"demandes.{fmt}"
    result = app.test_cli_runner().invoke(args=["export", "demandes", "--format", fmt,
                                                "--output", str(path)])
    assert result.exit_code == 0 and result.stdout == ""
    assert "2 enregistrement(s) demandes exporté(s)." in result.stderr
    first = path.read_text(encoding="utf-8")
    db.session.execute(delete(Demande))

    again = app.test_cli_runner().invoke(args=["import", "demandes", str(path), "--epci",
                                               "orleans-metropole"])
    assert again.exit_code == 0, again.output

    assert export(app, "demandes", "--format", fmt) == first


def test_an_offer_carries_its_reference_its_logement_and_its_flux_status(app, territory):
    reservataire = db.session.scalar(select(Organisation).where(Organisation.slug == "etat-45"))
    logement = LogementFactory(ref="LGT-9", commune=db.session.get(Commune, "45234"))
    published = OffreFactory(ref="OFF-PUB", logement=logement, flux_status="oriente",
                             reservataire=reservataire, is_published=True)
    OffreFactory(ref="OFF-DRAFT", logement=LogementFactory(
        ref="LGT-10", commune=db.session.get(Commune, "45284")), is_published=False)

    lines = [json.loads(line) for line in export(app, "offres", "--published").splitlines()]

    assert [line["ref"] for line in lines] == ["OFF-PUB"]
    [line] = lines
    assert (line["id"], line["logement"], line["flux_status"], line["reservataire"]) == (
        published.ref, "LGT-9", "oriente", "etat-45")
    assert (line["typology"], line["rent"], line["commune"]) == ("T3", 412.3, "45234")
    [record] = parsed(export(app, "offres", "--id", "OFF-PUB"), "offres")
    assert (record.flux_status, record.available_on) == ("oriente", published.available_on)
    assert len(export(app, "offres").splitlines()) == 2


def test_one_record_by_its_reference_and_an_unknown_one_is_an_error(app, territory):
    import_records("demandes", _jsonl(DEMANDES))

    one = export(app, "demandes", "--id", "045-2025-000002")
    assert [r.id for r in parsed(one, "demandes")] == ["045-2025-000002"]
    missing = app.test_cli_runner().invoke(args=["export", "demandes", "--id", "045-2025-999999"])
    assert missing.exit_code == 1
    assert "Aucun enregistrement demandes ne porte la référence '045-2025-999999'" in missing.stderr
    wrong = app.test_cli_runner().invoke(args=["export", "logements", "--published"])
    assert wrong.exit_code == 2 and "--published ne s'applique qu'aux offres" in wrong.output


def test_closed_demandes_are_left_out_unless_asked_by_number(app, territory):
    import_records("demandes", _jsonl(DEMANDES))
    db.session.scalar(select(Demande).where(Demande.nur == "045-2025-000001")).status = "radiee"
    db.session.flush()

    assert [r.id for r in parsed(export(app, "demandes"), "demandes")] == ["045-2025-000002"]
    assert [r.id for r in parsed(export(app, "demandes", "--id", "045-2025-000001"),
                                 "demandes")] == ["045-2025-000001"]
    assert db.session.scalar(select(Convention.id)) is None
    assert db.session.scalar(select(Logement.id)) is None
