"""Read helpers for this area (always scoped to the user's organisation)."""

from __future__ import annotations

from ..models import User


def home_summary(user: User) -> dict:
    return {"organisation": user.organisation}
