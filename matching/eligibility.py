"""Eligibility of a household to an offer, explained (docs/regulation.md, docs/parameters.md).

Two paths give the same verdicts:

- ``eligibility(demande, offre, on, policy)``: one offer, every reason spelled out in French
  with the figures behind it (what the requester and the CAL read);
- ``OfferTable.evaluate(demande, on, policy)`` / ``open_offers(...)``: one household against
  a whole table of offers with numpy masks (what the offer listing needs); the explained path
  is only run, lazily, for the offers a requester asks about.

A verdict is ``ok`` exactly when it has no reason. Thresholds come from the ``Policy``;
regulatory figures from the dated parameters. When the ceiling behind a verdict is derived or
not yet cross-checked, the verdict says so (``plafond_estime``, a "plafond estimé, à
confirmer" note) without changing the decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

from . import enums, facts, fr
from . import parameters as params
from .benefit import NO_BENEFIT_NOTE, HousingBenefitEstimator
from .household import (
    PLI_LINE_LABELS,
    HouseholdCategory,
    Plafond,
    PlafondNotProvided,
    RfrUsed,
    ZoneAbcMissing,
    categorie_menage,
    composition_pli,
    plafond,
    revenu_retenu,
)
from .policy import Policy, TypologyTable
from .records import Demande, Logement

# Reason codes, in the order the checks run (docs/formats.md lists the first seven kinds).
REASON_LABELS: Mapping[str, str] = MappingProxyType({
    "plafond_depasse": "plafond de ressources dépassé",
    "plafond_non_fourni": "plafond de ressources non disponible pour ce financement",
    "typologie_inadaptee": "typologie inadaptée à la taille du ménage",
    "surface_suroccupation": "surface insuffisante pour le ménage (suroccupation)",
    "taux_effort_excessif": "taux d'effort trop élevé",
    "reste_a_vivre_insuffisant": "reste à vivre insuffisant",
    "hors_souhaits_geographiques": "commune hors de vos souhaits",
    "typologie_hors_souhaits": "typologie hors de vos souhaits",
    "loyer_superieur_souhait": "loyer supérieur au maximum souhaité",
    "logement_non_accessible": "logement non accessible",
    "filtre_reservataire": "réservé par le réservataire à d'autres publics",
})
REASON_CODES: tuple[str, ...] = tuple(REASON_LABELS)

DEFAULT_POLICY = Policy()

_CAF_PREFIX = "suroccupation_caf."


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an offer is not open to a household: a stable code, a French message, the figures."""

    code: str
    message: str
    figures: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, Any]:
        """``{"code", "message", **figures}`` (docs/formats.md output of ``eligibility``)."""
        return {"code": self.code, "message": self.message, **self.figures}


@dataclass(frozen=True, slots=True)
class TypologyFit:
    """Whether the offer's typology suits the household size under the policy's table."""

    typology: str
    persons: int
    min_persons: int
    max_persons: int | None
    ok: bool


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Verdict for one household and one offer, with the facts that explain it."""

    ok: bool
    reasons: tuple[Reason, ...]
    demande_id: str
    offre_id: str
    on: date
    policy: str
    category: HouseholdCategory
    rfr: RfrUsed
    plafond: Plafond | None
    taux_effort: float | None
    reste_a_vivre: float | None
    housing_benefit: float | None
    typology: TypologyFit
    surface_min: float
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.ok != (not self.reasons):
            raise ValueError("un verdict est positif exactement quand il n'a aucun motif")

    @property
    def codes(self) -> tuple[str, ...]:
        """Reason codes, in check order, without duplicates."""
        return tuple(dict.fromkeys(r.code for r in self.reasons))

    @property
    def plafond_estime(self) -> bool:
        """True when the ceiling used is derived or not cross-checked ("à confirmer")."""
        return bool(self.plafond and self.plafond.estimate)

    @property
    def parameters_used(self) -> tuple[params.ParameterValue, ...]:
        """Dated parameters behind the verdict (to reproduce it later)."""
        return self.plafond.parameters if self.plafond else ()

    def to_json(self) -> dict[str, Any]:
        """One output line of ``python -m matching eligibility`` (docs/formats.md, plus extra fields)."""
        return {
            "id": self.demande_id,
            "offer": self.offre_id,
            "on": self.on.isoformat(),
            "eligible": self.ok,
            "category": self.category.category,
            "extra_persons": self.category.extra_persons,
            "category_why": self.category.why,
            "plafond": self.plafond.amount if self.plafond else None,
            "plafond_derived": self.plafond.derived if self.plafond else None,
            "plafond_estime": self.plafond_estime,
            "plafond_estime_raison": self.plafond.estimate_reason if self.plafond else None,
            "plafond_reference": self.plafond.reference if self.plafond else None,
            "rfr_used": self.rfr.amount,
            "rfr_source": self.rfr.source,
            "rfr_why": self.rfr.why,
            "taux_effort": None if self.taux_effort is None else round(self.taux_effort, 4),
            "reste_a_vivre": None if self.reste_a_vivre is None else round(self.reste_a_vivre, 2),
            "housing_benefit": self.housing_benefit,
            "typology_ok": self.typology.ok,
            "notes": list(self.notes),
            "reasons": [r.to_json() for r in self.reasons],
        }


# --------------------------------------------------------------------------- shared context


def surface_minimale(persons: int, on: date, parameters: params.Parameters | None = None) -> float:
    """Minimum living surface (m²) for a household size, housing-benefit occupancy norm."""
    p = parameters or params.default()
    if persons <= 1:
        return float(p.get(_CAF_PREFIX + "surface_1_personne", on).value)
    base = p.get(_CAF_PREFIX + "surface_2_personnes", on).value
    step = p.get(_CAF_PREFIX + "surface_par_personne_supplementaire", on).value
    cap = p.get(_CAF_PREFIX + "surface_maximum_exigee", on).value
    return float(min(base + step * (persons - 2), cap))


class _Context:
    """Everything about one household on one date that does not depend on the offer."""

    __slots__ = (
        "demande", "on", "policy", "parameters", "category", "rfr", "persons", "units",
        "typologies", "surface_min", "_plafonds", "_pli",
    )

    def __init__(self, demande: Demande, on: date, policy: Policy,
                 parameters: params.Parameters | None):
        self.demande = demande
        self.on = on
        self.policy = policy
        self.parameters = parameters or params.default()
        self.category = categorie_menage(demande, on, self.parameters)
        self.rfr = revenu_retenu(demande, on)
        self.persons = demande.size
        self.units = facts.consumption_units(demande, on)
        self.typologies: TypologyTable = policy.typologies(on, self.parameters)
        self.surface_min = surface_minimale(self.persons, on, self.parameters)
        self._plafonds: dict[tuple[str, str | None], Plafond | PlafondNotProvided] = {}
        self._pli = None

    def plafond(self, financing: str, zone: str | None) -> Plafond | PlafondNotProvided:
        """Ceiling for a financing and its zone key (``ceiling_zone``), cached; a missing year
        still raises ParameterMissing."""
        key = (financing, zone)
        if key not in self._plafonds:
            try:
                if financing == "PLI":
                    if self._pli is None:
                        self._pli = composition_pli(self.demande)
                    household = self._pli
                else:
                    household = self.category
                self._plafonds[key] = plafond(financing, zone, household, self.on, self.parameters)
            except PlafondNotProvided as exc:
                self._plafonds[key] = exc
        return self._plafonds[key]

    def typology_bounds(self, typology: str) -> tuple[int, int | None]:
        # A typology absent from the policy's table is not constrained.
        return self.typologies.get(typology, (1, None))


def ceiling_zone(offre: Logement) -> str | None:
    """The zone that chooses an offer's ceiling: A/B/C zone for PLI, HLM zone otherwise."""
    return offre.zone_abc if offre.financing == "PLI" else offre.zone


def _bounds_text(low: int, high: int | None) -> str:
    if high is None:
        return f"au moins {fr.plural(low, 'personne')}"
    if low == high:
        return fr.plural(low, "personne")
    return f"{low} à {high} personnes"


# --------------------------------------------------------------------------- explained path


def _explain(ctx: _Context, offre: Logement, estimator: HousingBenefitEstimator | None
             ) -> Eligibility:
    demande, policy = ctx.demande, ctx.policy
    wishes = demande.wishes
    reasons: list[Reason] = []
    notes: list[str] = []

    the_plafond: Plafond | None = None
    if policy.check_plafond:
        found = ctx.plafond(offre.financing, ceiling_zone(offre))
        if isinstance(found, ZoneAbcMissing):
            reasons.append(Reason(
                "plafond_non_fourni",
                f"La zone (A bis, A, B1, B2 ou C) de ce logement {offre.financing} n'est pas "
                f"renseignée : son plafond de ressources ne peut pas être déterminé. Le bailleur "
                f"doit compléter la fiche du logement.",
                {"financing": offre.financing, "missing": "zone_abc"},
            ))
        elif isinstance(found, PlafondNotProvided):
            reasons.append(Reason(
                "plafond_non_fourni",
                f"Le plafond de ressources des logements {offre.financing} n'est pas fourni par "
                f"la plateforme : l'éligibilité à ce logement doit être vérifiée par le bailleur.",
                {"financing": offre.financing},
            ))
        else:
            the_plafond = found
            if found.estimate:
                notes.append(
                    f"Plafond estimé, à confirmer : le plafond {offre.financing} de "
                    f"{fr.eur(found.amount)} n'a pas encore été recoupé avec l'arrêté publié."
                )
            if ctx.rfr.amount > found.amount:
                reasons.append(Reason(
                    "plafond_depasse",
                    f"Vos revenus retenus ({fr.eur(ctx.rfr.amount)}) dépassent le plafond de "
                    f"ressources {offre.financing} de votre "
                    + (f"composition familiale ({fr.eur(found.amount)}, "
                       f"{PLI_LINE_LABELS[found.line]})." if found.line else
                       f"catégorie de ménage ({fr.eur(found.amount)}, catégorie {found.category})."),
                    {"plafond": found.amount, "rfr": ctx.rfr.amount, "rfr_source": ctx.rfr.source,
                     "financing": offre.financing, "category": found.category,
                     "extra_persons": found.extra_persons},
                ))

    low, high = ctx.typology_bounds(offre.typology)
    fits = low <= ctx.persons and (high is None or ctx.persons <= high)
    typology = TypologyFit(offre.typology, ctx.persons, low, high, fits)
    if policy.check_typology and not fits:
        reasons.append(Reason(
            "typologie_inadaptee",
            f"Un {offre.typology} est prévu pour {_bounds_text(low, high)} ; votre ménage compte "
            f"{fr.plural(ctx.persons, 'personne')}.",
            {"typology": offre.typology, "persons": ctx.persons, "min": low, "max": high},
        ))

    if policy.check_overcrowding and offre.surface is not None and offre.surface < ctx.surface_min:
        reasons.append(Reason(
            "surface_suroccupation",
            f"La surface de {fr.number(offre.surface, 1 if offre.surface % 1 else 0)} m² est "
            f"inférieure au minimum de {fr.number(ctx.surface_min)} m² pour "
            f"{fr.plural(ctx.persons, 'personne')} (norme de peuplement des aides au logement) : "
            f"le logement serait suroccupé.",
            {"surface": offre.surface, "surface_min": ctx.surface_min, "persons": ctx.persons},
        ))

    benefit = float(estimator.estimate(demande, offre, ctx.on)) if estimator is not None else 0.0
    if estimator is None:
        notes.append(NO_BENEFIT_NOTE)
    resources = demande.monthly_resources
    te = facts.taux_effort(resources, offre.rent, offre.charges, benefit)
    rav = facts.reste_a_vivre(resources, offre.rent, offre.charges, ctx.units, benefit)
    if resources is None:
        notes.append("ressources mensuelles non renseignées : taux d'effort et reste à vivre non calculés")
    cost_text = (
        f"loyer {fr.eur(offre.rent)} + charges {fr.eur(offre.charges)}"
        + (f" − aide au logement estimée {fr.eur(benefit)}" if estimator is not None else "")
    )
    if te is not None and policy.max_taux_effort is not None and te > policy.max_taux_effort:
        reasons.append(Reason(
            "taux_effort_excessif",
            f"Le taux d'effort serait de {fr.pct(te)} ({cost_text}, pour "
            f"{fr.eur(resources or 0)} de ressources mensuelles), au-delà du maximum de "
            f"{fr.pct(policy.max_taux_effort, 0)}.",
            {"taux_effort": round(te, 4), "max": policy.max_taux_effort, "rent": offre.rent,
             "charges": offre.charges, "housing_benefit": benefit, "monthly_resources": resources},
        ))
    if rav is not None and policy.min_reste_a_vivre is not None and rav < policy.min_reste_a_vivre:
        reasons.append(Reason(
            "reste_a_vivre_insuffisant",
            f"Le reste à vivre serait de {fr.eur(round(rav, 2), 2)} par jour et par unité de "
            f"consommation ({cost_text}, {fr.number(ctx.units, 1)} UC), en dessous du minimum de "
            f"{fr.eur(policy.min_reste_a_vivre)}.",
            {"reste_a_vivre": round(rav, 2), "min": policy.min_reste_a_vivre,
             "consumption_units": ctx.units, "housing_benefit": benefit},
        ))

    if policy.check_wished_communes and offre.commune not in wishes.communes:
        reasons.append(Reason(
            "hors_souhaits_geographiques",
            f"La commune du logement ({offre.commune}) ne fait pas partie de vos communes "
            f"souhaitées ({', '.join(wishes.communes)}).",
            {"commune": offre.commune, "wished": list(wishes.communes)},
        ))
    if policy.check_wished_typologies and wishes.typologies and offre.typology not in wishes.typologies:
        reasons.append(Reason(
            "typologie_hors_souhaits",
            f"Vous avez demandé un {' ou '.join(wishes.typologies)} ; ce logement est un "
            f"{offre.typology}.",
            {"typology": offre.typology, "wished": list(wishes.typologies)},
        ))
    if policy.check_max_rent and wishes.max_rent is not None and offre.rent + offre.charges > wishes.max_rent:
        reasons.append(Reason(
            "loyer_superieur_souhait",
            f"Le loyer charges comprises ({fr.eur(offre.rent + offre.charges)}) dépasse le "
            f"maximum que vous avez indiqué ({fr.eur(wishes.max_rent)}).",
            {"rent_with_charges": round(offre.rent + offre.charges, 2), "max_rent": wishes.max_rent},
        ))
    if policy.check_accessibility and wishes.needs_accessible and not offre.accessible:
        reasons.append(Reason(
            "logement_non_accessible",
            "Vous avez besoin d'un logement accessible ; celui-ci n'est pas déclaré accessible.",
            {},
        ))
    for flt in policy.filters_for(offre.reservataire):
        if not flt.test(demande):
            reasons.append(Reason(
                "filtre_reservataire",
                flt.message,
                {"reservataire": offre.reservataire,
                 "reservataire_kind": policy.reservataire_kind(offre.reservataire),
                 "filter": flt.id},
            ))

    return Eligibility(
        ok=not reasons,
        reasons=tuple(reasons),
        demande_id=demande.id,
        offre_id=offre.id,
        on=ctx.on,
        policy=policy.name,
        category=ctx.category,
        rfr=ctx.rfr,
        plafond=the_plafond,
        taux_effort=te,
        reste_a_vivre=rav,
        housing_benefit=benefit if estimator is not None else None,
        typology=typology,
        surface_min=ctx.surface_min,
        notes=tuple(notes),
    )


def eligibility(
    demande: Demande,
    offre: Logement,
    on: date,
    policy: Policy = DEFAULT_POLICY,
    estimator: HousingBenefitEstimator | None = None,
    *,
    parameters: params.Parameters | None = None,
) -> Eligibility:
    """Whether an offer is open to a household on a date, with every reason and fact."""
    return _explain(_Context(demande, on, policy, parameters), offre, estimator)


# --------------------------------------------------------------------------- vectorised path


_TYPOLOGY_INDEX = {t: i for i, t in enumerate(enums.TYPOLOGIES)}


class OfferTable:
    """Offers as numpy columns, built once, to evaluate many households quickly."""

    def __init__(self, logements: Sequence[Logement]):
        self.logements: tuple[Logement, ...] = tuple(logements)
        n = len(self.logements)
        self.ids = tuple(lg.id for lg in self.logements)

        def codes(values: list[Any]) -> tuple[np.ndarray, tuple[Any, ...]]:
            index: dict[Any, int] = {}
            out = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int32, count=n)
            return out, tuple(index)

        self.commune, self.communes = codes([lg.commune for lg in self.logements])
        self.combo, self.combos = codes([(lg.financing, ceiling_zone(lg)) for lg in self.logements])
        self.reservataire, self.reservataires = codes([lg.reservataire for lg in self.logements])
        self.typology = np.fromiter((_TYPOLOGY_INDEX[lg.typology] for lg in self.logements),
                                    dtype=np.int8, count=n)
        self.rent = np.fromiter((lg.rent for lg in self.logements), dtype=np.float64, count=n)
        self.charges = np.fromiter((lg.charges for lg in self.logements), dtype=np.float64, count=n)
        self.cost = self.rent + self.charges  # same float operations as facts.housing_cost
        self.surface = np.fromiter(
            (np.nan if lg.surface is None else lg.surface for lg in self.logements),
            dtype=np.float64, count=n,
        )
        self.accessible = np.fromiter((lg.accessible for lg in self.logements), dtype=bool, count=n)
        self._commune_index = {c: i for i, c in enumerate(self.communes)}

    def __len__(self) -> int:
        return len(self.logements)

    def evaluate(
        self,
        demande: Demande,
        on: date,
        policy: Policy = DEFAULT_POLICY,
        estimator: HousingBenefitEstimator | None = None,
        *,
        parameters: params.Parameters | None = None,
    ) -> Verdicts:
        """Verdict masks of one household against every offer of the table."""
        return self._evaluate(_Context(demande, on, policy, parameters), estimator)

    def _evaluate(self, ctx: _Context, estimator: HousingBenefitEstimator | None) -> Verdicts:
        demande, policy = ctx.demande, ctx.policy
        wishes = demande.wishes
        n = len(self)
        failures: dict[str, np.ndarray] = {}

        if policy.check_plafond and n:
            amounts = np.full(len(self.combos), np.inf)
            not_provided = np.zeros(len(self.combos), dtype=bool)
            for i, (financing, zone) in enumerate(self.combos):
                found = ctx.plafond(financing, zone)
                if isinstance(found, PlafondNotProvided):
                    not_provided[i] = True
                else:
                    amounts[i] = found.amount
            failures["plafond_non_fourni"] = not_provided[self.combo]
            failures["plafond_depasse"] = ctx.rfr.amount > amounts[self.combo]

        if policy.check_typology:
            lut = np.ones(len(enums.TYPOLOGIES), dtype=bool)
            for typology, i in _TYPOLOGY_INDEX.items():
                low, high = ctx.typology_bounds(typology)
                lut[i] = low <= ctx.persons and (high is None or ctx.persons <= high)
            failures["typologie_inadaptee"] = ~lut[self.typology]

        if policy.check_overcrowding:
            failures["surface_suroccupation"] = self.surface < ctx.surface_min  # NaN → False

        benefit: np.ndarray | float = 0.0
        if estimator is not None:
            many = getattr(estimator, "estimate_many", None)
            if many is not None:
                benefit = np.asarray(many(demande, self, ctx.on), dtype=np.float64)
            else:
                benefit = np.fromiter(
                    (float(estimator.estimate(demande, lg, ctx.on)) for lg in self.logements),
                    dtype=np.float64, count=n,
                )
        resources = demande.monthly_resources
        net = self.cost - benefit
        te = rav = None
        if resources is not None and resources > 0:
            te = net / resources
            if policy.max_taux_effort is not None:
                failures["taux_effort_excessif"] = te > policy.max_taux_effort
        if resources is not None and ctx.units > 0:
            rav = (resources - net) / ctx.units / 30.0
            if policy.min_reste_a_vivre is not None:
                failures["reste_a_vivre_insuffisant"] = rav < policy.min_reste_a_vivre

        if policy.check_wished_communes:
            lut = np.ones(len(self.communes), dtype=bool)
            for commune in wishes.communes:
                i = self._commune_index.get(commune)
                if i is not None:
                    lut[i] = False
            failures["hors_souhaits_geographiques"] = lut[self.commune]
        if policy.check_wished_typologies and wishes.typologies:
            lut = np.ones(len(enums.TYPOLOGIES), dtype=bool)
            for typology in wishes.typologies:
                lut[_TYPOLOGY_INDEX[typology]] = False
            failures["typologie_hors_souhaits"] = lut[self.typology]
        if policy.check_max_rent and wishes.max_rent is not None:
            failures["loyer_superieur_souhait"] = self.cost > wishes.max_rent
        if policy.check_accessibility and wishes.needs_accessible:
            failures["logement_non_accessible"] = ~self.accessible
        lut = np.array(
            [any(not f.test(demande) for f in policy.filters_for(r)) for r in self.reservataires],
            dtype=bool,
        )
        if lut.any():
            failures["filtre_reservataire"] = lut[self.reservataire]

        failures = {code: failures[code] for code in REASON_CODES if code in failures}
        ok = np.ones(n, dtype=bool)
        for mask in failures.values():
            ok &= ~mask
        return Verdicts(
            table=self, context=ctx, estimator=estimator, ok=ok,
            failures=MappingProxyType(failures), taux_effort=te, reste_a_vivre=rav,
        )


@dataclass(frozen=True, eq=False)
class Verdicts:
    """Masks of one household against an OfferTable; explanations computed on demand."""

    table: OfferTable
    context: _Context
    estimator: HousingBenefitEstimator | None
    ok: np.ndarray
    failures: Mapping[str, np.ndarray]
    taux_effort: np.ndarray | None
    reste_a_vivre: np.ndarray | None

    @property
    def category(self) -> HouseholdCategory:
        """Household category used for every offer."""
        return self.context.category

    @property
    def rfr(self) -> RfrUsed:
        """Income retained for every offer."""
        return self.context.rfr

    def codes(self, i: int) -> tuple[str, ...]:
        """Reason codes of the offer at index i, in check order."""
        return tuple(code for code, mask in self.failures.items() if mask[i])

    def counts(self) -> dict[str, int]:
        """Number of offers failing each check (an offer may fail several)."""
        return {code: int(mask.sum()) for code, mask in self.failures.items() if mask.any()}

    def explain(self, i: int) -> Eligibility:
        """The explained verdict of the offer at index i."""
        return _explain(self.context, self.table.logements[i], self.estimator)


@dataclass(frozen=True, eq=False)
class OpenOffers:
    """Offers open to a household, the others with their reasons, and a summary."""

    verdicts: Verdicts
    open: tuple[Logement, ...]
    counts: Mapping[str, int]
    closed_count: int

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``open, closed = open_offers(...)``."""
        yield self.open
        yield self.closed

    @cached_property
    def closed(self) -> tuple[tuple[Logement, tuple[Reason, ...]], ...]:
        """Closed offers with their explained reasons (computed on first access)."""
        indexes = np.flatnonzero(~self.verdicts.ok)
        return tuple(
            (self.verdicts.table.logements[i], self.verdicts.explain(int(i)).reasons)
            for i in indexes
        )

    def summary(self) -> str:
        """French sentence a requester reads: "12 offres ne vous sont pas ouvertes : 8 …"."""
        total = len(self.open) + self.closed_count
        if self.closed_count == 0:
            return f"Toutes les offres ({total}) vous sont ouvertes." if total else "Aucune offre."
        verb = "ne vous est pas ouverte" if self.closed_count == 1 else "ne vous sont pas ouvertes"
        parts = [f"{n} {REASON_LABELS[code]}" for code, n in
                 sorted(self.counts.items(), key=lambda kv: (-kv[1], REASON_CODES.index(kv[0])))]
        text = f"{fr.plural(self.closed_count, 'offre')} {verb} : {', '.join(parts)}."
        if sum(self.counts.values()) > self.closed_count:
            text += " Une offre peut cumuler plusieurs motifs."
        return text


def open_offers(
    demande: Demande,
    offres: Sequence[Logement] | OfferTable,
    on: date,
    policy: Policy = DEFAULT_POLICY,
    estimator: HousingBenefitEstimator | None = None,
    *,
    parameters: params.Parameters | None = None,
) -> OpenOffers:
    """Which offers are open to this household, and why not the others (explained lazily)."""
    table = offres if isinstance(offres, OfferTable) else OfferTable(offres)
    verdicts = table.evaluate(demande, on, policy, estimator, parameters=parameters)
    open_ = tuple(table.logements[i] for i in np.flatnonzero(verdicts.ok))
    return OpenOffers(
        verdicts=verdicts,
        open=open_,
        counts=MappingProxyType(verdicts.counts()),
        closed_count=len(table) - len(open_),
    )


def reason_counts(closed: Sequence[tuple[Logement, Sequence[Reason]]]) -> Counter[str]:
    """Count closed offers per reason code (each code once per offer)."""
    return Counter(code for _, reasons in closed for code in dict.fromkeys(r.code for r in reasons))
