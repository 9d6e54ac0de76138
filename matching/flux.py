"""Gestion en flux: legal caps on the shares of conventions de réservation.

Caps, CCH R.441-5 as amended by décret n° 2020-145 du 20 février 2020 (DOMAIN.md §5):
the State holds at most 30 % of a bailleur's annual flux in total, of which at most 5 % for
State employees; collectivités hold at most 20 % in return for loan guarantees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .records import Convention

CAP_ETAT_TOTAL = 30.0  # CCH R.441-5: réservations of the préfet, in total
CAP_ETAT_AGENTS = 5.0  # CCH R.441-5: of which for State employees
CAP_GARANTIE_EMPRUNT = 20.0  # CCH R.441-5: collectivités, in return for loan guarantees
COLLECTIVITE_KINDS = ("commune", "epci", "departement", "region")


@dataclass(frozen=True, slots=True)
class CapViolation:
    code: str
    bailleur: str
    departement: str
    year: int
    total: float
    cap: float
    message: str


def check_caps(conventions: Iterable[Convention]) -> list[CapViolation]:
    """Every legal cap exceeded, per bailleur × département × year; empty when all hold."""
    groups: dict[tuple[str, str, int], list[Convention]] = defaultdict(list)
    for c in conventions:
        groups[(c.bailleur, c.departement, c.year)].append(c)
    out: list[CapViolation] = []
    for (bailleur, dep, year), items in sorted(groups.items()):
        etat = sum(c.share_percent for c in items if c.reservataire_kind in ("etat", "etat_agents"))
        agents = sum(c.share_percent for c in items if c.reservataire_kind == "etat_agents")
        garantie = sum(
            c.share_percent for c in items
            if c.reservataire_kind in COLLECTIVITE_KINDS and c.origin == "garantie_emprunt"
        )
        total = sum(c.share_percent for c in items)
        checks = (
            ("plafond_etat", etat, CAP_ETAT_TOTAL,
             "les réservations de l'État dépassent 30 % du flux annuel"),
            ("plafond_etat_agents", agents, CAP_ETAT_AGENTS,
             "les réservations pour les agents de l'État dépassent 5 % du flux annuel"),
            ("plafond_garantie_emprunt", garantie, CAP_GARANTIE_EMPRUNT,
             "les réservations des collectivités en contrepartie de garanties d'emprunt dépassent 20 %"),
            ("total_superieur_100", total, 100.0, "la somme des parts dépasse 100 % du flux"),
        )
        for code, value, cap, message in checks:
            if value > cap + 1e-9:
                out.append(CapViolation(code, bailleur, dep, year, round(value, 2), cap,
                                        f"{bailleur} ({dep}, {year}) : {message} ({value:g} %)"))
    return out
