"""At the end of retention, a closed demande loses its supporting documents (rows and files)
and its pending draft, with its identity."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.demandes.documents import upload_document
from app.demandes.models import DemandeDraft, Document
from app.demandes.retention import purge_expired
from tests.factories import DemandeFactory, UserFactory

PDF = b"%PDF-1.4\n" + b"0" * 100


def test_purging_a_closed_demande_removes_its_documents_and_draft(app, db_session, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    requester = UserFactory(role="demandeur")
    closed = DemandeFactory(requester_id=requester.id, status="radiee",
                            closed_on=date(2024, 1, 31))
    kept = DemandeFactory(requester_id=requester.id)
    for demande in (closed, kept):
        upload_document(requester, demande, "rfr_n2",
                        FileStorage(io.BytesIO(PDF), filename="avis.pdf"))
    db_session.add(DemandeDraft(requester_id=requester.id, demande_id=closed.id, data={}))
    db_session.flush()
    files = {d.demande_id: tmp_path / d.storage_key[:2] / d.storage_key
             for d in db_session.scalars(select(Document))}
    assert all(path.is_file() for path in files.values())

    # The operation removes the rows; their files wait for the commit.
    report = purge_expired(date(2026, 3, 2), 24)
    assert report.demandes == [closed.nur]
    assert [d.demande_id for d in db_session.scalars(select(Document))] == [kept.id]
    assert db_session.scalars(select(DemandeDraft)).all() == []
    assert report.files == [files[closed.id].name] and files[closed.id].is_file()


def test_the_purge_command_removes_the_files_once_it_has_committed(app, db_session, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    requester = UserFactory(role="demandeur")
    closed = DemandeFactory(requester_id=requester.id, status="radiee",
                            closed_on=date(2024, 1, 31))
    upload_document(requester, closed, "rfr_n2", FileStorage(io.BytesIO(PDF), filename="a.pdf"))
    db_session.flush()
    document = db_session.scalar(select(Document))
    path = tmp_path / document.storage_key[:2] / document.storage_key
    result = app.test_cli_runner().invoke(args=["retention", "purge", "--today", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert not path.exists()
    assert db_session.scalar(select(Document)) is None


def test_a_draft_left_unsaved_for_the_retention_period_is_deleted(app, db_session):
    requester = UserFactory(role="demandeur")
    old = DemandeDraft(requester_id=requester.id, data={"last_name": ["Martin"]},
                       saved_at=datetime(2024, 2, 1, tzinfo=UTC))
    recent = DemandeDraft(requester_id=UserFactory(role="demandeur").id, data={},
                          saved_at=datetime(2026, 2, 1, tzinfo=UTC))
    db_session.add_all([old, recent])
    db_session.flush()

    report = purge_expired(date(2026, 3, 2), 24)

    assert report.drafts == 1
    assert db_session.scalars(select(DemandeDraft)).all() == [recent]
