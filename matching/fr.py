"""French formatting of figures in user-facing messages ("23 403 €", "35,2 %")."""

from __future__ import annotations

NBSP = "\u00a0"


def number(value: float, decimals: int = 0) -> str:
    """French number: non-breaking space as thousands separator, comma as decimal mark."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def eur(value: float, decimals: int | None = None) -> str:
    """Amount in euros; cents only when the amount has some (or when asked)."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    return f"{number(value, decimals)}{NBSP}€"


def pct(ratio: float, decimals: int = 1) -> str:
    """A ratio as a French percentage: 0.352 → "35,2 %"."""
    return f"{number(ratio * 100, decimals)}{NBSP}%"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Count and noun: "1 offre", "3 offres"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
