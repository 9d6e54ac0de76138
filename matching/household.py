"""Household category, income ceiling and income retained (DOMAIN.md §3.1–3.2).

Rules of the arrêté du 29 juillet 1987 as amended (plafonds de ressources HLM):

- a household of n persons is category n (1 to 6);
- a member with a disability makes the household count as one person more;
- a person alone with k dependants is category 2 + k;
- a "jeune ménage" (couple without dependant whose summed ages are at most the
  ``menage.jeune_menage_somme_ages_max`` parameter) is category 3;
- these rules do not add up: the household takes the highest category it matches;
- beyond six persons the category stays 6 and the ceiling adds the "personne
  supplémentaire" amount for each person beyond six.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import fr
from . import parameters as params
from .facts import age_on
from .records import Demande, Member

MAX_CATEGORY = 6  # arrêté du 29 juillet 1987: categories 1 to 6, then "par personne supplémentaire"
COUPLE_ROLES = ("conjoint", "codemandeur")
JEUNE_MENAGE_PARAMETER = "menage.jeune_menage_somme_ages_max"

# Financings whose ceilings are shipped as parameters (FORMATS.md `financing`).
PLAFOND_PARAMETER_PREFIX = {
    "PLAI": "plafonds_ressources.plai",
    "PLUS": "plafonds_ressources.plus",
    "PLS": "plafonds_ressources.pls",
}

# Income of N-1 or of the last 12 months is retained when at least 10 % lower than the RFR
# of N-2 (arrêté du 29 juillet 1987, art. 3 ; CCH R.441-1, to verify): kept as exact decimals
# so that "exactly 10 % lower" qualifies.
RFR_DROP_THRESHOLD = Decimal("0.10")


class PlafondNotProvided(params.ParameterError):
    """The platform ships no income ceiling for this financing (PLI and others)."""

    def __init__(self, financing: str):
        self.financing = financing
        super().__init__(
            f"plafonds de ressources {financing} non fournis par la plateforme "
            f"(seuls {', '.join(PLAFOND_PARAMETER_PREFIX)} le sont) / "
            f"income ceilings for {financing} are not provided"
        )


@dataclass(frozen=True, slots=True)
class HouseholdCategory:
    """Category of a household for the income ceilings, with the reason in French."""

    category: int
    extra_persons: int
    persons: int
    equivalent_persons: int
    is_jeune_menage: bool
    why: str


@dataclass(frozen=True, slots=True)
class Plafond:
    """An income ceiling for a household, with the parameters it was computed from."""

    amount: int
    financing: str
    zone: str
    category: int
    extra_persons: int
    derived: bool
    reference: str
    explanation: str
    parameters: tuple[params.ParameterValue, ...]

    def to_json(self) -> dict:
        """JSON-ready summary (amount, provenance)."""
        return {
            "amount": self.amount,
            "financing": self.financing,
            "zone": self.zone,
            "category": self.category,
            "extra_persons": self.extra_persons,
            "derived": self.derived,
            "reference": self.reference,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class RfrUsed:
    """The yearly income compared with the ceiling, which source it came from and why."""

    amount: float
    source: str  # "rfr_n2", "rfr_n1" or "resources_last_12_months"
    year: int | None
    why: str


def _members(household: Demande | Sequence[Member]) -> tuple[Member, ...]:
    return household.household if isinstance(household, Demande) else tuple(household)


def _persons(n: int) -> str:
    return fr.plural(n, "personne")


def categorie_menage(
    household: Demande | Sequence[Member],
    on: date,
    parameters: params.Parameters | None = None,
) -> HouseholdCategory:
    """Category (1–6) and extra persons of a household on a date, arrêté du 29 juillet 1987."""
    members = _members(household)
    if not members:
        raise ValueError("le ménage doit compter au moins une personne")
    parameters = parameters or params.default()
    n = len(members)
    # The applicant is never somebody's dependant, whatever the flag says.
    dependants = sum(1 for m in members if m.is_dependent and m.role != "demandeur")
    adults = n - dependants
    disabled = any(m.has_disability for m in members)

    # Each applicable rule gives a number of "equivalent persons"; the highest wins.
    rules: list[tuple[int, str]] = [(n, "Personne seule" if n == 1 else f"Ménage de {_persons(n)}")]
    notes: list[str] = []
    if disabled:
        who = (
            "Personne seule en situation de handicap, comptée"
            if n == 1
            else f"Ménage de {_persons(n)} dont au moins une en situation de handicap, compté"
        )
        rules.append((n + 1, f"{who} pour {_persons(n + 1)}"))
    if adults <= 1 and dependants >= 1:
        rules.append((
            2 + dependants,
            f"Personne seule avec {_persons(dependants)} à charge (2 + {dependants})",
        ))

    is_jeune_menage = False
    roles = sorted(m.role for m in members)
    if n == 2 and dependants == 0 and roles[0] in COUPLE_ROLES and roles[1] == "demandeur":
        limit_value = parameters.get(JEUNE_MENAGE_PARAMETER, on)
        limit = int(limit_value.value)
        if any(m.birth_date is None for m in members):
            notes.append(
                "Couple sans personne à charge : dates de naissance incomplètes, "
                "la qualité de « jeune ménage » n'a pas pu être vérifiée."
            )
        else:
            total = sum(age_on(m.birth_date, on) for m in members)  # type: ignore[arg-type]
            if total <= limit:
                is_jeune_menage = True
                rules.append((
                    3,
                    f"Jeune ménage (couple sans personne à charge, somme des âges {total} ans "
                    f"≤ {limit} ans)",
                ))
            else:
                notes.append(
                    f"Couple sans personne à charge dont la somme des âges ({total} ans) dépasse "
                    f"{limit} ans : pas « jeune ménage »."
                )

    equivalent, text = max(rules, key=lambda rule: rule[0])  # first of the ties: plainest rule
    others = [t for e, t in rules if t != text and e > n]
    category = min(equivalent, MAX_CATEGORY)
    extra = max(equivalent - MAX_CATEGORY, 0)
    if extra:
        parts = [
            f"{text} : catégorie 6 et {_persons(extra)} au-delà de six, comptée"
            f"{'s' if extra > 1 else ''} en « personne supplémentaire » pour le plafond."
        ]
    else:
        parts = [f"{text} : catégorie {category}."]
    parts.extend(notes)
    if others:
        parts.append("Ces situations ne se cumulent pas : la catégorie la plus élevée est retenue.")
    parts.append("(Arrêté du 29 juillet 1987 modifié.)")
    return HouseholdCategory(
        category=category,
        extra_persons=extra,
        persons=n,
        equivalent_persons=equivalent,
        is_jeune_menage=is_jeune_menage,
        why=" ".join(parts),
    )


def plafond_parameter_names(financing: str, zone: str, category: int) -> tuple[str, str]:
    """Names of the category ceiling and of the per-extra-person amount for a financing/zone."""
    try:
        prefix = PLAFOND_PARAMETER_PREFIX[financing]
    except KeyError:
        raise PlafondNotProvided(financing) from None
    return f"{prefix}.{zone}.categorie_{category}", f"{prefix}.{zone}.personne_supplementaire"


ZONE_LABELS = {
    "paris_limitrophes": "Paris et communes limitrophes",
    "ile_de_france": "Île-de-France hors Paris et communes limitrophes",
    "autres_regions": "autres régions",
}


def plafond(
    financing: str,
    zone: str,
    household: HouseholdCategory | Demande,
    on: date,
    parameters: params.Parameters | None = None,
) -> Plafond:
    """Income ceiling (€/year) of a household for a financing and zone on a date."""
    parameters = parameters or params.default()
    if isinstance(household, Demande):
        household = categorie_menage(household, on, parameters)
    base_name, extra_name = plafond_parameter_names(financing, zone, household.category)
    base = parameters.get(base_name, on)
    used = [base]
    amount = int(base.value)
    explanation = (
        f"Plafond {financing} {on.year}, {ZONE_LABELS.get(zone, zone)}, catégorie "
        f"{household.category} : {fr.eur(amount)}"
    )
    if household.extra_persons:
        extra = parameters.get(extra_name, on)
        used.append(extra)
        amount += household.extra_persons * int(extra.value)
        explanation += (
            f" + {household.extra_persons} × {fr.eur(int(extra.value))} par personne "
            f"supplémentaire = {fr.eur(amount)}"
        )
    derived = any(p.derived for p in used)
    explanation += " (valeur dérivée, non sourcée)." if derived else "."
    return Plafond(
        amount=amount,
        financing=financing,
        zone=zone,
        category=household.category,
        extra_persons=household.extra_persons,
        derived=derived,
        reference=base.reference,
        explanation=explanation,
        parameters=tuple(used),
    )


def _is_drop(lower: float, reference: float) -> bool:
    # Exact decimal comparison, so that exactly 10 % lower qualifies: lower ≤ 90 % of reference.
    if reference <= 0:
        return False
    return Decimal(str(lower)) <= Decimal(str(reference)) * (1 - RFR_DROP_THRESHOLD)


def _drop_pct(lower: float, reference: float) -> str:
    if reference <= 0:
        return ""
    return f" (−{fr.pct(1 - lower / reference)})"


def revenu_retenu(demande: Demande, on: date) -> RfrUsed:
    """Income compared with the ceiling: RFR N-2, or N-1 / last 12 months if ≥ 10 % lower."""
    year = on.year
    n2 = demande.rfr_n2
    default_why = f"Revenu fiscal de référence {year - 2} (N-2) : {fr.eur(n2)}."
    candidates: list[tuple[float, int, str, int | None, str]] = []
    if demande.rfr_n1 is not None and _is_drop(demande.rfr_n1, n2):
        candidates.append((
            demande.rfr_n1, 0, "rfr_n1", year - 1,
            f"Revenus {year - 1} (N-1) de {fr.eur(demande.rfr_n1)} inférieurs d'au moins 10 % "
            f"au revenu fiscal de référence {year - 2} ({fr.eur(n2)}){_drop_pct(demande.rfr_n1, n2)} : "
            f"ils sont retenus.",
        ))
    last12 = demande.resources_last_12_months
    if last12 is not None and _is_drop(last12, n2):
        candidates.append((
            last12, 1, "resources_last_12_months", None,
            f"Ressources des 12 derniers mois de {fr.eur(last12)} inférieures d'au moins 10 % au "
            f"revenu fiscal de référence {year - 2} ({fr.eur(n2)}){_drop_pct(last12, n2)} : "
            f"elles sont retenues.",
        ))
    if not candidates:
        why = default_why
        if demande.rfr_n1 is not None or last12 is not None:
            why += " Les revenus plus récents déclarés ne sont pas inférieurs d'au moins 10 %."
        return RfrUsed(amount=n2, source="rfr_n2", year=year - 2, why=why)
    amount, _, source, income_year, why = min(candidates)
    return RfrUsed(amount=amount, source=source, year=income_year, why=why)
