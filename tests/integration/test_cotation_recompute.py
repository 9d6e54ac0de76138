"""Recomputing the cotation from the database gives, for every active demande, exactly the
score of the explained engine on the demande's record, and stores it with the grid version
and the date."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from app.adapters.records import demande_record
from app.adapters.rows import demande_rows, insert_rows, new_rows
from app.cotation.columns import load_table
from app.cotation.runs import sweep
from app.cotation.services import NoGrid, grid_for_epci, recompute
from app.extensions import db
from app.models import Commune, CotationRun, CotationScore, Demande, Organisation
from matching.batch import DemandeTable, cotation_batch
from matching.cotation import GridNotApplicable, cotation
from matching.grid import load_grid
from tests.factories import CommuneFactory, OrganisationFactory
from tests.support.synthetic import synthetic_table

ON = date(2026, 3, 1)
STRASBOURG = load_grid("eurometropole-strasbourg")
ORLEANS = load_grid("orleans-metropole-exemple")
OUTSIDE = "75056"  # Paris: a current commune outside both EPCIs


def _territory(slug: str, grid, siren: str | None) -> Organisation:
    epci = OrganisationFactory(slug=slug, kind="epci", siren=siren,
                               departement=grid.territory.departement)
    for insee in grid.territory.communes:
        CommuneFactory(insee=insee, epci=epci, departement=grid.territory.departement)
    return epci


def _records(grid, n: int, seed: int, prefix: str):
    """Plausible demandes on the grid's communes: refusals, verifications (some rejected),
    dependents, unknown birth dates and rooms, several wishes, mobility from outside."""
    table = synthetic_table(n, ON, grid.territory.communes, [OUTSIDE], seed=seed)
    out = []
    for i, rec in enumerate(table.to_demandes()):
        jobs = rec.employment[:1]  # one contract per member, as the employments table holds
        if jobs and len(rec.household) > 1 and i % 3 == 0:  # a second member, same contract
            jobs += (dataclasses.replace(jobs[0], member=1),)
        out.append(dataclasses.replace(rec, id=f"{prefix}-{i:05d}", employment=jobs))
    return out


def _insert(records, epci: Organisation, statuses=None) -> None:
    start = (db.session.scalar(select(db.func.max(Demande.id))) or 0) + 1
    rows = new_rows()
    for offset, rec in enumerate(records):
        status = statuses[offset] if statuses else "active"
        demande_rows(rec, demande_id=start + offset, epci_id=epci.id, status=status, out=rows)
    insert_rows(db.session, rows)
    db.session.flush()


@pytest.fixture
def territories(db_session):
    """Strasbourg (found by SIREN) and Orléans (found by its communes), 120 + 80 demandes."""
    CommuneFactory(insee=OUTSIDE, departement="75", zone="paris_limitrophes")
    ems = _territory("eurometropole-strasbourg", STRASBOURG, "246700488")
    orl = _territory("orleans-metropole", ORLEANS, None)
    statuses = ["active"] * 110 + ["brouillon", "radiee", "attribuee"] * 3 + ["expiree"]
    _insert(_records(STRASBOURG, 120, seed=21, prefix="067"), ems, statuses)
    _insert(_records(ORLEANS, 80, seed=22, prefix="045"), orl)
    db.session.commit()
    return ems, orl


def _explained(epci: Organisation, grid, on: date) -> dict[int, tuple[float, bool]]:
    """Score and priority of each active demande by the explained engine on its record."""
    communes = list(db.session.scalars(select(Commune.insee).where(Commune.epci_id == epci.id)))
    out = {}
    for d in db.session.scalars(select(Demande).where(Demande.epci_id == epci.id,
                                                      Demande.status == "active")):
        try:
            result = cotation(demande_record(d), grid, on, epci_communes=communes)
        except GridNotApplicable:
            continue
        out[d.id] = (result.score, result.priority)
    return out


def _stored(epci: Organisation, on: date) -> dict[int, tuple[float, bool]]:
    """The scores of the EPCI's run of that date (read through the run, as the app does)."""
    rows = db.session.execute(
        select(CotationScore.demande_id, CotationScore.score, CotationScore.is_priority)
        .join(CotationRun, CotationRun.id == CotationScore.run_id)
        .where(CotationRun.epci_id == epci.id, CotationRun.computed_on == on))
    return {i: (s, p) for i, s, p in rows}


def test_the_loaded_table_scores_like_the_records_of_the_same_demandes(territories):
    ems, _ = territories
    table = load_table(db.session, ems.id)
    assert len(table) == 110  # active demandes only
    demandes = db.session.scalars(select(Demande).where(Demande.id.in_(table.ids.tolist()))
                                  .order_by(Demande.id)).all()
    records = DemandeTable.from_demandes([demande_record(d) for d in demandes])
    assert [d.id for d in demandes] == table.ids.tolist()
    a = cotation_batch(table, STRASBOURG, ON)
    b = cotation_batch(records, STRASBOURG, ON)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.priority, b.priority)
    assert np.isfinite(a.score).all() and len(set(a.score.tolist())) > 20  # really varied


def test_recompute_stores_exactly_the_explained_scores_with_grid_version_and_date(territories):
    ems, orl = territories
    reports = recompute(db.session, ON)
    assert [(r.epci, r.grid, r.scored) for r in reports] == [
        ("eurometropole-strasbourg", STRASBOURG.ref, 110),
        ("orleans-metropole", ORLEANS.ref, 80),
    ]
    for epci, grid in ((ems, STRASBOURG), (orl, ORLEANS)):
        expected = _explained(epci, grid, ON)
        assert _stored(epci, ON) == expected
        assert any(p for _, p in expected.values()) or grid is STRASBOURG
    runs = set(db.session.execute(select(CotationRun.epci_id, CotationRun.grid_id,
                                         CotationRun.grid_version, CotationRun.computed_on,
                                         CotationRun.scored, CotationRun.not_applicable)))
    assert runs == {(ems.id, STRASBOURG.id, STRASBOURG.version, ON, 110, 0),
                    (orl.id, ORLEANS.id, ORLEANS.version, ON, 80, 0)}
    # every stored score names an active demande of its run's EPCI (no foreign key: the writer)
    strays = db.session.scalar(
        select(db.func.count()).select_from(CotationScore)
        .join(CotationRun, CotationRun.id == CotationScore.run_id)
        .outerjoin(Demande, (Demande.id == CotationScore.demande_id)
                   & (Demande.epci_id == CotationRun.epci_id) & (Demande.status == "active"))
        .where(Demande.id.is_(None)))
    assert strays == 0


def test_another_date_keeps_history_and_the_same_date_replaces_its_rows(territories):
    ems, _ = territories
    later = date(2026, 9, 1)
    recompute(db.session, ON, "eurometropole-strasbourg")
    recompute(db.session, later, "eurometropole-strasbourg")
    first = db.session.scalar(select(CotationRun.id).where(CotationRun.computed_on == later))
    recompute(db.session, later, "eurometropole-strasbourg")  # same day again: replaced
    assert _stored(ems, ON) == _explained(ems, STRASBOURG, ON)
    assert _stored(ems, later) == _explained(ems, STRASBOURG, later)
    assert db.session.scalar(select(db.func.count()).select_from(CotationRun)) == 2
    assert db.session.get(CotationRun, first) is None
    # the replaced run's rows wait for the sweep, unread (every read goes through a run)
    assert _rows_of_run(first) == 110
    assert sweep(db.session) == 1 and _rows_of_run(first) == 0
    assert db.session.scalar(select(db.func.count()).select_from(CotationScore)) == 220
    assert sweep(db.session) == 0


def _rows_of_run(run_id: int) -> int:
    return db.session.scalar(select(db.func.count()).select_from(CotationScore)
                             .where(CotationScore.run_id == run_id))


def test_a_mutations_only_grid_stores_nothing_for_other_demandes(territories):
    ems, _ = territories
    grid = dataclasses.replace(STRASBOURG, applies_to="mutations")
    report, = recompute(db.session, ON, "eurometropole-strasbourg", grid=grid)
    stored = _stored(ems, ON)
    assert report.scored == len(stored) and report.not_applicable == 110 - len(stored)
    assert 0 < len(stored) < 110
    assert stored == _explained(ems, grid, ON)


def test_an_epci_with_no_matching_grid_is_reported(db_session):
    epci = OrganisationFactory(slug="ailleurs", kind="epci")
    CommuneFactory(insee="01001", epci=epci, departement="01")
    with pytest.raises(NoGrid, match="--grid"):
        grid_for_epci(db.session, epci)
    report, = recompute(db.session, ON, "ailleurs")
    assert report.error and report.scored == 0


def test_cli_recomputes_one_epci_and_prints_the_counts(app, territories):
    ems, orl = territories
    result = app.test_cli_runner().invoke(
        args=["cotation", "recompute", "--epci", "orleans-metropole", "--date", "2026-03-01"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "orleans-metropole : 80 demande(s) cotée(s) le 2026-03-01" in result.stdout
    assert ORLEANS.ref in result.stdout and "Total : 80 demande(s)" in result.stdout
    assert "Cotation" in result.stderr  # the progress bar goes to standard error
    assert _stored(orl, ON) == _explained(orl, ORLEANS, ON)
    assert _stored(ems, ON) == {}  # the other EPCI was left alone


def test_cli_refuses_an_unknown_epci_and_a_bad_date(app, territories):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["cotation", "recompute", "--epci", "nulle-part"])
    assert unknown.exit_code != 0 and "EPCI inconnu : nulle-part" in unknown.output
    bad = runner.invoke(args=["cotation", "recompute", "--date", "2026-13-01"])
    assert bad.exit_code == 2 and "date AAAA-MM-JJ invalide" in bad.output


def test_a_territory_interleaved_with_another_loads_the_same_through_the_semi_join(db_session):
    """Ids of one EPCI spread among another's: child rows are then filtered in the database."""
    CommuneFactory(insee=OUTSIDE, departement="75", zone="paris_limitrophes")
    ems = _territory("eurometropole-strasbourg", STRASBOURG, "246700488")
    orl = _territory("orleans-metropole", ORLEANS, None)
    start = (db.session.scalar(select(db.func.max(Demande.id))) or 0) + 1
    rows = new_rows()
    for i, rec in enumerate(_records(STRASBOURG, 30, seed=31, prefix="067")):
        demande_rows(rec, demande_id=start + 3 * i, epci_id=ems.id, out=rows)
    for i, rec in enumerate(_records(ORLEANS, 60, seed=32, prefix="045")):
        demande_rows(rec, demande_id=start + 3 * (i // 2) + 1 + i % 2, epci_id=orl.id, out=rows)
    insert_rows(db.session, rows)
    db.session.flush()
    for epci, grid, n in ((ems, STRASBOURG, 30), (orl, ORLEANS, 60)):
        table = load_table(db.session, epci.id)
        demandes = db.session.scalars(select(Demande).where(Demande.epci_id == epci.id)
                                      .order_by(Demande.id)).all()
        assert table.ids.tolist() == [d.id for d in demandes] and len(table) == n
        records = DemandeTable.from_demandes([demande_record(d) for d in demandes])
        np.testing.assert_array_equal(cotation_batch(table, grid, ON).by_choice,
                                      cotation_batch(records, grid, ON).by_choice)
        np.testing.assert_array_equal(table.n_members, records.n_members)
        np.testing.assert_array_equal(table.contracts_adults, records.contracts_adults)
