"""Gestion en flux benchmark: orient 10 000 vacancies across 30 conventions (target ≤ 1 s).

Run: ``.venv/bin/python bench/bench_flux.py [--n 10000] [--conventions 30] [--runs 5]``.
Prints the median of ``--runs`` runs of the engine (``FluxEngine.orient`` with its French
reasons and gaps), without and with convention scopes, and the ratio against a baseline timed
in the same run: the same engine with the naive largest-deficit rule (which does not keep the
one-dwelling bound; its largest gap is printed too).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from matching.flux.apportionment import (  # noqa: E402
    Apportionment,
    FluxEngine,
    Vacancy,
    scope_admits,
)
from matching.records import Convention, ConventionScope, Logement  # noqa: E402

COMMUNES = ("45234", "45169", "45147", "45232", "45284", "45302")
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5")


class NaiveApportionment(Apportionment):
    """Baseline: the admissible participant with the largest deficit s_i·(n+1) − x_i."""

    def choose(self, logement=None):
        counts, a, D = self.counts, self.a, self.D
        next_n = self.n + 1
        best, best_deficit = -1, None
        for i, ai in enumerate(a):
            if logement is not None and not scope_admits(self.participants[i].scope, logement):
                continue
            deficit = ai * next_n - counts[i] * D
            if best_deficit is None or deficit > best_deficit:
                best, best_deficit = i, deficit
        return best, False


def conventions(k: int, scoped: bool, rng: random.Random) -> list[Convention]:
    weights = [rng.uniform(0.5, 2.0) for _ in range(k)]
    total = sum(weights)
    out = []
    for i, w in enumerate(weights):
        scope = ConventionScope()
        if scoped and i % 3 == 0:
            scope = ConventionScope(communes=tuple(rng.sample(COMMUNES, 3)))
        elif scoped and i % 3 == 1:
            scope = ConventionScope(typologies=tuple(rng.sample(TYPOLOGIES, 3)))
        out.append(Convention(id=f"C{i}", bailleur="logem", reservataire=f"r{i:02d}",
                              reservataire_kind="autre", departement="45", year=2026,
                              share_percent=round(85 * w / total, 2) - 0.01, scope=scope))
    return out


def vacancies(n: int, rng: random.Random) -> list[Vacancy]:
    out = []
    for i in range(n):
        lg = Logement(id=f"L{i}", commune=rng.choice(COMMUNES), zone="autres_regions",
                      typology=rng.choice(TYPOLOGIES), financing="PLUS", rent=400.0,
                      bailleur="logem", qpv=rng.random() < 0.2, available_on=date(2026, 5, 1))
        out.append(Vacancy(lg, 2026, "mutation_interne" if rng.random() < 0.05 else None))
    return out


def run_engine(convs, vacs, naive: bool = False) -> Apportionment:
    engine = FluxEngine(convs)
    if naive:
        flux = engine.flux("logem", "45", 2026)
        naive_flux = NaiveApportionment(flux.participants, bailleur="logem", departement="45",
                                        year=2026)
        engine._fluxes[("logem", "45", 2026)] = naive_flux
    for v in vacs:
        engine.orient(v)
    return engine.flux("logem", "45", 2026)


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--conventions", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(1)
    vacs = vacancies(args.n, rng)
    print(f"{args.n} vacances, {args.conventions} conventions + part propre du bailleur ; "
          f"{os.cpu_count()} cœurs ; médiane de {args.runs} exécutions")
    for scoped in (False, True):
        convs = conventions(args.conventions, scoped, random.Random(2))
        engine = median_time(lambda convs=convs: run_engine(convs, vacs), args.runs)
        naive = median_time(lambda convs=convs: run_engine(convs, vacs, naive=True), args.runs)
        gap = float(run_engine(convs, vacs).max_gap)
        naive_gap = float(run_engine(convs, vacs, naive=True).max_gap)
        label = "avec périmètres" if scoped else "sans périmètre "
        print(f"{label} : échéance la plus proche {engine:.3f} s (écart max {gap:.3f}) ; "
              f"plus grand déficit (référence) {naive:.3f} s (écart max {naive_gap:.3f}) ; "
              f"rapport {engine / naive:.2f}")


if __name__ == "__main__":
    main()
