"""Position among similar demandes and waiting times of similar allocations.

The applicant must be told their position relative to similar demandes and the average
waiting time of similar demandes (décret n° 2019-1378 du 17 décembre 2019; the CCH article
is to verify on Légifrance). "Similar" is configurable; by default: same
first-choice commune and same smallest wished typology.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import enums
from .batch import DemandeTable
from .history import Allocation
from .records import Demande

DEFAULT_KEY = ("first_choice", "min_typology")
SIMILARITY_PARTS = ("first_choice", "min_typology", "is_mutation", "household_size", "housing_kind")
# Below this many allocations the average would identify households or mean nothing.
MIN_ALLOCATIONS = 5
WINDOW_MONTHS = 12
DAYS_PER_MONTH = 365.25 / 12


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True, eq=False)
class Positions:
    """1-based rank of each row among its similar rows, and their number (0 when unscored)."""

    rank: np.ndarray
    count: np.ndarray

    def label(self, row: int) -> str:
        return position_label(int(self.rank[row]), int(self.count[row]))


def position_label(rank: int, count: int) -> str:
    """"position 3 sur 41"."""
    return f"position {rank} sur {count}" if count else "position non calculée"


def _column(table: DemandeTable, part: str) -> np.ndarray:
    if part == "first_choice":
        return table.first_choice().astype(np.int64)
    if part == "min_typology":
        return table.min_typology()
    if part == "is_mutation":
        return table.is_mutation.astype(np.int64)
    if part == "household_size":
        return table.n_members.astype(np.int64)
    if part == "housing_kind":
        return table.kind.astype(np.int64)
    raise ValueError(f"critère de similarité inconnu {part!r} (possibles : {', '.join(SIMILARITY_PARTS)})")


def similarity_groups(table: DemandeTable, key: Sequence[str] = DEFAULT_KEY) -> np.ndarray:
    """One int64 group number per row; rows with equal numbers are similar."""
    group = np.zeros(len(table), np.int64)
    for part in key:
        col = _column(table, part)
        col = col - col.min() if len(col) else col
        group = group * (int(col.max()) + 1 if len(col) else 1) + col
    return group


def positions(group: np.ndarray, score: np.ndarray, filed_on: np.ndarray) -> Positions:
    """Rank by score descending, older filing first on ties, inside each group (NaN scores excluded)."""
    n = len(group)
    rank = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    valid = np.flatnonzero(~np.isnan(score))
    if not len(valid):
        return Positions(rank, count)
    g, s, f = group[valid], score[valid], filed_on[valid].astype(np.int64)
    order = np.lexsort((f, -s, g))
    sg = g[order]
    boundary = np.empty(len(sg), bool)
    boundary[0] = True
    boundary[1:] = sg[1:] != sg[:-1]
    idx = np.arange(len(sg))
    starts = np.maximum.accumulate(np.where(boundary, idx, 0))
    run_starts = np.flatnonzero(boundary)
    sizes = np.diff(np.append(run_starts, len(sg)))
    rank[valid[order]] = idx - starts + 1
    count[valid[order]] = np.repeat(sizes, sizes)
    return Positions(rank, count)


def table_positions(table: DemandeTable, score: np.ndarray,
                    key: Sequence[str] = DEFAULT_KEY) -> Positions:
    """Positions of every row of a table among similar rows, for given scores."""
    return positions(similarity_groups(table, key), score, table.filed_on)


def similarity_key(demande: Demande) -> tuple[str, str | None]:
    """Default similarity key of one demande: (first-choice commune, smallest wished typology)."""
    typs = [t for t in enums.TYPOLOGIES if t in demande.wishes.typologies]
    return demande.wishes.communes[0], (typs[0] if typs else None)


# --------------------------------------------------------------------------- waiting times


@dataclass(frozen=True, slots=True)
class WaitingTime:
    """Waiting time of similar allocations in the window; averages only from MIN_ALLOCATIONS."""

    count: int
    mean_months: float | None
    median_months: float | None

    @property
    def enough(self) -> bool:
        return self.mean_months is not None

    @property
    def label(self) -> str:
        if not self.enough:
            return f"pas assez de données ({self.count} attribution(s) sur 12 mois)"
        mean = f"{self.mean_months:.1f}".replace(".", ",")
        median = f"{self.median_months:.1f}".replace(".", ",")
        return f"{mean} mois en moyenne, {median} mois en médiane ({self.count} attributions sur 12 mois)"


def _months_before(on: date, months: int) -> date:
    y, m = divmod(on.year * 12 + on.month - 1 - months, 12)
    m += 1
    day = min(on.day, [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31,
                       30, 31, 31, 30, 31, 30, 31][m - 1])
    return date(y, m, day)


def waiting_months(allocation: Allocation) -> float:
    """Months (average Gregorian month) between filing and allocation."""
    return (allocation.allocated_on - allocation.demande_filed_on).days / DAYS_PER_MONTH


def waiting_time(allocations: Iterable[Allocation], commune: str, typology: str | None, on: date,
                 window_months: int = WINDOW_MONTHS, min_count: int = MIN_ALLOCATIONS) -> WaitingTime:
    """Mean and median waiting time of similar allocations in the months before ``on``."""
    start = _months_before(on, window_months)
    months = [waiting_months(a) for a in allocations
              if start < a.allocated_on <= on and a.similarity_commune == commune
              and (typology is None or a.typology == typology)]
    if len(months) < min_count:
        return WaitingTime(len(months), None, None)
    arr = np.array(months)
    return WaitingTime(len(months), float(arr.mean()), float(np.median(arr)))


def waiting_times_by_group(allocations: Iterable[Allocation], on: date,
                           window_months: int = WINDOW_MONTHS,
                           min_count: int = MIN_ALLOCATIONS) -> dict[tuple[str, str], WaitingTime]:
    """Waiting time for every (commune, typology) seen in the window."""
    start = _months_before(on, window_months)
    groups: dict[tuple[str, str], list[float]] = {}
    for a in allocations:
        if start < a.allocated_on <= on:
            groups.setdefault((a.similarity_commune, a.typology), []).append(waiting_months(a))
    out = {}
    for k, months in groups.items():
        arr = np.array(months)
        out[k] = (WaitingTime(len(months), float(arr.mean()), float(np.median(arr)))
                  if len(months) >= min_count else WaitingTime(len(months), None, None))
    return out
