"""Vectorised cotation: a grid compiled into numpy column operations over a DemandeTable.

Used for simulations, rankings and positions over a whole territory (up to millions of
demandes). It performs the same floating-point operations in the same order as the explained
engine (``cotation.py``), so scores are identical, not merely close; the test suite checks it
on random data. It does not produce explanations: call ``cotation()`` for one demande.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from . import enums
from .cotation import MAJORITY_AGE
from .facts import UC_CHILD, UC_CHILD_AGE, UC_FIRST_ADULT, UC_OTHER_ADULT
from .grid import AllOf, Always, AnyOf, Compare, Condition, Criterion, Effect, Grid, NotOf
from .grid_registry import PORTEE_MOBILITE, VERIFIED_PREFIX, lookup
from .records import (
    CurrentHousing,
    Demande,
    Employer,
    Employment,
    Member,
    Priority,
    Refusal,
    Wishes,
)

NAT = np.datetime64("NaT", "D")
VERIFICATION_CODES = {"declared": 0, "verified": 1, "rejected": 2}  # absent key = declared


def _bits(values: Iterable[str], vocabulary: Sequence[str]) -> int:
    return sum(1 << vocabulary.index(v) for v in set(values))


def _unbits(mask: int, vocabulary: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for i, v in enumerate(vocabulary) if mask >> i & 1)


# --------------------------------------------------------------------------- table


@dataclass(frozen=True, eq=False)
class DemandeTable:
    """Columnar demandes: one numpy array per field, lists padded to a fixed width."""

    ids: np.ndarray  # str
    filed_on: np.ndarray  # datetime64[D]
    is_mutation: np.ndarray  # bool
    kind: np.ndarray  # int16, index in enums.HOUSING_KINDS
    current_commune: np.ndarray  # int32, index in communes, -1 unknown
    rooms: np.ndarray  # float64, NaN unknown
    surface: np.ndarray
    rent: np.ndarray
    charges: np.ndarray
    monthly_resources: np.ndarray
    rfr_n2: np.ndarray
    reasons: np.ndarray  # int64 bitmask over enums.REASONS
    typologies: np.ndarray  # int64 bitmask over enums.TYPOLOGIES
    needs_accessible: np.ndarray
    contributes_al: np.ndarray
    dalo: np.ndarray
    acd_labelled: np.ndarray
    l441_1: np.ndarray  # int64 bitmask over enums.L441_1
    contracts_adults: np.ndarray  # int64 bitmask over enums.CONTRACTS
    n_members: np.ndarray  # int64
    member_birth: np.ndarray  # (n, M) datetime64[D], NaT unknown or padding
    member_dependent: np.ndarray  # (n, M) bool
    member_disability: np.ndarray  # (n, M) bool
    demandeur_birth: np.ndarray  # datetime64[D]
    refusal_dates: np.ndarray  # (n, R) datetime64[D], NaT padding
    refusal_adapted: np.ndarray  # (n, R) bool
    wishes: np.ndarray  # (n, K) int32 commune index, -1 padding
    communes: tuple[str, ...]  # vocabulary of commune codes
    verified: dict[str, np.ndarray] = field(default_factory=dict)  # key -> int8 codes

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_wishes(self) -> np.ndarray:
        return (self.wishes >= 0).sum(axis=1)

    def commune_code(self, commune: str) -> int:
        """Index of a commune in the vocabulary, -2 when absent (matches no row)."""
        try:
            return self.communes.index(commune)
        except ValueError:
            return -2

    def first_choice(self) -> np.ndarray:
        """Commune codes of the first wished commune."""
        return self.wishes[:, 0]

    def min_typology(self) -> np.ndarray:
        """Index of the smallest wished typology (T1 = 0), -1 when none."""
        t = self.typologies
        out = np.full(len(t), -1, dtype=np.int64)
        for i in reversed(range(len(enums.TYPOLOGIES))):
            out = np.where((t >> i) & 1 == 1, i, out)
        return out

    # -- building
    @classmethod
    def from_demandes(cls, demandes: Sequence[Demande]) -> DemandeTable:
        """Build the columns from parsed records."""
        n = len(demandes)
        M = max((d.size for d in demandes), default=1)
        R = max((len(d.refusals) for d in demandes), default=0) or 1
        K = max((len(d.wishes.communes) for d in demandes), default=1)
        vocab: dict[str, int] = {}

        def code(c: str | None) -> int:
            return -1 if c is None else vocab.setdefault(c, len(vocab))

        birth = np.full((n, M), NAT)
        dep = np.zeros((n, M), bool)
        dis = np.zeros((n, M), bool)
        rdates = np.full((n, R), NAT)
        radapt = np.zeros((n, R), bool)
        wishes = np.full((n, K), -1, np.int32)
        keys = sorted({k for d in demandes for k in d.verified})
        verified = {k: np.zeros(n, np.int8) for k in keys}
        dem_birth = np.full(n, NAT)
        cols: dict[str, list[Any]] = {k: [] for k in (
            "ids", "filed_on", "is_mutation", "kind", "current_commune", "rooms", "surface", "rent",
            "charges", "monthly_resources", "rfr_n2", "reasons", "typologies", "needs_accessible",
            "contributes_al", "dalo", "acd_labelled", "l441_1", "contracts_adults", "n_members")}
        nan = float("nan")
        for i, d in enumerate(demandes):
            ch = d.current_housing
            for j, m in enumerate(d.household):
                if m.birth_date is not None:
                    birth[i, j] = np.datetime64(m.birth_date, "D")
                dep[i, j] = m.is_dependent
                dis[i, j] = m.has_disability
            first = next(m for m in d.household if m.role == "demandeur")
            if first.birth_date is not None:
                dem_birth[i] = np.datetime64(first.birth_date, "D")
            for j, r in enumerate(d.refusals):
                rdates[i, j] = np.datetime64(r.date, "D")
                radapt[i, j] = r.adapted
            for j, c in enumerate(d.wishes.communes):
                wishes[i, j] = code(c)
            for k, v in d.verified.items():
                verified[k][i] = VERIFICATION_CODES[v]
            cols["ids"].append(d.id)
            cols["filed_on"].append(np.datetime64(d.filed_on, "D"))
            cols["is_mutation"].append(d.is_mutation)
            cols["kind"].append(enums.HOUSING_KINDS.index(ch.kind))
            cols["current_commune"].append(code(ch.commune))
            for name in ("rooms", "surface", "rent", "charges"):
                v = getattr(ch, name)
                cols[name].append(nan if v is None else float(v))
            cols["monthly_resources"].append(nan if d.monthly_resources is None else d.monthly_resources)
            cols["rfr_n2"].append(d.rfr_n2)
            cols["reasons"].append(_bits(d.reasons, enums.REASONS))
            cols["typologies"].append(_bits(d.wishes.typologies, enums.TYPOLOGIES))
            cols["needs_accessible"].append(d.wishes.needs_accessible)
            cols["contributes_al"].append(d.employer.contributes_action_logement)
            cols["dalo"].append(d.priority.dalo)
            cols["acd_labelled"].append(d.priority.acd_labelled)
            cols["l441_1"].append(_bits(d.priority.l441_1, enums.L441_1))
            cols["contracts_adults"].append(_bits(
                (e.contract for e in d.employment if not d.household[e.member].is_dependent),
                enums.CONTRACTS))
            cols["n_members"].append(d.size)
        f64 = lambda k: np.array(cols[k], dtype=np.float64)  # noqa: E731
        b = lambda k: np.array(cols[k], dtype=bool)  # noqa: E731
        i64 = lambda k: np.array(cols[k], dtype=np.int64)  # noqa: E731
        return cls(
            ids=np.array(cols["ids"], dtype=object), filed_on=np.array(cols["filed_on"], "datetime64[D]"),
            is_mutation=b("is_mutation"), kind=np.array(cols["kind"], np.int16),
            current_commune=np.array(cols["current_commune"], np.int32),
            rooms=f64("rooms"), surface=f64("surface"), rent=f64("rent"), charges=f64("charges"),
            monthly_resources=f64("monthly_resources"), rfr_n2=f64("rfr_n2"),
            reasons=i64("reasons"), typologies=i64("typologies"), needs_accessible=b("needs_accessible"),
            contributes_al=b("contributes_al"), dalo=b("dalo"), acd_labelled=b("acd_labelled"),
            l441_1=i64("l441_1"), contracts_adults=i64("contracts_adults"), n_members=i64("n_members"),
            member_birth=birth, member_dependent=dep, member_disability=dis, demandeur_birth=dem_birth,
            refusal_dates=rdates, refusal_adapted=radapt, wishes=wishes,
            communes=tuple(sorted(vocab, key=vocab.get)), verified=verified,
        )

    def to_demandes(self, rows: Iterable[int] | None = None) -> list[Demande]:
        """Rebuild records from rows (for tests and the explained path on synthetic data)."""
        out = []
        rows = range(len(self)) if rows is None else rows
        for i in rows:
            i = int(i)
            members = []
            for j in range(int(self.n_members[i])):
                bd = self.member_birth[i, j]
                role = "demandeur" if j == 0 else ("enfant" if self.member_dependent[i, j] else "conjoint")
                members.append(Member(role, None if np.isnat(bd) else bd.astype(date),
                                      bool(self.member_dependent[i, j]), bool(self.member_disability[i, j])))

            def num(a: np.ndarray, i: int = i) -> float | None:
                return None if np.isnan(a[i]) else float(a[i])

            cc = int(self.current_commune[i])
            rooms = num(self.rooms)
            out.append(Demande(
                id=str(self.ids[i]), filed_on=self.filed_on[i].astype(date), household=tuple(members),
                rfr_n2=float(self.rfr_n2[i]),
                current_housing=CurrentHousing(
                    enums.HOUSING_KINDS[int(self.kind[i])], None if cc < 0 else self.communes[cc],
                    None if rooms is None else int(rooms), num(self.surface), num(self.rent),
                    num(self.charges)),
                wishes=Wishes(tuple(self.communes[c] for c in self.wishes[i] if c >= 0),
                              _unbits(int(self.typologies[i]), enums.TYPOLOGIES),
                              None, bool(self.needs_accessible[i])),
                is_mutation=bool(self.is_mutation[i]), monthly_resources=num(self.monthly_resources),
                reasons=_unbits(int(self.reasons[i]), enums.REASONS),
                employment=tuple(Employment(0, c) for c in
                                 _unbits(int(self.contracts_adults[i]), enums.CONTRACTS)),
                employer=Employer(None, bool(self.contributes_al[i])),
                priority=Priority(bool(self.dalo[i]), _unbits(int(self.l441_1[i]), enums.L441_1),
                                  bool(self.acd_labelled[i])),
                refusals=tuple(Refusal(r.astype(date), None, bool(a))
                               for r, a in zip(self.refusal_dates[i], self.refusal_adapted[i], strict=False)
                               if not np.isnat(r)),
                verified={k: ("declared", "verified", "rejected")[int(v[i])]
                          for k, v in self.verified.items() if v[i] != 0},
            ))
        return out


# --------------------------------------------------------------------------- synthetic data

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


# --------------------------------------------------------------------------- date helpers


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


def consumption_units_table(t: DemandeTable, on: date) -> np.ndarray:
    """Vectorised ``facts.consumption_units``, accumulated member by member in the same order."""
    ages = ages_on(t.member_birth, on)
    known = ~np.isnat(t.member_birth)
    units = np.zeros(len(t))
    first = np.ones(len(t), bool)
    for j in range(t.member_birth.shape[1]):
        valid = j < t.n_members
        child = valid & known[:, j] & (ages[:, j] < UC_CHILD_AGE)
        take_first = valid & first & ~child
        add = np.where(take_first, UC_FIRST_ADULT, np.where(child, UC_CHILD, UC_OTHER_ADULT))
        units = np.where(valid, units + add, units)
        first &= ~take_first
    return np.where(first, units + (UC_FIRST_ADULT - UC_CHILD), units)


# --------------------------------------------------------------------------- compiled grid


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Scores of every row for one grid on one date (NaN where the grid does not apply)."""

    grid: str
    computed_on: date
    score: np.ndarray
    base: np.ndarray
    priority: np.ndarray
    by_choice: np.ndarray  # (n, K), NaN padding
    applicable: np.ndarray
    refusals_counted: np.ndarray


class _Env:
    def __init__(self, t: DemandeTable, grid: Grid, on: date, epci: Sequence[str] | None):
        self.t, self.grid, self.on = t, grid, on
        self.n = len(t)
        self.epci = None if epci is None else np.array(
            sorted({t.commune_code(c) for c in epci} - {-2}), dtype=np.int32)
        self._cache: dict[str, np.ndarray] = {}
        self._counted_refusals()

    def _counted_refusals(self) -> None:
        t, rule, on = self.t, self.grid.refusals, self.on
        on64 = np.datetime64(self.on, "D")
        dates = t.refusal_dates
        ok = ~np.isnat(dates) & (dates <= on64)
        if rule.only_adapted:
            ok &= t.refusal_adapted
        if rule.window_months is not None:
            ok &= months_between(np.where(ok, dates, on64), on) < rule.window_months
        self.refusal_count = ok.sum(axis=1)
        masked = np.where(ok, dates, np.datetime64("1000-01-01", "D"))
        self.last_refusal = masked.max(axis=1) if dates.shape[1] else np.full(self.n, NAT)
        self.has_refusal = self.refusal_count > 0

    def verification(self, key: str) -> np.ndarray:
        v = self.t.verified.get(key)
        return np.zeros(self.n, np.int8) if v is None else v

    def units(self) -> np.ndarray:
        return consumption_units_table(self.t, self.on)

    def value(self, source: str, name: str, choice: int) -> np.ndarray:
        spec = lookup(source, name)
        assert spec is not None
        if spec.per_choice:
            return self._per_choice(name, choice)
        key = f"{source}:{name}"
        if key not in self._cache:
            self._cache[key] = self._compute(source, name)
        return self._cache[key]

    def _per_choice(self, name: str, k: int) -> np.ndarray:
        w = self.t.wishes[:, k]
        if name == "commune_souhaitee":
            return w
        if name == "rang_choix":
            return np.full(self.n, float(k + 1))
        cur = self.t.current_commune
        if self.epci is None:
            raise ValueError("liste des communes de l'EPCI inconnue : fournir epci_communes")
        idx = {v: i for i, v in enumerate(PORTEE_MOBILITE)}
        return np.where(cur < 0, idx["inconnue"], np.where(
            cur == w, idx["meme_commune"],
            np.where(np.isin(cur, self.epci), idx["epci"], idx["hors_epci"]))).astype(np.int16)

    def _compute(self, source: str, name: str) -> np.ndarray:
        t, on = self.t, self.on
        if source == "field":
            if name.startswith(VERIFIED_PREFIX):
                return self.verification(name[len(VERIFIED_PREFIX):])
            return {
                "is_mutation": lambda: t.is_mutation,
                "current_housing.kind": lambda: t.kind,
                "current_housing.commune": lambda: t.current_commune,
                "current_housing.rooms": lambda: t.rooms,
                "current_housing.surface": lambda: t.surface,
                "monthly_resources": lambda: t.monthly_resources,
                "rfr_n2": lambda: t.rfr_n2,
                "reasons": lambda: t.reasons,
                "wishes.typologies": lambda: t.typologies,
                "wishes.needs_accessible": lambda: t.needs_accessible,
                "employer.contributes_action_logement": lambda: t.contributes_al,
                "priority.dalo": lambda: t.dalo,
                "priority.acd_labelled": lambda: t.acd_labelled,
                "priority.l441_1": lambda: t.l441_1,
            }[name]()
        valid = np.arange(t.member_birth.shape[1])[None, :] < t.n_members[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if name in ("taux_effort_logement_actuel", "reste_a_vivre_logement_actuel"):
                mr = t.monthly_resources
                cost = (np.nan_to_num(t.rent) + np.nan_to_num(t.charges)) - 0.0
                if name == "taux_effort_logement_actuel":
                    return np.where(mr > 0, cost / np.where(mr > 0, mr, 1.0), np.nan)
                units = self.units()
                return (mr - cost) / units / 30.0
            if name == "ecart_occupants_pieces":
                return t.n_members.astype(np.float64) - t.rooms
        if name == "anciennete_mois":
            return months_between(t.filed_on, on).astype(np.float64)
        if name == "taille_menage":
            return t.n_members.astype(np.float64)
        if name == "nombre_adultes":
            return (valid & ~t.member_dependent).sum(axis=1).astype(np.float64)
        if name == "nombre_personnes_a_charge":
            return (valid & t.member_dependent).sum(axis=1).astype(np.float64)
        if name == "nombre_enfants_mineurs":
            minor = valid & ~np.isnat(t.member_birth) & (ages_on(t.member_birth, on) < MAJORITY_AGE)
            return minor.sum(axis=1).astype(np.float64)
        if name == "menage_avec_handicap":
            return (valid & t.member_disability).any(axis=1)
        if name == "famille_monoparentale":
            adults = (valid & ~t.member_dependent).sum(axis=1)
            return (adults == 1) & (valid & t.member_dependent).any(axis=1)
        if name == "age_demandeur":
            return np.where(np.isnat(t.demandeur_birth), np.nan,
                            ages_on(t.demandeur_birth, on).astype(np.float64))
        if name == "contrats_adultes":
            return t.contracts_adults
        if name == "refus_comptes":
            return self.refusal_count.astype(np.float64)
        raise KeyError(name)  # pragma: no cover

    # -- conditions
    def test(self, cond: Condition, choice: int) -> np.ndarray:
        if isinstance(cond, AllOf):
            out = self.test(cond.items[0], choice)
            for c in cond.items[1:]:
                out = out & self.test(c, choice)
            return out
        if isinstance(cond, AnyOf):
            out = self.test(cond.items[0], choice)
            for c in cond.items[1:]:
                out = out | self.test(c, choice)
            return out
        if isinstance(cond, NotOf):
            return ~self.test(cond.item, choice)
        if isinstance(cond, Always):
            return np.ones(self.n, bool)
        return self.compare(cond, choice)

    def encode(self, kind: str, spec_values: Sequence[str], value: Any) -> Any:
        if kind == "enum":
            return spec_values.index(value)
        if kind == "commune":
            return self.t.commune_code(value)
        return value

    def compare(self, c: Compare, choice: int) -> np.ndarray:
        spec = lookup(c.source, c.name)
        assert spec is not None
        a = self.value(c.source, c.name, choice)
        op, x, kind = c.op, c.value, spec.kind
        if kind == "enum_list":
            bits = _bits([x] if op == "contains" else (x if isinstance(x, tuple) else ()), spec.values)
            if op == "empty":
                return (a == 0) == x
            if op in ("contains", "any_of"):
                return (a & bits) != 0
            if op == "all_of":
                return (a & bits) == bits
            return (a & bits) == 0  # none_of
        if kind == "number":
            known = ~np.isnan(a)
            if op == "is_null":
                return ~known == x
            with np.errstate(invalid="ignore"):
                return {"eq": lambda: a == x, "ne": lambda: known & (a != x), "gt": lambda: a > x,
                        "ge": lambda: a >= x, "lt": lambda: a < x, "le": lambda: a <= x}[op]()
        if kind == "bool":
            return a == x if op == "eq" else a != x
        known = a >= 0 if kind == "commune" else np.ones(self.n, bool)
        if op == "is_null":
            return ~known == x
        if op in ("in", "not_in"):
            codes = np.array([self.encode(kind, spec.values, v) for v in x])
            hit = np.isin(a, codes)
            return hit if op == "in" else known & ~hit
        v = self.encode(kind, spec.values, x)
        return a == v if op == "eq" else known & (a != v)

    def effect(self, effect: Effect, choice: int) -> np.ndarray | float:
        """Effect value per row; NaN where a value map has no entry."""
        if effect.by is None:
            assert effect.value is not None
            return effect.value
        spec = lookup(effect.by.source, effect.by.name)
        assert spec is not None
        codes = self.value(effect.by.source, effect.by.name, choice)
        out = np.full(self.n, np.nan if effect.by.default is None else effect.by.default)
        for key, v in effect.by.values:
            out = np.where(codes == spec.values.index(key), v, out)
        return out

    def counted(self, c: Criterion) -> np.ndarray:
        """Rows where the verification status lets a holding criterion count."""
        ok = np.ones(self.n, bool)
        for k in c.verification_keys:
            status = self.verification(k)
            ok &= status != VERIFICATION_CODES["rejected"]
            if c.counts_if == "verified":
                ok &= status == VERIFICATION_CODES["verified"]
        return ok

    def all_verified(self, keys: Iterable[str]) -> np.ndarray:
        ok = np.ones(self.n, bool)
        for k in keys:
            ok &= self.verification(k) == VERIFICATION_CODES["verified"]
        return ok


def cotation_batch(table: DemandeTable, grid: Grid, on: date,
                   epci_communes: Iterable[str] | None = None, choices: bool = True) -> BatchResult:
    """Score every row of a table with a grid on a date; ``choices=False`` skips by_choice."""
    epci = list(epci_communes) if epci_communes is not None else (
        list(grid.territory.communes) if grid.territory.communes else None)
    env = _Env(table, grid, on, epci)
    n = len(table)
    t = table
    rule = grid.refusals

    start = t.filed_on
    if rule.reset_base:
        start = np.where(env.has_refusal & (env.last_refusal > start), env.last_refusal, start)
    months = months_between(start, on)
    if grid.seniority.max_months is not None:
        months = np.minimum(months, grid.seniority.max_months)
    base = months * grid.seniority.points_per_month

    coefficient_mode = grid.combination == "coefficients"
    shared: dict[str, np.ndarray] = {}
    shared_values: dict[str, Any] = {}
    counted_masks = {c.id: env.counted(c) for c in grid.criteria}
    unverified = {c.id: ~env.all_verified(c.verification_keys) for c in grid.criteria}
    K = t.wishes.shape[1] if choices else 1
    by_choice = np.full((n, t.wishes.shape[1]), np.nan)
    first_applied: dict[str, np.ndarray] = {}
    for k in range(K):
        acc = np.zeros(n)
        unverified_applied = np.zeros(n, bool)
        for c in grid.criteria:
            if c.per_choice or c.id not in shared:
                holds = env.test(c.when, k)
                value = env.effect(c.effect, k)
                if not c.per_choice:
                    shared[c.id], shared_values[c.id] = holds, value
            else:
                holds, value = shared[c.id], shared_values[c.id]
            applied = holds & counted_masks[c.id]
            if not np.isscalar(value):
                applied = applied & ~np.isnan(value)
            if k == 0:
                first_applied[c.id] = applied
            delta = value - 1.0 if coefficient_mode else value
            acc = acc + np.where(applied, delta, 0.0)
            unverified_applied |= applied & unverified[c.id]
        bonus = grid.verified_file_bonus
        if bonus is not None:
            ok = env.all_verified(bonus.keys)
            if bonus.include_applied_criteria:
                ok &= ~unverified_applied
            value = env.effect(bonus.effect, k)
            if not np.isscalar(value):
                ok &= ~np.isnan(value)
            delta = value - 1.0 if coefficient_mode else value
            acc = acc + np.where(ok, delta, 0.0)
        score = base * (1.0 + acc) if coefficient_mode else base + acc
        if rule.penalty_points > 0:
            counted = env.refusal_count if rule.max_counted is None else np.minimum(
                env.refusal_count, rule.max_counted)
            score = score - rule.penalty_points * counted
        if grid.score_min is not None:
            score = np.where(score < grid.score_min, float(grid.score_min), score)
        if grid.score_max is not None:
            score = np.where(score > grid.score_max, float(grid.score_max), score)
        by_choice[:, k] = np.floor(score * 100.0 + 0.5) / 100.0
    by_choice[t.wishes < 0] = np.nan

    applicable = np.ones(n, bool) if grid.applies_to == "all" else (
        t.is_mutation if grid.applies_to == "mutations" else ~t.is_mutation)
    prio = np.zeros(n, bool)
    if grid.priority.dalo:
        prio |= t.dalo
    prio |= (t.l441_1 & _bits(grid.priority.l441_1, enums.L441_1)) != 0
    for cid in grid.priority.criteria:
        prio |= first_applied[cid]
    score = np.where(applicable, by_choice[:, 0], np.nan)
    by_choice[~applicable] = np.nan
    return BatchResult(grid.ref, on, score, base.astype(np.float64), prio, by_choice, applicable,
                       env.refusal_count)

