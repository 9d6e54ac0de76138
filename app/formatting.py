"""The Jinja filters for French dates, amounts and numbers.

They only add the "—" of a missing value: the formatting itself is matching.fr, the one
source shared with the engine's messages, the PDFs and the command lines.
"""

from __future__ import annotations

from datetime import date, datetime

from matching import fr

MISSING = "—"


def fr_date(value: date | datetime | None, style: str = "long") -> str:
    """28 novembre 2026 (styles: long, medium, short, full)."""
    return MISSING if value is None else fr.day(value, style)


def fr_money(value: float | None) -> str:
    """1 234,50 €."""
    return MISSING if value is None else fr.eur(value, 2)


def fr_number(value: float | None, digits: int = 2) -> str:
    """1 234 or 22,5: at most ``digits`` decimals, trailing zeros dropped."""
    return MISSING if value is None else fr.decimal(value, digits)
