"""Import of demandes: references checked against the database, then rows built (all or none)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.adapters.rows import demande_rows, new_rows
from app.demandes.models import Demande
from app.extensions import db
from app.imports import ImportReport, existing, organisations_by_slug
from app.territoire.models import Commune
from matching import records
from matching.records import LineError


def check_demandes(good: list[tuple[int, records.Demande]], report: ImportReport,
                    epci_slug: str | None):
    epcis = organisations_by_slug("epci")
    if epci_slug is None and len(epcis) == 1:
        epci_slug = next(iter(epcis))
    epci = epcis.get(epci_slug or "")
    if epci is None:
        report.errors.append(LineError(0, "--epci", f"EPCI inconnu : {epci_slug!r}"))
        return None
    communes = existing(Commune.insee, (
        c for _, d in good for c in (*d.wishes.communes, d.current_housing.commune) if c))
    taken = existing(Demande.nur, (d.id for _, d in good))
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
