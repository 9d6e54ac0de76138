"""Bilan annuel of a bailleur's flux (CCH R.441-5-1: sent before 28 February of ``Y + 1``).

Pure aggregation of the ledger's events of year ``Y`` given as plain records
(``BilanEvent``, built by ``app/adapters/``):

* per participant (each réservataire, and the bailleur for its own share): dwellings made
  available (orientations, less the takebacks that cancel one), taken back, allocated and
  leased; the same counts by typology, financing, inside / outside QPV, commune and
  construction period;
* the relogements of ``Y`` (vacancies taken out of the base for a relogement);
* the obligation of L.441-1 on priority households: the share of each participant's
  allocations that went to DALO households, then to the other priority households
  (target ``obligations.publics_prioritaires``);
* the lowest-quartile ratios per EPCI, counted on the leases signed in ``Y`` (allocations
  followed by a signed lease): outside QPV, the share of leases to applicants of the lowest
  income quartile or relocated by urban renewal (target
  ``obligations.premier_quartile_hors_qpv``); in QPV, the share to the other quartiles
  (target ``obligations.autres_quartiles_qpv``). The quartile threshold (annual income per
  consumption unit) is fixed yearly per EPCI by arrêté: without it the ratio is
  « à renseigner », never guessed.

Counting rules are those of ``app.flux.queries.convention_progress``: a takeback that no
longer counts for the réservataire (``cancels``) cancels its orientation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .. import parameters
from .apportionment import departement_of

KINDS = ("mise_a_disposition", "reprise", "attribution", "bail_signe", "hors_flux")
DIMENSIONS = ("typology", "financing", "qpv", "commune", "period")
DIMENSION_LABELS = {"typology": "Typologie", "financing": "Financement",
                    "qpv": "Quartier prioritaire (QPV)", "commune": "Commune",
                    "period": "Période de construction"}
# Construction periods (first year, last year, label); None: open end.
PERIODS = ((None, 1948, "avant 1949"), (1949, 1974, "1949 à 1974"), (1975, 1989, "1975 à 1989"),
           (1990, 2004, "1990 à 2004"), (2005, 2014, "2005 à 2014"), (2015, None, "2015 et après"))
PERIOD_UNKNOWN = "inconnue"
QPV_LABELS = {True: "en QPV", False: "hors QPV"}
RELOGEMENTS = ("relogement_npnru", "relogement_orcod")
# Status of an obligation's ratio.
CONFORME, NON_CONFORME, A_RENSEIGNER, SANS_OBJET = (
    "conforme", "non_conforme", "a_renseigner", "sans_objet")
ALL = object()  # every participant (Bilan.breakdown)
STATUS_LABELS = {CONFORME: "atteint", NON_CONFORME: "non atteint",
                 A_RENSEIGNER: "à renseigner", SANS_OBJET: "sans objet"}

PARAMETER_PRIORITY = "obligations.publics_prioritaires"
PARAMETER_LOW_OUTSIDE = "obligations.premier_quartile_hors_qpv"
PARAMETER_OTHERS_INSIDE = "obligations.autres_quartiles_qpv"


def period_of(construction_year: int | None) -> str:
    if construction_year is None:
        return PERIOD_UNKNOWN
    for first, last, label in PERIODS:
        if (first is None or construction_year >= first) and (last is None
                                                              or construction_year <= last):
            return label
    return PERIOD_UNKNOWN  # pragma: no cover - the periods cover every year


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Dwelling:
    ref: str
    commune: str  # INSEE code
    typology: str
    financing: str
    qpv: bool = False
    construction_year: int | None = None
    epci: str | None = None  # the EPCI of its commune (quartile thresholds)

    def value(self, dimension: str) -> str:
        if dimension == "qpv":
            return QPV_LABELS[self.qpv]
        if dimension == "period":
            return period_of(self.construction_year)
        return getattr(self, dimension)


@dataclass(frozen=True, slots=True)
class Household:
    """What the obligations need of the household an allocation or a lease went to."""

    dalo: bool = False
    priority: bool = False  # at least one L.441-1 priority criterion
    income_per_uc: float | None = None  # annual income per consumption unit
    relogement_npnru: bool = False  # relocated by urban renewal


@dataclass(frozen=True, slots=True)
class BilanEvent:
    """One ledger event of the year.

    ``participant``: the réservataire slug it counts for, None for the bailleur's own share.
    For a ``reprise``: the réservataire the dwelling was taken back from, and ``cancels``
    when the takeback no longer counts for it. For ``hors_flux``: ``exclusion`` is the
    reason (``mutation``, ``relogement_npnru``, ``relogement_orcod``, or the dwelling's)."""

    kind: str
    offre: str
    on: date
    dwelling: Dwelling
    participant: str | None = None
    cancels: bool = False
    household: Household | None = None
    exclusion: str | None = None


@dataclass(frozen=True, slots=True)
class Obligations:
    """The legal targets in force for a year, as ratios (0.25…), with their provenance."""

    priority: float
    low_quartile_outside_qpv: float
    other_quartiles_in_qpv: float
    references: tuple[parameters.ParameterValue, ...] = ()


def obligations_for_year(year: int) -> Obligations:
    """The targets in force on 1 January of ``year`` (ParameterMissing without)."""
    on = date(year, 1, 1)
    values = tuple(parameters.get(name, on) for name in
                   (PARAMETER_PRIORITY, PARAMETER_LOW_OUTSIDE, PARAMETER_OTHERS_INSIDE))
    priority, low, others = (float(v.value) / 100 for v in values)
    return Obligations(priority, low, others, values)


# --------------------------------------------------------------------------- results


@dataclass(slots=True)
class Counts:
    made_available: int = 0
    taken_back: int = 0
    taken_back_cancelled: int = 0  # takebacks that no longer count for the réservataire
    allocated: int = 0
    leased: int = 0

    def add(self, other: Counts) -> None:
        self.made_available += other.made_available
        self.taken_back += other.taken_back
        self.taken_back_cancelled += other.taken_back_cancelled
        self.allocated += other.allocated
        self.leased += other.leased


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _status(ratio: float | None, target: float) -> str:
    if ratio is None:
        return SANS_OBJET
    return CONFORME if ratio >= target - 1e-12 else NON_CONFORME


@dataclass(frozen=True, slots=True)
class PriorityShare:
    """L.441-1: share of a participant's allocations to DALO, then priority households."""

    participant: str | None
    allocations: int
    dalo: int
    priority: int  # priority households not DALO
    target: float

    @property
    def ratio(self) -> float | None:
        return _ratio(self.dalo + self.priority, self.allocations)

    @property
    def status(self) -> str:
        return _status(self.ratio, self.target)


@dataclass(frozen=True, slots=True)
class QuartileRatios:
    """The lowest-quartile ratios of one EPCI's leases of the year."""

    epci: str | None
    threshold: float | None  # None: the arrêté's figure is not entered (« à renseigner »)
    outside_leases: int
    outside_low: int  # lowest quartile, or relocated by urban renewal
    outside_unknown: int  # income unknown
    inside_leases: int
    inside_others: int  # the three other quartiles
    inside_unknown: int
    target_outside: float
    target_inside: float

    @property
    def outside_ratio(self) -> float | None:
        return None if self.threshold is None else _ratio(self.outside_low, self.outside_leases)

    @property
    def inside_ratio(self) -> float | None:
        return None if self.threshold is None else _ratio(self.inside_others, self.inside_leases)

    @property
    def outside_status(self) -> str:
        if self.threshold is None and self.outside_leases:
            return A_RENSEIGNER
        return _status(self.outside_ratio, self.target_outside)

    @property
    def inside_status(self) -> str:
        if self.threshold is None and self.inside_leases:
            return A_RENSEIGNER
        return _status(self.inside_ratio, self.target_inside)


@dataclass(frozen=True)
class Bilan:
    bailleur: str
    year: int
    participants: tuple[str | None, ...]  # réservataires sorted, then None (the bailleur)
    totals: Mapping[str | None, Counts]
    breakdowns: Mapping[str, Mapping[str, Mapping[str | None, Counts]]]  # dim → value → part.
    priority: Mapping[str | None, PriorityShare]
    quartiles: tuple[QuartileRatios, ...]
    relogements: Mapping[str, int]  # by kind of operation, in Y
    obligations: Obligations
    departements: tuple[str, ...] = ()
    withdrawals_forecast: Mapping[str, int] | None = None  # Y + 1, by operation; None: missing
    not_concerned: Mapping[str, int] = field(default_factory=dict)  # dwellings out of the flux

    def total(self) -> Counts:
        out = Counts()
        for c in self.totals.values():
            out.add(c)
        return out

    def breakdown(self, dimension: str, participant: object = ALL) -> list[tuple[str, Counts]]:
        """(value, counts) of one dimension, for one participant or (default) all of them."""
        rows = []
        for value, per in self.breakdowns[dimension].items():
            if participant is ALL:
                c = Counts()
                for counts in per.values():
                    c.add(counts)
            else:
                c = per.get(participant)
                if c is None:
                    continue
            rows.append((value, c))
        return rows

    def ratios_for(self, participant: str | None) -> PriorityShare:
        return self.priority.get(participant) or PriorityShare(
            participant, 0, 0, 0, self.obligations.priority)


def _dimension_order(dimension: str, value: str) -> tuple:
    if dimension == "period":
        labels = [p[2] for p in PERIODS] + [PERIOD_UNKNOWN]
        return (labels.index(value) if value in labels else len(labels), value)
    if dimension == "qpv":
        return (0 if value == QPV_LABELS[False] else 1, value)
    return (0, value)


def aggregate(events: Iterable[BilanEvent], *, bailleur: str, year: int,
              obligations: Obligations, thresholds: Mapping[str | None, float | None],
              reservataires: Iterable[str] = (),
              withdrawals_forecast: Mapping[str, int] | None = None,
              not_concerned: Mapping[str, int] | None = None) -> Bilan:
    """The bilan of ``year`` from its events (events of other years are ignored).

    ``thresholds``: the quartile threshold of each EPCI for the year (missing or None: the
    ratio is « à renseigner »). ``reservataires``: participants listed even without events
    (every convention of the year)."""
    totals: dict[str | None, Counts] = defaultdict(Counts)
    for r in reservataires:
        totals[r]  # noqa: B018 - listed with zero counts
    totals[None]  # noqa: B018 - the bailleur's own share is always listed
    breakdowns: dict[str, dict[str, dict[str | None, Counts]]] = {
        d: defaultdict(lambda: defaultdict(Counts)) for d in DIMENSIONS}
    alloc: dict[str | None, Counter[str]] = defaultdict(Counter)
    quart: dict[str | None, Counter[str]] = defaultdict(Counter)
    relogements: Counter[str] = Counter()
    deps: set[str] = set()

    def bump(event: BilanEvent, attr: str, delta: int = 1) -> None:
        who = event.participant
        setattr(totals[who], attr, getattr(totals[who], attr) + delta)
        for d in DIMENSIONS:
            c = breakdowns[d][event.dwelling.value(d)][who]
            setattr(c, attr, getattr(c, attr) + delta)

    for e in events:
        if e.on.year != year:
            continue
        if e.kind not in KINDS:
            continue
        deps.add(departement_of(e.dwelling.commune))
        if e.kind == "mise_a_disposition":
            bump(e, "made_available")
        elif e.kind == "reprise":
            bump(e, "taken_back")
            if e.cancels:
                bump(e, "taken_back_cancelled")
                bump(e, "made_available", -1)
        elif e.kind == "attribution":
            bump(e, "allocated")
            h = e.household or Household()
            counter = alloc[e.participant]
            counter["n"] += 1
            if h.dalo:
                counter["dalo"] += 1
            elif h.priority:
                counter["priority"] += 1
        elif e.kind == "bail_signe":
            bump(e, "leased")
            h = e.household or Household()
            q = quart[e.dwelling.epci]
            threshold = thresholds.get(e.dwelling.epci)
            side = "in" if e.dwelling.qpv else "out"
            q[f"{side}_n"] += 1
            if h.income_per_uc is None:
                q[f"{side}_unknown"] += 1
                if side == "out" and h.relogement_npnru:
                    q["out_low"] += 1
            elif threshold is not None:
                low = h.income_per_uc <= threshold
                if side == "out" and (low or h.relogement_npnru):
                    q["out_low"] += 1
                if side == "in" and not low:
                    q["in_others"] += 1
        elif e.kind == "hors_flux" and e.exclusion in RELOGEMENTS:
            relogements[e.exclusion] += 1

    participants = tuple(sorted(p for p in totals if p is not None)) + (None,)
    priority = {p: PriorityShare(p, alloc[p]["n"], alloc[p]["dalo"], alloc[p]["priority"],
                                 obligations.priority) for p in participants}
    quartiles = tuple(
        QuartileRatios(epci, thresholds.get(epci), q["out_n"], q["out_low"], q["out_unknown"],
                       q["in_n"], q["in_others"], q["in_unknown"],
                       obligations.low_quartile_outside_qpv, obligations.other_quartiles_in_qpv)
        for epci, q in sorted(quart.items(), key=lambda kv: (kv[0] is None, kv[0] or "")))
    frozen = {d: {v: dict(per) for v, per in sorted(values.items(),
                                                       key=lambda kv: _dimension_order(d, kv[0]))}
              for d, values in breakdowns.items()}
    return Bilan(bailleur, year, participants, dict(totals), frozen, priority, quartiles,
                 {k: relogements[k] for k in RELOGEMENTS}, obligations, tuple(sorted(deps)),
                 dict(withdrawals_forecast) if withdrawals_forecast is not None else None,
                 dict(not_concerned or {}))


# --------------------------------------------------------------------------- CSV rows

CSV_TOTALS_COLUMNS = ("annee", "bailleur", "reservataire", "mis_a_disposition", "repris",
                      "repris_decomptes", "attribues", "baux_signes", "attributions_dalo",
                      "attributions_prioritaires", "part_prioritaires")
CSV_BREAKDOWN_COLUMNS = ("annee", "bailleur", "reservataire", "dimension", "valeur",
                         "mis_a_disposition", "attribues", "baux_signes")
CSV_QUARTILE_COLUMNS = ("annee", "bailleur", "epci", "seuil_premier_quartile",
                        "baux_hors_qpv", "baux_hors_qpv_premier_quartile", "ratio_hors_qpv",
                        "statut_hors_qpv", "baux_qpv", "baux_qpv_autres_quartiles",
                        "ratio_qpv", "statut_qpv")


def _csv_ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def totals_rows(bilan: Bilan, participants: Iterable[str | None] | None = None,
                bailleur_label: str = "") -> list[dict[str, object]]:
    """One row per participant (the bailleur's own share: ``reservataire`` empty)."""
    rows = []
    for p in participants if participants is not None else bilan.participants:
        c = bilan.totals.get(p, Counts())
        share = bilan.ratios_for(p)
        rows.append({"annee": bilan.year, "bailleur": bailleur_label or bilan.bailleur,
                     "reservataire": p or "", "mis_a_disposition": c.made_available,
                     "repris": c.taken_back, "repris_decomptes": c.taken_back_cancelled,
                     "attribues": c.allocated, "baux_signes": c.leased,
                     "attributions_dalo": share.dalo, "attributions_prioritaires": share.priority,
                     "part_prioritaires": _csv_ratio(share.ratio)})
    return rows


def breakdown_rows(bilan: Bilan, participants: Iterable[str | None] | None = None
                   ) -> list[dict[str, object]]:
    rows = []
    for p in participants if participants is not None else bilan.participants:
        for d in DIMENSIONS:
            for value, c in bilan.breakdown(d, p):
                rows.append({"annee": bilan.year, "bailleur": bilan.bailleur,
                             "reservataire": p or "", "dimension": d, "valeur": value,
                             "mis_a_disposition": c.made_available, "attribues": c.allocated,
                             "baux_signes": c.leased})
    return rows


def quartile_rows(bilan: Bilan) -> list[dict[str, object]]:
    return [{"annee": bilan.year, "bailleur": bilan.bailleur, "epci": q.epci or "",
             "seuil_premier_quartile": "" if q.threshold is None else q.threshold,
             "baux_hors_qpv": q.outside_leases, "baux_hors_qpv_premier_quartile": q.outside_low,
             "ratio_hors_qpv": _csv_ratio(q.outside_ratio), "statut_hors_qpv": q.outside_status,
             "baux_qpv": q.inside_leases, "baux_qpv_autres_quartiles": q.inside_others,
             "ratio_qpv": _csv_ratio(q.inside_ratio), "statut_qpv": q.inside_status}
            for q in bilan.quartiles]
