"""French formatting of dates, amounts and numbers (the one source for pages, PDFs and CSV)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal


def fr_date(value: date | datetime | None, fmt: str = "long") -> str:
    """28 novembre 2026."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format=fmt, locale="fr_FR")


def fr_money(value: float | None) -> str:
    """1 234,50 €."""
    if value is None:
        return "—"
    return format_currency(value, "EUR", locale="fr_FR")


def fr_number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return format_decimal(round(value, digits), locale="fr_FR")
