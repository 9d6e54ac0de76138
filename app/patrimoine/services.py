"""Writes on the bailleur's parc: import from a file, edit, retire, exclude from the flux.

Services flush and never commit (the request boundary does). Every edit of a logement checks
the version the person saw (``Logement.version``, SQLAlchemy's ``version_id_col``): an edit
made on a stale page, or racing another one, raises :class:`EditConflict` and writes nothing.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.adapters.records import logement_record
from app.adapters.rows import insert_rows
from app.extensions import db
from app.flux.models import OPEN_FLUX_STATUSES, Offre
from app.imports import ImportReport
from app.patrimoine.imports import check_logements, stored_problems
from app.patrimoine.models import HORS_FLUX_REASONS, RETIRED_REASONS, Logement
from matching import records
from matching.records import LineError, RecordError

# The fields of a logement a bailleur edits on its page (reference, commune and zone are
# the dwelling's identity: a mistake there is a new logement).
EDITABLE_FIELDS = (
    "address", "qpv", "qpv_name", "typology", "rooms", "surface", "floor", "lift",
    "accessible", "financing", "rent", "charges", "construction_year",
)
# The exchange-format fields among them (parse_logement checks them; docs/formats.md).
_RECORD_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in ("address", "qpv_name"))

MSG_CONFLICT = (
    "Ce logement a été modifié par quelqu'un d'autre pendant que vous le modifiiez. "
    "Vos saisies sont conservées ci-dessous et les valeurs enregistrées entre-temps sont "
    "indiquées sous chaque champ concerné : vérifiez-les, puis enregistrez à nouveau."
)


class EditConflict(Exception):
    """The logement changed since the person loaded the page (their version is stale)."""

    def __init__(self, logement: Logement):
        super().__init__(MSG_CONFLICT)
        self.logement = logement


class PatrimoineError(ValueError):
    """A refused operation, with the form field it concerns and a French message."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _save(logement: Logement, expected_version: int, change) -> Logement:
    """Apply ``change`` if the page's version is current, inside a savepoint: a concurrent
    writer (the UPDATE matched no row of that version) rolls it back and is a conflict."""
    if logement.version != expected_version:
        raise EditConflict(logement)
    savepoint = db.session.begin_nested()
    try:
        change()
        db.session.flush()
    except StaleDataError:
        savepoint.rollback()
        db.session.refresh(logement)
        raise EditConflict(logement) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return logement


def check_edit(logement: Logement, values: Mapping[str, Any]) -> None:
    """Check edited values with the exchange format's own parser (the same rules as an
    import); PatrimoineError on the first field it refuses."""
    current = {k: v for k, v in dataclasses.asdict(logement_record(logement)).items()
               if v is not None}
    current.update({k: values[k] for k in _RECORD_FIELDS if values.get(k) is not None})
    for key in _RECORD_FIELDS:
        if key in values and values[key] is None:
            current.pop(key, None)
    try:
        record = records.parse_logement(current)
    except RecordError as exc:
        raise PatrimoineError(exc.path.split(".")[0].split("[")[0], exc.reason) from None
    for field, reason in stored_problems(record):
        raise PatrimoineError(field, reason[:1].upper() + reason[1:] + ".")


def update_logement(logement: Logement, values: Mapping[str, Any], *,
                    expected_version: int) -> Logement:
    """Edit the logement's characteristics; EditConflict when the version is stale."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"champs non modifiables : {sorted(unknown)}")
    check_edit(logement, values)

    def change():
        for key, value in values.items():
            setattr(logement, key, value)
        if not logement.qpv:
            logement.qpv_name = None

    return _save(logement, expected_version, change)


def has_open_offer(logement: Logement) -> bool:
    return db.session.scalar(
        select(Offre.id).where(Offre.logement_id == logement.id,
                               Offre.flux_status.in_(OPEN_FLUX_STATUSES)).limit(1)
    ) is not None


def retire_logement(logement: Logement, *, reason: str, on: date,
                    expected_version: int) -> Logement:
    """Take the logement out of the parc (sold, demolished…): it keeps its history and can
    no longer receive a vacancy. Refused while one of its offers is still open."""
    if reason not in RETIRED_REASONS:
        raise PatrimoineError("reason", "Choisissez un motif de sortie dans la liste.")
    if logement.retired_on is not None:
        raise PatrimoineError(None, "Ce logement est déjà sorti du patrimoine.")
    if has_open_offer(logement):
        raise PatrimoineError(None, (
            "Ce logement a une offre en cours : menez-la à son terme ou retirez-la avant de "
            "sortir le logement du patrimoine."))

    def change():
        logement.retired_on = on
        logement.retired_reason = reason

    return _save(logement, expected_version, change)


def exclude_logement(logement: Logement, *, reason: str | None,
                     expected_version: int) -> Logement:
    """Set (or clear, with None) why the logement is outside the flux: its next vacancies
    are recorded « hors flux » and count for no réservataire (docs/regulation.md)."""
    if reason is not None and reason not in HORS_FLUX_REASONS:
        raise PatrimoineError("reason", "Choisissez un motif d'exclusion dans la liste.")
    if logement.retired_on is not None:
        raise PatrimoineError(None, "Ce logement est sorti du patrimoine.")

    def change():
        logement.hors_flux_reason = reason

    return _save(logement, expected_version, change)


def import_logements(user: User, text: str) -> ImportReport:
    """Import the bailleur's logements from CSV text (docs/formats.md, « logement et
    offre »), all or nothing. The ``bailleur`` column may be left out; when present it must
    name the user's organisation."""
    slug = user.organisation.slug
    good, errors = records.read_records(io.StringIO(text), records.parse_logement, "csv")
    report = ImportReport("logements", read=len(good) + len(errors), errors=list(errors))
    own: list[tuple[int, records.Logement]] = []
    for line, lg in good:
        if lg.bailleur is None:
            lg = dataclasses.replace(lg, bailleur=slug)
        elif lg.bailleur != slug:
            report.errors.append(LineError(
                line, "bailleur",
                f"ce fichier ne peut contenir que les logements de {user.organisation.name}"))
            continue
        own.append((line, lg))
    if report.read == 0:
        report.errors.append(LineError(1, "(fichier)", "le fichier ne contient aucun logement"))
    rows = check_logements(own, report, None)
    report.errors.sort(key=lambda e: e.line)
    if report.errors or rows is None:
        return report
    report.inserted = insert_rows(db.session, rows)
    db.session.flush()
    return report


def owned_logement(user: User, logement_id: int) -> Logement | None:
    """The bailleur's logement to act on, or None (another bailleur's answers the same)."""
    return db.session.scalar(select(Logement).where(
        Logement.id == logement_id, Logement.bailleur_id == user.organisation_id))
