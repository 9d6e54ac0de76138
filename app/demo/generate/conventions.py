"""Conventions de réservation of the demo: bailleur × réservataire shares per year.

Shares are demo assumptions; the legal caps on them are the engine's dated parameters
(``matching.flux``; docs/regulation.md, « Plafonds des réservations »), looked up for each year.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from matching import flux

from .draws import code
from .territory import BAILLEURS, DEPARTEMENT, RESERVATAIRES


def generate_conventions(
    rng: random.Random,
    bailleurs: Iterable[Mapping[str, Any]] = BAILLEURS,
    years: Sequence[int] = (2025, 2026),
) -> list[dict[str, Any]]:
    """Conventions bailleur × réservataire per year, within the legal caps."""
    out = []
    for b in bailleurs:
        base = {
            "etat": rng.uniform(22.0, 25.0),
            "etat_agents": rng.uniform(2.0, 5.0),
            "action_logement": rng.uniform(10.0, 25.0),
            "commune": rng.uniform(5.0, 10.0),
            "epci": rng.uniform(4.0, 9.0),
        }
        counts_on = {
            "etat": rng.choice(("attribution", "bail_signe")),
            "etat_agents": "attribution",
            "action_logement": rng.choice(("mise_a_disposition", "bail_signe")),
            "commune": rng.choice(("mise_a_disposition", "attribution")),
            "epci": "attribution",
        }
        for year in years:
            caps = flux.caps_for_year(year)
            drift = 0.0 if year == max(years) else -1.0  # shares grew a little with the flux switch
            # Round first, then cap, so that the published (rounded) shares respect the caps.
            shares = {k: round(max(0.5, v + drift * rng.random()), 1) for k, v in base.items()}
            shares["etat_agents"] = min(shares["etat_agents"], caps.etat_agents)
            shares["etat"] = min(shares["etat"], round(caps.etat - shares["etat_agents"], 1))
            shares["epci"] = min(
                shares["epci"], round(caps.garantie_emprunt - shares["commune"], 1)
            )
            for r in RESERVATAIRES:
                kind = r["reservataire_kind"]
                is_collectivite = kind in flux.COLLECTIVITE_KINDS
                out.append(
                    {
                        "id": f"CONV-{DEPARTEMENT}-{code(b['slug'])}-{code(r['slug'])}-{year}",
                        "bailleur": b["slug"],
                        "reservataire": r["slug"],
                        "reservataire_kind": kind,
                        "reservataire_name": r["name"],
                        "departement": DEPARTEMENT,
                        "year": year,
                        "share_percent": shares[kind],
                        "origin": "garantie_emprunt" if is_collectivite else "financement",
                        "designation_delay_days": 30,
                        "counts_on": counts_on[kind],
                        "counts_after_takeback": rng.random() < 0.5,
                        "scope": {
                            "communes": [r["commune"]] if "commune" in r else [],
                            "typologies": [],
                            "qpv": None,
                        },
                    }
                )
    return out


def _field(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def own_share(conventions: Iterable[Any], bailleur: str, year: int) -> float:
    """The bailleur's own share of its flux: what the conventions leave."""
    reserved = sum(
        float(_field(c, "share_percent"))
        for c in conventions
        if _field(c, "bailleur") == bailleur and int(_field(c, "year")) == year
    )
    return round(100.0 - reserved, 1)
