"""Deterministic demo territory for Orléans Métropole, as exchange-format dicts.

Pure Python (no Flask, no SQLAlchemy): ``app/demo/loader.py`` turns this output into models.
Every random draw goes through a ``random.Random`` passed in, so one seed gives one territory.
Real data (communes, INSEE codes, populations, QPV names) comes from ``data/`` and is cited in
``data/SOURCES.md``; everything else (bailleurs, parc, households, people) is invented, and the
distributions are demo assumptions, not statistics, unless a comment cites a source. Every
regulatory figure (household category, income ceilings, caps on réservations) is the engine's
(``matching``), from its dated parameters. Records follow docs/formats.md; fields beyond it
(``status``, ``address``, ``qpv_name``, ``_identity``…) are extension fields, which the
exchange format allows.

Modules: ``sources`` (data files), ``territory`` (organisations), ``patrimoine`` (programmes,
logements), ``conventions``, ``profiles``/``people``/``housing``/``incomes``/``demandes`` (who
asks, with what income, for what), ``history`` (past allocations and leases).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from matching import parameters as params

from .conventions import generate_conventions, own_share
from .demandes import generate_demandes
from .history import generate_allocation_history
from .incomes import Ceilings, ceilings, household_category
from .patrimoine import (
    FINANCING_MIX,
    PARC_WEIGHT,
    RENT_PER_M2,
    TYPOLOGY_MIX,
    generate_logements,
    generate_parc,
)
from .people import FICTION_PHONE_PREFIX, luhn_ok
from .profiles import HOMELESS
from .sources import communes, member_communes, outside_communes, qpv
from .territory import BAILLEURS, DEFAULT_ON, DEPARTEMENT, RESERVATAIRES, ZONE, epci, organisations

__all__ = [
    "BAILLEURS",
    "DEFAULT_ON",
    "DEPARTEMENT",
    "FICTION_PHONE_PREFIX",
    "FINANCING_MIX",
    "HOMELESS",
    "PARC_WEIGHT",
    "RENT_PER_M2",
    "RESERVATAIRES",
    "TYPOLOGY_MIX",
    "ZONE",
    "Ceilings",
    "Territory",
    "ceilings",
    "communes",
    "epci",
    "generate_allocation_history",
    "generate_conventions",
    "generate_demandes",
    "generate_logements",
    "generate_parc",
    "generate_territory",
    "household_category",
    "luhn_ok",
    "member_communes",
    "organisations",
    "outside_communes",
    "own_share",
    "qpv",
]


@dataclass(frozen=True)
class Territory:
    """Everything the demo loader writes: reference data, organisations, parc, demand, history."""

    seed: int
    on: date
    communes: list[dict[str, Any]]
    qpv: list[dict[str, str]]
    epci: dict[str, Any]
    organisations: list[dict[str, Any]]
    programmes: list[dict[str, Any]]
    logements: list[dict[str, Any]]
    conventions: list[dict[str, Any]]
    demandes: list[dict[str, Any]]
    allocations: list[dict[str, Any]]

    def active_demandes(self) -> list[dict[str, Any]]:
        """Demandes still waiting (not allocated)."""
        return [d for d in self.demandes if d["status"] == "active"]


def generate_territory(
    seed: int = 2026,
    demandes: int = 5000,
    logements: int = 3000,
    on: date = DEFAULT_ON,
    parameters: params.Parameters | None = None,
) -> Territory:
    """The whole demo territory for one seed; each part has its own random stream.

    ``parameters`` are the engine's dated parameters the incomes are placed against (the
    shipped ones by default); ``ParameterMissing`` when they do not cover ``on``.
    """

    def stream(name: str) -> random.Random:
        return random.Random(f"cotaflux-demo:{seed}:{name}")

    programmes, parc = generate_parc(stream("parc"), logements, on)
    conventions = generate_conventions(stream("conventions"), years=(on.year - 1, on.year))
    demand = generate_demandes(stream("demandes"), demandes, on, parameters)
    history = generate_allocation_history(stream("history"), demand, parc, on, 12, conventions)
    return Territory(
        seed=seed,
        on=on,
        communes=[dict(c) for c in communes()],
        qpv=[dict(q) for q in qpv()],
        epci=epci(),
        organisations=organisations(),
        programmes=programmes,
        logements=parc,
        conventions=conventions,
        demandes=demand,
        allocations=history,
    )
