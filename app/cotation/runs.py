"""Writing, replacing and pruning stored cotation runs (``app/cotation/models.py``).

- ``store_run`` replaces the run of (EPCI, grid, version, date) by a new one holding the given
  scores, in the caller's transaction. PostgreSQL: the scores go into a new table by one
  binary ``COPY`` built by numpy, its primary key is built once the rows are in (one sorted
  build instead of a million index insertions), a ``CHECK (run_id = …)`` lets PostgreSQL
  attach it as the run's partition without scanning it. SQLite: one ``executemany`` of the
  driver over plain tuples.
- The run being replaced is deleted, not its rows: they are left to ``sweep``, which the
  command lines call after their commit. On PostgreSQL, dropping a partition locks the whole
  ``cotation_scores`` table, readers included; doing it in a short transaction of its own
  keeps the portal's pages from waiting for a recompute. Rows of a deleted run are never read:
  every read goes through a run.
- ``prune`` deletes runs older than the history kept (``COTATION_HISTORY_DAYS``), never the
  latest run of an EPCI.

Nothing here commits.
"""

from __future__ import annotations

import struct
from datetime import date, timedelta

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.cotation.models import PARTITION_PREFIX, CotationRun, CotationScore

MAX_CENTS = 10**10  # numeric(10, 2)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def partition_name(run_id: int) -> str:
    return f"{PARTITION_PREFIX}{int(run_id)}"


def store_run(session: Session, epci_id: int, grid_id: str, grid_version: str, on: date,
              demande_ids: np.ndarray, scores: np.ndarray, priority: np.ndarray,
              not_applicable: int = 0) -> CotationRun:
    """A new run of (EPCI, grid, version, date) holding these scores, replacing any earlier
    run of the same four. ``demande_ids`` are distinct database ids of the EPCI's demandes;
    ``scores`` are rounded to the cent."""
    demande_ids = np.asarray(demande_ids, np.int64)
    priority = np.asarray(priority, bool)
    cents = np.floor(np.asarray(scores, np.float64) * 100.0 + 0.5).astype(np.int64)
    if not (len(demande_ids) == len(cents) == len(priority)):
        raise ValueError("identifiants, scores et priorités de longueurs différentes")
    if len(cents) and np.abs(cents).max() >= MAX_CENTS:
        raise ValueError("score hors de la précision de cotation_scores.score (10 chiffres)")
    order = np.argsort(demande_ids, kind="stable")  # the primary key's order: a cheaper build
    demande_ids, cents, priority = demande_ids[order], cents[order], priority[order]
    if (demande_ids[1:] == demande_ids[:-1]).any():
        raise ValueError("une demande figure deux fois dans le calcul")
    old = session.scalar(select(CotationRun).where(
        CotationRun.epci_id == epci_id, CotationRun.grid_id == grid_id,
        CotationRun.grid_version == grid_version, CotationRun.computed_on == on))
    if old is not None:
        session.delete(old)
        session.flush()
    run = CotationRun(epci_id=epci_id, grid_id=grid_id, grid_version=grid_version,
                      computed_on=on, scored=len(demande_ids), priority=int(priority.sum()),
                      not_applicable=not_applicable)
    session.add(run)
    session.flush()
    if _postgresql(session):
        _copy_partition(session, run.id, demande_ids, cents, priority)
    elif len(demande_ids):  # SQLite: the driver's executemany over tuples, no object per row
        session.connection().connection.driver_connection.executemany(
            "INSERT INTO cotation_scores (run_id, demande_id, score, is_priority) "
            "VALUES (?, ?, ?, ?)",
            zip([run.id] * len(demande_ids), demande_ids.tolist(), (cents / 100).tolist(),
                priority.astype(np.int64).tolist(), strict=True))
    return run


def _copy_partition(session: Session, run_id: int, demande_ids: np.ndarray, cents: np.ndarray,
                    priority: np.ndarray) -> None:
    """Create the run's table, fill it by one binary COPY, index it, attach it.

    ``FREEZE``: the table is new in this transaction, so its rows are written already frozen
    (no other transaction can see the table before the commit); they will never need the
    vacuum's freezing pass."""
    name = create_partition(session, run_id)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(
            f"COPY {name} (run_id, demande_id, score, is_priority) "
            f"FROM STDIN (FORMAT BINARY, FREEZE)"
    ) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        body = _binary_rows(run_id, demande_ids, cents, priority).tobytes()
        step = 1 << 24
        for start in range(0, len(body), step):
            copy.write(body[start:start + step])
        copy.write(b"\xff\xff")
    attach_partition(session, run_id)


def create_partition(session: Session, run_id: int) -> str:
    """PostgreSQL: the run's own table, not yet attached nor indexed (filled next); its name.

    The CHECK constraint lets ``attach_partition`` skip the scan that proves every row
    belongs to the run. The run id was just drawn: a table already bearing its name can only
    be a leftover of a deleted run (ids restarted by hand), and is dropped."""
    name = partition_name(run_id)
    conn = session.connection()
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE cotation_scores INCLUDING DEFAULTS)")
    conn.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT ck_{name} "
                         f"CHECK (run_id = {int(run_id)})")
    return name


def attach_partition(session: Session, run_id: int) -> None:
    """PostgreSQL: index the filled table of the run (one sorted build) and attach it."""
    name = partition_name(run_id)
    conn = session.connection()
    conn.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT pk_{name} "
                         f"PRIMARY KEY (run_id, demande_id)")
    conn.exec_driver_sql(f"ALTER TABLE cotation_scores ATTACH PARTITION {name} "
                         f"FOR VALUES IN ({int(run_id)})")


def _binary_rows(run_id: int, demande_ids: np.ndarray, cents: np.ndarray,
                 priority: np.ndarray) -> np.ndarray:
    """Rows of a binary COPY, all of the same width, so numpy writes them all at once.

    The score is sent as a numeric of three base-10000 digits (weight 1, two decimals):
    PostgreSQL accepts unnormalised digits and normalises them when storing."""
    dtype = np.dtype([
        ("nfields", ">i2"),
        ("l_run", ">i4"), ("run", ">i4"),
        ("l_id", ">i4"), ("id", ">i4"),
        ("l_score", ">i4"), ("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"),
        ("dscale", ">i2"), ("d0", ">i2"), ("d1", ">i2"), ("d2", ">i2"),
        ("l_priority", ">i4"), ("priority", "?"),
    ])
    rows = np.empty(len(demande_ids), dtype)
    rows["nfields"] = 4
    rows["l_run"], rows["run"] = 4, run_id
    rows["l_id"], rows["id"] = 4, demande_ids
    whole, frac = np.divmod(np.abs(cents), 100)
    rows["l_score"], rows["ndigits"], rows["weight"], rows["dscale"] = 14, 3, 1, 2
    rows["sign"] = np.where(cents < 0, 0x4000, 0)
    rows["d0"], rows["d1"], rows["d2"] = whole // 10000, whole % 10000, frac * 100
    rows["l_priority"], rows["priority"] = 1, priority
    return rows


def sweep(session: Session) -> int:
    """Remove the stored rows of runs that no longer exist; how many runs' rows went.

    PostgreSQL drops their partitions (a short lock on ``cotation_scores``: call it in a
    transaction of its own); SQLite deletes their rows."""
    if _postgresql(session):
        conn = session.connection()
        partitions = conn.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'cotation_scores'::regclass").scalars().all()
        alive = set(session.scalars(select(CotationRun.id)))
        gone = [p for p in partitions if p.startswith(PARTITION_PREFIX)
                and int(p.removeprefix(PARTITION_PREFIX)) not in alive]
        for name in gone:
            conn.exec_driver_sql(f"DROP TABLE {name}")
        return len(gone)
    orphans = select(CotationRun.id)
    gone = session.scalars(select(CotationScore.run_id).distinct()
                           .where(CotationScore.run_id.not_in(orphans))).all()
    if gone:
        session.execute(delete(CotationScore).where(CotationScore.run_id.in_(gone)))
    return len(gone)


def prune(session: Session, today: date, keep_days: int) -> list[CotationRun]:
    """Delete the runs computed more than ``keep_days`` days before ``today``, except the
    latest run of each EPCI; their rows go at the next ``sweep``."""
    if keep_days < 0:
        raise ValueError("keep_days must not be negative")
    cutoff = today - timedelta(days=keep_days)
    latest = {run.epci_id: run.id for run in latest_runs(session)}
    old = [run for run in session.scalars(
        select(CotationRun).where(CotationRun.computed_on < cutoff).order_by(CotationRun.id))
        if latest.get(run.epci_id) != run.id]
    for run in old:
        session.delete(run)
    session.flush()
    return old


def latest_runs(session: Session, epci_ids: list[int] | None = None, grid_id: str | None = None,
                grid_version: str | None = None) -> list[CotationRun]:
    """The latest run of each EPCI (latest date, then latest written), optionally of one grid
    version only: one indexed query per EPCI."""
    if epci_ids is None:
        epci_ids = list(session.scalars(select(CotationRun.epci_id).distinct()))
    out = []
    for epci_id in sorted(set(epci_ids)):
        query = select(CotationRun).where(CotationRun.epci_id == epci_id)
        if grid_id is not None:
            query = query.where(CotationRun.grid_id == grid_id)
        if grid_version is not None:
            query = query.where(CotationRun.grid_version == grid_version)
        run = session.scalar(query.order_by(CotationRun.computed_on.desc(),
                                            CotationRun.id.desc()).limit(1))
        if run is not None:
            out.append(run)
    return out
