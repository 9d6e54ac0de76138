"""Eligibility policy of a bailleur or réservataire: thresholds, checks and filters as data.

Thresholds are local choices, not law: the defaults come from the Eurométropole de
Strasbourg grid quoted in docs/regulation.md, « Taux d'effort et reste à vivre » and « Grille de Strasbourg » (taux d'effort 33 %, reste à vivre
10 €/day/consumption unit "en référence au seul FSL").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from types import MappingProxyType
from typing import Any

from . import enums
from . import parameters as params
from .records import Demande

# docs/regulation.md, « Taux d'effort et reste à vivre »: "a common threshold is 30–35 %"; Strasbourg's grid uses 33 %.
DEFAULT_MAX_TAUX_EFFORT = 0.33
# docs/regulation.md, « Taux d'effort et reste à vivre »: Strasbourg's grid uses 10 €/day/UC "en référence au seul FSL".
DEFAULT_MIN_RESTE_A_VIVRE = 10.0
TYPOLOGY_PARAMETER = "typologie.adequation"

TypologyTable = Mapping[str, tuple[int, int | None]]


@dataclass(frozen=True, slots=True)
class ReservataireFilter:
    """A named condition a réservataire puts on the households it designates."""

    id: str
    label: str
    message: str
    test: Callable[[Demande], bool]


def _is_salarie_cotisant(demande: Demande) -> bool:
    return demande.employer.contributes_action_logement


def _is_menage_prioritaire(demande: Demande) -> bool:
    p = demande.priority
    return p.dalo or bool(p.l441_1) or p.acd_labelled


def _is_agent_public(demande: Demande) -> bool:
    return any(e.contract == "fonctionnaire" for e in demande.employment)


# Registry of filters a policy can name (data refers to them by id).
RESERVATAIRE_FILTERS: Mapping[str, ReservataireFilter] = MappingProxyType({
    f.id: f
    for f in (
        ReservataireFilter(
            "salarie_entreprise_cotisante",
            "salarié d'une entreprise cotisant à Action Logement",
            "Ce logement est réservé par Action Logement aux salariés des entreprises qui y "
            "cotisent ; votre employeur n'est pas déclaré comme cotisant.",
            _is_salarie_cotisant,
        ),
        ReservataireFilter(
            "menage_prioritaire",
            "ménage prioritaire (DALO, CCH L.441-1 ou labellisé)",
            "Ce logement relève du contingent de l'État, réservé aux ménages prioritaires "
            "(reconnus DALO, relevant d'un critère de l'article L.441-1 du CCH, ou « ménage "
            "prioritaire labellisé » par l'accord collectif) ; votre demande n'en relève pas.",
            _is_menage_prioritaire,
        ),
        ReservataireFilter(
            "agent_public",
            "agent public de l'État",
            "Ce logement relève du contingent de l'État réservé à ses agents ; aucun membre du "
            "ménage n'est déclaré fonctionnaire.",
            _is_agent_public,
        ),
    )
})

# Defaults keyed by réservataire kind (docs/formats.md `reservataire_kind`). "agent_public" is not a
# default for etat_agents: the exchange format only knows "fonctionnaire" contracts, which would
# wrongly exclude contractual State agents.
DEFAULT_RESERVATAIRE_FILTERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "action_logement": ("salarie_entreprise_cotisante",),
    "etat": ("menage_prioritaire",),
})


def typology_table_from_value(value: Mapping[str, Any]) -> TypologyTable:
    """Turn ``{T1: {min: 1, max: 1}, …}`` (parameter or policy data) into an immutable table."""
    table: dict[str, tuple[int, int | None]] = {}
    for typology, bounds in value.items():
        if typology not in enums.TYPOLOGIES:
            raise ValueError(f"typologie inconnue dans la table d'adéquation : {typology!r}")
        if isinstance(bounds, Mapping):
            low, high = bounds.get("min", 1), bounds.get("max")
        else:
            low, high = bounds
        low = int(low)
        high = None if high is None else int(high)
        if low < 1 or (high is not None and high < low):
            raise ValueError(f"bornes invalides pour {typology} : {low}–{high}")
        table[typology] = (low, high)
    return MappingProxyType(table)


@dataclass(frozen=True)
class Policy:
    """Which checks apply and with which thresholds (one per bailleur / réservataire / territory)."""

    name: str = "défaut"
    max_taux_effort: float | None = DEFAULT_MAX_TAUX_EFFORT
    min_reste_a_vivre: float | None = DEFAULT_MIN_RESTE_A_VIVRE
    # None: the dated default table ``typologie.adequation`` of the parameters.
    typology_table: TypologyTable | None = None
    check_plafond: bool = True
    check_typology: bool = True
    check_overcrowding: bool = True
    check_accessibility: bool = True
    check_wished_communes: bool = True
    check_wished_typologies: bool = True
    check_max_rent: bool = True
    # Keys are a réservataire id (offer.reservataire) or a kind; an id entry wins over its kind.
    # Giving this field replaces the defaults (repeat them to keep them).
    reservataire_filters: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_RESERVATAIRE_FILTERS
    )
    # Réservataire id → kind, usually built from the conventions (see ``with_conventions``).
    reservataire_kinds: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for key, names in self.reservataire_filters.items():
            for name in names:
                if name not in RESERVATAIRE_FILTERS:
                    raise ValueError(
                        f"filtre réservataire inconnu {name!r} pour {key!r} "
                        f"(connus : {', '.join(RESERVATAIRE_FILTERS)})"
                    )
        if self.typology_table is not None and not isinstance(self.typology_table, MappingProxyType):
            object.__setattr__(self, "typology_table", typology_table_from_value(self.typology_table))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Policy:
        """Build a policy from configuration data (YAML/JSON); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"clés de politique inconnues : {', '.join(sorted(unknown))}")
        kwargs = dict(data)
        if "reservataire_filters" in kwargs:
            kwargs["reservataire_filters"] = MappingProxyType(
                {k: tuple(v) for k, v in kwargs["reservataire_filters"].items()}
            )
        if "reservataire_kinds" in kwargs:
            kwargs["reservataire_kinds"] = MappingProxyType(dict(kwargs["reservataire_kinds"]))
        return cls(**kwargs)

    def with_conventions(self, conventions: Any) -> Policy:
        """A copy that knows each réservataire's kind from conventions (records.Convention)."""
        kinds = dict(self.reservataire_kinds)
        for c in conventions:
            kinds.setdefault(c.reservataire, c.reservataire_kind)
        return replace(self, reservataire_kinds=MappingProxyType(kinds))

    def typologies(self, on: date, parameters: params.Parameters | None = None) -> TypologyTable:
        """The typology adequacy table in force (policy's own, else the dated default)."""
        if self.typology_table is not None:
            return self.typology_table
        value = (parameters or params.default()).get(TYPOLOGY_PARAMETER, on)
        return typology_table_from_value(value.value)

    def reservataire_kind(self, reservataire: str | None) -> str | None:
        """Kind of a réservataire id: from the conventions, else the id itself if it names a kind."""
        if reservataire is None:
            return None
        kind = self.reservataire_kinds.get(reservataire)
        if kind is not None:
            return kind
        # Ids such as "action-logement" or "etat" are read as their kind when no convention says.
        normalised = reservataire.strip().lower().replace("-", "_").replace(" ", "_")
        return normalised if normalised in enums.RESERVATAIRE_KINDS else None

    def filters_for(self, reservataire: str | None) -> tuple[ReservataireFilter, ...]:
        """The filters applying to offers oriented to a réservataire."""
        if reservataire is None:
            return ()
        if reservataire in self.reservataire_filters:
            names = self.reservataire_filters[reservataire]
        else:
            kind = self.reservataire_kind(reservataire)
            names = self.reservataire_filters.get(kind, ()) if kind else ()
        return tuple(RESERVATAIRE_FILTERS[n] for n in names)
