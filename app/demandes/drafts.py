"""Drafts of the demande form: what the requester typed, kept until they file it.

A draft is the raw form data (field name → list of values), stored as it was posted, valid or
not, so that nothing entered is lost when the requester leaves halfway; the full validation
runs when they press « Déposer ma demande ». A draft is not a demande: no NUR, no cotation.
One draft per requester for a new demande (``demande=None``), one per filed demande for
pending changes. Flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import User
from app.columns import utcnow
from app.demandes.models import Demande, DemandeDraft
from app.extensions import db

# Names of the form's fields (household-3-birth_date, communes-0…): anything else is dropped.
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}(?:-[0-9]{1,2}(?:-[a-z][a-z0-9_]{0,39})?)?$")
_IGNORED = frozenset({"csrf_token", "save", "save_draft", "add_member", "remove_member"})
MAX_KEYS = 400
MAX_VALUES = 30
MAX_VALUE_LENGTH = 1000  # longer than any field accepts: its own check still speaks on filing


def draft_data(form: MultiDict | Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The posted fields worth keeping, bounded (a crafted request cannot store megabytes)."""
    items = form.items(multi=True) if isinstance(form, MultiDict) else form
    out: dict[str, list[str]] = {}
    for name, value in items:
        if name in _IGNORED or not _FIELD_NAME.match(name) or not isinstance(value, str):
            continue
        if name not in out and len(out) >= MAX_KEYS:
            continue
        values = out.setdefault(name, [])
        if len(values) < MAX_VALUES:
            values.append(value[:MAX_VALUE_LENGTH])
    return out


def find_draft(user: User, demande: Demande | None = None) -> DemandeDraft | None:
    query = select(DemandeDraft).where(DemandeDraft.requester_id == user.id)
    if demande is None:
        query = query.where(DemandeDraft.demande_id.is_(None))
    else:
        query = query.where(DemandeDraft.demande_id == demande.id)
    return db.session.scalar(query)


def save_draft(user: User, form: MultiDict, demande: Demande | None = None) -> DemandeDraft:
    """Keep what the requester typed (replacing their previous draft of the same demande)."""
    draft = find_draft(user, demande)
    if draft is None:
        draft = DemandeDraft(requester_id=user.id, demande_id=demande.id if demande else None)
        db.session.add(draft)
    draft.data = draft_data(form)
    draft.saved_at = utcnow()
    db.session.flush()
    return draft


def draft_formdata(draft: DemandeDraft) -> MultiDict:
    """The draft as form data, to fill the form again exactly as it was left."""
    return MultiDict([(name, value) for name, values in (draft.data or {}).items()
                      for value in values if isinstance(value, str)])


def discard_draft(user: User, demande: Demande | None = None) -> None:
    draft = find_draft(user, demande)
    if draft is not None:
        db.session.delete(draft)
        db.session.flush()


def draft_saved_at(user: User) -> datetime | None:
    """When the requester's draft of a new demande was last saved (home page), if any."""
    draft = find_draft(user)
    return draft.saved_at if draft is not None else None
