"""Import of logements: references checked against the database, then rows built (all or none)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Organisation
from app.adapters.rows import logement_rows, new_rows
from app.extensions import db
from app.imports import ImportReport, existing, organisations_by_slug
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from matching import records
from matching.records import LineError


def stored_problems(lg: records.Logement) -> list[tuple[str, str]]:
    """What the ``logements`` table would refuse in a well-formed record (its CHECKs and
    column lengths), as (field, reason): reported like any other bad field, never a 500."""
    problems = []
    if len(lg.id) > 64:
        problems.append(("id", "64 caractères au plus"))
    if lg.rooms is not None and lg.rooms < 1:
        problems.append(("rooms", f"au moins une pièce, reçu {lg.rooms}"))
    if lg.surface is not None and lg.surface <= 0:
        problems.append(("surface", f"surface positive attendue, reçu {lg.surface:g}"))
    if lg.surface is not None and lg.surface >= 100_000:
        problems.append(("surface", f"surface invraisemblable : {lg.surface:g} m²"))
    for field in ("rent", "charges"):
        value = getattr(lg, field)
        if value < 0:
            problems.append((field, f"montant négatif : {value:g}"))
        elif value >= 10_000_000:
            problems.append((field, f"montant invraisemblable : {value:g}"))
    for field in ("rooms", "floor"):
        value = getattr(lg, field)
        if value is not None and value > 1000:
            problems.append((field, f"valeur invraisemblable : {value}"))
    return problems


def check_logements(good: list[tuple[int, records.Logement]], report: ImportReport, _):
    bailleurs = organisations_by_slug("bailleur")
    communes = existing(Commune.insee, (lg.commune for _, lg in good))
    stored = set(db.session.execute(select(Organisation.slug, Logement.ref).join(
        Organisation, Logement.bailleur_id == Organisation.id)).tuples())
    seen: dict[tuple[str | None, str], int] = {}
    for line, lg in good:
        report.errors.extend(LineError(line, field, reason) for field, reason in stored_problems(lg))
        if lg.bailleur not in bailleurs:
            report.errors.append(LineError(line, "bailleur", f"bailleur inconnu : {lg.bailleur!r}"))
        if lg.commune not in communes:
            report.errors.append(LineError(line, "commune", f"commune inconnue : {lg.commune}"))
        key = (lg.bailleur, lg.id)
        if key in stored:
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
