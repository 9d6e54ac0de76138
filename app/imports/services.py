"""Imports of demandes, logements and conventions (JSON Lines / CSV, FORMATS.md).

Every bad row is reported with its line, field path and reason, including references that
do not exist in the database (unknown commune, bailleur, réservataire) and duplicates; if
any row is bad, nothing is written (no partial import).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.accounts.models import Organisation
from app.adapters.rows import (
    convention_rows,
    demande_rows,
    insert_rows,
    logement_rows,
    new_rows,
)
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Convention
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from matching import flux, records
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


def _existing(column, values: Iterable[str]) -> set[str]:
    values = list(set(values))
    found: set[str] = set()
    for start in range(0, len(values), 900):  # stay under SQLite's bound-parameter limit
        found |= set(db.session.scalars(select(column).where(column.in_(values[start:start + 900]))))
    return found


def _orgs(kind: str) -> dict[str, Organisation]:
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
    checker = {"demandes": _check_demandes, "logements": _check_logements,
               "conventions": _check_conventions}[kind]
    rows = checker(good, report, epci_slug)
    report.errors.sort(key=lambda e: e.line)
    if report.errors or rows is None:
        return report
    if progress:
        progress(f"Écriture de {len(good)} enregistrement(s)…")
    report.inserted = insert_rows(db.session, rows)
    db.session.flush()
    return report


def _check_demandes(good: list[tuple[int, records.Demande]], report: ImportReport,
                    epci_slug: str | None):
    epcis = _orgs("epci")
    if epci_slug is None and len(epcis) == 1:
        epci_slug = next(iter(epcis))
    epci = epcis.get(epci_slug or "")
    if epci is None:
        report.errors.append(LineError(0, "--epci", f"EPCI inconnu : {epci_slug!r}"))
        return None
    communes = _existing(Commune.insee, (
        c for _, d in good for c in (*d.wishes.communes, d.current_housing.commune) if c))
    taken = _existing(Demande.nur, (d.id for _, d in good))
    seen: dict[str, int] = {}
    for line, d in good:
        if d.id in taken:
            report.errors.append(LineError(line, "id", f"la demande {d.id} existe déjà"))
        elif d.id in seen:
            report.errors.append(LineError(line, "id", f"NUR en double (déjà ligne {seen[d.id]})"))
        seen.setdefault(d.id, line)
        for i, c in enumerate(d.wishes.communes):
            if c not in communes:
                report.errors.append(LineError(line, f"wishes.communes[{i}]", f"commune inconnue : {c}"))
        if d.current_housing.commune and d.current_housing.commune not in communes:
            report.errors.append(LineError(line, "current_housing.commune",
                                           f"commune inconnue : {d.current_housing.commune}"))
    if report.errors:
        return None
    next_id = (db.session.scalar(select(func.max(Demande.id))) or 0) + 1
    rows = new_rows()
    for offset, (_, d) in enumerate(good):
        demande_rows(d, demande_id=next_id + offset, epci_id=epci.id, out=rows)
    return rows


def _check_logements(good: list[tuple[int, records.Logement]], report: ImportReport, _):
    bailleurs = _orgs("bailleur")
    communes = _existing(Commune.insee, (lg.commune for _, lg in good))
    existing = set(db.session.execute(select(Organisation.slug, Logement.ref).join(
        Organisation, Logement.bailleur_id == Organisation.id)).tuples())
    seen: dict[tuple[str | None, str], int] = {}
    for line, lg in good:
        if lg.bailleur not in bailleurs:
            report.errors.append(LineError(line, "bailleur", f"bailleur inconnu : {lg.bailleur!r}"))
        if lg.commune not in communes:
            report.errors.append(LineError(line, "commune", f"commune inconnue : {lg.commune}"))
        key = (lg.bailleur, lg.id)
        if key in existing:
            report.errors.append(LineError(line, "id", f"le logement {lg.id} existe déjà"))
        elif key in seen:
            report.errors.append(LineError(line, "id", f"logement en double (déjà ligne {seen[key]})"))
        seen.setdefault(key, line)
    if report.errors:
        return None
    rows = new_rows()
    for _, lg in good:
        logement_rows(lg, bailleur_id=bailleurs[lg.bailleur].id, out=rows)
    return rows


def _check_conventions(good: list[tuple[int, records.Convention]], report: ImportReport, _):
    bailleurs = _orgs("bailleur")
    reservataires = _orgs("reservataire")
    taken = _existing(Convention.ref, (c.id for _, c in good))
    for line, c in good:
        if c.bailleur not in bailleurs:
            report.errors.append(LineError(line, "bailleur", f"bailleur inconnu : {c.bailleur!r}"))
        r = reservataires.get(c.reservataire)
        if r is None:
            report.errors.append(LineError(line, "reservataire", f"réservataire inconnu : {c.reservataire!r}"))
        elif r.reservataire_kind != c.reservataire_kind:
            report.errors.append(LineError(line, "reservataire_kind",
                f"{c.reservataire} est de type {r.reservataire_kind}, pas {c.reservataire_kind}"))
        if c.id in taken:
            report.errors.append(LineError(line, "id", f"la convention {c.id} existe déjà"))
    # Caps hold over the conventions already stored plus the imported ones.
    stored = [_stored_convention(c) for c in db.session.scalars(select(Convention))]
    lines = {(c.bailleur, c.departement, c.year): line for line, c in good}
    for v in flux.check_caps(stored + [c for _, c in good]):
        line = lines.get((v.bailleur, v.departement, v.year))
        if line is not None:
            report.errors.append(LineError(line, "share_percent", v.message))
    if report.errors:
        return None
    rows = new_rows()
    for _, c in good:
        convention_rows(c, bailleur_id=bailleurs[c.bailleur].id,
                        reservataire_id=reservataires[c.reservataire].id, out=rows)
    return rows


def _stored_convention(c: Convention) -> records.Convention:
    return records.Convention(
        id=c.ref, bailleur=c.bailleur.slug, reservataire=c.reservataire.slug,
        reservataire_kind=c.reservataire.reservataire_kind, departement=c.departement,
        year=c.year, share_percent=c.share_percent, origin=c.origin,
    )

