"""End-to-end cotation from the database: load + compute + store, engine vs one SQL statement.

Run: ``.venv/bin/python bench/bench_recompute.py [--n 1000000] [--runs 3]
[--pg postgresql://…/cotaflux_bench] [--sqlite /tmp/cotaflux-bench.sqlite3] [--skip-sqlite]``.

Data: ``bench/dbdata.py`` fills a migrated database with N synthetic demandes of one EPCI
(Strasbourg's communes and SIREN, so the recompute picks the Strasbourg preset) and all their
child rows; building them is not timed, and a database holding the same N and seed is reused.

Every run starts from the same state, no score stored (the engine's runs are committed, as
the command line does, then deleted and swept; the peer's transaction is rolled back; commits
are not timed, for either path):
- engine: ``app.cotation.services.recompute_epci`` — load (one query per table into numpy),
  compute (``matching.batch.cotation_batch``, first choice), store (``app.cotation.runs``:
  a run row, then on PostgreSQL the run's own table filled by one binary COPY, indexed and
  attached as a partition of ``cotation_scores``);
- the same recompute again, in a new transaction: a same-day replacement (the earlier run is
  deleted, its partition left to the sweep), then the sweep that drops it, committed;
- SQL peer (PostgreSQL only): ``bench/strasbourg_peer.sql``, the same grid as one
  ``INSERT … SELECT`` over the same tables, what a territory's IT team would write. It
  writes into the same storage by the same code: a run row, the run's table created, filled
  by its ``INSERT … SELECT``, indexed and attached (so the two differ in load and compute).
The stored scores of both paths are compared (count of demandes whose score differs).
Prints medians of ``--runs`` runs and the ratio SQL peer / engine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.cotation.models import CotationRun  # noqa: E402
from app.cotation.runs import attach_partition, create_partition, sweep  # noqa: E402
from app.cotation.services import recompute_epci  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Organisation  # noqa: E402
from bench import dbdata  # noqa: E402
from matching.grid import load_grid  # noqa: E402

ON = date(2026, 3, 1)
SEED = 1
SCHEMA = "bench_cotation"  # PostgreSQL: own schema, so other benchmarks may share the database


def with_schema(url: str) -> str:
    """PostgreSQL URL whose connections work in SCHEMA (tables, migrations, COPY)."""
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{SCHEMA}%2Cpublic"
PEER_SQL = (Path(__file__).parent / "strasbourg_peer.sql").read_text(encoding="utf-8")


def prepare(url: str, n: int) -> None:
    """Migrate and fill the database unless it already holds this data set."""
    grid = load_grid("eurometropole-strasbourg")
    try:
        name = db.session.scalar(select(Organisation.name).where(
            Organisation.slug == dbdata.SLUG))
    except Exception:  # no schema yet
        db.session.rollback()
        name = None
    if name == dbdata.marker(n, SEED):
        db.session.remove()
        upgrade()  # the schema follows the migrations; the data stay
        print("données déjà présentes : réutilisées")
        return
    db.session.remove()
    if url.startswith("postgresql"):
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
            # the migrations name public.unaccent (search): the extension lives in public
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
    else:
        db.engine.dispose()
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    upgrade()
    dbdata.write(db.engine, n, ON, grid.territory.communes, SEED)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


SETTINGS = ("SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off")


def tune() -> None:
    """The same session settings for both paths (PostgreSQL): hash joins and aggregates of
    the SQL peer stay in memory; no JIT compilation for either."""
    if db.engine.dialect.name == "postgresql":
        for statement in SETTINGS:
            db.session.connection().exec_driver_sql(statement)


def run_engine(epci_id: int) -> dict[str, float]:
    tune()
    epci = db.session.get(Organisation, epci_id)
    t0 = time.perf_counter()
    report = recompute_epci(db.session, epci, ON)
    total = time.perf_counter() - t0
    assert report.error is None, report.error
    db.session.commit()  # as the command line does after each EPCI (not timed)
    tune()
    t0 = time.perf_counter()
    again = recompute_epci(db.session, epci, ON)  # the same day again: replaces the run
    replace = time.perf_counter() - t0
    db.session.commit()
    t0 = time.perf_counter()
    swept = sweep(db.session)  # drops the replaced run's rows, in a transaction of its own
    db.session.commit()
    drop = time.perf_counter() - t0
    assert again.scored == report.scored and swept == 1
    return {**report.timings, "total": total, "scored": report.scored, "replace": replace,
            "sweep": drop}


def clean_up() -> None:
    """Back to the starting state: no run stored (deleted, then swept)."""
    for run in db.session.scalars(select(CotationRun)):
        db.session.delete(run)
    db.session.commit()
    sweep(db.session)
    db.session.commit()


def run_peer(epci_id: int) -> float:
    tune()
    grid = load_grid("eurometropole-strasbourg")
    conn = db.session.connection()
    t0 = time.perf_counter()
    run = CotationRun(epci_id=epci_id, grid_id=grid.id, grid_version=grid.version,
                      computed_on=ON)
    db.session.add(run)
    db.session.flush()
    name = create_partition(db.session, run.id)
    conn.exec_driver_sql(PEER_SQL.replace("{partition}", name),
                         {"epci": epci_id, "on": ON, "run": run.id})
    attach_partition(db.session, run.id)
    conn.exec_driver_sql(f"UPDATE cotation_runs SET scored = (SELECT count(*) FROM {name}), "
                         f"priority = (SELECT count(*) FROM {name} WHERE is_priority) "
                         f"WHERE id = {run.id}")
    return time.perf_counter() - t0


def bench(url: str, n: int, runs: int, peer: bool) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        print(f"\n== {url.split('@')[-1].split('?')[0]} ==")
        prepare(url, n)
        epci_id = db.session.scalar(select(Organisation.id).where(
            Organisation.slug == dbdata.SLUG))
        db.session.rollback()
        clean_up()  # runs left by an interrupted benchmark
        engine_runs, peer_runs = [], []
        for _ in range(runs):
            engine_runs.append(run_engine(epci_id))
            if peer:
                mine = dict(db.session.connection().exec_driver_sql(
                    "SELECT demande_id, score FROM cotation_scores").fetchall())
            clean_up()
            if peer:
                peer_runs.append(run_peer(epci_id))
                theirs = dict(db.session.connection().exec_driver_sql(
                    "SELECT demande_id, score FROM cotation_scores").fetchall())
                db.session.rollback()
                differ = sum(1 for k, v in mine.items() if theirs.get(k) != v)
                print(f"  scores différents entre moteur et SQL : {differ} sur {len(mine)} "
                      f"(SQL : {len(theirs)} lignes)")
        scored = engine_runs[0]["scored"]
        parts = {k: median([r[k] for r in engine_runs]) for k in ("load", "compute", "store",
                                                                    "total", "replace", "sweep")}
        print(f"moteur, {scored} demandes, médiane de {runs} : chargement {parts['load']:.2f} s, "
              f"calcul {parts['compute']:.2f} s, enregistrement {parts['store']:.2f} s, "
              f"total {parts['total']:.2f} s")
        print(f"  le même jour à nouveau (remplacement) : {parts['replace']:.2f} s ; "
              f"balayage de l'ancien calcul : {parts['sweep']:.2f} s")
        if peer:
            p = median(peer_runs)
            print(f"pair SQL (une instruction INSERT … SELECT), médiane de {runs} : {p:.2f} s")
            print(f"rapport pair SQL / moteur : {p / parts['total']:.2f}× "
                  f"({'moteur plus rapide' if p > parts['total'] else 'SQL plus rapide'})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", default="postgresql://cotaflux:cotaflux@127.0.0.1:5432/cotaflux_bench")
    ap.add_argument("--sqlite", default="/tmp/cotaflux-bench.sqlite3")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-pg", action="store_true")
    args = ap.parse_args()
    print(f"{os.cpu_count()} cœurs ; {args.n} demandes ; grille eurometropole-strasbourg ; {ON}")
    if not args.skip_pg:
        bench(with_schema(args.pg), args.n, args.runs, peer=True)
    if not args.skip_sqlite:
        bench(f"sqlite:///{args.sqlite}", args.n, args.runs, peer=False)


if __name__ == "__main__":
    main()
