"""The demo territory's organisations: the EPCI, three fictional bailleurs, the réservataires."""

from __future__ import annotations

from datetime import date
from typing import Any

from .sources import member_communes

DEFAULT_ON = date(2026, 11, 28)  # the day the demo territory is a snapshot of
DEPARTEMENT = "45"
EPCI_SIREN = "244500468"  # Orléans Métropole, see data/SOURCES.md

BAILLEURS = (  # fictional names, chosen not to impersonate real Loiret landlords
    {
        "slug": "toits-de-la-bionne",
        "name": "Toits de la Bionne",
        "legal_form": "OPH",
        "parc_share": 0.45,
    },
    {
        "slug": "habitat-val-des-mauves",
        "name": "Habitat Val des Mauves",
        "legal_form": "ESH",
        "parc_share": 0.35,
    },
    {
        "slug": "loire-canal-logement",
        "name": "Loire et Canal Logement",
        "legal_form": "SEM",
        "parc_share": 0.20,
    },
)

RESERVATAIRES = (
    {
        "slug": "etat-loiret",
        "name": "État – Préfecture du Loiret (contingent préfectoral)",
        "reservataire_kind": "etat",
    },
    {
        "slug": "etat-agents-loiret",
        "name": "État – agents civils et militaires (Loiret)",
        "reservataire_kind": "etat_agents",
    },
    {
        "slug": "action-logement",
        "name": "Action Logement Services",
        "reservataire_kind": "action_logement",
    },
    {
        "slug": "commune-orleans",
        "name": "Commune d'Orléans",
        "reservataire_kind": "commune",
        "commune": "45234",
    },
    {
        "slug": "orleans-metropole-contingent",
        "name": "Orléans Métropole (contingent)",
        "reservataire_kind": "epci",
        "siren": EPCI_SIREN,
    },
)


def epci() -> dict[str, Any]:
    """The EPCI of the demo territory with its member communes."""
    return {
        "slug": "orleans-metropole",
        "kind": "epci",
        "name": "Orléans Métropole",
        "siren": EPCI_SIREN,
        "departement": DEPARTEMENT,
        "communes": [c["insee"] for c in member_communes()],
    }


def organisations() -> list[dict[str, Any]]:
    """Bailleurs, réservataires and the EPCI (kinds as in app.models.organisations)."""
    out: list[dict[str, Any]] = []
    for b in BAILLEURS:
        out.append(
            {
                **b,
                "kind": "bailleur",
                "reservataire_kind": None,
                "departement": DEPARTEMENT,
                "fictional": True,
            }
        )
    for r in RESERVATAIRES:
        out.append({**r, "kind": "reservataire", "departement": DEPARTEMENT, "fictional": False})
    out.append({**epci(), "reservataire_kind": None, "fictional": False})
    return out


def zone_of_the_epci() -> str:
    """The zone of the income ceilings of the EPCI's communes (``zone`` in data/communes.csv).

    One zone for the whole demo territory (Centre-Val de Loire is « autres régions »;
    docs/regulation.md, « Zones »): incomes are placed against that zone's ceilings.
    """
    zones = {c["zone"] for c in member_communes()}
    if len(zones) != 1:
        raise ValueError(f"the demo EPCI's communes span several zones: {sorted(zones)}")
    return zones.pop()


ZONE = zone_of_the_epci()
