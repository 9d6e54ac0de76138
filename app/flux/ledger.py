"""The flux ledger: every step of a vacancy is an event, and every count is derived from them.

Events are append-only (the database refuses UPDATE and DELETE on ``flux_events``): a
mistake is corrected by a further event, never by an edit. Counters and dashboards are
computed from the events (``counts``), never stored where they could drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.flux.models import FLUX_EVENT_KINDS, FluxEvent, Offre

# The events that count for a réservataire's share, by what its convention counts on
# (convention ``counts_on``): made available, allocated, or leased.
COUNTED_KINDS = ("mise_a_disposition", "attribution", "bail_signe")
_INHERIT = object()


class LedgerError(ValueError):
    """An event that the ledger refuses (unknown kind, counted event without convention)."""


def record_event(offre: Offre, kind: str, on: date, *, reservataire_id: Any = _INHERIT,
                 convention_id: Any = _INHERIT, actor: User | None = None,
                 note: str | None = None, details: Mapping[str, Any] | None = None) -> FluxEvent:
    """Append one event for an offer (flushed with the unit of work).

    The réservataire and the convention default to the offer's: an event counts for the
    réservataire the dwelling is oriented to, under its convention. Pass ``None`` for an event
    that counts for nobody (the bailleur's own share, hors flux)."""
    if kind not in FLUX_EVENT_KINDS:
        raise LedgerError(f"type d'événement inconnu : {kind!r}")
    if reservataire_id is _INHERIT:
        reservataire_id = offre.reservataire_id
    if convention_id is _INHERIT:
        convention_id = offre.convention_id if reservataire_id == offre.reservataire_id else None
    if reservataire_id is not None and convention_id is None:
        raise LedgerError("un événement compté pour un réservataire doit citer sa convention")
    event = FluxEvent(
        offre_id=offre.id, kind=kind, occurred_on=on, reservataire_id=reservataire_id,
        convention_id=convention_id, actor_id=actor.id if actor is not None else None,
        note=note, details=dict(details) if details else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def history(offre: Offre) -> list[FluxEvent]:
    """The events of an offer, oldest first (the timeline shown to staff)."""
    return list(db.session.scalars(
        select(FluxEvent).where(FluxEvent.offre_id == offre.id)
        .order_by(FluxEvent.occurred_on, FluxEvent.id)
    ))


def counts(*, kinds: Iterable[str] = COUNTED_KINDS, conventions: Iterable[int] | None = None,
           start: date | None = None, end: date | None = None) -> Counter[tuple[int, str]]:
    """Events per (convention id, kind) between two dates (inclusive), derived from the ledger."""
    query = (
        select(FluxEvent.convention_id, FluxEvent.kind, func.count(FluxEvent.id))
        .where(FluxEvent.kind.in_(list(kinds)), FluxEvent.convention_id.is_not(None))
        .group_by(FluxEvent.convention_id, FluxEvent.kind)
    )
    if conventions is not None:
        query = query.where(FluxEvent.convention_id.in_(list(conventions)))
    if start is not None:
        query = query.where(FluxEvent.occurred_on >= start)
    if end is not None:
        query = query.where(FluxEvent.occurred_on <= end)
    return Counter({(cid, kind): n for cid, kind, n in db.session.execute(query)})
