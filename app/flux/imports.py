"""Import of conventions: references and legal caps checked against the database (all or none)."""

from __future__ import annotations

from sqlalchemy import select

from app.adapters.records import convention_record
from app.adapters.rows import convention_rows, new_rows
from app.extensions import db
from app.flux.models import Convention
from app.imports import ImportReport, existing, organisations_by_slug
from matching import flux, records
from matching.records import LineError


def check_conventions(good: list[tuple[int, records.Convention]], report: ImportReport, _):
    bailleurs = organisations_by_slug("bailleur")
    reservataires = organisations_by_slug("reservataire")
    taken = existing(Convention.ref, (c.id for _, c in good))
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
