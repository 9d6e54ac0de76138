"""Where demo households live now and why they ask: current housing and reasons.

Rooms, surfaces, rents and how reasons follow the situation are demo assumptions.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .profiles import HOMELESS, ORDINARY, TEMPORARY

if TYPE_CHECKING:
    from .profiles import DemandContext


def current_housing(
    rng: random.Random, ctx: DemandContext, kind: str, size: int, age: int
) -> dict[str, Any]:
    """The household's current housing of a given kind (docs/formats.md, « demande »)."""
    if rng.random() < 0.12:
        commune = ctx.outside_by_pop(rng)
    else:
        commune = ctx.parc_commune(rng) if kind == "locataire_hlm" else ctx.member_by_pop(rng)
    housing: dict[str, Any] = {
        "kind": kind,
        "commune": commune,
        "rooms": None,
        "surface": None,
        "rent": None,
        "charges": None,
    }
    if kind in ORDINARY:
        rooms = max(1, size - 1) + rng.choice((-1, 0, 0, 0, 1, 1, 2))
        if age >= 60 and size <= 2:
            rooms += rng.choice((0, 1, 2))
        rooms = min(max(rooms, 1), 7)
        surface = round(rooms * rng.uniform(16, 23) + 10)
        rent: float | None
        if kind == "locataire_hlm":
            rent = surface * 6.2 * rng.uniform(0.85, 1.15)
        elif kind in ("locataire_prive", "sous_locataire"):
            rent = surface * rng.uniform(9.5, 13.5)
        elif kind == "logement_fonction":
            rent = 0.0
        else:
            rent = None
        housing.update(
            rooms=rooms,
            surface=surface,
            rent=None if rent is None else round(rent, 2),
            charges=round(surface * rng.uniform(1.2, 2.5), 2),
        )
    elif kind in ("residence_sociale", "foyer", "pension_de_famille", "rhvs"):
        housing.update(
            rooms=1,
            surface=round(rng.uniform(14, 28)),
            rent=round(rng.uniform(330, 480), 2),
            charges=0.0,
        )
    elif kind == "hotel":
        housing.update(rent=round(rng.uniform(450, 900), 2))
    elif kind == "structure_hebergement":
        housing.update(rent=round(rng.uniform(0, 150), 2))
    return housing


def reasons_for_asking(
    rng: random.Random,
    ctx: DemandContext,
    kind: str,
    housing: Mapping[str, Any],
    size: int,
    working: bool,
    disabled: bool,
) -> list[str]:
    """Reasons for asking, consistent with the current housing and the household size."""
    if kind in HOMELESS:
        reasons = ["sans_logement"]
    elif kind == "heberge_tiers":
        reasons = ["heberge"]
    elif kind == "chez_parents_enfants":
        reasons = ["decohabitation" if rng.random() < 0.75 else "heberge"]
    elif kind in TEMPORARY:
        reasons = ["logement_temporaire"]
    elif kind == "sous_locataire":
        reasons = [rng.choice(("logement_trop_cher", "heberge", "logement_trop_petit"))]
    elif kind == "locataire_prive":
        reasons = [ctx.reasons_prive(rng)]
    elif kind == "locataire_hlm":
        reasons = [ctx.reasons_hlm(rng)]
    elif kind == "proprietaire":
        reasons = [
            rng.choice(("divorce_separation", "logement_trop_cher", "raisons_sante", "handicap"))
        ]
    elif kind == "logement_fonction":
        reasons = [rng.choice(("mobilite_professionnelle", "autre"))]
    else:
        reasons = ["autre"]
    rooms = housing["rooms"]
    if rooms is not None:
        if "logement_trop_petit" in reasons and rooms >= size:
            reasons = ["logement_trop_cher"]
        if "logement_trop_grand" in reasons and rooms <= size + 1:
            reasons = ["raisons_sante"]
        if rooms < size - 1 and "logement_trop_petit" not in reasons and rng.random() < 0.5:
            reasons.append("logement_trop_petit")
        if rooms > size + 1 and "logement_trop_grand" not in reasons and rng.random() < 0.4:
            reasons.append("logement_trop_grand")
    if rng.random() < 0.015:
        reasons.append("violences_familiales")
    if working and rng.random() < 0.03:
        reasons.append("mobilite_professionnelle")
    if disabled and "handicap" not in reasons and rng.random() < 0.4:
        reasons.append("handicap")
    return list(dict.fromkeys(reasons))
