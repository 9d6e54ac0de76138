"""The audit trail is append-only, enforced by the database (triggers of the migration)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEvent
from app.audit.services import record
from tests.factories import UserFactory


@pytest.fixture
def event_id(db_session) -> int:
    event = record("test.append_only", actor=UserFactory(), entity_type="user", entity_id="1")
    db_session.flush()
    return event.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'maquille' WHERE id = :id",  # rewriting history
        "UPDATE audit_events SET actor_id = NULL WHERE id = :id",  # hiding who did it
        "DELETE FROM audit_events WHERE id = :id",  # erasing it
    ],
)
def test_audit_events_cannot_be_updated_or_deleted(db_session, event_id, statement):
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement), {"id": event_id})

    assert db_session.scalar(select(AuditEvent.action).where(AuditEvent.id == event_id)) == (
        "test.append_only"
    )


def test_audit_events_can_still_be_appended(db_session, event_id):
    db_session.execute(
        text(
            "INSERT INTO audit_events (occurred_at, action, details) "
            "VALUES (CURRENT_TIMESTAMP, 'test.second', '{}')"
        )
    )
    assert db_session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "test.second"
    )
