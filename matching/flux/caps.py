"""Gestion en flux: legal caps on the shares of conventions de réservation.

Caps, CCH R.441-5 as amended by décret n° 2020-145 du 20 février 2020: the State holds at most
30 % of a bailleur's annual flux in total, of which at most 5 % for State employees;
collectivités hold at most 20 % in return for loan guarantees. The figures are dated
parameters (``matching/parameters/flux.yaml``), looked up on 1 January of the convention's year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .. import parameters
from ..records import Convention

COLLECTIVITE_KINDS = ("commune", "epci", "departement", "region")
STATE_KINDS = ("etat", "etat_agents")
TOTAL_CAP = 100.0  # arithmetic, not a legal parameter: shares cannot exceed the whole flux

PARAMETER_ETAT = "flux.plafond_etat"
PARAMETER_ETAT_AGENTS = "flux.plafond_etat_agents"
PARAMETER_GARANTIE_EMPRUNT = "flux.plafond_garantie_emprunt"


class CapsUnavailable(parameters.ParameterMissing):
    """No legal cap applies on 1 January of a convention's year (add the value to the parameters)."""

    def __init__(self, missing: parameters.ParameterMissing, year: int):
        self.year = year
        self.parameter = missing.name
        LookupError.__init__(
            self,
            f"aucun plafond légal de la gestion en flux pour l'année {year} "
            f"(paramètre « {missing.name} » sans valeur au {missing.on.isoformat()}) / "
            f"no flux cap for year {year}",
        )
        self.name = missing.name
        self.on = missing.on


@dataclass(frozen=True, slots=True)
class Caps:
    """The caps in force for one year, with their provenance."""

    year: int
    etat: float
    etat_agents: float
    garantie_emprunt: float
    references: tuple[parameters.ParameterValue, ...]


def caps_for_year(year: int) -> Caps:
    """Caps in force on 1 January of ``year``; CapsUnavailable when the parameters have none."""
    on = date(year, 1, 1)
    try:
        values = tuple(
            parameters.get(name, on)
            for name in (PARAMETER_ETAT, PARAMETER_ETAT_AGENTS, PARAMETER_GARANTIE_EMPRUNT)
        )
    except parameters.ParameterMissing as exc:
        raise CapsUnavailable(exc, year) from None
    etat, agents, garantie = (float(v.value) for v in values)
    return Caps(year, etat, agents, garantie, values)


@dataclass(frozen=True, slots=True)
class CapViolation:
    code: str
    bailleur: str
    departement: str
    year: int
    total: float
    cap: float
    message: str

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "bailleur": self.bailleur, "departement": self.departement,
                "year": self.year, "total": self.total, "cap": self.cap, "message": self.message}


def _pct(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def check_caps(conventions: Iterable[Convention]) -> list[CapViolation]:
    """Every legal cap exceeded, per bailleur × département × year; empty when all hold.

    Raises CapsUnavailable when a convention's year has no cap in the parameters.
    """
    groups: dict[tuple[str, str, int], list[Convention]] = defaultdict(list)
    for c in conventions:
        groups[(c.bailleur, c.departement, c.year)].append(c)
    out: list[CapViolation] = []
    for (bailleur, dep, year), items in sorted(groups.items()):
        caps = caps_for_year(year)
        etat = sum(c.share_percent for c in items if c.reservataire_kind in STATE_KINDS)
        agents = sum(c.share_percent for c in items if c.reservataire_kind == "etat_agents")
        garantie = sum(
            c.share_percent for c in items
            if c.reservataire_kind in COLLECTIVITE_KINDS and c.origin == "garantie_emprunt"
        )
        total = sum(c.share_percent for c in items)
        checks = (
            ("plafond_etat", etat, caps.etat,
             f"les réservations de l'État dépassent {_pct(caps.etat)} % du flux annuel"),
            ("plafond_etat_agents", agents, caps.etat_agents,
             f"les réservations pour les agents de l'État dépassent {_pct(caps.etat_agents)} % "
             "du flux annuel"),
            ("plafond_garantie_emprunt", garantie, caps.garantie_emprunt,
             "les réservations des collectivités en contrepartie de garanties d'emprunt "
             f"dépassent {_pct(caps.garantie_emprunt)} %"),
            ("total_superieur_100", total, TOTAL_CAP, "la somme des parts dépasse 100 % du flux"),
        )
        for code, value, cap, message in checks:
            if value > cap + 1e-9:
                out.append(CapViolation(code, bailleur, dep, year, round(value, 2), cap,
                                        f"{bailleur} ({dep}, {year}) : {message} "
                                        f"({_pct(round(value, 2))} %)"))
    return out
