"""Vectorised counterparts of ``matching.facts``: dates, ages, consumption units."""

from __future__ import annotations

from datetime import date

import numpy as np

from ..facts import UC_CHILD, UC_CHILD_AGE, UC_FIRST_ADULT, UC_OTHER_ADULT
from .table import DemandeTable


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of a datetime64[D] array (garbage where NaT: mask it)."""
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m_ = d.astype("datetime64[M]")
    m = m_.astype(np.int64) % 12 + 1
    day = (d - m_.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, day


def months_between(start: np.ndarray, on: date) -> np.ndarray:
    """Vectorised ``facts.seniority_months``: whole months from start to on, at least 0."""
    sy, sm, sd = _ymd(start)
    months = (on.year - sy) * 12 + (on.month - sm) - (on.day < sd)
    return np.maximum(months, 0)


def ages_on(birth: np.ndarray, on: date) -> np.ndarray:
    """Vectorised ``facts.age_on`` (garbage where NaT: mask it)."""
    by, bm, bd = _ymd(birth)
    return on.year - by - ((on.month < bm) | ((on.month == bm) & (on.day < bd)))


def younger_than(birth: np.ndarray, on: date, years: int) -> np.ndarray:
    """``facts.age_on(birth, on) < years`` for each date (False where NaT), by one comparison
    of dates: born after the last day ``years`` years before ``on`` on which one had turned
    ``years`` — (on.year - years, on.month, on.day), or 28 February when that is a 29th that
    year lacks. No calendar split of each birth date."""
    year = on.year - years
    day = on.day
    while True:
        try:
            threshold = date(year, on.month, day)
            break
        except ValueError:  # 29 February of a common year
            day -= 1
    return birth > np.datetime64(threshold, "D")  # NaT compares False


def consumption_units_table(t: DemandeTable, on: date) -> np.ndarray:
    """Vectorised ``facts.consumption_units``, accumulated member by member in the same order."""
    children = younger_than(t.member_birth, on, UC_CHILD_AGE)
    units = np.zeros(len(t))
    first = np.ones(len(t), bool)
    for j in range(t.member_birth.shape[1]):
        valid = j < t.n_members
        child = valid & children[:, j]
        take_first = valid & first & ~child
        add = np.where(take_first, UC_FIRST_ADULT, np.where(child, UC_CHILD, UC_OTHER_ADULT))
        units = np.where(valid, units + add, units)
        first &= ~take_first
    return np.where(first, units + (UC_FIRST_ADULT - UC_CHILD), units)
