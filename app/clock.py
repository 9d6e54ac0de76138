"""The platform's date (PLATFORM_TODAY fixes it for demos and tests)."""

from __future__ import annotations

from datetime import date

from flask import current_app


def platform_today() -> date:
    """Today's date for the platform (PLATFORM_TODAY fixes it for demos and tests)."""
    fixed = current_app.config.get("PLATFORM_TODAY")
    return date.fromisoformat(fixed) if fixed else date.today()
