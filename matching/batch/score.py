"""Vectorised cotation: a grid compiled into numpy column operations over a DemandeTable.

Used for simulations, rankings, positions and the stored cotation of a whole territory (up to
millions of demandes). It performs the same floating-point operations in the same order as
the explained engine (``matching.cotation``), so scores are identical, not merely close; the
test suite checks it on random data. It does not produce explanations: call ``cotation()``
for one demande.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .. import enums
from ..cotation import MAJORITY_AGE
from ..grid import AllOf, Always, AnyOf, Compare, Condition, Criterion, Effect, Grid, NotOf
from ..grid_registry import PORTEE_MOBILITE, VERIFIED_PREFIX, lookup
from .facts import ages_on, consumption_units_table, months_between, younger_than
from .table import NAT, VERIFICATION_CODES, DemandeTable, bits


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
            minor = valid & younger_than(t.member_birth, on, MAJORITY_AGE)
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
            mask = bits([x] if op == "contains" else (x if isinstance(x, tuple) else ()), spec.values)
            if op == "empty":
                return (a == 0) == x
            if op in ("contains", "any_of"):
                return (a & mask) != 0
            if op == "all_of":
                return (a & mask) == mask
            return (a & mask) == 0  # none_of
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
    prio |= (t.l441_1 & bits(grid.priority.l441_1, enums.L441_1)) != 0
    for cid in grid.priority.criteria:
        prio |= first_applied[cid]
    score = np.where(applicable, by_choice[:, 0], np.nan)
    by_choice[~applicable] = np.nan
    return BatchResult(grid.ref, on, score, base.astype(np.float64), prio, by_choice, applicable,
                       env.refusal_count)



def verification_keys(grid: Grid) -> frozenset[str]:
    """The ``verified`` keys a grid reads: a table that holds only these scores the same."""
    keys: set[str] = set()

    def walk(cond: Condition) -> None:
        if isinstance(cond, AllOf | AnyOf):
            for item in cond.items:
                walk(item)
        elif isinstance(cond, NotOf):
            walk(cond.item)
        elif isinstance(cond, Compare) and cond.source == "field" \
                and cond.name.startswith(VERIFIED_PREFIX):
            keys.add(cond.name[len(VERIFIED_PREFIX):])

    def effect_keys(effect: Effect) -> None:
        by = effect.by
        if by is not None and by.source == "field" and by.name.startswith(VERIFIED_PREFIX):
            keys.add(by.name[len(VERIFIED_PREFIX):])

    for c in grid.criteria:
        keys.update(c.verification_keys)
        walk(c.when)
        effect_keys(c.effect)
    if grid.verified_file_bonus is not None:
        keys.update(grid.verified_file_bonus.keys)
        effect_keys(grid.verified_file_bonus.effect)
    return frozenset(keys)


def _names(grid: Grid) -> set[tuple[str, str]]:
    """Every (source, name) a grid's conditions and value maps read."""
    names: set[tuple[str, str]] = set()

    def walk(cond: Condition) -> None:
        if isinstance(cond, AllOf | AnyOf):
            for item in cond.items:
                walk(item)
        elif isinstance(cond, NotOf):
            walk(cond.item)
        elif isinstance(cond, Compare):
            names.add((cond.source, cond.name))

    effects = [c.effect for c in grid.criteria]
    if grid.verified_file_bonus is not None:
        effects.append(grid.verified_file_bonus.effect)
    for c in grid.criteria:
        walk(c.when)
    for e in effects:
        if e.by is not None:
            names.add((e.by.source, e.by.name))
    return names


@dataclass(frozen=True)
class TableNeeds:
    """What of a demande a grid reads, so that a loader can leave the rest out.

    A table loaded with these needs scores exactly like the full table for this grid; it is
    not a faithful copy of the demandes otherwise (a verified status may read as declared,
    wishes after the first may be missing)."""

    verified_keys: frozenset[str]
    rejected_only: bool  # only "rejected" statuses matter (no criterion needs "verified")
    typologies: bool
    first_wish_only: bool
    numbers: frozenset[str]  # numeric columns read: rooms, surface, rent, charges, …

    @classmethod
    def for_grid(cls, grid: Grid, choices: bool = True) -> TableNeeds:
        names = _names(grid)
        reads_status = any(s == "field" and n.startswith(VERIFIED_PREFIX) for s, n in names)
        rejected_only = (grid.verified_file_bonus is None and not reads_status
                         and all(c.counts_if != "verified" for c in grid.criteria))
        numbers = {column for (source, name), columns in _NUMBERS.items() if (source, name) in names
                   for column in columns}
        return cls(verification_keys(grid), rejected_only, ("field", "wishes.typologies") in names,
                   not choices, frozenset(numbers))


# The numeric columns of DemandeTable behind each registry name that reads one.
_NUMBERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("field", "current_housing.rooms"): ("rooms",),
    ("field", "current_housing.surface"): ("surface",),
    ("field", "monthly_resources"): ("monthly_resources",),
    ("field", "rfr_n2"): ("rfr_n2",),
    ("fact", "taux_effort_logement_actuel"): ("rent", "charges", "monthly_resources"),
    ("fact", "reste_a_vivre_logement_actuel"): ("rent", "charges", "monthly_resources"),
    ("fact", "ecart_occupants_pieces"): ("rooms",),
}
