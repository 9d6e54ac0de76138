"""Random but plausible demandes as a DemandeTable, for benchmarks and equivalence tests.

Not real data and not production code: the application never generates demandes this way.
Benchmarks import it after putting the repository root on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from matching import enums
from matching.batch import NAT, DemandeTable

SYNTHETIC_VERIFIED_KEYS = ("rfr_n2", "monthly_resources", "household", "current_housing",
                           "reasons", "employment", "priority", "handicap")


def synthetic_table(n: int, on: date, communes: Sequence[str], outside: Sequence[str] = (),
                    seed: int = 0, members: int = 6, refusals: int = 3, wishes: int = 3) -> DemandeTable:
    """Random but plausible demandes for benchmarks and equivalence tests (not real data)."""
    rng = np.random.default_rng(seed)
    vocab = tuple(communes) + tuple(c for c in outside if c not in communes)
    nc = len(vocab)
    on64 = np.datetime64(on, "D")
    filed = on64 - rng.integers(0, 8 * 365, n).astype("timedelta64[D]")
    size = rng.choice(np.arange(1, members + 1), n, p=_size_p(members))
    M = members
    birth = np.full((n, M), NAT)
    age_days = rng.integers(0, 80 * 365, (n, M))
    adult_days = rng.integers(18 * 365, 80 * 365, n)
    age_days[:, 0] = adult_days
    birth[:] = on64 - age_days.astype("timedelta64[D]")
    valid = np.arange(M)[None, :] < size[:, None]
    unknown_birth = rng.random((n, M)) < 0.03
    birth[~valid | unknown_birth] = NAT
    dependent = valid & (rng.random((n, M)) < 0.6)
    dependent[:, 0] = False
    disability = valid & (rng.random((n, M)) < 0.04)
    R = refusals
    n_ref = rng.choice(np.arange(R + 1), n, p=_geom_p(R + 1))
    offsets = rng.integers(0, 8 * 365, (n, R)).astype("timedelta64[D]")
    rdates = np.minimum(filed[:, None] + offsets, on64 + np.timedelta64(30, "D"))
    rdates[np.arange(R)[None, :] >= n_ref[:, None]] = NAT
    rdates = np.sort(rdates, axis=1)  # NaT sorts last
    K = wishes
    n_w = rng.integers(1, K + 1, n)
    w = rng.integers(0, max(len(communes), 1), (n, K)).astype(np.int32)
    w[np.arange(K)[None, :] >= n_w[:, None]] = -1
    cur = rng.integers(0, nc, n).astype(np.int32)
    cur[rng.random(n) < 0.05] = -1
    same = rng.random(n) < 0.3
    cur = np.where(same, w[:, 0], cur)
    rooms = rng.integers(1, 7, n).astype(np.float64)
    rooms[rng.random(n) < 0.1] = np.nan
    resources = np.round(rng.gamma(2.0, 700.0, n), 0)
    resources[rng.random(n) < 0.05] = np.nan
    rent = np.round(rng.uniform(0, 900, n), 2)
    rent[rng.random(n) < 0.05] = np.nan
    charges = np.round(rng.uniform(0, 150, n), 2)

    def bitmask(count: int, p: float) -> np.ndarray:
        draws = rng.random((n, count)) < p
        return (draws * (1 << np.arange(count, dtype=np.int64))).sum(axis=1).astype(np.int64)

    typ = bitmask(len(enums.TYPOLOGIES), 0.3)
    verified = {k: rng.choice(np.array([0, 1, 2], np.int8), n, p=[0.45, 0.5, 0.05])
                for k in SYNTHETIC_VERIFIED_KEYS}
    first_dem = birth[:, 0].copy()
    return DemandeTable(
        ids=np.array([f"S{i:07d}" for i in range(n)], dtype=object), filed_on=filed,
        is_mutation=rng.random(n) < 0.4,
        kind=rng.integers(0, len(enums.HOUSING_KINDS), n).astype(np.int16),
        current_commune=cur, rooms=rooms, surface=np.round(rng.uniform(9, 120, n), 1),
        rent=rent, charges=charges, monthly_resources=resources,
        rfr_n2=np.round(rng.gamma(2.0, 8000.0, n), 0),
        reasons=bitmask(len(enums.REASONS), 0.08), typologies=typ,
        needs_accessible=rng.random(n) < 0.05, contributes_al=rng.random(n) < 0.3,
        dalo=rng.random(n) < 0.02, acd_labelled=rng.random(n) < 0.05,
        l441_1=bitmask(len(enums.L441_1), 0.02), contracts_adults=bitmask(len(enums.CONTRACTS), 0.15),
        n_members=size.astype(np.int64), member_birth=birth, member_dependent=dependent,
        member_disability=disability, demandeur_birth=first_dem, refusal_dates=rdates,
        refusal_adapted=rng.random((n, R)) < 0.7, wishes=w, communes=vocab, verified=verified,
    )


def _size_p(m: int) -> np.ndarray:
    p = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04][:m] + [0.02] * max(0, m - 6))
    return p / p.sum()


def _geom_p(k: int) -> np.ndarray:
    p = 0.5 ** np.arange(k) * np.array([2.0] + [1.0] * (k - 1))
    return p / p.sum()

