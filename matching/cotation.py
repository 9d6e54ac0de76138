"""Explained cotation of one demande (décret n° 2019-1378 du 17 décembre 2019).

``cotation(demande, grid, on)`` returns the score with every line that produced it: the
seniority base, each criterion of the grid (applied or not, with the reason when it is not
counted), refusals, the verified-file bonus, caps. The score is computed for each wished
commune (``by_choice``); the headline score is the first choice's. The vectorised engine
(``cotation_batch``) performs the same floating-point operations in the same order, so both
give identical scores.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import enums
from .facts import age_on, consumption_units, reste_a_vivre, seniority_months, taux_effort
from .grid import (
    AllOf,
    Always,
    AnyOf,
    Compare,
    Condition,
    Criterion,
    Effect,
    Grid,
    NotOf,
    priority_label,
)
from .grid_registry import FACTS, VERIFIED_PREFIX
from .records import Demande, RecordError, Refusal

# Age of majority (code civil, article 388) for "enfants mineurs".
MAJORITY_AGE = 18
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")


class GridNotApplicable(RecordError):
    """The grid does not score this demande (mutation / non-mutation grid)."""


@dataclass(frozen=True, slots=True)
class CriterionLine:
    """One line of the explanation: what it is, its effect, whether it counted."""

    id: str
    label: str
    effect: str
    applied: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ChoiceScore:
    commune: str
    score: float


@dataclass(frozen=True, slots=True)
class Cotation:
    """Score of a demande with its explanation, grid version and computation date."""

    demande_id: str
    score: float
    base: float
    priority: bool
    priority_reasons: tuple[str, ...]
    criteria: tuple[CriterionLine, ...]
    grid: str
    computed_on: date
    by_choice: tuple[ChoiceScore, ...]
    seniority_months: int
    refusals_counted: int

    def to_json(self, all_lines: bool = False) -> dict[str, Any]:
        """Exchange-format output (docs/formats.md); ``all_lines`` adds the criteria that did not apply."""
        lines = [ln for ln in self.criteria if ln.applied or all_lines]
        return {
            "id": self.demande_id,
            "score": self.score,
            "priority": self.priority,
            "priority_reasons": list(self.priority_reasons),
            "base": self.base,
            "criteria": [
                {"id": ln.id, "label": ln.label, "effect": ln.effect}
                | ({"applied": ln.applied} if all_lines else {})
                | ({"note": ln.note} if ln.note and all_lines else {})
                for ln in lines
            ],
            "grid": self.grid,
            "computed_on": self.computed_on.isoformat(),
            "by_choice": [{"commune": c.commune, "score": c.score} for c in self.by_choice],
            "seniority_months": self.seniority_months,
            "refusals_counted": self.refusals_counted,
        }


# --------------------------------------------------------------------------- formatting


def round_score(value: float) -> float:
    """Round to the hundredth, half up (same operations as the vectorised engine)."""
    return math.floor(value * 100.0 + 0.5) / 100.0


def french_number(value: float) -> str:
    """1.3 → "1,3"; 20.0 → "20"."""
    return f"{value:g}".replace(".", ",").replace("-", "−")


def french_date(day: date) -> str:
    """2025-07-20 → "20 juillet 2025"."""
    return f"{day.day} {_MONTHS_FR[day.month - 1]} {day.year}"


def effect_label(kind: str, value: float) -> str:
    """"×1,3" for a coefficient, "+20 pts" / "−30 pts" for points."""
    if kind == "coefficient":
        return "×" + french_number(value)
    sign = "+" if value >= 0 else "−"
    return f"{sign}{french_number(abs(value))} pts"


# --------------------------------------------------------------------------- facts

_FIELD_GETTERS: dict[str, Callable[[Demande], Any]] = {
    "is_mutation": lambda d: d.is_mutation,
    "current_housing.kind": lambda d: d.current_housing.kind,
    "current_housing.commune": lambda d: d.current_housing.commune,
    "current_housing.rooms": lambda d: None if d.current_housing.rooms is None else float(d.current_housing.rooms),
    "current_housing.surface": lambda d: d.current_housing.surface,
    "monthly_resources": lambda d: d.monthly_resources,
    "rfr_n2": lambda d: d.rfr_n2,
    "reasons": lambda d: d.reasons,
    "wishes.typologies": lambda d: d.wishes.typologies,
    "wishes.needs_accessible": lambda d: d.wishes.needs_accessible,
    "employer.contributes_action_logement": lambda d: d.employer.contributes_action_logement,
    "priority.dalo": lambda d: d.priority.dalo,
    "priority.acd_labelled": lambda d: d.priority.acd_labelled,
    "priority.l441_1": lambda d: d.priority.l441_1,
}


def counted_refusals(demande: Demande, grid: Grid, on: date) -> list[Refusal]:
    """Refusals the grid counts on a date: past ones, adapted if required, inside the window."""
    rule = grid.refusals
    return [
        r for r in demande.refusals
        if r.date <= on
        and (r.adapted or not rule.only_adapted)
        and (rule.window_months is None or seniority_months(r.date, on) < rule.window_months)
    ]


def mobility_scope(current: str | None, wished: str, epci: frozenset[str] | None) -> str:
    """Wished commune vs current one: meme_commune, epci, hors_epci or inconnue (docs/regulation.md, « Grille de Strasbourg »)."""
    if current is None:
        return "inconnue"
    if current == wished:
        return "meme_commune"
    if epci is None:
        raise ValueError("liste des communes de l'EPCI inconnue : fournir epci_communes")
    return "epci" if current in epci else "hors_epci"


class DemandeFacts:
    """Lazily computed fields and facts of one demande on a date, for one grid."""

    def __init__(self, demande: Demande, grid: Grid, on: date,
                 epci_communes: frozenset[str] | None):
        self.d = demande
        self.grid = grid
        self.on = on
        self.epci = epci_communes
        self._cache: dict[str, Any] = {}
        self.refusals = counted_refusals(demande, grid, on)

    def value(self, source: str, name: str, choice: int) -> Any:
        if source == "field":
            if name.startswith(VERIFIED_PREFIX):
                return self.d.verified.get(name[len(VERIFIED_PREFIX):], "declared")
            return _FIELD_GETTERS[name](self.d)
        if FACTS[name].per_choice:
            wished = self.d.wishes.communes[choice]
            if name == "commune_souhaitee":
                return wished
            if name == "rang_choix":
                return float(choice + 1)
            return mobility_scope(self.d.current_housing.commune, wished, self.epci)
        if name not in self._cache:
            self._cache[name] = self._fact(name)
        return self._cache[name]

    def _fact(self, name: str) -> Any:
        d, on = self.d, self.on
        ch = d.current_housing
        members = d.household
        if name == "taux_effort_logement_actuel":
            return taux_effort(d.monthly_resources, ch.rent, ch.charges)
        if name == "reste_a_vivre_logement_actuel":
            return reste_a_vivre(d.monthly_resources, ch.rent, ch.charges, consumption_units(d, on))
        if name == "ecart_occupants_pieces":
            return None if ch.rooms is None else float(len(members) - ch.rooms)
        if name == "anciennete_mois":
            return float(seniority_months(d.filed_on, on))
        if name == "taille_menage":
            return float(len(members))
        if name == "nombre_adultes":
            return float(sum(not m.is_dependent for m in members))
        if name == "nombre_personnes_a_charge":
            return float(sum(m.is_dependent for m in members))
        if name == "nombre_enfants_mineurs":
            return float(sum(m.birth_date is not None and age_on(m.birth_date, on) < MAJORITY_AGE
                             for m in members))
        if name == "menage_avec_handicap":
            return any(m.has_disability for m in members)
        if name == "famille_monoparentale":
            adults = sum(not m.is_dependent for m in members)
            return adults == 1 and any(m.is_dependent for m in members)
        if name == "age_demandeur":
            first = next(m for m in members if m.role == "demandeur")
            return None if first.birth_date is None else float(age_on(first.birth_date, on))
        if name == "contrats_adultes":
            return tuple(e.contract for e in d.employment if not members[e.member].is_dependent)
        if name == "refus_comptes":
            return float(len(self.refusals))
        raise KeyError(name)  # pragma: no cover - the registry test keeps this complete


def evaluate_condition(cond: Condition, facts: DemandeFacts, choice: int = 0) -> bool:
    """Evaluate a grid condition; unknown data (None) satisfies no comparison."""
    if isinstance(cond, AllOf):
        return all(evaluate_condition(c, facts, choice) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(evaluate_condition(c, facts, choice) for c in cond.items)
    if isinstance(cond, NotOf):
        return not evaluate_condition(cond.item, facts, choice)
    if isinstance(cond, Always):
        return True
    return _compare(cond, facts.value(cond.source, cond.name, choice))


def _compare(c: Compare, v: Any) -> bool:
    op, x = c.op, c.value
    if op == "is_null":
        return (v is None) == x
    if op == "empty":
        return (len(v) == 0) == x
    if op == "contains":
        return x in v
    if op == "any_of":
        return any(i in v for i in x)
    if op == "all_of":
        return all(i in v for i in x)
    if op == "none_of":
        return not any(i in v for i in x)
    if v is None:
        return False
    if op == "eq":
        return v == x
    if op == "ne":
        return v != x
    if op == "gt":
        return v > x
    if op == "ge":
        return v >= x
    if op == "lt":
        return v < x
    if op == "le":
        return v <= x
    if op == "in":
        return v in x
    if op == "not_in":
        return v not in x
    raise ValueError(op)  # pragma: no cover


def effect_value(effect: Effect, facts: DemandeFacts, choice: int = 0) -> float | None:
    """The coefficient or points an effect gives; None when a value map has no entry."""
    if effect.by is None:
        return effect.value
    return effect.by.get(facts.value(effect.by.source, effect.by.name, choice))


def _verification(criterion: Criterion, d: Demande) -> str | None:
    """Why a criterion whose condition holds is not counted, or None when it counts."""
    statuses = [d.verified.get(k, "declared") for k in criterion.verification_keys]
    if "rejected" in statuses:
        return "non compté : donnée invalidée à la vérification"
    if criterion.counts_if == "verified" and any(s != "verified" for s in statuses):
        return "non compté : donnée déclarée, non encore vérifiée"
    return None


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True, slots=True)
class _ChoiceResult:
    score: float
    lines: tuple[CriterionLine, ...]
    applied: frozenset[str]


def _score_choice(grid: Grid, facts: DemandeFacts, base: float, choice: int,
                  shared: dict[str, tuple[bool, str | None, float | None]]) -> _ChoiceResult:
    d = facts.d
    lines: list[CriterionLine] = []
    applied_ids: set[str] = set()
    coefficient_mode = grid.combination == "coefficients"
    acc = 0.0  # Σ(coef − 1) in coefficients mode, Σ points in points mode
    unverified_applied = False
    for c in grid.criteria:
        if c.per_choice or c.id not in shared:
            holds = evaluate_condition(c.when, facts, choice)
            note = _verification(c, d) if holds else None
            value = effect_value(c.effect, facts, choice) if holds else None
            if not c.per_choice:
                shared[c.id] = (holds, note, value)
        else:
            holds, note, value = shared[c.id]
        applied = holds and note is None and value is not None
        if applied:
            assert value is not None
            acc = acc + (value - 1.0 if coefficient_mode else value)
            applied_ids.add(c.id)
            if any(d.verified.get(k) != "verified" for k in c.verification_keys):
                unverified_applied = True
        shown = value if value is not None else (c.effect.value if c.effect.value is not None
                                                 else c.effect.neutral)
        lines.append(CriterionLine(c.id, c.label, effect_label(c.effect.kind, shown), applied, note))

    bonus = grid.verified_file_bonus
    if bonus is not None:
        ok = all(d.verified.get(k) == "verified" for k in bonus.keys)
        if bonus.include_applied_criteria and unverified_applied:
            ok = False
        value = effect_value(bonus.effect, facts, choice)
        if ok and value is not None:
            acc = acc + (value - 1.0 if coefficient_mode else value)
        lines.append(CriterionLine("dossier_verifie", bonus.label,
                                   effect_label(bonus.effect.kind, value if value is not None
                                                else bonus.effect.neutral),
                                   ok and value is not None,
                                   None if ok else "pièces justificatives non toutes vérifiées"))

    score = base * (1.0 + acc) if coefficient_mode else base + acc

    rule = grid.refusals
    n_refusals = len(facts.refusals)
    if rule.penalty_points > 0:
        counted = n_refusals if rule.max_counted is None else min(n_refusals, rule.max_counted)
        score = score - rule.penalty_points * counted
        lines.append(CriterionLine("refus_penalite", f"{rule.label} ({counted} compté(s))",
                                   effect_label("points", -rule.penalty_points * counted),
                                   counted > 0))
    if grid.score_min is not None and score < grid.score_min:
        score = float(grid.score_min)
        lines.append(CriterionLine("plancher", "Score plancher de la grille",
                                   f"ramené à {french_number(grid.score_min)} pts", True))
    if grid.score_max is not None and score > grid.score_max:
        score = float(grid.score_max)
        lines.append(CriterionLine("plafond", "Score plafond de la grille",
                                   f"plafonné à {french_number(grid.score_max)} pts", True))
    return _ChoiceResult(round_score(score), tuple(lines), frozenset(applied_ids))


def seniority_base(demande: Demande, grid: Grid, on: date,
                   refusals: list[Refusal] | None = None) -> tuple[float, int, date]:
    """(base points, months counted, start date): months from filing or the last counted refusal."""
    start = demande.filed_on
    if refusals is None:
        refusals = counted_refusals(demande, grid, on)
    if grid.refusals.reset_base and refusals:
        start = max(start, max(r.date for r in refusals))
    months = seniority_months(start, on)
    if grid.seniority.max_months is not None:
        months = min(months, grid.seniority.max_months)
    return months * grid.seniority.points_per_month, months, start


def _priority(grid: Grid, d: Demande, applied: Iterable[str]) -> tuple[str, ...]:
    rule = grid.priority
    reasons = []
    if rule.dalo and d.priority.dalo:
        reasons.append(priority_label("dalo"))
    reasons += [priority_label(c) for c in enums.L441_1 if c in rule.l441_1 and c in d.priority.l441_1]
    applied = set(applied)
    labels = {c.id: c.label for c in grid.criteria}
    reasons += [labels[cid] for cid in rule.criteria if cid in applied]
    return tuple(reasons)


def cotation(demande: Demande, grid: Grid, on: date,
             epci_communes: Iterable[str] | None = None) -> Cotation:
    """Score one demande with a grid on a date, with its full explanation and per-choice scores."""
    if not grid.applies(demande.is_mutation):
        scope = "de mutation" if grid.applies_to == "mutations" else "hors mutation"
        raise GridNotApplicable("is_mutation", f"la grille {grid.ref} ne s'applique qu'aux demandes {scope}")
    epci = frozenset(epci_communes) if epci_communes is not None else (
        frozenset(grid.territory.communes) if grid.territory.communes else None)
    facts = DemandeFacts(demande, grid, on, epci)
    base, months, start = seniority_base(demande, grid, on, facts.refusals)

    shared: dict[str, tuple[bool, str | None, float | None]] = {}
    choices = [_score_choice(grid, facts, base, k, shared) for k in range(len(demande.wishes.communes))]
    first = choices[0]

    since = "du dépôt" if start == demande.filed_on else f"du refus du {french_date(start)}"
    lines = [CriterionLine("anciennete", f"{grid.seniority.label} : {months} mois à partir {since}",
                           f"{french_number(base)} pts", True)]
    if grid.refusals.reset_base:
        last = max((r.date for r in facts.refusals), default=None)
        lines.append(CriterionLine(
            "refus_remise_a_zero", f"{grid.refusals.label} : l'ancienneté repart du dernier refus",
            "base remise à zéro" + (f" le {french_date(last)}" if last else ""), last is not None))
    lines += first.lines
    reasons = _priority(grid, demande, first.applied)
    return Cotation(
        demande_id=demande.id, score=first.score, base=float(base), priority=bool(reasons),
        priority_reasons=reasons, criteria=tuple(lines), grid=grid.ref, computed_on=on,
        by_choice=tuple(ChoiceScore(c, r.score) for c, r in zip(demande.wishes.communes, choices, strict=False)),
        seniority_months=months, refusals_counted=len(facts.refusals),
    )


def refusal_effect(demande: Demande, grid: Grid, on: date,
                   epci_communes: Iterable[str] | None = None) -> tuple[float, float]:
    """(score now, score if an adapted offer were refused today): what the applicant must be told."""
    now = cotation(demande, grid, on, epci_communes).score
    refused = dataclasses.replace(demande, refusals=demande.refusals + (
        Refusal(date=on, offer=None, adapted=True, reason="simulation"),))
    return now, cotation(refused, grid, on, epci_communes).score
