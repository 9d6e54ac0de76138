"""Keeping the offer index in step with the offers.

Every session that changes an ``Offre`` or a ``Logement`` collects the offer ids touched
(``after_flush``); just before its commit the documents are rewritten in the same transaction
(``before_commit``: the database index is never out of step with what committed), and the
Meilisearch backend pushes them once the commit is done (``after_commit``). Bulk loads that
bypass the ORM (imports, the demo) call ``reindex_offers`` explicitly, and
``flask search reindex`` rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask import has_app_context
from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.orm import Session

from app.flux.models import Offre
from app.patrimoine.models import Logement
from app.search import documents, get_backend
from app.search.models import OffreSearchDocument

_PENDING = "search.pending_offres"
_LOGEMENTS = "search.pending_logements"
_PUSH = "search.after_commit"
BATCH = 2000


def write_documents(session: Session, rows, removed: Iterable[int] = ()) -> None:
    """Rewrite the documents of these rows (and drop ``removed``) in the session's transaction."""
    ids = [r.id for r in rows] + list(removed)
    table = OffreSearchDocument.__table__
    for start in range(0, len(ids), BATCH):
        session.execute(delete(table).where(table.c.offre_id.in_(ids[start:start + BATCH])))
    if not rows:
        return
    now = datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("INSERT INTO offre_search_documents (offre_id, quarter, search_vector, indexed_at)"
                 " VALUES (:id, :quarter, to_tsvector('french_unaccent', :body), :now)"),
            [{"id": r.id, "quarter": r.quarter, "body": documents.searchable_text(r), "now": now}
             for r in rows],
        )
    else:
        from app.search import text as search_text

        session.execute(insert(table), [
            {"offre_id": r.id, "quarter": r.quarter, "indexed_at": now,
             "search_vector": search_text.stemmed(documents.searchable_text(r))}
            for r in rows
        ])


def reindex_offers(offre_ids: Iterable[int]) -> None:
    """Re-index these offers now, in the current transaction (the caller commits)."""
    ids = sorted(set(offre_ids))
    if not ids:
        return
    from app.extensions import db

    rows = []
    for start in range(0, len(ids), BATCH):
        rows.extend(documents.offer_rows(ids[start:start + BATCH]))
    removed = sorted(set(ids) - {r.id for r in rows})
    backend = get_backend()
    write_documents(db.session, rows, removed)
    backend.upsert(rows)
    backend.remove(removed)
    db.session.info.setdefault(_PUSH, []).append((backend, rows, removed))


def rebuild(progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Drop and rebuild the whole index from the listed offers; returns their number."""
    from app.extensions import db

    rows = documents.offer_rows()
    db.session.execute(delete(OffreSearchDocument.__table__))
    total = len(rows)
    for start in range(0, total, BATCH):
        write_documents(db.session, rows[start:start + BATCH])
        progress(min(start + BATCH, total), total)
    backend = get_backend()
    backend.rebuild(rows, progress)
    db.session.info.setdefault(_PUSH, []).append((backend, None, None))
    return total


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Offre) and obj.id is not None:
            session.info.setdefault(_PENDING, set()).add(obj.id)
        elif isinstance(obj, Logement) and obj.id is not None and obj not in session.new:
            session.info.setdefault(_LOGEMENTS, set()).add(obj.id)


@event.listens_for(Session, "before_commit")
def _index_before_commit(session: Session) -> None:
    if not has_app_context():
        return
    from app.extensions import db

    if session is not db.session():  # another session (a script's own): not ours to index
        return
    session.flush()
    offre_ids = session.info.pop(_PENDING, set())
    logement_ids = session.info.pop(_LOGEMENTS, set())
    if logement_ids:
        offre_ids |= set(session.scalars(
            select(Offre.id).where(Offre.logement_id.in_(sorted(logement_ids)))))
    if offre_ids:
        reindex_offers(offre_ids)


@event.listens_for(Session, "after_commit")
def _push_after_commit(session: Session) -> None:
    for backend, rows, removed in session.info.pop(_PUSH, []):
        backend.after_commit(rows, removed)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (_PENDING, _LOGEMENTS, _PUSH):
        session.info.pop(key, None)
