"""Imports of demandes, logements and conventions (JSON Lines / CSV, docs/formats.md).

Every bad row is reported with its line, field path and reason, including references that
do not exist in the database (unknown commune, bailleur, réservataire) and duplicates; if
any row is bad, nothing is written (no partial import).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.accounts.models import Organisation
from app.adapters.rows import insert_rows
from app.extensions import db
from matching import records
from matching.records import LineError

KINDS = ("demandes", "logements", "conventions")


@dataclass
class ImportReport:
    kind: str
    read: int = 0
    errors: list[LineError] = field(default_factory=list)
    inserted: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return (f"{len(self.errors)} erreur(s) sur {self.read} enregistrement(s) : "
                    "rien n'a été importé.")
        return f"{self.read} enregistrement(s) importé(s)."


def existing(column, values: Iterable[str]) -> set[str]:
    values = list(set(values))
    found: set[str] = set()
    for start in range(0, len(values), 900):  # stay under SQLite's bound-parameter limit
        found |= set(db.session.scalars(select(column).where(column.in_(values[start:start + 900]))))
    return found


def organisations_by_slug(kind: str) -> dict[str, Organisation]:
    return {o.slug: o for o in db.session.scalars(select(Organisation).where(Organisation.kind == kind))}


def import_records(kind: str, stream: Iterable[str], fmt: str = "jsonl", *,
                   epci_slug: str | None = None,
                   progress: Callable[[str], None] | None = None) -> ImportReport:
    """Validate every record, then insert all of them, or none if any is bad."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    parser = {"demandes": records.parse_demande, "logements": records.parse_logement,
              "conventions": records.parse_convention}[kind]
    good, errors = records.read_records(stream, parser, fmt)
    report = ImportReport(kind, read=len(good) + len(errors), errors=list(errors))
    checker = _checkers()[kind]
    rows = checker(good, report, epci_slug)
    report.errors.sort(key=lambda e: e.line)
    if report.errors or rows is None:
        return report
    if progress:
        progress(f"Écriture de {len(good)} enregistrement(s)…")
    report.inserted = insert_rows(db.session, rows)
    db.session.flush()
    return report


def _checkers() -> dict[str, Callable]:
    """Each domain checks its own records against the database and builds its rows."""
    from app.demandes.imports import check_demandes
    from app.flux.imports import check_conventions
    from app.patrimoine.imports import check_logements

    return {"demandes": check_demandes, "logements": check_logements,
            "conventions": check_conventions}
