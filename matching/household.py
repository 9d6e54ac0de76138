"""Household category, income ceiling and income retained (docs/parameters.md).

Rules of the arrêté du 29 juillet 1987 as amended (plafonds de ressources HLM):

- a household of n persons is category n (1 to 6);
- a member with a disability makes the household count as one person more;
- a person alone with k dependants is category 2 + k;
- a "jeune ménage" (couple without dependant whose summed ages are at most the
  ``menage.jeune_menage_somme_ages_max`` parameter) is category 3;
- these rules do not add up: the household takes the highest category it matches;
- beyond six persons the category stays 6 and the ceiling adds the "personne
  supplémentaire" amount for each person beyond six.

PLI (logement intermédiaire) ceilings use their own lines, by zone A bis / A / B1 / B2 et C:
personne seule, couple, personne seule ou couple avec 1 à 4 personnes à charge, then an amount
per dependant from the fifth (``composition_pli``, ``plafond_pli``).

Public lookups (used by the eligibility engine and the demo generator):
``plafond(financing, zone, household, on)`` for every financing (``zone`` is the HLM zone for
PLAI/PLUS/PLS and the A/B/C zone for PLI), ``plafond_pli(zone_abc, household, on)``,
``plafond_parameter_names(financing, zone, category)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import fr
from . import parameters as params
from .facts import age_on
from .records import ZONES_ABC, Demande, Member

MAX_CATEGORY = 6  # arrêté du 29 juillet 1987: categories 1 to 6, then "par personne supplémentaire"
COUPLE_ROLES = ("conjoint", "codemandeur")
JEUNE_MENAGE_PARAMETER = "menage.jeune_menage_somme_ages_max"

# Financings whose ceilings follow the HLM categories (arrêté du 29 juillet 1987).
PLAFOND_PARAMETER_PREFIX = {
    "PLAI": "plafonds_ressources.plai",
    "PLUS": "plafonds_ressources.plus",
    "PLS": "plafonds_ressources.pls",
}
PLI_PARAMETER_PREFIX = "plafonds_ressources.pli"
# Zone A/B/C of a logement → column of the PLI table (B2 and C share one column).
PLI_ZONE_NODE = {"A_bis": "zone_a_bis", "A": "zone_a", "B1": "zone_b1", "B2": "zone_b2_c",
                 "C": "zone_b2_c"}
PLI_LINES = (
    "personne_seule", "couple", "une_personne_a_charge", "deux_personnes_a_charge",
    "trois_personnes_a_charge", "quatre_personnes_a_charge",
)
PLI_EXTRA_LINE = "par_personne_a_charge_supplementaire"
PLI_LINE_LABELS = {
    "personne_seule": "personne seule",
    "couple": "couple",
    "une_personne_a_charge": "personne seule ou couple ayant une personne à charge",
    "deux_personnes_a_charge": "personne seule ou couple ayant deux personnes à charge",
    "trois_personnes_a_charge": "personne seule ou couple ayant trois personnes à charge",
    "quatre_personnes_a_charge": "personne seule ou couple ayant quatre personnes à charge",
}
FINANCINGS_WITH_CEILINGS = (*PLAFOND_PARAMETER_PREFIX, "PLI")
ESTIMATE_WARNING = "plafond estimé, à confirmer"

# Income of N-1 or of the last 12 months is retained when at least 10 % lower than the RFR
# of N-2 (arrêté du 29 juillet 1987, art. 3 ; CCH R.441-1, to verify): kept as exact decimals
# so that "exactly 10 % lower" qualifies.
RFR_DROP_THRESHOLD = Decimal("0.10")


class PlafondNotProvided(params.ParameterError):
    """The platform ships no income ceiling for this financing (or, for PLI, no A/B/C zone)."""

    def __init__(self, financing: str):
        self.financing = financing
        super().__init__(
            f"plafonds de ressources {financing} non fournis par la plateforme "
            f"(seuls {', '.join(FINANCINGS_WITH_CEILINGS)} le sont) / "
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


class ZoneAbcMissing(PlafondNotProvided):
    """A PLI offer without its zone A bis / A / B1 / B2 / C: its ceiling cannot be chosen."""

    def __init__(self, financing: str = "PLI"):
        self.financing = financing
        params.ParameterError.__init__(
            self,
            f"zone A bis / A / B1 / B2 / C du logement non renseignée : plafond {financing} "
            f"indéterminé / {financing} offer without zone_abc",
        )


@dataclass(frozen=True, slots=True)
class Plafond:
    """An income ceiling for a household, with the parameters it was computed from.

    ``category`` is the HLM category (1–6) for PLAI/PLUS/PLS and the PLI line number (1–6)
    for PLI; ``line`` names the PLI line (None otherwise).
    """

    amount: int
    financing: str
    zone: str
    category: int
    extra_persons: int
    derived: bool
    reference: str
    explanation: str
    parameters: tuple[params.ParameterValue, ...]
    line: str | None = None

    @property
    def estimate(self) -> bool:
        """True when a parameter behind the amount is derived or still to verify."""
        return any(p.is_estimate for p in self.parameters)

    @property
    def estimate_reason(self) -> str | None:
        """Why the amount is an estimate (French), or None when it is sourced."""
        if not self.estimate:
            return None
        why = []
        for p in self.parameters:
            if p.derived:
                why.append(f"{p.name} {p.start.year} dérivé : {p.derivation}")
            elif p.to_verify:
                why.append(f"{p.name} {p.start.year} à confirmer"
                           + (f" : {p.note}" if p.note else ""))
        return f"{ESTIMATE_WARNING} ({' ; '.join(why)})"

    def to_json(self) -> dict:
        """JSON-ready summary (amount, provenance)."""
        return {
            "amount": self.amount,
            "financing": self.financing,
            "zone": self.zone,
            "category": self.category,
            "line": self.line,
            "extra_persons": self.extra_persons,
            "derived": self.derived,
            "estimate": self.estimate,
            "estimate_reason": self.estimate_reason,
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
    zone: str | None,
    household: HouseholdCategory | Demande | PliComposition,
    on: date,
    parameters: params.Parameters | None = None,
) -> Plafond:
    """Income ceiling (€/year) of a household for a financing and zone on a date.

    PLAI/PLUS/PLS: ``zone`` is ``paris_limitrophes``, ``ile_de_france`` or ``autres_regions``
    and ``household`` a Demande or its HouseholdCategory. PLI: ``zone`` is the A/B/C zone
    (``A_bis``, ``A``, ``B1``, ``B2``, ``C``) and ``household`` a Demande or its
    PliComposition (a HouseholdCategory lacks the couple/dependant split PLI needs).
    Raises ParameterMissing for a date without value, PlafondNotProvided otherwise.
    """
    parameters = parameters or params.default()
    if financing == "PLI":
        if isinstance(household, HouseholdCategory):
            raise TypeError("plafond PLI : passer la demande ou sa composition_pli(), "
                            "pas une catégorie HLM")
        return plafond_pli(zone, household, on, parameters)
    if isinstance(household, PliComposition):
        raise TypeError(f"plafond {financing} : passer la demande ou sa categorie_menage()")
    if zone is None:
        raise PlafondNotProvided(financing)
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
    explanation += _estimate_suffix(used)
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


def _estimate_suffix(used: Sequence[params.ParameterValue]) -> str:
    if any(p.derived for p in used):
        return f" (valeur dérivée, non sourcée : {ESTIMATE_WARNING})."
    if any(p.to_verify for p in used):
        return f" (valeur publiée non recoupée : {ESTIMATE_WARNING})."
    return "."


@dataclass(frozen=True, slots=True)
class PliComposition:
    """A household in the lines of the PLI / logement intermédiaire table."""

    line: str  # one of PLI_LINES
    line_number: int  # 1 … 6
    dependants: int  # personnes à charge counted by the table
    extra_dependants: int  # dependants beyond the fourth (majoration)
    why: str


def composition_pli(household: Demande | Sequence[Member]) -> PliComposition:
    """Line of the PLI table: personne seule, couple, then 1–4 personnes à charge and more.

    Dependants are the members flagged ``is_dependent`` (never the applicant). A second adult
    who is not a dependant makes a couple; further non-dependent adults are counted as
    personnes à charge (the table has no line for them; see docs/parameters.md).
    """
    members = _members(household)
    if not members:
        raise ValueError("le ménage doit compter au moins une personne")
    dependants = sum(1 for m in members if m.is_dependent and m.role != "demandeur")
    adults = len(members) - dependants
    counted = dependants + max(adults - 2, 0)
    notes = ""
    if adults > 2:
        notes = (f" Les {fr.plural(adults - 2, 'adulte')} au-delà du couple sont comptés comme "
                 f"personnes à charge.")
    if counted == 0:
        line = "personne_seule" if adults == 1 else "couple"
    else:
        line = PLI_LINES[1 + min(counted, 4)]
    extra = max(counted - 4, 0)
    number = PLI_LINES.index(line) + 1
    text = f"Ligne « {PLI_LINE_LABELS[line]} » du barème du logement intermédiaire"
    if extra:
        text += f", plus {fr.plural(extra, 'personne')} à charge au-delà de la quatrième"
    return PliComposition(line, number, counted, extra, text + "." + notes)


def plafond_pli(
    zone_abc: str | None,
    household: Demande | Sequence[Member] | PliComposition,
    on: date,
    parameters: params.Parameters | None = None,
) -> Plafond:
    """PLI ceiling (€/year) for a zone A bis / A / B1 / B2 / C and a household on a date."""
    parameters = parameters or params.default()
    if zone_abc is None:
        raise ZoneAbcMissing()
    try:
        node = PLI_ZONE_NODE[zone_abc]
    except KeyError:
        raise ValueError(f"zone A/B/C inconnue : {zone_abc!r} (attendu : {', '.join(ZONES_ABC)})"
                         ) from None
    comp = household if isinstance(household, PliComposition) else composition_pli(household)
    base = parameters.get(f"{PLI_PARAMETER_PREFIX}.{node}.{comp.line}", on)
    used = [base]
    amount = int(base.value)
    label = zone_abc.replace("_", " ")
    explanation = (f"Plafond PLI {on.year}, zone {label}, {PLI_LINE_LABELS[comp.line]} : "
                   f"{fr.eur(amount)}")
    if comp.extra_dependants:
        extra = parameters.get(f"{PLI_PARAMETER_PREFIX}.{node}.{PLI_EXTRA_LINE}", on)
        used.append(extra)
        amount += comp.extra_dependants * int(extra.value)
        explanation += (f" + {comp.extra_dependants} × {fr.eur(int(extra.value))} par personne à "
                        f"charge à partir de la cinquième = {fr.eur(amount)}")
    explanation += _estimate_suffix(used)
    return Plafond(
        amount=amount,
        financing="PLI",
        zone=zone_abc,
        category=comp.line_number,
        extra_persons=comp.extra_dependants,
        derived=any(p.derived for p in used),
        reference=base.reference,
        explanation=explanation,
        parameters=tuple(used),
        line=comp.line,
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
