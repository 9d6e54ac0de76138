"""The pool of demandes, indexed for proposals: who wishes a commune, in ranking order.

``Pool`` wraps a ``DemandeTable`` (from records, or loaded from the database by
``app.cotation.columns.load_table``) with:

- an index commune → (rows, choice slot) of the demandes that wish it, built once;
- per (grid, date): the vectorised cotation of every row for each wished commune;
- per (grid, date, ranking order): every (demande, wished commune) pair sorted once by
  commune then by the policy's keys, with the columns the eligibility screen reads gathered
  in that order; a commune's rows are a slice of it (a ``CommuneView``), so that one offer
  costs a few vectorised masks over the rows of its commune and a ``flatnonzero`` to get its
  first eligible rows in order.

``screen`` is the vectorised eligibility of rows for one offer. It never rejects a demande the
explained engine (``matching.eligibility.eligibility``) would accept: where the columns do not
hold everything the explained path reads (household roles, a dependent fonctionnaire, a
retained income or a maximum rent the table lacks), it keeps the row; the explained path then
confirms each proposed candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from .. import enums
from .. import parameters as params
from ..batch import BatchResult, DemandeTable, ages_on, consumption_units_table, cotation_batch
from ..eligibility import REASON_CODES, ceiling_zone, surface_minimale
from ..grid import Grid
from ..household import (
    JEUNE_MENAGE_PARAMETER,
    MAX_CATEGORY,
    PLAFOND_PARAMETER_PREFIX,
    PLI_EXTRA_LINE,
    PLI_LINES,
    PLI_PARAMETER_PREFIX,
    PLI_ZONE_NODE,
    plafond_parameter_names,
    revenu_retenu,
)
from ..policy import Policy
from ..records import Demande, Logement

_TYP = {t: i for i, t in enumerate(enums.TYPOLOGIES)}
# Tolerance of the vectorised thresholds: a row at the limit is kept, the explained path decides.
_EPS = 1e-9
Records = Sequence[Demande] | Callable[[Sequence[int]], Sequence[Demande]]


def retained_income(rfr_n2: np.ndarray, rfr_n1: np.ndarray | None = None,
                    last_12_months: np.ndarray | None = None) -> np.ndarray:
    """Vectorised lower bound of ``household.revenu_retenu``: the lowest of N-2 and the more
    recent incomes that are at least 10 % lower (NaN: not declared)."""
    out = rfr_n2.astype(np.float64).copy()
    for other in (rfr_n1, last_12_months):
        if other is None:
            continue
        drop = ~np.isnan(other) & (other <= rfr_n2 * 0.9 + 1e-6)
        out = np.where(drop & (other < out), other, out)
    return out


@dataclass(frozen=True, eq=False)
class _Dated:
    """Columns of the pool that depend on the date (ages, consumption units)."""

    units: np.ndarray
    category_ub: np.ndarray  # upper bound of the HLM category's equivalent persons


class Pool:
    """Demandes of a territory for proposals (see the module docstring).

    ``records``: the Demande of each row (a sequence aligned with the table, or a function
    from row numbers to records, e.g. reading them from the database); without it, records are
    rebuilt from the columns (``DemandeTable.to_demandes``). ``rfr_used``: retained income per
    row (``retained_income``; default: none known, the ceiling is checked on the candidates
    only). ``max_rent``: maximum rent wished (NaN: none). ``work_commune``: commune code (index
    in ``table.communes``, -1 unknown) where a member works, for commune réservataires.
    """

    def __init__(self, table: DemandeTable, records: Records | None = None, *,
                 rfr_used: np.ndarray | None = None, max_rent: np.ndarray | None = None,
                 work_commune: np.ndarray | None = None,
                 parameters: params.Parameters | None = None):
        self.table = table
        self.n = len(table)
        self._records = records
        self.rfr_used = rfr_used
        self.max_rent = max_rent
        self.work_commune = work_commune
        self.parameters = parameters or params.default()
        w = table.wishes
        r, k = np.nonzero(w >= 0)
        c = w[r, k]
        order = np.lexsort((k, r, c))
        r, k, c = r[order], k[order], c[order]
        keep = np.ones(len(r), bool)  # a commune wished twice counts once, at its first slot
        keep[1:] = (c[1:] != c[:-1]) | (r[1:] != r[:-1])
        self._w_rows = r[keep].astype(np.int64)
        self._w_slots = k[keep].astype(np.int64)
        self._w_bounds = np.searchsorted(c[keep], np.arange(len(table.communes) + 1))
        self._commune_index = {code: i for i, code in enumerate(table.communes)}
        self._row_of: dict[str, int] | None = None
        self._tie: np.ndarray | None = None
        self._scores: dict[tuple[str, date], BatchResult] = {}
        self._dated: dict[date, _Dated] = {}
        self._views: dict[tuple, _RankedIndex] = {}

    @classmethod
    def from_demandes(cls, demandes: Sequence[Demande], *,
                      parameters: params.Parameters | None = None) -> Pool:
        """A pool of parsed records: retained income and maximum rent are exact."""
        table = DemandeTable.from_demandes(demandes)
        on = date(2000, 1, 1)  # the retained amount does not depend on the date, only its text
        rfr = np.array([revenu_retenu(d, on).amount for d in demandes], dtype=np.float64)
        max_rent = np.array([np.nan if d.wishes.max_rent is None else d.wishes.max_rent
                             for d in demandes], dtype=np.float64)
        return cls(table, tuple(demandes), rfr_used=rfr, max_rent=max_rent, parameters=parameters)

    def __len__(self) -> int:
        return self.n

    # -- lookups
    def commune_code(self, commune: str) -> int:
        return self._commune_index.get(commune, -2)

    def wishing(self, commune: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, choice slots) of the demandes wishing a commune, by row."""
        code = self.commune_code(commune)
        if code < 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        a, b = self._w_bounds[code], self._w_bounds[code + 1]
        return self._w_rows[a:b], self._w_slots[a:b]

    def id_of(self, row: int) -> str:
        return str(self.table.ids[row])

    def row_of(self, demande_id: str) -> int | None:
        if self._row_of is None:
            self._row_of = {str(v): i for i, v in enumerate(self.table.ids)}
        return self._row_of.get(str(demande_id))

    def record(self, row: int) -> Demande:
        """The Demande of a row, for the explained eligibility and cotation."""
        if self._records is None:
            return self.table.to_demandes([row])[0]
        if callable(self._records):
            return self._records([row])[0]
        return self._records[row]

    @property
    def tie(self) -> np.ndarray:
        """Rank of each row's id in id order: the stable tie-break."""
        if self._tie is None:
            ids = self.table.ids
            keys = ids if ids.dtype != object else ids.astype(str)
            order = np.argsort(keys, kind="stable")
            tie = np.empty(self.n, np.int64)
            tie[order] = np.arange(self.n)
            self._tie = tie
        return self._tie

    def scores(self, grid: Grid, on: date, epci_communes: Sequence[str] | None = None
               ) -> BatchResult:
        """Cotation of every row for each wished commune (computed once per grid and date)."""
        key = (grid.ref, on)
        if key not in self._scores:
            self._scores[key] = cotation_batch(self.table, grid, on, epci_communes)
        return self._scores[key]

    def dated(self, on: date) -> _Dated:
        if on not in self._dated:
            t = self.table
            units = consumption_units_table(t, on)
            n = t.n_members
            valid = np.arange(t.member_birth.shape[1])[None, :] < n[:, None]
            dependants = (valid & t.member_dependent).sum(axis=1)
            eq = n + (valid & t.member_disability).any(axis=1)
            eq = np.maximum(eq, np.where((n - dependants <= 1) & (dependants >= 1),
                                         2 + dependants, 0))
            # Jeune ménage: a couple whose ages sum to at most the limit (roles are not in the
            # columns: every two-person household with known ages is considered).
            limit = int(self.parameters.get(JEUNE_MENAGE_PARAMETER, on).value)
            two = n == 2
            ages = np.where(np.isnat(t.member_birth[:, :2]), 10_000,
                            ages_on(t.member_birth[:, :2], on)) if t.member_birth.shape[1] >= 2 \
                else np.full((len(t), 2), 10_000)
            jeune = two & (ages.sum(axis=1) <= limit)
            eq = np.maximum(eq, np.where(jeune, 3, 0))
            self._dated[on] = _Dated(units, eq)
        return self._dated[on]

    def view(self, commune: str, grid: Grid, on: date, order: tuple[str, ...], etat: bool,
             epci_communes: Sequence[str] | None = None) -> CommuneView:
        """The demandes wishing a commune, sorted by a ranking order: a slice of the ranked
        index of every commune, built once per (grid, date, order, État contingent)."""
        key = (grid.ref, on, order, etat)
        index = self._views.get(key)
        if index is None:
            index = _RankedIndex.build(self, grid, on, order, etat, epci_communes)
            if len(self._views) > 8:
                self._views.clear()
            self._views[key] = index
        return index.view(self, commune)

    def clear_views(self) -> None:
        """Forget the ranked indexes (they are rebuilt on the next proposal)."""
        self._views.clear()


def ranking_columns(pool: Pool, rows: np.ndarray, scores: np.ndarray, order: tuple[str, ...],
                    etat: bool, applied: np.ndarray | None = None) -> list[np.ndarray]:
    """numpy.lexsort keys (least significant first) for a ranking order; smaller ranks first."""
    t = pool.table
    keys: list[np.ndarray] = []
    for name in order:
        if name == "dalo_etat":
            keys.append(~(t.dalo[rows] & etat))
        elif name == "menage_prioritaire":
            keys.append(~(t.dalo[rows] | (t.l441_1[rows] != 0) | t.acd_labelled[rows]))
        elif name == "cotation":
            keys.append(np.where(np.isnan(scores), np.inf, -scores))
        elif name == "anciennete":
            keys.append(t.filed_on[rows].astype(np.int64))
        elif name == "candidature":
            keys.append(np.full(len(rows), np.iinfo(np.int64).max) if applied is None
                        else applied.astype(np.int64))
    keys.append(pool.tie[rows])
    return keys[::-1]


@dataclass(frozen=True, eq=False)
class CommuneView:
    """Rows wishing one commune in ranking order, with the columns the screen reads."""

    commune: str
    rows: np.ndarray
    slots: np.ndarray
    score: np.ndarray
    persons: np.ndarray
    category_ub: np.ndarray
    units: np.ndarray
    rfr: np.ndarray | None
    resources: np.ndarray
    typologies: np.ndarray
    accessible: np.ndarray
    max_rent: np.ndarray | None

    @classmethod
    def gather(cls, pool: Pool, commune: str, rows: np.ndarray, slots: np.ndarray,
               scores: np.ndarray, on: date) -> CommuneView:
        t, dated = pool.table, pool.dated(on)
        return cls(
            commune=commune, rows=rows, slots=slots, score=scores, persons=t.n_members[rows],
            category_ub=dated.category_ub[rows], units=dated.units[rows],
            rfr=None if pool.rfr_used is None else pool.rfr_used[rows],
            resources=t.monthly_resources[rows], typologies=t.typologies[rows],
            accessible=t.needs_accessible[rows],
            max_rent=None if pool.max_rent is None else pool.max_rent[rows],
        )

    def __len__(self) -> int:
        return len(self.rows)


class _RankedIndex:
    """Every (demande, wished commune) pair sorted by commune then by a ranking order, with
    the screened columns gathered in that order: a commune's view is a slice, no copy."""

    def __init__(self, bounds: np.ndarray, whole: CommuneView):
        self.bounds, self.whole = bounds, whole

    @classmethod
    def build(cls, pool: Pool, grid: Grid, on: date, order: tuple[str, ...], etat: bool,
              epci_communes: Sequence[str] | None) -> _RankedIndex:
        rows, slots = pool._w_rows, pool._w_slots
        communes = np.repeat(np.arange(len(pool._w_bounds) - 1), np.diff(pool._w_bounds))
        scores = pool.scores(grid, on, epci_communes).by_choice[rows, slots]
        keys = ranking_columns(pool, rows, scores, order, etat)
        sort = np.lexsort([*keys, communes])
        whole = CommuneView.gather(pool, "", rows[sort], slots[sort], scores[sort], on)
        return cls(pool._w_bounds, whole)

    def view(self, pool: Pool, commune: str) -> CommuneView:
        code = pool.commune_code(commune)
        a, b = (0, 0) if code < 0 else (int(self.bounds[code]), int(self.bounds[code + 1]))
        w = self.whole
        return CommuneView(
            commune=commune, rows=w.rows[a:b], slots=w.slots[a:b], score=w.score[a:b],
            persons=w.persons[a:b], category_ub=w.category_ub[a:b], units=w.units[a:b],
            rfr=None if w.rfr is None else w.rfr[a:b], resources=w.resources[a:b],
            typologies=w.typologies[a:b], accessible=w.accessible[a:b],
            max_rent=None if w.max_rent is None else w.max_rent[a:b])


# --------------------------------------------------------------------------- the screen


def _ceilings(financing: str, zone: str | None, on: date, parameters: params.Parameters
              ) -> tuple[np.ndarray, float] | None:
    """Ceiling by equivalent persons 0..6 and the amount per further person; None when the
    platform has no ceiling (every row then fails ``plafond_non_fourni``, as explained)."""
    if financing == "PLI":
        if zone is None or zone not in PLI_ZONE_NODE:
            return None
        node = f"{PLI_PARAMETER_PREFIX}.{PLI_ZONE_NODE[zone]}"
        lines = [float(parameters.get(f"{node}.{line}", on).value) for line in PLI_LINES]
        extra = float(parameters.get(f"{node}.{PLI_EXTRA_LINE}", on).value)
        return np.array([lines[0]] + lines), extra
    if financing not in PLAFOND_PARAMETER_PREFIX or zone is None:
        return None
    amounts = [0.0]
    for category in range(1, MAX_CATEGORY + 1):
        base, extra_name = plafond_parameter_names(financing, zone, category)
        amounts.append(float(parameters.get(base, on).value))
    return np.array(amounts), float(parameters.get(extra_name, on).value)


def screen(pool: Pool, view: CommuneView, offer: Logement, policy: Policy, on: date, *,
           wish_checks: bool = True, commune_of_reservataire: str | None = None,
           commune_filter: bool = True) -> dict[str, np.ndarray]:
    """Failure masks (reason code → bool per row of the view); a row passes when none is set.

    Codes are those of ``matching.eligibility`` plus ``filtre_commune`` (residents or workers
    of a commune réservataire)."""
    t = pool.table
    rows = view.rows
    m = len(rows)
    fail: dict[str, np.ndarray] = {}
    parameters = pool.parameters
    if policy.check_plafond and m:
        found = _ceilings(offer.financing, ceiling_zone(offer), on, parameters)
        if found is None:
            fail["plafond_non_fourni"] = np.ones(m, bool)
        elif view.rfr is not None:
            amounts, extra = found
            if offer.financing == "PLI":
                persons = view.persons  # n persons: at most n − 1 dependants
                line = np.where(persons <= 1, 1, np.minimum(persons + 1, 6))
                ceiling = amounts[line] + extra * np.maximum(persons - 5, 0)
            else:
                eq = view.category_ub
                ceiling = amounts[np.minimum(eq, MAX_CATEGORY)] + extra * np.maximum(
                    eq - MAX_CATEGORY, 0)
            fail["plafond_depasse"] = view.rfr > ceiling + _EPS
    persons = view.persons
    if policy.check_typology:
        low, high = policy.typologies(on, parameters).get(offer.typology, (1, None))
        fail["typologie_inadaptee"] = (persons < low) | ((persons > high) if high else False)
    if policy.check_overcrowding and offer.surface is not None:
        lut = np.array([surface_minimale(max(p, 1), on, parameters)
                        for p in range(int(persons.max(initial=1)) + 1)])
        fail["surface_suroccupation"] = offer.surface < lut[persons] - _EPS
    resources = view.resources
    cost = offer.rent + offer.charges
    with np.errstate(divide="ignore", invalid="ignore"):
        if policy.max_taux_effort is not None:
            te = np.where(resources > 0, cost / resources, np.nan)
            fail["taux_effort_excessif"] = te > policy.max_taux_effort + _EPS
        if policy.min_reste_a_vivre is not None:
            rav = np.where(view.units > 0, (resources - cost) / view.units / 30.0, np.nan)
            fail["reste_a_vivre_insuffisant"] = rav < policy.min_reste_a_vivre - _EPS
    if wish_checks:
        # hors_souhaits_geographiques: the view holds only demandes wishing the commune.
        if policy.check_wished_typologies:
            bit = np.int64(1) << _TYP[offer.typology]
            fail["typologie_hors_souhaits"] = (view.typologies != 0) & ((view.typologies & bit) == 0)
        if policy.check_max_rent and view.max_rent is not None:
            fail["loyer_superieur_souhait"] = view.max_rent < cost - _EPS
    if policy.check_accessibility and not offer.accessible:
        fail["logement_non_accessible"] = view.accessible.copy()
    names = {f.id for f in policy.filters_for(offer.reservataire)}
    flt = np.zeros(m, bool)
    if "salarie_entreprise_cotisante" in names:
        flt |= ~t.contributes_al[rows]
    if "menage_prioritaire" in names:
        flt |= ~(t.dalo[rows] | (t.l441_1[rows] != 0) | t.acd_labelled[rows])
    # Other filters (e.g. agent_public: a dependant's contract is not in the columns) are left
    # to the explained path.
    if flt.any():
        fail["filtre_reservataire"] = flt
    if commune_filter and commune_of_reservataire is not None:
        code = pool.commune_code(commune_of_reservataire)
        lives = t.current_commune[rows] == code
        works = (pool.work_commune[rows] == code) if pool.work_commune is not None else False
        fail["filtre_commune"] = ~(lives | works)
    ordered = {c: fail[c] for c in (*REASON_CODES, "filtre_commune") if c in fail}
    return ordered


def passing(failures: dict[str, np.ndarray], m: int) -> np.ndarray:
    ok = np.ones(m, bool)
    for mask in failures.values():
        ok &= ~mask
    return ok
