"""Writing the append-only audit trail."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db


def record(action: str, *, actor: User | None = None, entity_type: str | None = None,
           entity_id: str | None = None, **details: Any) -> AuditEvent:
    """Append one audit event (flushed with the unit of work)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        organisation_id=actor.organisation_id if actor is not None else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        client=(request.remote_addr or "")[:64] if has_request_context() else None,
        details=details,
    )
    db.session.add(event)
    return event
