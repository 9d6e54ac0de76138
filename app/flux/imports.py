"""Import of conventions: references and legal caps checked against the database (all or none)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import Organisation
from app.adapters.records import convention_record
from app.adapters.rows import convention_rows, insert_rows, new_rows
from app.extensions import db
from app.flux.models import Convention
from app.imports import ImportReport, existing, organisations_by_slug
from app.territoire.models import Commune
from matching import flux, records
from matching.records import LineError


def check_conventions(good: list[tuple[int, records.Convention]], report: ImportReport, _):
    bailleurs = organisations_by_slug("bailleur")
    reservataires = organisations_by_slug("reservataire")
    taken = existing(Convention.ref, (c.id for _, c in good))
    communes = existing(Commune.insee, (i for _, c in good for i in c.scope.communes))
    stored_pairs = _stored_pairs()
    seen_pairs: set[tuple[str, str, str, int]] = set()
    seen_ids: set[str] = set()
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
        for i, insee in enumerate(c.scope.communes):
            if insee not in communes:
                report.errors.append(LineError(line, f"scope.communes[{i}]",
                                               f"commune inconnue : {insee!r}"))
        key = (c.bailleur, c.reservataire, c.departement, c.year)
        if key in stored_pairs or key in seen_pairs:
            report.errors.append(LineError(line, "reservataire", (
                f"une convention {c.bailleur} × {c.reservataire} existe déjà pour le "
                f"département {c.departement} en {c.year}")))
        if c.id in seen_ids:
            report.errors.append(LineError(line, "id", f"la convention {c.id} figure deux fois"))
        seen_pairs.add(key)
        seen_ids.add(c.id)
        try:
            flux.caps_for_year(c.year)
        except flux.CapsUnavailable as exc:
            report.errors.append(LineError(line, "year", str(exc)))
    if report.errors:
        return None
    # Caps hold over the conventions already stored plus the imported ones.
    stored = [convention_record(c) for c in db.session.scalars(select(Convention))]
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


def _stored_pairs() -> set[tuple[str, str, str, int]]:
    """(bailleur, réservataire, département, year) of the stored conventions (one each)."""
    b, r = aliased(Organisation), aliased(Organisation)
    return set(db.session.execute(
        select(b.slug, r.slug, Convention.departement, Convention.year)
        .join(b, Convention.bailleur_id == b.id).join(r, Convention.reservataire_id == r.id)
    ).all())


def import_conventions(stream, fmt: str = "jsonl", *,
                       bailleur: Organisation | None = None) -> ImportReport:
    """Import conventions, all or nothing; ``bailleur`` restricts every line to that bailleur
    (the upload form of the bailleur's space)."""
    good, errors = records.read_records(stream, records.parse_convention, fmt)
    report = ImportReport("conventions", read=len(good) + len(errors), errors=list(errors))
    if bailleur is not None:
        for line, c in good:
            if c.bailleur != bailleur.slug:
                report.errors.append(LineError(line, "bailleur", (
                    f"la convention est celle du bailleur {c.bailleur!r}, pas la vôtre "
                    f"({bailleur.slug})")))
    rows = check_conventions(good, report, None) if not report.errors else None
    report.errors.sort(key=lambda e: e.line)
    if report.errors or rows is None:
        return report
    report.inserted = insert_rows(db.session, rows)
    db.session.flush()
    return report
