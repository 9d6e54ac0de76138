"""Read helpers for the platform administration (the operator sees every organisation)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app import parameters
from app.accounts.models import ROLES, Membership, Organisation, User
from app.audit.models import AuditEvent
from app.clock import platform_today
from app.extensions import db

LATEST_EVENTS = 20


def home_summary(user: User) -> dict:
    """Organisations with their users per role, role totals, latest audit events."""
    per_org: dict[int, dict[str, int]] = {}
    for org_id, role, count in db.session.execute(
        select(Membership.organisation_id, User.role, func.count(User.id))
        .join(User, User.id == Membership.user_id)
        .group_by(Membership.organisation_id, User.role)
    ).all():
        per_org.setdefault(org_id, {})[role] = count
    organisations = db.session.scalars(
        select(Organisation).order_by(Organisation.kind, Organisation.name)
    ).all()
    totals = dict(
        db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
    )
    actor = aliased(User)
    org = aliased(Organisation)
    events = db.session.execute(
        select(AuditEvent, actor.email, org.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(org, org.id == AuditEvent.organisation_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(LATEST_EVENTS)
    ).all()
    return {
        "organisation": user.organisation,
        "organisations": [
            {"organisation": o, "users": per_org.get(o.id, {}),
             "total": sum(per_org.get(o.id, {}).values())}
            for o in organisations
        ],
        "roles": [(r, totals.get(r, 0)) for r in ROLES],
        "users_total": sum(totals.values()),
        "events": [{"event": e, "actor": a, "organisation": n} for e, a, n in events],
    }


def regulatory_status() -> parameters.Status:
    """The regulatory figures the home warns about: gaps of this year and, from 1 December,
    of the coming one (app.parameters)."""
    return parameters.status(platform_today())
