"""Yearly objectives of a flux: forecast of the base and each réservataire's share of it.

Per bailleur × département and year ``Y`` (CCH R.441-5; the bailleur's annual report gives the
forecast of the dwellings taken out of the flux):

* forecast vacancies = Σ over segments (commune × typology × QPV) of the segment's dwellings ×
  its rotation. The rotation is observed over the ``window`` years before ``Y``
  (vacancies / dwelling-years, from each dwelling's ``vacancies_by_year``); a segment without
  observation takes the bailleur's average in the département; a ``rate`` set by the bailleur
  replaces the observation everywhere;
* plus first allocations in new buildings (``mise_en_service`` in ``Y``, or else
  ``construction_year == Y``), every dwelling of a new programme being let once;
* minus what leaves the base: mutations (internal only, or all of them, as
  ``mutations_hors_base`` says) and relogements NPNRU / ORCOD, from the bailleur's forecast;
* dwellings not concerned (défense, sécurité intérieure, to be sold, to be demolished) are left
  out of the patrimoine counted.

Objective of each participant = share × base (the bailleur keeps 100 % − Σ shares).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from ..records import Convention, Logement, RecordError, parse_logement
from .apportionment import (
    HORS_FLUX_CATEGORIES,
    MUTATIONS_HORS_BASE,
    departement_of,
    fr_number,
    participants_for,
)

NOT_CONCERNED = tuple(k for k, (kind, _) in HORS_FLUX_CATEGORIES.items() if kind == "non_concerne")
WITHDRAWAL_FIELDS = ("mutations_internes", "mutations_externes", "relogements_npnru",
                     "relogements_orcod")


@dataclass(frozen=True, slots=True)
class PatrimoineItem:
    """A logement record of the patrimoine with what the forecast needs."""

    logement: Logement
    vacancies_by_year: Mapping[int, int] = field(default_factory=dict)
    mise_en_service: date | None = None
    hors_flux: str | None = None


def parse_patrimoine(obj: Mapping[str, Any]) -> PatrimoineItem:
    """A logement record plus ``vacancies_by_year`` ({"2024": 1, …}), ``mise_en_service``,
    ``hors_flux`` (only the categories not concerned by the flux: défense…, vente, démolition)."""
    logement = parse_logement(obj)
    if not logement.bailleur:
        raise RecordError("bailleur", "requis pour rattacher le logement au flux d'un bailleur")
    raw = obj.get("vacancies_by_year") or {}
    if not isinstance(raw, Mapping):
        raise RecordError("vacancies_by_year", "table année → nombre de vacances attendue")
    vacancies: dict[int, int] = {}
    for key, value in raw.items():
        path = f"vacancies_by_year.{key}"
        try:
            year = int(str(key))
        except ValueError:
            raise RecordError(path, "année AAAA attendue") from None
        if not 1900 <= year <= 2100:
            raise RecordError(path, f"année invalide : {year}")
        try:
            count = int(str(value))
        except ValueError:
            raise RecordError(path, f"nombre entier attendu, reçu {value!r}") from None
        if count < 0:
            raise RecordError(path, "nombre positif ou nul attendu")
        vacancies[year] = count
    mise = obj.get("mise_en_service")
    try:
        mise_en_service = date.fromisoformat(str(mise)) if mise not in (None, "") else None
    except ValueError:
        raise RecordError("mise_en_service", f"date AAAA-MM-JJ attendue, reçu {mise!r}") from None
    category = obj.get("hors_flux") or None
    if category is not None and category not in NOT_CONCERNED:
        raise RecordError("hors_flux", f"catégorie {category!r} : seules "
                          + ", ".join(NOT_CONCERNED) + " s'appliquent au patrimoine")
    return PatrimoineItem(logement, vacancies, mise_en_service, category)


@dataclass(frozen=True, slots=True)
class Withdrawals:
    """The bailleur's forecast of dwellings taken out of the base in a year."""

    bailleur: str
    departement: str
    mutations_internes: int = 0
    mutations_externes: int = 0
    relogements_npnru: int = 0
    relogements_orcod: int = 0

    def counted(self, mutations_hors_base: str) -> dict[str, int]:
        out = {"mutations_internes": self.mutations_internes,
               "relogements_npnru": self.relogements_npnru,
               "relogements_orcod": self.relogements_orcod}
        if mutations_hors_base == "toutes":
            out["mutations_externes"] = self.mutations_externes
        return out


def parse_withdrawals(obj: Mapping[str, Any]) -> Withdrawals:
    """``{"bailleur", "departement", "mutations_internes", "mutations_externes",
    "relogements_npnru", "relogements_orcod"}`` (missing counts are 0)."""
    if not isinstance(obj, Mapping):
        raise RecordError("", "objet JSON attendu")
    texts = {}
    for key in ("bailleur", "departement"):
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RecordError(key, "texte requis")
        texts[key] = value.strip()
    counts = {}
    for key in WITHDRAWAL_FIELDS:
        value = obj.get(key, 0)
        try:
            counts[key] = int(str(value if value not in (None, "") else 0))
        except ValueError:
            raise RecordError(key, f"nombre entier attendu, reçu {value!r}") from None
        if counts[key] < 0:
            raise RecordError(key, "nombre positif ou nul attendu")
    return Withdrawals(texts["bailleur"], texts["departement"], **counts)


@dataclass(frozen=True, slots=True)
class SegmentForecast:
    commune: str
    typology: str
    qpv: bool
    dwellings: int
    rotation: Fraction
    source: str  # "observee", "moyenne_bailleur", "taux_bailleur"
    forecast: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"commune": self.commune, "typology": self.typology, "qpv": self.qpv,
                "dwellings": self.dwellings, "rotation": round(float(self.rotation), 4),
                "source": self.source, "forecast": round(float(self.forecast), 2)}


@dataclass(frozen=True, slots=True)
class Objective:
    participant: str
    kind: str
    convention: str | None
    share_percent: Fraction
    objective: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"participant": self.participant, "kind": self.kind,
                "convention": self.convention,
                "share_percent": round(float(self.share_percent), 4),
                "objective": round(float(self.objective), 2)}


@dataclass(frozen=True, slots=True)
class FluxObjectives:
    bailleur: str
    departement: str
    year: int
    segments: tuple[SegmentForecast, ...]
    forecast_vacancies: Fraction
    first_allocations: int
    withdrawals: Mapping[str, int]
    base: Fraction
    objectives: tuple[Objective, ...]
    not_concerned: int
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {
            "bailleur": self.bailleur, "departement": self.departement, "year": self.year,
            "forecast_vacancies": round(float(self.forecast_vacancies), 2),
            "first_allocations": self.first_allocations,
            "withdrawals": dict(self.withdrawals),
            "not_concerned": self.not_concerned,
            "base": round(float(self.base), 2),
            "objectives": [o.to_json() for o in self.objectives],
            "segments": [s.to_json() for s in self.segments],
            "summary": self.summary,
        }


class NoRotation(ValueError):
    """A flux has no observed rotation and no rate was given."""


def _first_let_year(item: PatrimoineItem) -> int | None:
    if item.mise_en_service is not None:
        return item.mise_en_service.year
    return item.logement.construction_year


def yearly_objectives(
    conventions: Iterable[Convention],
    patrimoine: Iterable[PatrimoineItem],
    year: int,
    *,
    window: int = 3,
    rate: Fraction | None = None,
    withdrawals: Iterable[Withdrawals] = (),
    mutations_hors_base: str = "internes",
) -> list[FluxObjectives | NoRotation]:
    """Objectives of every bailleur × département of the patrimoine or of year's conventions.

    A flux that cannot be forecast (no rotation observed and no ``rate``) is returned as a
    NoRotation error in its place, so that the other fluxes still come out.
    """
    if mutations_hors_base not in MUTATIONS_HORS_BASE:
        raise ValueError(f"mutations_hors_base : {mutations_hors_base!r}")
    if window < 1:
        raise ValueError("la fenêtre d'observation compte au moins une année")
    if rate is not None and not 0 <= rate <= 1:
        raise ValueError("le taux de rotation est compris entre 0 et 1")
    observed_years = range(year - window, year)
    by_group: dict[tuple[str, str], list[PatrimoineItem]] = defaultdict(list)
    for item in patrimoine:
        by_group[(item.logement.bailleur or "", departement_of(item.logement.commune))].append(item)
    conv_groups: dict[tuple[str, str], list[Convention]] = defaultdict(list)
    for c in conventions:
        if c.year == year:
            conv_groups[(c.bailleur, c.departement)].append(c)
    planned: dict[tuple[str, str], Withdrawals] = {}
    for w in withdrawals:
        planned[(w.bailleur, w.departement)] = w

    out: list[FluxObjectives | NoRotation] = []
    for bailleur, dep in sorted(set(by_group) | set(conv_groups)):
        items = by_group.get((bailleur, dep), [])
        not_concerned = sum(1 for i in items if i.hors_flux is not None)
        segments: dict[tuple[str, str, bool], list[int]] = defaultdict(lambda: [0, 0, 0])
        first = 0
        for item in items:
            if item.hors_flux is not None:
                continue
            let = _first_let_year(item)
            if let is not None and let > year:
                continue  # not yet built
            if let == year:
                first += 1
                continue
            lg = item.logement
            seg = segments[(lg.commune, lg.typology, lg.qpv)]
            seg[0] += 1
            for y in observed_years:
                if y in item.vacancies_by_year and (let is None or let <= y):
                    seg[1] += 1  # dwelling-years observed
                    seg[2] += item.vacancies_by_year[y]
        total_years = sum(s[1] for s in segments.values())
        total_vac = sum(s[2] for s in segments.values())
        if rate is None and segments and total_years == 0:
            out.append(NoRotation(
                f"{bailleur} ({dep}, {year}) : aucune vacance observée de {year - window} à "
                f"{year - 1} (vacancies_by_year) ; indiquer un taux de rotation (--rate)"))
            continue
        forecasts = []
        for (commune, typology, qpv), (count, years_obs, vac) in sorted(segments.items()):
            if rate is not None:
                rot, source = rate, "taux_bailleur"
            elif years_obs:
                rot, source = Fraction(vac, years_obs), "observee"
            else:
                rot, source = Fraction(total_vac, total_years), "moyenne_bailleur"
            forecasts.append(SegmentForecast(commune, typology, qpv, count, rot, source,
                                             rot * count))
        forecast = sum((s.forecast for s in forecasts), Fraction(0))
        w = planned.get((bailleur, dep), Withdrawals(bailleur, dep))
        counted = w.counted(mutations_hors_base)
        base = max(Fraction(0), forecast + first - sum(counted.values()))
        participants = participants_for(bailleur, conv_groups.get((bailleur, dep), []))
        objectives = tuple(Objective(p.id, p.kind, p.convention, 100 * p.share, p.share * base)
                           for p in participants)
        summary = (f"{bailleur} ({dep}, {year}) : {fr_number(forecast)} vacances prévues + "
                   f"{first} première(s) attribution(s) − {sum(counted.values())} sortie(s) de "
                   f"l'assiette = {fr_number(base)} logements au flux")
        out.append(FluxObjectives(bailleur, dep, year, tuple(forecasts), forecast, first,
                                  counted, base, objectives, not_concerned, summary))
    return out


def objectives_by_participant(result: Sequence[FluxObjectives]) -> dict[str, Fraction]:
    """Sum of objectives per participant over several fluxes."""
    out: dict[str, Fraction] = defaultdict(Fraction)
    for flux in result:
        for o in flux.objectives:
            out[o.participant] += o.objective
    return dict(out)
