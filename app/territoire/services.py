"""Operations on the territory: the import of communes (all rows or none)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.accounts.models import Organisation
from app.audit.services import record
from app.extensions import db
from app.territoire.models import Commune
from matching import enums
from matching.records import ZONES_ABC, LineError, RecordError, commune_code

COMMUNE_COLUMNS = ("insee", "name", "departement", "zone", "epci")
# Optional column: zone_abc, the A bis / A / B1 / B2 / C zoning of the PLI ceilings (an empty
# cell means unknown).


@dataclass
class CommuneImport:
    read: int = 0
    errors: list[LineError] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def import_communes(stream: Iterable[str]) -> CommuneImport:
    """Communes from CSV (insee,name,departement,zone,epci[,zone_abc]): all rows or none.

    Without a ``zone_abc`` column, the zone A/B/C of existing communes is left as it is."""
    reader = csv.DictReader(stream)
    report = CommuneImport()
    missing = [c for c in COMMUNE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(LineError(1, "(en-tête)", f"colonnes manquantes : {', '.join(missing)}"))
        return report
    has_zone_abc = "zone_abc" in (reader.fieldnames or [])
    epcis = {o.slug: o for o in db.session.scalars(select(Organisation).where(Organisation.kind == "epci"))}
    rows = []
    seen: dict[str, int] = {}
    for row in reader:
        report.read += 1
        line = reader.line_num
        try:
            insee = commune_code(row["insee"] or "", "insee")
        except RecordError as exc:
            report.errors.append(LineError(line, exc.path, exc.reason))
            continue
        if insee in seen:
            report.errors.append(LineError(line, "insee", f"commune en double (déjà ligne {seen[insee]})"))
            continue
        seen[insee] = line
        name = (row["name"] or "").strip()
        if not name:
            report.errors.append(LineError(line, "name", "nom manquant"))
        zone = (row["zone"] or "").strip()
        if zone not in enums.ZONES:
            report.errors.append(LineError(line, "zone", f"zone inconnue {zone!r} ({', '.join(enums.ZONES)})"))
        zone_abc = (row.get("zone_abc") or "").strip() or None
        if zone_abc is not None and zone_abc not in ZONES_ABC:
            report.errors.append(LineError(
                line, "zone_abc", f"zone A/B/C inconnue {zone_abc!r} ({', '.join(ZONES_ABC)})"))
        epci_slug = (row["epci"] or "").strip()
        if epci_slug and epci_slug not in epcis:
            report.errors.append(LineError(line, "epci", f"EPCI inconnu : {epci_slug!r}"))
        rows.append((insee, name, (row["departement"] or insee[:2]).strip(), zone,
                     epcis[epci_slug].id if epci_slug in epcis else None, zone_abc))
    if report.errors:
        return report
    existing = {c.insee: c for c in db.session.scalars(select(Commune).where(Commune.insee.in_(list(seen))))}
    for insee, name, departement, zone, epci_id, zone_abc in rows:
        commune = existing.get(insee)
        if commune is None:
            commune = Commune(insee=insee, name=name, departement=departement, zone=zone,
                              epci_id=epci_id)
            db.session.add(commune)
            report.created += 1
        else:
            commune.name, commune.departement, commune.zone, commune.epci_id = (
                name, departement, zone, epci_id)
            report.updated += 1
        if has_zone_abc:
            commune.zone_abc = zone_abc
    db.session.flush()
    record("admin.communes_imported", entity_type="commune", entity_id=None,
           created=report.created, updated=report.updated)
    return report
