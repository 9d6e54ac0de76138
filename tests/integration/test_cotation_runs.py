"""Stored cotation runs: written whole, replaced whole, read through the latest run of an
EPCI, pruned to the history kept, and (PostgreSQL) one attached partition per run."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import func, select

from app.cotation.models import PARTITION_PREFIX, CotationRun, CotationScore
from app.cotation.queries import latest_scores
from app.cotation.runs import latest_runs, partition_name, prune, store_run, sweep
from app.extensions import db
from tests.factories import DemandeFactory, OrganisationFactory

ON = date(2026, 3, 1)


@pytest.fixture
def two_epcis(db_session):
    a = OrganisationFactory(slug="epci-a", kind="epci")
    b = OrganisationFactory(slug="epci-b", kind="epci")
    da = [DemandeFactory(epci=a) for _ in range(3)]
    db_ = [DemandeFactory(epci=b) for _ in range(2)]
    return a, b, da, db_


def _scores(run: CotationRun) -> dict[int, tuple[float, bool]]:
    return {i: (s, p) for i, s, p in db.session.execute(
        select(CotationScore.demande_id, CotationScore.score, CotationScore.is_priority)
        .where(CotationScore.run_id == run.id))}


def test_a_run_stores_one_exact_score_per_demande_with_its_counts(two_epcis):
    a, _, da, _ = two_epcis
    ids = [d.id for d in da]
    run = store_run(db.session, a.id, "grille", "v1", ON, np.array(ids[::-1]),
                    np.array([12.34, 0.0, 99999999.99]), np.array([True, False, False]),
                    not_applicable=4)
    assert (run.scored, run.priority, run.not_applicable) == (3, 1, 4)
    assert _scores(run) == {ids[2]: (12.34, True), ids[1]: (0.0, False),
                            ids[0]: (99999999.99, False)}


def test_bad_runs_are_refused_before_anything_is_written(two_epcis):
    a, _, da, _ = two_epcis
    i = da[0].id
    with pytest.raises(ValueError, match="deux fois"):
        store_run(db.session, a.id, "g", "1", ON, [i, i], [1.0, 2.0], [False, False])
    with pytest.raises(ValueError, match="longueurs"):
        store_run(db.session, a.id, "g", "1", ON, [i], [1.0, 2.0], [False])
    with pytest.raises(ValueError, match="précision"):
        store_run(db.session, a.id, "g", "1", ON, [i], [1e8], [False])
    assert db.session.scalar(select(func.count()).select_from(CotationRun)) == 0


def test_an_empty_run_is_recorded(two_epcis):
    a, *_ = two_epcis
    run = store_run(db.session, a.id, "g", "1", ON, np.zeros(0, np.int64), np.zeros(0),
                    np.zeros(0, bool), not_applicable=3)
    assert run.scored == 0 and _scores(run) == {}
    assert latest_runs(db.session, [a.id]) == [run]


def test_latest_scores_read_the_latest_run_of_each_demandes_epci(two_epcis):
    a, b, da, db_ = two_epcis
    store_run(db.session, a.id, "g", "1", ON, [d.id for d in da], [1.0, 2.0, 3.0], [False] * 3)
    store_run(db.session, a.id, "g", "1", date(2026, 4, 1), [d.id for d in da[:2]],
              [10.0, 20.0], [False] * 2)  # the latest: da[2] no longer scored
    store_run(db.session, a.id, "g", "1", date(2026, 2, 1), [d.id for d in da], [7.0] * 3,
              [False] * 3)  # computed later, for an earlier date: not the latest
    store_run(db.session, b.id, "h", "2", ON, [db_[0].id], [5.5], [True])
    ids = [d.id for d in da + db_]
    assert latest_scores(ids) == {da[0].id: 10.0, da[1].id: 20.0, db_[0].id: 5.5}
    assert latest_scores([]) == {}
    assert [r.computed_on for r in latest_runs(db.session)] == [date(2026, 4, 1), ON]


def test_prune_keeps_the_history_and_the_latest_run_of_each_epci(two_epcis, app):
    a, b, da, db_ = two_epcis
    for day in (date(2025, 1, 1), date(2025, 6, 1), date(2026, 1, 1)):
        store_run(db.session, a.id, "g", "1", day, [da[0].id], [1.0], [False])
    old_b = store_run(db.session, b.id, "g", "1", date(2024, 1, 1), [db_[0].id], [1.0], [False])
    removed = prune(db.session, date(2026, 3, 1), keep_days=400)  # cutoff 2025-01-25
    assert [r.computed_on for r in removed] == [date(2025, 1, 1)]
    kept = {(r.epci_id, r.computed_on) for r in db.session.scalars(select(CotationRun))}
    assert kept == {(a.id, date(2025, 6, 1)), (a.id, date(2026, 1, 1)),
                    (b.id, old_b.computed_on)}  # b's only run is its latest: kept
    assert sweep(db.session) == 1
    assert db.session.scalar(select(func.count()).select_from(CotationScore)) == 3
    with pytest.raises(ValueError):
        prune(db.session, date(2026, 3, 1), keep_days=-1)


def test_the_prune_command_uses_the_configured_history(app, two_epcis):
    a, _, da, _ = two_epcis
    for day in (date(2024, 1, 1), date(2026, 1, 1)):
        store_run(db.session, a.id, "g", "1", day, [da[0].id], [1.0], [False])
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cotation", "prune", "--today", "2026-03-01"])
    assert result.exit_code == 0, result.output
    assert "1 calcul(s) de cotation supprimé(s) (antérieurs au 2025-01-25, historique de 400 " \
           "jours)" in result.output
    assert [r.computed_on for r in db.session.scalars(select(CotationRun))] == [date(2026, 1, 1)]
    bad = runner.invoke(args=["cotation", "prune", "--today", "hier"])
    assert bad.exit_code == 2 and "date AAAA-MM-JJ invalide" in bad.output
    negative = runner.invoke(args=["cotation", "prune", "--keep-days", "-3"])
    assert negative.exit_code == 2


def test_postgresql_writes_each_run_as_an_attached_indexed_partition(two_epcis):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only (SQLite keeps one table)")
    a, _, da, _ = two_epcis
    run = store_run(db.session, a.id, "g", "1", ON, [d.id for d in da], [1.0, 2.0, 3.0],
                    [False] * 3)
    conn = db.session.connection()
    partitions = conn.exec_driver_sql(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'cotation_scores'::regclass").all()
    assert partitions == [(partition_name(run.id), f"FOR VALUES IN ({run.id})")]
    assert partition_name(run.id).startswith(PARTITION_PREFIX)
    indexes = conn.exec_driver_sql(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (partition_name(run.id),)
    ).scalars().all()
    assert any("UNIQUE" in i and "(run_id, demande_id)" in i for i in indexes)
    # a read by run touches that partition only
    plan = "\n".join(conn.exec_driver_sql(
        f"EXPLAIN SELECT * FROM cotation_scores WHERE run_id = {run.id}").scalars())
    assert partition_name(run.id) in plan and plan.count(PARTITION_PREFIX) == 1
    # replaced: the run row goes at once, the partition at the sweep
    again = store_run(db.session, a.id, "g", "1", ON, [da[0].id], [4.0], [False])
    assert _scores(again) == {da[0].id: (4.0, False)}
    assert sweep(db.session) == 1
    left = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'cotation_scores'::regclass").scalars().all()
    assert left == [partition_name(again.id)]


def test_postgresql_readers_are_not_blocked_by_a_recompute_only_by_the_sweep(two_epcis):
    """Writing a run (create, COPY, attach) leaves readers of ``cotation_scores`` alone until
    the commit; dropping a replaced run's partition does not, hence the sweep in a short
    transaction of its own, after the recompute's commit."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("table locks of partitions: PostgreSQL only")
    from sqlalchemy.exc import OperationalError

    a, _, da, _ = two_epcis

    def read_from_another_connection() -> int:
        with db.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '300ms'")
            return other.exec_driver_sql("SELECT count(*) FROM cotation_scores").scalar_one()

    before = read_from_another_connection()
    store_run(db.session, a.id, "g", "1", ON, [d.id for d in da], [1.0, 2.0, 3.0], [False] * 3)
    store_run(db.session, a.id, "g", "1", ON, [da[0].id], [4.0], [False])  # replaces it
    assert read_from_another_connection() == before  # not blocked; sees nothing uncommitted
    sweep(db.session)  # drops the replaced run's partition: an exclusive lock until commit
    with pytest.raises(OperationalError, match="lock timeout"):
        read_from_another_connection()
