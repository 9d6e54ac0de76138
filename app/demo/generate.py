"""Deterministic demo territory for Orléans Métropole, as exchange-format dicts (FORMATS.md).

Pure Python (no Flask, no SQLAlchemy): the database loader turns this output into models.
Every random draw goes through a ``random.Random`` passed in, so one seed gives one territory.
Real data (communes, INSEE codes, populations, QPV names) comes from ``data/`` and is cited in
``data/SOURCES.md``; everything else (bailleurs, parc, households, people) is invented, and the
distributions below are demo assumptions, not statistics, unless a comment cites a source.
Fields beyond FORMATS.md (``status``, ``address``, ``qpv_name``, ``_identity``…) are extension
fields, which the exchange format allows.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from matching import flux

DATA_DIR = Path(__file__).parent / "data"
DEPARTEMENT = "45"
EPCI_SIREN = "244500468"  # Orléans Métropole, see data/SOURCES.md
DEFAULT_ON = date(2026, 11, 28)
ZONE = "autres_regions"  # Centre-Val de Loire (DOMAIN.md §3.2)

# --------------------------------------------------------------------------- reference data


@cache
def communes() -> tuple[dict[str, Any], ...]:
    """Communes of data/communes.csv (EPCI members first, then other Loiret communes)."""
    with open(DATA_DIR / "communes.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["population"] = int(row["population"])
        row["population_year"] = int(row["population_year"])
        row["is_epci_member"] = row["is_epci_member"] == "true"
        row["epci_siren"] = row["epci_siren"] or None
    return tuple(rows)


@cache
def qpv() -> tuple[dict[str, str], ...]:
    """Quartiers prioritaires of the EPCI, by commune (data/qpv.csv)."""
    with open(DATA_DIR / "qpv.csv", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def _lines(name: str) -> list[str]:
    with open(DATA_DIR / name, encoding="utf-8") as f:
        return [s for line in f if (s := line.strip()) and not s.startswith("#")]


@cache
def first_names() -> dict[str, tuple[str, ...]]:
    """First names by sex (``F``/``M``)."""
    out: dict[str, list[str]] = {"F": [], "M": []}
    for line in _lines("first_names.txt"):
        sex, name = line.split(" ", 1)
        out[sex].append(name)
    return {k: tuple(v) for k, v in out.items()}


@cache
def last_names() -> tuple[str, ...]:
    """Last names."""
    return tuple(_lines("last_names.txt"))


@cache
def programme_names() -> tuple[str, ...]:
    """Invented residence names."""
    return tuple(_lines("programmes.txt"))


@cache
def streets() -> dict[str, tuple[str, ...]]:
    """Generic street names by commune INSEE code."""
    out: dict[str, list[str]] = defaultdict(list)
    with open(DATA_DIR / "streets.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["commune"]].append(row["street"])
    return {k: tuple(v) for k, v in out.items()}


def member_communes() -> list[dict[str, Any]]:
    """The 22 member communes of Orléans Métropole."""
    return [c for c in communes() if c["is_epci_member"]]


def outside_communes() -> list[dict[str, Any]]:
    """Loiret communes outside the EPCI, for wishes and current addresses elsewhere."""
    return [c for c in communes() if not c["is_epci_member"]]


# --------------------------------------------------------------------------- organisations

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


# --------------------------------------------------------------------------- conventions

# Legal caps on shares of a bailleur's annual flux, CCH R.441-5 (décret n° 2020-145), DOMAIN.md §5.
# The legal caps (CCH R.441-5) live in matching.flux, which also checks them.
CAP_ETAT_TOTAL = flux.CAP_ETAT_TOTAL
CAP_ETAT_AGENTS = flux.CAP_ETAT_AGENTS
CAP_COLLECTIVITES_GARANTIE = flux.CAP_GARANTIE_EMPRUNT
COLLECTIVITE_KINDS = flux.COLLECTIVITE_KINDS


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
            drift = 0.0 if year == max(years) else -1.0  # shares grew a little with the flux switch
            # Round first, then cap, so that the published (rounded) shares respect the caps.
            shares = {k: round(max(0.5, v + drift * rng.random()), 1) for k, v in base.items()}
            shares["etat_agents"] = min(shares["etat_agents"], CAP_ETAT_AGENTS)
            shares["etat"] = min(shares["etat"], round(CAP_ETAT_TOTAL - shares["etat_agents"], 1))
            shares["epci"] = min(
                shares["epci"], round(CAP_COLLECTIVITES_GARANTIE - shares["commune"], 1)
            )
            for r in RESERVATAIRES:
                kind = r["reservataire_kind"]
                is_collectivite = kind in COLLECTIVITE_KINDS
                out.append(
                    {
                        "id": f"CONV-{DEPARTEMENT}-{_code(b['slug'])}-{_code(r['slug'])}-{year}",
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


def _code(slug: str) -> str:
    return "".join(part[0] for part in slug.split("-") if part).upper()


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


# --------------------------------------------------------------------------- weighted draws


class Weighted:
    """A fixed weighted choice, drawn with one ``rng.random()`` (fast enough for 10⁵ records)."""

    __slots__ = ("values", "cum", "total")

    def __init__(self, weights: Mapping[Any, float] | Sequence[tuple[Any, float]]):
        items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
        self.values = [v for v, _ in items]
        self.cum = list(accumulate(w for _, w in items))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect(self.cum, rng.random() * self.total)]


def _days(rng: random.Random, lo: int, hi: int) -> timedelta:
    return timedelta(days=rng.randint(lo, hi))


# --------------------------------------------------------------------------- parc (logements)

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
                "id": f"PRG-{_code(b['slug'])}-{len(programmes) + 1:04d}",
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
            lgt["available_on"] = (on + _days(rng, 1, 45)).isoformat()
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
        "zone": ZONE,
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


# --------------------------------------------------------------------------- income ceilings

# PLUS ceilings 2026, "autres régions", arrêté du 19 décembre 2025 (NOR VLOL2534266A), DOMAIN.md §3.2.
PLUS_2026 = {1: 23403, 2: 31254, 3: 37584, 4: 45374, 5: 53376, 6: 60156}
PLUS_2026_EXTRA = 6710
# PLAI "autres régions" from 1 January 2022 (arrêté du 29 juillet 1987 annexe) and 2023
# (arrêté du 27 décembre 2022, categories 1–5), DOMAIN.md §3.2.
PLAI_2022 = {1: 11626, 2: 16939, 3: 20370, 4: 22665, 5: 26519, 6: 29886}
PLAI_2022_EXTRA = 3333
PLAI_2023 = {1: 12032, 2: 17531, 3: 21082, 4: 23457, 5: 27445}
# IRL revaluations for 2023, 2024, 2025, 2026 (DOMAIN.md §3.2): PLAI 2026 is *derived*, not
# sourced, from the latest sourced value, rounding to the euro at each step (as
# matching/parameters/plafonds_ressources/plai.yaml does).
IRL_CHAIN = {2023: 1.0349, 2024: 1.0349, 2025: 1.0247, 2026: 1.0087}


def _derive(value: int, from_year: int, to_year: int = 2026) -> int:
    for year in range(from_year + 1, to_year + 1):
        value = round(value * IRL_CHAIN[year])
    return value


PLAI_2026_DERIVED = {
    k: _derive(PLAI_2023[k], 2023) if k in PLAI_2023 else _derive(v, 2022)
    for k, v in PLAI_2022.items()
}
PLAI_2026_DERIVED_EXTRA = _derive(PLAI_2022_EXTRA, 2022)
JEUNE_MENAGE_MAX_AGES = 55  # summed ages of a couple without dependant (to verify, DOMAIN.md §3.1)


def household_category(members: Sequence[Mapping[str, Any]], on: date) -> tuple[int, int]:
    """(catégorie de ménage 1–6, persons beyond 6): the highest rule of DOMAIN.md §3.1 wins."""
    n = len(members)
    dependants = sum(1 for m in members if m["is_dependent"])
    equivalent = n + (1 if any(m["has_disability"] for m in members) else 0)
    if n - dependants <= 1 and dependants:
        equivalent = max(equivalent, 2 + dependants)
    roles = sorted(m["role"] for m in members)
    if (
        n == 2
        and not dependants
        and roles[0] in ("codemandeur", "conjoint")
        and roles[1] == "demandeur"
    ):
        ages = sum(_age(date.fromisoformat(m["birth_date"]), on) for m in members)
        if ages <= JEUNE_MENAGE_MAX_AGES:
            equivalent = max(equivalent, 3)
    return min(equivalent, 6), max(0, equivalent - 6)


def ceilings(members: Sequence[Mapping[str, Any]], on: date) -> tuple[float, float]:
    """(PLAI derived, PLUS sourced) 2026 ceilings for a household, autres régions."""
    cat, extra = household_category(members, on)
    return (
        PLAI_2026_DERIVED[cat] + extra * PLAI_2026_DERIVED_EXTRA,
        PLUS_2026[cat] + extra * PLUS_2026_EXTRA,
    )


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --------------------------------------------------------------------------- demandes

SIZE_MIX = {1: 0.40, 2: 0.22, 3: 0.16, 4: 0.12, 5: 0.06, 6: 0.025, 7: 0.01, 8: 0.005}
HOUSING_YOUNG = {  # demandeur under 26
    "chez_parents_enfants": 40,
    "locataire_prive": 20,
    "heberge_tiers": 15,
    "foyer": 6,
    "residence_sociale": 5,
    "locataire_hlm": 5,
    "structure_hebergement": 4,
    "sous_locataire": 2,
    "centre_enfance_maternel": 1,
    "sans_abri": 1,
    "hotel": 1,
}
HOUSING_OTHERS = {
    "locataire_hlm": 40,
    "locataire_prive": 23,
    "chez_parents_enfants": 9,
    "heberge_tiers": 9,
    "proprietaire": 2.5,
    "sous_locataire": 1,
    "residence_sociale": 3,
    "foyer": 1.5,
    "structure_hebergement": 3,
    "logement_temporaire": 1.5,
    "hotel": 1,
    "sans_abri": 1,
    "camping_caravane": 0.6,
    "squat": 0.3,
    "pension_de_famille": 0.8,
    "rhvs": 0.2,
    "centre_enfance_maternel": 0.2,
    "logement_fonction": 0.6,
    "autre": 1.2,
}
ORDINARY = (
    "locataire_hlm",
    "locataire_prive",
    "proprietaire",
    "sous_locataire",
    "logement_fonction",
)
TEMPORARY = (
    "residence_sociale",
    "foyer",
    "pension_de_famille",
    "rhvs",
    "logement_temporaire",
    "structure_hebergement",
    "centre_enfance_maternel",
)
HOMELESS = ("sans_abri", "squat", "camping_caravane", "hotel")
REASONS_PRIVE = {
    "logement_trop_cher": 30,
    "logement_trop_petit": 20,
    "reprise_vente_proprietaire": 10,
    "logement_indigne": 7,
    "rapprochement_travail": 8,
    "divorce_separation": 8,
    "expulsion": 5,
    "raisons_sante": 4,
    "rapprochement_famille": 5,
    "autre": 3,
}
REASONS_HLM = {
    "logement_trop_petit": 30,
    "logement_trop_grand": 10,
    "logement_trop_cher": 15,
    "raisons_sante": 10,
    "rapprochement_travail": 10,
    "rapprochement_famille": 8,
    "divorce_separation": 7,
    "handicap": 4,
    "autre": 6,
}
CONTRACTS_YOUNG = {
    "cdi": 20,
    "cdd": 18,
    "interim": 12,
    "apprentissage": 10,
    "etudiant": 15,
    "chomage": 15,
    "stage": 4,
    "sans_activite": 6,
}
CONTRACTS_ADULT = {
    "cdi": 38,
    "cdd": 12,
    "interim": 6,
    "fonctionnaire": 7,
    "chomage": 15,
    "sans_activite": 12,
    "independant": 4,
    "autre": 3,
    "stage": 1,
    "apprentissage": 2,
}
CONTRACTS_SENIOR = {"retraite": 85, "sans_activite": 10, "autre": 5}
WORKING = frozenset(
    ("cdi", "cdd", "interim", "apprentissage", "stage", "fonctionnaire", "independant")
)
PRIVATE_EMPLOYEE = frozenset(("cdi", "cdd", "interim", "apprentissage", "stage"))
TYPOLOGY_WISHES = {
    1: ((("T1", "T2"), 5), (("T2",), 4), (("T1",), 1)),
    2: ((("T2", "T3"), 5), (("T2",), 3), (("T3",), 2)),
    3: ((("T3",), 5), (("T3", "T4"), 3.5), (("T2", "T3"), 1.5)),
    4: ((("T3", "T4"), 4), (("T4",), 4.5), (("T4", "T5"), 1.5)),
    5: ((("T4", "T5"), 5), (("T4",), 3), (("T5",), 2)),
    6: ((("T5",), 4), (("T5", "T6"), 4), (("T4", "T5"), 2)),
    7: ((("T5", "T6"), 6), (("T6",), 4)),
}
REFUSAL_REASONS = (
    "quartier",
    "etage_sans_ascenseur",
    "loyer_trop_eleve",
    "logement_trop_petit",
    "eloignement_travail",
    "etat_du_logement",
    "sans_reponse",
    "situation_changee",
)
L441_1_LABEL_RATE = (
    0.50  # share of households whose situation meets a criterion that get it recorded
)
ACD_LABELLERS = ("etat-loiret", "orleans-metropole")
# Fictional mobile numbers: ARCEP range reserved for fiction (06 39 98 xx xx, to verify in the
# plan national de numérotation); never a number that may be attributed to someone.
FICTION_PHONE_PREFIX = "06 39 98"


@dataclass(frozen=True)
class _Ctx:
    """Precomputed draws shared by every demande of one generation."""

    on: date
    size: Weighted
    housing_young: Weighted
    housing_others: Weighted
    reasons_prive: Weighted
    reasons_hlm: Weighted
    contracts_young: Weighted
    contracts_adult: Weighted
    contracts_senior: Weighted
    member_by_pop: Weighted
    parc_commune: Weighted
    outside_by_pop: Weighted
    typology_wishes: dict[int, Weighted]
    employers: list[tuple[str, bool, bool]]
    names_f: tuple[str, ...]
    names_m: tuple[str, ...]
    last: tuple[str, ...]
    slugs: dict[str, str]
    postal: dict[str, str]
    commune_name: dict[str, str]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _fictional_siret(rng: random.Random) -> str:
    """14 digits failing the Luhn check that every real SIRET passes, so none is a real company."""
    digits = [rng.randint(0, 9) for _ in range(14)]
    digits[0] = rng.randint(1, 9)
    while _luhn_ok(digits):
        digits[-1] = (digits[-1] + 1) % 10
    return "".join(map(str, digits))


def _luhn_ok(digits: Sequence[int]) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def _context(rng: random.Random, on: date) -> _Ctx:
    members = member_communes()
    fn, ln = first_names(), last_names()
    employers = []
    for _ in range(400):
        public = rng.random() < 0.12
        employers.append((_fictional_siret(rng), (not public) and rng.random() < 0.46, public))
    return _Ctx(
        on=on,
        size=Weighted(SIZE_MIX),
        housing_young=Weighted(HOUSING_YOUNG),
        housing_others=Weighted(HOUSING_OTHERS),
        reasons_prive=Weighted(REASONS_PRIVE),
        reasons_hlm=Weighted(REASONS_HLM),
        contracts_young=Weighted(CONTRACTS_YOUNG),
        contracts_adult=Weighted(CONTRACTS_ADULT),
        contracts_senior=Weighted(CONTRACTS_SENIOR),
        member_by_pop=Weighted([(c["insee"], c["population"]) for c in members]),
        parc_commune=Weighted(PARC_WEIGHT),
        outside_by_pop=Weighted([(c["insee"], c["population"]) for c in outside_communes()]),
        typology_wishes={k: Weighted(v) for k, v in TYPOLOGY_WISHES.items()},
        employers=employers,
        names_f=fn["F"],
        names_m=fn["M"],
        last=ln,
        slugs={name: _slug(name) for name in (*fn["F"], *fn["M"], *ln)},
        postal={c["insee"]: c["postal_code"] for c in communes()},
        commune_name={c["insee"]: c["name"] for c in communes()},
    )


def _birth(rng: random.Random, on: date, age: int) -> date:
    return date(on.year - age - 1, on.month, 1) + _days(rng, 0, 364)


def _filed_on(rng: random.Random, on: date) -> date:
    u = rng.random()
    if u < 0.50:
        days = rng.randint(1, 365)
    elif u < 0.75:
        days = rng.randint(366, 730)
    elif u < 0.90:
        days = rng.randint(731, 1460)
    else:
        days = rng.randint(1461, 2190)  # six years
    return on - timedelta(days=days)


def _renewed_on(rng: random.Random, filed_on: date, until: date) -> date | None:
    """Last yearly renewal before ``until`` (made up to a month before the anniversary)."""
    years = until.year - filed_on.year
    for k in range(years, 0, -1):
        try:
            anniversary = filed_on.replace(year=filed_on.year + k)
        except ValueError:  # 29 February
            anniversary = date(filed_on.year + k, 2, 28)
        renewed = anniversary - _days(rng, 0, 30)
        if renewed <= until:
            return renewed
    return None


def _verification(rng: random.Random, p_verified: float) -> str:
    u = rng.random()
    return "verified" if u < p_verified else "rejected" if u < p_verified + 0.02 else "declared"


def _household(rng: random.Random, ctx: _Ctx, size: int) -> tuple[list[dict[str, Any]], str, int]:
    """Members (demandeur first), the demandeur's sex and age."""
    on = ctx.on
    if size == 1:
        couple, children = False, 0
    elif size == 2:
        couple = rng.random() < 0.55
        children = 0 if couple else 1
    else:
        couple = rng.random() < 0.6
        children = size - (2 if couple else 1)
    others_autre = 1 if size >= 3 and children >= 2 and rng.random() < 0.03 else 0
    children -= others_autre
    if children:
        age = rng.randint(22, 55)
    elif couple:
        u = rng.random()
        age = (
            rng.randint(20, 29)
            if u < 0.3
            else rng.randint(30, 59)
            if u < 0.75
            else rng.randint(60, 85)
        )
    else:
        u = rng.random()
        age = (
            rng.randint(18, 29)
            if u < 0.30
            else rng.randint(30, 49)
            if u < 0.65
            else rng.randint(50, 64)
            if u < 0.85
            else rng.randint(65, 90)
        )
    sex = (
        ("F" if rng.random() < 0.85 else "M")
        if children and not couple
        else ("F" if rng.random() < 0.5 else "M")
    )
    members = [
        {
            "role": "demandeur",
            "birth_date": _birth(rng, on, age).isoformat(),
            "is_dependent": False,
            "has_disability": False,
        }
    ]
    if couple:
        role = "conjoint" if rng.random() < 0.85 else "codemandeur"
        partner_age = max(18, age + rng.randint(-6, 6))
        members.append(
            {
                "role": role,
                "birth_date": _birth(rng, on, partner_age).isoformat(),
                "is_dependent": False,
                "has_disability": False,
            }
        )
    max_child = max(0, min(age - 17, 24))
    for _ in range(children):
        child_age = rng.randint(0, max_child)
        members.append(
            {
                "role": "enfant",
                "birth_date": _birth(rng, on, child_age).isoformat(),
                "is_dependent": child_age < 21,
                "has_disability": False,
            }
        )
    for _ in range(others_autre):
        members.append(
            {
                "role": "autre",
                "birth_date": _birth(rng, on, rng.randint(60, 88)).isoformat(),
                "is_dependent": False,
                "has_disability": False,
            }
        )
    return members, sex, age


def _current_housing(
    rng: random.Random, ctx: _Ctx, kind: str, size: int, age: int
) -> dict[str, Any]:
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


def _reasons(
    rng: random.Random,
    ctx: _Ctx,
    kind: str,
    housing: Mapping[str, Any],
    size: int,
    working: bool,
    disabled: bool,
) -> list[str]:
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


def _income(
    rng: random.Random, plai: float, plus: float, working: bool, size: int, children: int
) -> tuple[int, int]:
    """(RFR N-2, monthly resources): ≈25 % below PLAI, ≈5 % above PLUS overall."""
    u = rng.random()
    low, high = (0.16, 0.93) if working else (0.42, 0.985)
    if u < low:
        rfr = 0.0 if rng.random() < 0.25 else plai * rng.uniform(0.05, 0.97)
    elif u < high:
        rfr = rng.uniform(plai * 1.01, plus * 0.995)
    else:
        rfr = plus * rng.uniform(1.01, 1.6)
    # RFR ≈ 90 % of taxable income (10 % deduction); add non-taxable benefits for low incomes.
    monthly = rfr / 0.9 / 12 * rng.uniform(0.9, 1.15)
    if rfr < plai:
        monthly += rng.uniform(350, 650) + 150 * min(size - 1, 4)
    if children >= 2:
        monthly += 140 + 180 * (children - 2)
    return round(rfr), round(monthly)


def _demande(rng: random.Random, ctx: _Ctx, index: int) -> dict[str, Any]:
    on = ctx.on
    size = ctx.size(rng)
    members, sex, age = _household(rng, ctx, size)
    if rng.random() < 0.06:
        members[0 if rng.random() < 0.6 else rng.randrange(len(members))]["has_disability"] = True
    disabled = any(m["has_disability"] for m in members)
    children = sum(1 for m in members if m["role"] == "enfant")
    minors = sum(
        1
        for m in members
        if m["role"] == "enfant" and _age(date.fromisoformat(m["birth_date"]), on) < 18
    )
    kind = (ctx.housing_young if age < 26 else ctx.housing_others)(rng)
    housing = _current_housing(rng, ctx, kind, size, age)

    adults = [0] + (
        [1] if len(members) > 1 and members[1]["role"] in ("conjoint", "codemandeur") else []
    )
    employment = []
    for i in adults:
        a = _age(date.fromisoformat(members[i]["birth_date"]), on)
        table = (
            ctx.contracts_senior
            if a >= 63
            else ctx.contracts_young
            if a < 26
            else ctx.contracts_adult
        )
        employment.append({"member": i, "contract": table(rng)})
    contracts = {e["contract"] for e in employment}
    working = bool(contracts & WORKING)
    employer: dict[str, Any] = {"siret": None, "contributes_action_logement": False}
    if contracts & (PRIVATE_EMPLOYEE | {"fonctionnaire"}):
        public = "fonctionnaire" in contracts and not contracts & PRIVATE_EMPLOYEE
        while True:
            siret, contributes, is_public = ctx.employers[rng.randrange(len(ctx.employers))]
            if is_public == public:
                break
        employer = {"siret": siret, "contributes_action_logement": contributes, "public": public}

    plai, plus = ceilings(members, on)
    rfr, monthly = _income(rng, plai, plus, working, size, children)
    rfr_n1 = None
    if rng.random() < 0.3:
        rfr_n1 = round(
            rfr * (rng.uniform(0.5, 0.88) if rng.random() < 0.15 else rng.uniform(0.92, 1.15))
        )

    reasons = _reasons(rng, ctx, kind, housing, size, working, disabled)

    wishes_n = rng.choice((1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5))
    wished: list[str] = []
    if housing["commune"] in PARC_WEIGHT and rng.random() < 0.6:
        wished.append(housing["commune"])
    while len(wished) < wishes_n:
        c = ctx.member_by_pop(rng)
        if c not in wished:
            wished.append(c)
    if rng.random() < 0.08:
        outside = (
            housing["commune"] if housing["commune"] not in PARC_WEIGHT else ctx.outside_by_pop(rng)
        )
        if outside not in wished:
            wished[-1:] = [outside] if len(wished) == 5 else [wished[-1], outside]
    typologies = list(ctx.typology_wishes[min(size, 7)](rng))
    max_rent = None
    if rng.random() < 0.8:
        aid = 200 if rfr < plai else 80 if rfr < plus else 0
        max_rent = float(
            min(1200, max(250, round((monthly * rng.uniform(0.28, 0.38) + aid) / 10) * 10))
        )
    needs_accessible = (
        (disabled and rng.random() < 0.55)
        or (age >= 75 and rng.random() < 0.2)
        or rng.random() < 0.005
    )

    criteria = []
    if disabled:
        criteria.append("handicap")
    if kind in HOMELESS or (kind == "heberge_tiers" and rng.random() < 0.5):
        criteria.append("sans_logement")
    if kind in TEMPORARY:
        criteria.append("heberge_temporaire")
    if "expulsion" in reasons:
        criteria.append("menace_expulsion")
    if "logement_indigne" in reasons:
        criteria.append("logement_indigne")
    if "violences_familiales" in reasons:
        criteria.append("violences")
    if minors and housing["rooms"] is not None and housing["rooms"] < size - 1:
        criteria.append("mineur_suroccupation")
    if rfr < plai and kind in (
        "locataire_prive",
        "sous_locataire",
        "heberge_tiers",
        "chez_parents_enfants",
    ):
        criteria.append("mal_loge_defavorise")
    if kind == "centre_enfance_maternel" and age < 21:
        criteria.append("jeune_ase")
    if contracts & {"cdd", "interim"} and rng.random() < 0.05:
        criteria.append("reprise_activite")
    l441_1 = criteria if criteria and rng.random() < L441_1_LABEL_RATE else []
    dalo = bool(l441_1) and rng.random() < 0.10
    acd = bool(l441_1) and rng.random() < 0.15
    filed_on = _filed_on(rng, on)
    priority: dict[str, Any] = {"dalo": dalo, "l441_1": l441_1, "acd_labelled": acd}
    if acd or dalo:
        priority["labelled_by"] = "etat-loiret" if dalo else rng.choice(ACD_LABELLERS)
        priority["labelled_on"] = (
            filed_on + timedelta(days=rng.randint(0, max(0, (on - filed_on).days - 1)))
        ).isoformat()

    refusals = []
    span = (on - filed_on).days
    if span > 45 and rng.random() < 0.09:
        for _ in range(1 if rng.random() < 0.85 else 2):
            refusals.append(
                {
                    "date": (filed_on + timedelta(days=rng.randint(30, span))).isoformat(),
                    "offer": f"OFF-{rng.randint(10000, 99999)}",
                    "adapted": rng.random() < 0.6,
                    "reason": rng.choice(REFUSAL_REASONS),
                }
            )
        refusals.sort(key=lambda r: r["date"])

    verified = {
        "rfr_n2": _verification(rng, 0.7),
        "household": _verification(rng, 0.6),
        "current_housing": _verification(rng, 0.4),
    }
    if disabled:
        verified["handicap"] = _verification(rng, 0.7)
    for c in l441_1:
        verified[f"l441_1.{c}"] = _verification(rng, 0.6)
    if dalo:
        verified["dalo"] = "verified"

    first = rng.choice(ctx.names_f if sex == "F" else ctx.names_m)
    last = rng.choice(ctx.last)
    commune = housing["commune"]
    if kind in ("sans_abri", "squat"):
        line = "Domiciliation CCAS"
    else:
        line = f"{rng.randint(1, 180)} {rng.choice(streets()[commune])}"
    identity = {
        "civility": "Mme" if sex == "F" else "M.",
        "first_name": first,
        "last_name": last,
        "email": f"{ctx.slugs[first]}.{ctx.slugs[last]}.{index}@example.org",
        "phone": f"{FICTION_PHONE_PREFIX} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}",
        "address": f"{line}, {ctx.postal[commune]} {ctx.commune_name[commune]}",
        "address_parts": {"line": line, "postal_code": ctx.postal[commune], "commune": commune},
    }
    return {
        "id": None,
        "status": "active",
        "filed_on": filed_on.isoformat(),
        "renewed_on": None if (r := _renewed_on(rng, filed_on, on)) is None else r.isoformat(),
        "is_mutation": kind == "locataire_hlm",
        "household": members,
        "rfr_n2": rfr,
        "rfr_n1": rfr_n1,
        "monthly_resources": monthly,
        "current_housing": housing,
        "reasons": reasons,
        "employment": employment,
        "employer": employer,
        "wishes": {
            "communes": wished,
            "typologies": typologies,
            "max_rent": max_rent,
            "needs_accessible": needs_accessible,
        },
        "priority": priority,
        "refusals": refusals,
        "verified": verified,
        "_identity": identity,
    }


def generate_demandes(
    rng: random.Random, n: int = 5000, on: date = DEFAULT_ON
) -> list[dict[str, Any]]:
    """n active demandes filed over the last six years, ids ``045-YYYY-NNNNNN`` in filing order."""
    ctx = _context(rng, on)
    demandes = [_demande(rng, ctx, i) for i in range(n)]
    demandes.sort(key=lambda d: d["filed_on"])  # stable: ties keep generation order
    seq: Counter[str] = Counter()
    for d in demandes:
        year = d["filed_on"][:4]
        seq[year] += 1
        d["id"] = f"0{DEPARTEMENT}-{year}-{seq[year]:06d}"
    return demandes


# --------------------------------------------------------------------------- allocation history

ROTATION_BY_BAILLEUR = {
    "toits-de-la-bionne": 0.095,
    "habitat-val-des-mauves": 0.11,
    "loire-canal-logement": 0.085,
}


def generate_allocation_history(
    rng: random.Random,
    demandes: list[dict[str, Any]],
    logements: Sequence[Mapping[str, Any]],
    on: date = DEFAULT_ON,
    months: int = 12,
    conventions: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Past allocations (≈8–12 % yearly rotation); marks the allocated demandes ``attribuee``."""
    start = on - timedelta(days=round(months * 30.44))
    by_typology: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(demandes):
        if d.get("status", "active") == "active":
            for t in d["wishes"]["typologies"]:
                by_typology[t].append(i)
    conv_by: dict[tuple[str, int], list[Mapping[str, Any]]] = defaultdict(list)
    for c in conventions:
        conv_by[(c["bailleur"], int(c["year"]))].append(c)

    occupied = [lg for lg in logements if not lg.get("available_on")]
    by_bailleur: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for lg in occupied:
        by_bailleur[lg["bailleur"]].append(lg)
    chosen: list[tuple[date, Mapping[str, Any]]] = []
    for bailleur, parc in sorted(by_bailleur.items()):
        rate = ROTATION_BY_BAILLEUR.get(bailleur, 0.10) * months / 12
        for lg in rng.sample(parc, min(len(parc), round(len(parc) * rate))):
            chosen.append((start + _days(rng, 0, max(0, (on - start).days - 10)), lg))
    chosen.sort(key=lambda x: (x[0], x[1]["id"]))

    allocated: set[int] = set()
    busy_until: dict[int, str] = {}  # a household answering a proposal gets no other one meanwhile
    allocations = []
    for cal_on, lg in chosen:
        res_id, res_kind = _pick_reservataire(
            rng, lg, conv_by.get((lg["bailleur"], cal_on.year), [])
        )
        ranked = _candidates(
            rng,
            demandes,
            by_typology.get(lg["typology"], []),
            allocated,
            busy_until,
            lg,
            res_kind,
            cal_on,
        )
        if not ranked:
            continue
        offer = f"OFF-{lg['id']}-{cal_on:%Y%m}"
        proposals = []
        answered = cal_on
        refusers = ranked[1:3] if rng.random() < 0.2 else []
        for rank, i in enumerate([*refusers, ranked[0]], start=1):
            proposed = answered + _days(rng, 1, 3)
            answered = min(proposed + _days(rng, 1, 10), on)
            accepted = i == ranked[0]
            proposals.append(
                {
                    "demande": demandes[i]["id"],
                    "rank": rank,
                    "proposed_on": proposed.isoformat(),
                    "answered_on": answered.isoformat(),
                    "outcome": "accepte" if accepted else "refuse",
                }
            )
            busy_until[i] = answered.isoformat()
            if not accepted:
                reason = rng.choice(REFUSAL_REASONS)
                proposals[-1]["reason"] = reason
                demandes[i]["refusals"].append(
                    {
                        "date": answered.isoformat(),
                        "offer": offer,
                        "adapted": rng.random() < 0.5,
                        "reason": reason,
                    }
                )
                demandes[i]["refusals"].sort(key=lambda r: r["date"])
        winner = ranked[0]
        allocated.add(winner)
        lease = answered + _days(rng, 7, 30)
        d = demandes[winner]
        filed_on = date.fromisoformat(d["filed_on"])
        allocation = {
            "id": f"ATT-{cal_on.year}-{len(allocations) + 1:05d}",
            "logement": lg["id"],
            "bailleur": lg["bailleur"],
            "commune": lg["commune"],
            "typology": lg["typology"],
            "financing": lg["financing"],
            "qpv": lg["qpv"],
            "reservataire": res_id,
            "reservataire_kind": res_kind,
            "offer": offer,
            "demande": d["id"],
            "filed_on": d["filed_on"],
            "allocated_on": cal_on.isoformat(),
            "lease_signed_on": lease.isoformat() if lease <= on else None,
            "waiting_days": (cal_on - filed_on).days,
            "proposals": proposals,
        }
        allocations.append(allocation)
        _close(rng, d, allocation, cal_on)
    return allocations


def _pick_reservataire(
    rng: random.Random, lg: Mapping[str, Any], convs: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """A réservataire drawn by convention shares; the bailleur keeps the rest."""
    options = []
    for c in convs:
        scope = c.get("scope") or {}
        if scope.get("communes") and lg["commune"] not in scope["communes"]:
            continue
        options.append(((c["reservataire"], c["reservataire_kind"]), float(c["share_percent"])))
    own = 100.0 - sum(float(c["share_percent"]) for c in convs)
    options.append(((lg["bailleur"], "bailleur"), max(own, 0.0)))
    return Weighted(options)(rng)


def _fits_reservataire(d: Mapping[str, Any], kind: str) -> bool:
    if kind == "etat":
        return bool(d["priority"]["dalo"] or d["priority"]["l441_1"])
    if kind == "etat_agents":
        return any(e["contract"] == "fonctionnaire" for e in d["employment"])
    if kind == "action_logement":
        return bool(d["employer"].get("contributes_action_logement"))
    return True


def _candidates(
    rng: random.Random,
    demandes: Sequence[Mapping[str, Any]],
    pool: Sequence[int],
    allocated: set[int],
    busy_until: Mapping[int, str],
    lg: Mapping[str, Any],
    res_kind: str,
    cal_on: date,
) -> list[int]:
    """Up to three candidates for one dwelling, best first (a plausible CAL ranking, not the matcher)."""
    if not pool:
        return []
    latest = (cal_on - timedelta(days=30)).isoformat()
    cal_iso = cal_on.isoformat()
    scored = []
    for i in {pool[rng.randrange(len(pool))] for _ in range(80)}:
        d = demandes[i]
        if i in allocated or d["filed_on"] > latest or busy_until.get(i, "") >= cal_iso:
            continue
        score = (
            _fits_reservataire(d, res_kind),
            lg["commune"] in d["wishes"]["communes"],
            d["priority"]["dalo"],
            not d["wishes"]["needs_accessible"] or lg["accessible"],
            # Seniority helps without deciding alone (CAL weigh many things).
            rng.random()
            + 0.6 * min((cal_on - date.fromisoformat(d["filed_on"])).days, 1800) / 1800,
            d["id"],
        )
        scored.append((score, i))
    scored.sort(reverse=True)
    return [i for _, i in scored[:3]]


def _close(
    rng: random.Random, d: dict[str, Any], allocation: Mapping[str, Any], cal_on: date
) -> None:
    """Mark a demande allocated and drop what would postdate the allocation."""
    d["status"] = "attribuee"
    d["closed_on"] = cal_on.isoformat()
    d["attribution"] = allocation["id"]
    d["refusals"] = [r for r in d["refusals"] if r["date"] <= cal_on.isoformat()]
    if d["renewed_on"] and d["renewed_on"] > cal_on.isoformat():
        renewed = _renewed_on(rng, date.fromisoformat(d["filed_on"]), cal_on)
        d["renewed_on"] = renewed.isoformat() if renewed else None
    labelled_on = d["priority"].get("labelled_on")
    if labelled_on and labelled_on > cal_on.isoformat():
        d["priority"]["labelled_on"] = d["filed_on"]


# --------------------------------------------------------------------------- bundle


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
    seed: int = 2026, demandes: int = 5000, logements: int = 3000, on: date = DEFAULT_ON
) -> Territory:
    """The whole demo territory for one seed; each part has its own random stream."""

    def stream(name: str) -> random.Random:
        return random.Random(f"cotaflux-demo:{seed}:{name}")

    programmes, parc = generate_parc(stream("parc"), logements, on)
    conventions = generate_conventions(stream("conventions"), years=(on.year - 1, on.year))
    demand = generate_demandes(stream("demandes"), demandes, on)
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
