"""Cotation benchmarks: vectorised batch on 1 000 000 demandes vs explained one-by-one, positions.

Run: ``.venv/bin/python bench/bench_cotation.py [--n 1000000] [--explained 20000] [--runs 5]``.
Prints medians of ``--runs`` runs. The explained path is timed on ``--explained`` demandes and
extrapolated linearly to ``--n`` (it is one Python call per demande, so it scales linearly).
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

from matching.batch import cotation_batch  # noqa: E402
from matching.cotation import cotation  # noqa: E402
from matching.grid import load_grid  # noqa: E402
from matching.similar import positions, similarity_groups  # noqa: E402
from tests.support.synthetic import synthetic_table  # noqa: E402

ON = date(2026, 3, 1)


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--explained", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--grid", default="eurometropole-strasbourg")
    args = ap.parse_args()
    grid = load_grid(args.grid)
    print(f"grille {grid.ref} ; {os.cpu_count()} cœurs ; {args.runs} exécutions, médiane")

    t0 = time.perf_counter()
    table = synthetic_table(args.n, ON, grid.territory.communes, ["75056", "45234", "67999"], seed=1)
    print(f"génération de {args.n} demandes synthétiques : {time.perf_counter() - t0:.2f} s (non compté)")

    batch = median_time(lambda: cotation_batch(table, grid, ON), args.runs)
    batch_first = median_time(lambda: cotation_batch(table, grid, ON, choices=False), args.runs)
    print(f"batch, {args.n} demandes, score par choix (3 au plus) : {batch:.3f} s")
    print(f"batch, {args.n} demandes, premier choix seulement   : {batch_first:.3f} s")

    rows = table.to_demandes(range(args.explained))
    singles: list[float] = []

    def explained() -> None:
        for d in rows:
            t = time.perf_counter()
            cotation(d, grid, ON)
            singles.append(time.perf_counter() - t)

    loop = median_time(explained, args.runs)
    per = loop / args.explained
    extrapolated = per * args.n
    print(f"expliqué, {args.explained} demandes une par une : {loop:.3f} s "
          f"({per * 1e3:.4f} ms par demande) ; extrapolé à {args.n} : {extrapolated:.1f} s")
    single = statistics.median(singles)
    print(f"expliqué, une demande : médiane {single * 1e3:.4f} ms, "
          f"p99 {sorted(singles)[int(0.99 * len(singles))] * 1e3:.4f} ms "
          f"(objectif ≤ 1 ms : {'atteint' if single < 1e-3 else 'NON ATTEINT'})")
    print(f"rapport expliqué extrapolé / batch : {extrapolated / batch:.0f}× (par choix), "
          f"{extrapolated / batch_first:.0f}× (premier choix)")

    score = cotation_batch(table, grid, ON, choices=False).score
    pos = median_time(lambda: positions(similarity_groups(table), score, table.filed_on), args.runs)
    print(f"positions parmi les demandes similaires, {args.n} demandes : {pos:.3f} s")


if __name__ == "__main__":
    main()
