"""Reference data of the demo territory, read from ``app/demo/data/`` (sources in ``SOURCES.md``).

Real data (communes, INSEE codes, populations, QPV names) is cited in ``data/SOURCES.md``;
name lists and streets are invented. Each file is read once.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent.parent / "data"


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


@cache
def zones() -> dict[str, str]:
    """Zone of the income ceilings by commune INSEE code (data/communes.csv)."""
    return {c["insee"]: c["zone"] for c in communes()}
