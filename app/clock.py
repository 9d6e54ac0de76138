"""The platform's date (PLATFORM_TODAY fixes it for demos and tests)."""

from __future__ import annotations

from datetime import date

from flask import current_app


def platform_today() -> date:
    """Today's date for the platform (PLATFORM_TODAY fixes it for demos and tests)."""
    fixed = current_app.config.get("PLATFORM_TODAY")
    return date.fromisoformat(fixed) if fixed else date.today()


def cli_day(value: str | None, option: str = "--today") -> date:
    """A command line's date option (AAAA-MM-JJ); the platform's date when it is not given."""
    import click

    try:
        return date.fromisoformat(value) if value else platform_today()
    except ValueError:
        raise click.BadParameter(f"date AAAA-MM-JJ invalide : {value!r}",
                                 param_hint=option) from None
