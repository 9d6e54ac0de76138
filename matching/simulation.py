"""Grid simulation: score the same demandes with grid A and grid B and compare the outcome.

An EPCI adjusting its grid (the seed insists on trial, evaluation and adjustment) needs to see
who moves, how scores spread, and whether priority households (CCH L.441-1) and the lowest
income quartile (CCH L.441-1: 25 % of allocations outside QPV) gain or lose access to the top
of the ranking.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import numpy as np

from .batch import BatchResult, DemandeTable, consumption_units_table, cotation_batch
from .grid import Grid

QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
TOP_SHARE = 0.10  # top decile of the ranking


@dataclass(frozen=True, slots=True)
class Mover:
    id: str
    score_a: float
    score_b: float
    rank_a: int
    rank_b: int

    @property
    def change(self) -> int:
        """Places gained under grid B (positive = moves up)."""
        return self.rank_a - self.rank_b


@dataclass(frozen=True, slots=True)
class GridSide:
    grid: str
    quantiles: tuple[tuple[float, float], ...]
    histogram: tuple[tuple[float, float, int], ...]  # (from, to, count)
    top_priority_share: float
    top_low_income_share: float
    priority_share: float


@dataclass(frozen=True, eq=False)
class SimulationReport:
    """Comparison of two grids on the same demandes, with per-demande ranks."""

    computed_on: date
    count: int
    a: GridSide
    b: GridSide
    mean_abs_change: float
    median_abs_change: float
    up: int
    down: int
    unchanged: int
    low_income_threshold: float
    top_size: int
    movers: tuple[Mover, ...]
    ids: np.ndarray
    score_a: np.ndarray
    score_b: np.ndarray
    rank_a: np.ndarray
    rank_b: np.ndarray

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary."""

        def side(s: GridSide) -> dict[str, Any]:
            return {
                "grid": s.grid,
                "quantiles": {f"{q:g}": v for q, v in s.quantiles},
                "histogram": [{"from": lo, "to": hi, "count": c} for lo, hi, c in s.histogram],
                "priority_share": s.priority_share,
                "top_decile_priority_share": s.top_priority_share,
                "top_decile_low_income_share": s.top_low_income_share,
            }

        return {
            "computed_on": self.computed_on.isoformat(),
            "count": self.count,
            "top_decile_size": self.top_size,
            "low_income_threshold": self.low_income_threshold,
            "grid_a": side(self.a),
            "grid_b": side(self.b),
            "rank_changes": {"mean_abs": self.mean_abs_change, "median_abs": self.median_abs_change,
                             "up": self.up, "down": self.down, "unchanged": self.unchanged},
            "movers": [{"id": m.id, "score_a": m.score_a, "score_b": m.score_b, "rank_a": m.rank_a,
                        "rank_b": m.rank_b, "change": m.change} for m in self.movers],
        }

    def text(self) -> str:
        """French plain-language summary for the EPCI."""
        pct = lambda x: f"{100 * x:.1f} %".replace(".", ",")  # noqa: E731
        num = lambda x: f"{x:.2f}".replace(".", ",")  # noqa: E731
        qa = dict(self.a.quantiles)
        qb = dict(self.b.quantiles)
        lines = [
            f"Simulation au {self.computed_on.isoformat()} sur {self.count} demandes",
            f"Grille A : {self.a.grid}",
            f"Grille B : {self.b.grid}",
            "",
            "Scores (min / 1er quartile / médiane / 3e quartile / max)",
            f"  A : {num(qa[0.0])} / {num(qa[0.25])} / {num(qa[0.5])} / {num(qa[0.75])} / {num(qa[1.0])}",
            f"  B : {num(qb[0.0])} / {num(qb[0.25])} / {num(qb[0.5])} / {num(qb[0.75])} / {num(qb[1.0])}",
            "",
            "Mouvements de rang (1 = meilleur score)",
            f"  {self.up} demandes montent, {self.down} descendent, {self.unchanged} ne bougent pas",
            f"  écart absolu moyen : {num(self.mean_abs_change)} places ; médian : "
            f"{num(self.median_abs_change)} places",
            "",
            f"Premier décile du classement ({self.top_size} demandes)",
            f"  ménages prioritaires : {pct(self.a.top_priority_share)} avec A, "
            f"{pct(self.b.top_priority_share)} avec B (ensemble des demandes : "
            f"{pct(self.a.priority_share)})",
            f"  premier quartile de revenus (≤ {num(self.low_income_threshold)} € par UC) : "
            f"{pct(self.a.top_low_income_share)} avec A, {pct(self.b.top_low_income_share)} avec B",
        ]
        if self.movers:
            lines += ["", "Demandes qui bougent le plus"]
            for m in self.movers:
                sign = "+" if m.change >= 0 else "−"
                lines.append(f"  {m.id} : rang {m.rank_a} → {m.rank_b} ({sign}{abs(m.change)}), "
                             f"score {num(m.score_a)} → {num(m.score_b)}")
        return "\n".join(lines) + "\n"

    def write_csv(self, out: IO[str]) -> None:
        """One row per demande: id, scores and ranks under both grids, places gained."""
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["id", "score_a", "score_b", "rank_a", "rank_b", "change"])
        for i in range(len(self.ids)):
            if self.rank_a[i] == 0:
                continue
            w.writerow([self.ids[i], f"{self.score_a[i]:.2f}", f"{self.score_b[i]:.2f}",
                        int(self.rank_a[i]), int(self.rank_b[i]),
                        int(self.rank_a[i] - self.rank_b[i])])


def global_ranks(score: np.ndarray, filed_on: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """1-based rank by score descending, older filing first; 0 where not valid."""
    rank = np.zeros(len(score), np.int64)
    idx = np.flatnonzero(valid)
    order = np.lexsort((filed_on[idx].astype(np.int64), -score[idx]))
    rank[idx[order]] = np.arange(1, len(idx) + 1)
    return rank


def _side(result: BatchResult, rank: np.ndarray, valid: np.ndarray, low: np.ndarray,
          top: np.ndarray, bins: int) -> GridSide:
    s = result.score[valid]
    qs = tuple((q, float(np.quantile(s, q))) for q in QUANTILES) if len(s) else ()
    counts, edges = np.histogram(s, bins=bins) if len(s) else (np.array([], int), np.array([0.0]))
    hist = tuple((float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(len(counts)))
    n_top = max(int(top.sum()), 1)
    return GridSide(
        grid=result.grid, quantiles=qs, histogram=hist,
        top_priority_share=float((result.priority & top).sum() / n_top),
        top_low_income_share=float((low & top).sum() / n_top),
        priority_share=float(result.priority[valid].mean()) if valid.any() else 0.0,
    )


def simulate(table: DemandeTable, grid_a: Grid, grid_b: Grid, on: date, top_n: int = 20,
             low_income_threshold: float | None = None, epci_communes: Iterable[str] | None = None,
             bins: int = 10) -> SimulationReport:
    """Compare two grids on the same demandes (ranks, distributions, priority and low-income shares)."""
    ra = cotation_batch(table, grid_a, on, epci_communes, choices=False)
    rb = cotation_batch(table, grid_b, on, epci_communes, choices=False)
    valid = ra.applicable & rb.applicable
    n = int(valid.sum())
    rank_a = global_ranks(ra.score, table.filed_on, valid)
    rank_b = global_ranks(rb.score, table.filed_on, valid)
    change = (rank_a - rank_b)[valid]

    rfr_uc = table.rfr_n2 / consumption_units_table(table, on)
    if low_income_threshold is None:
        low_income_threshold = float(np.quantile(rfr_uc[valid], 0.25)) if n else 0.0
    low = valid & (rfr_uc <= low_income_threshold)
    top_size = math.ceil(TOP_SHARE * n)
    top_a = valid & (rank_a <= top_size)
    top_b = valid & (rank_b <= top_size)

    movers: list[Mover] = []
    if n and top_n:
        idx = np.flatnonzero(valid)
        abs_change = np.abs(change)
        pick = idx[np.lexsort((rank_a[idx], -abs_change))[:top_n]]
        movers = [Mover(str(table.ids[i]), float(ra.score[i]), float(rb.score[i]),
                        int(rank_a[i]), int(rank_b[i])) for i in pick]
    return SimulationReport(
        computed_on=on, count=n,
        a=_side(ra, rank_a, valid, low, top_a, bins), b=_side(rb, rank_b, valid, low, top_b, bins),
        mean_abs_change=float(np.abs(change).mean()) if n else 0.0,
        median_abs_change=float(np.median(np.abs(change))) if n else 0.0,
        up=int((change > 0).sum()), down=int((change < 0).sum()), unchanged=int((change == 0).sum()),
        low_income_threshold=float(low_income_threshold), top_size=top_size, movers=tuple(movers),
        ids=table.ids, score_a=ra.score, score_b=rb.score, rank_a=rank_a, rank_b=rank_b,
    )
