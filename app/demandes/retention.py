"""Personal-data retention: purge the identity of closed demandes once retention ends.

A closed demande (allocated, struck off or expired) keeps its non-identifying facts, which
allocation statistics and the flux bilans need, but loses what identifies a person: names,
contact details, exact birth dates (generalised to 1 January of the year), employer SIRET,
and every supporting document (rows and stored files) and pending draft of the demande.
Drafts of a demande never filed are deleted once they have not been saved for as long.
The retention period is the RETENTION_MONTHS setting, counted from the closing date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select

from app.accounts.models import LoginAttempt
from app.audit.services import record
from app.demandes.models import Demande, DemandeDraft, Document
from app.extensions import db

CLOSED_STATUSES = ("attribuee", "radiee", "expiree")
IDENTITY_COLUMNS = ("civility", "first_name", "last_name", "email", "phone", "address",
                    "employer_siret")
LOGIN_ATTEMPT_RETENTION = timedelta(days=1)  # enough for throttling; they hold emails and IPs


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass
class PurgeReport:
    cutoff: date
    demandes: list[str] = field(default_factory=list)
    login_attempts: int = 0
    drafts: int = 0
    dry_run: bool = False
    # Stored files of the purged documents: removed by the caller once the purge is committed.
    files: list[str] = field(default_factory=list)


def purge_expired(today: date, months: int, *, dry_run: bool = False) -> PurgeReport:
    """Erase the identity of demandes closed at least ``months`` months before ``today``."""
    cutoff = months_before(today, months)
    due = db.session.scalars(
        select(Demande).where(
            Demande.status.in_(CLOSED_STATUSES),
            Demande.closed_on.is_not(None),
            Demande.closed_on <= cutoff,
            Demande.purged_at.is_(None),
        ).order_by(Demande.id)
    ).all()
    report = PurgeReport(cutoff=cutoff, demandes=[d.nur for d in due], dry_run=dry_run)
    now = datetime.now(UTC)
    stale = LoginAttempt.attempted_at < now - LOGIN_ATTEMPT_RETENTION
    if dry_run:
        report.login_attempts = len(db.session.scalars(select(LoginAttempt.id).where(stale)).all())
        return report
    for demande in due:
        for column in IDENTITY_COLUMNS:
            setattr(demande, column, None)
        for member in demande.members:
            member.first_name = None
            if member.birth_date is not None:
                member.birth_date = date(member.birth_date.year, 1, 1)
        demande.purged_at = now
    stored = _drop_documents([d.id for d in due])
    old_draft = DemandeDraft.saved_at < datetime.combine(cutoff, datetime.min.time(), UTC)
    report.drafts = db.session.execute(delete(DemandeDraft).where(old_draft)).rowcount or 0
    report.login_attempts = db.session.execute(delete(LoginAttempt).where(stale)).rowcount or 0
    if due or report.login_attempts or report.drafts:
        record("retention.purge", entity_type="demande", entity_id=None,
               cutoff=cutoff.isoformat(), demandes=len(due), nurs=report.demandes[:1000],
               login_attempts=report.login_attempts, drafts=report.drafts)
    db.session.flush()
    report.files = stored
    return report


def _drop_documents(demande_ids: list[int]) -> list[str]:
    """Delete the documents and drafts of these demandes; the storage keys of the files."""
    keys: list[str] = []
    for start in range(0, len(demande_ids), 900):
        ids = demande_ids[start:start + 900]
        keys += db.session.scalars(select(Document.storage_key).where(
            Document.demande_id.in_(ids))).all()
        db.session.execute(delete(Document).where(Document.demande_id.in_(ids)))
        db.session.execute(delete(DemandeDraft).where(DemandeDraft.demande_id.in_(ids)))
    return keys
