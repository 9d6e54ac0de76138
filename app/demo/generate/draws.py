"""Small helpers shared by the generators: weighted draws, day offsets, short codes."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from datetime import timedelta
from itertools import accumulate
from typing import Any


class Weighted:
    """A fixed weighted choice, drawn with one ``rng.random()`` (fast enough for 10⁵ records)."""

    __slots__ = ("values", "cum", "total")

    def __init__(self, weights: Mapping[Any, float] | Sequence[tuple[Any, float]]):
        items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
        self.values = [v for v, _ in items]
        self.cum = list(accumulate(w for _, w in items))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect(self.cum, rng.random() * self.total)]


def days(rng: random.Random, lo: int, hi: int) -> timedelta:
    """A random number of days between lo and hi (inclusive)."""
    return timedelta(days=rng.randint(lo, hi))


def code(slug: str) -> str:
    """Initials of a slug, upper case: ``toits-de-la-bionne`` → ``TDLB``."""
    return "".join(part[0] for part in slug.split("-") if part).upper()
