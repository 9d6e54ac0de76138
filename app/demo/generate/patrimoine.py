"""The demo parc: programmes and logements of the three bailleurs.

Mixes, surfaces, rents per m² and the spread over communes are demo assumptions, not
statistics. Records follow docs/formats.md, « logement et offre », plus extension fields;
each logement is in its commune's zone (data/communes.csv).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from .draws import Weighted, code, days
from .sources import member_communes, programme_names, qpv, streets, zones
from .territory import BAILLEURS, DEFAULT_ON

TYPOLOGY_MIX = {"T1": 0.08, "T2": 0.22, "T3": 0.36, "T4": 0.24, "T5": 0.08, "T6": 0.02}
SURFACE_RANGE = {
    "T1": (22, 33),
    "T2": (41, 53),
    "T3": (58, 71),
    "T4": (71, 86),
    "T5": (85, 102),
    "T6": (100, 125),
}
FINANCING_MIX = {"PLAI": 0.15, "PLUS": 0.70, "PLS": 0.12, "PLI": 0.03}
# Monthly rent per m² of surface, Loiret order of magnitude (demo assumption, not sourced).
RENT_PER_M2 = {"PLAI": 5.5, "PLUS": 6.3, "PLS": 8.5, "PLI": 10.0}
# Share of the EPCI's social parc per commune (demo assumption: concentrated in the urban core).
PARC_WEIGHT = {
    "45234": 38.0,
    "45147": 11.0,
    "45285": 10.0,
    "45284": 8.0,
    "45302": 6.0,
    "45232": 5.0,
    "45075": 3.0,
    "45169": 2.5,
    "45286": 2.5,
    "45089": 2.0,
    "45274": 1.5,
    "45298": 1.5,
    "45235": 1.0,
    "45308": 1.0,
    "45272": 0.8,
    "45282": 0.8,
    "45194": 0.6,
    "45034": 0.5,
    "45197": 0.4,
    "45072": 0.4,
    "45043": 0.2,
    "45100": 0.1,
}
# Share of the parc in QPV, and how QPV units spread over the QPV communes (demo assumptions).
QPV_TARGET = 0.30
QPV_SHARE = {"45234": 0.40, "45147": 0.45, "45285": 0.55, "45284": 0.30}


def generate_parc(
    rng: random.Random, n: int = 3000, on: date = DEFAULT_ON, vacancy_rate: float = 0.02
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Programmes and their logements (n in total) for the three bailleurs."""
    qpv_commune_pick = Weighted({c: PARC_WEIGHT[c] * s for c, s in QPV_SHARE.items()})
    other_commune_pick = Weighted(
        {c: w * (1 - QPV_SHARE.get(c, 0.0)) for c, w in PARC_WEIGHT.items()}
    )
    typology_pick = Weighted(TYPOLOGY_MIX)
    financing_pick = Weighted(FINANCING_MIX)
    small = {c["insee"] for c in member_communes() if c["population"] < 5000}
    qpv_by_commune: dict[str, list[str]] = defaultdict(list)
    for q in qpv():
        qpv_by_commune[q["commune"]].append(q["name"])
    names = programme_names()
    counts = [round(n * b["parc_share"]) for b in BAILLEURS]
    counts[0] += n - sum(counts)
    seq_by_commune: Counter[str] = Counter()
    programmes: list[dict[str, Any]] = []
    logements: list[dict[str, Any]] = []
    for b, target in zip(BAILLEURS, counts, strict=True):
        made = 0
        qpv_target = round(target * QPV_TARGET)  # QPV programmes first, then the rest
        used_names: Counter[str] = Counter()
        while made < target:
            in_qpv = made < qpv_target
            commune = (qpv_commune_pick if in_qpv else other_commune_pick)(rng)
            individual = commune in small and rng.random() < 0.6
            if in_qpv:
                size, year, levels = (
                    rng.randint(30, 120),
                    rng.randint(1958, 1980),
                    rng.randint(4, 12),
                )
            elif individual:
                size, year, levels = rng.randint(6, 24), rng.randint(1980, 2024), 1
            else:
                size, levels = rng.randint(8, 50), rng.randint(2, 7)
                year = rng.choice(
                    (rng.randint(1960, 1985), rng.randint(1986, 2005), rng.randint(2006, 2025))
                )
            size = min(size, (qpv_target if in_qpv else target) - made)
            base = rng.choice(names)
            used_names[base] += 1
            name = base if used_names[base] == 1 else f"{base} {_roman(used_names[base])}"
            lift = levels >= 5 or (levels >= 3 and year >= 1990)
            street = rng.choice(streets()[commune])
            programme = {
                "id": f"PRG-{code(b['slug'])}-{len(programmes) + 1:04d}",
                "bailleur": b["slug"],
                "name": name,
                "commune": commune,
                "address": f"{rng.randint(1, 160)} {street}",
                "qpv": in_qpv,
                "qpv_name": rng.choice(qpv_by_commune[commune]) if in_qpv else None,
                "construction_year": year,
                "kind": "individuel" if individual else "collectif",
                "levels": levels,
                "lift": lift,
            }
            programmes.append(programme)
            for _ in range(size):
                logements.append(
                    _logement(rng, programme, seq_by_commune, typology_pick, financing_pick)
                )
            made += size
    for lgt in logements:
        if rng.random() < vacancy_rate:
            lgt["available_on"] = (on + days(rng, 1, 45)).isoformat()
            lgt["flux_status"] = "a_orienter"
    return programmes, logements


def _roman(k: int) -> str:
    return {2: "II", 3: "III", 4: "IV", 5: "V"}.get(k, str(k))


def _logement(
    rng: random.Random,
    prg: dict[str, Any],
    seq: Counter[str],
    typology_pick: Weighted,
    financing_pick: Weighted,
) -> dict[str, Any]:
    typology = typology_pick(rng)
    financing = financing_pick(rng)
    lo, hi = SURFACE_RANGE[typology]
    surface = round(rng.uniform(lo, hi), 1)
    year = prg["construction_year"]
    age_factor = 0.94 if year < 1980 else 1.0 if year < 2005 else 1.06
    rent = round(surface * RENT_PER_M2[financing] * age_factor * rng.uniform(0.93, 1.07), 2)
    charges = round(surface * rng.uniform(1.1, 2.1) + (12.0 if prg["lift"] else 0.0), 2)
    floor = 0 if prg["kind"] == "individuel" else rng.randint(0, prg["levels"] - 1)
    reachable = floor == 0 or prg["lift"]
    accessible = reachable and rng.random() < (0.30 if year >= 2007 else 0.07)
    seq[prg["commune"]] += 1
    rooms = int(typology[1]) if typology != "T6" else rng.choice((6, 6, 7))
    return {
        "id": f"LGT-{prg['commune']}-{seq[prg['commune']]:04d}",
        "bailleur": prg["bailleur"],
        "programme": prg["name"],
        "programme_id": prg["id"],
        "address": prg["address"],
        "commune": prg["commune"],
        "zone": zones()[prg["commune"]],
        "qpv": prg["qpv"],
        "qpv_name": prg["qpv_name"],
        "typology": typology,
        "rooms": rooms,
        "surface": surface,
        "floor": floor,
        "lift": prg["lift"],
        "accessible": accessible,
        "financing": financing,
        "rent": rent,
        "charges": charges,
        "construction_year": year,
        "available_on": None,
    }


def generate_logements(
    rng: random.Random, n: int = 3000, on: date = DEFAULT_ON
) -> list[dict[str, Any]]:
    """n logements of the three bailleurs (see ``generate_parc`` for their programmes)."""
    return generate_parc(rng, n, on)[1]
