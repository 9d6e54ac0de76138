"""French formatting of figures and dates ("23 403 €", "35,2 %", "28 novembre 2026").

The one source of French formatting: the engine's messages, the pages (through the Jinja
filters of app/formatting.py), the PDFs and the command lines all use it.
"""

from __future__ import annotations

from datetime import date, datetime

NBSP = "\u00a0"


def number(value: float, decimals: int = 0) -> str:
    """French number: non-breaking space as thousands separator, comma as decimal mark."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def decimal(value: float, max_decimals: int = 2) -> str:
    """French number with at most ``max_decimals`` decimals, trailing zeros dropped:
    22.5 → "22,5", 1234 → "1 234"."""
    text = number(round(value, max_decimals), max_decimals)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def eur(value: float, decimals: int | None = None) -> str:
    """Amount in euros; cents only when the amount has some (or when asked)."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    return f"{number(value, decimals)}{NBSP}€"


def pct(ratio: float, decimals: int = 1) -> str:
    """A ratio as a French percentage: 0.352 → "35,2 %"."""
    return f"{number(ratio * 100, decimals)}{NBSP}%"


def de(name: str) -> str:
    """The preposition "de" before a name, elided before a vowel: "d'Orléans Métropole",
    "de Tours Métropole" (an h is left alone: whether it is mute depends on the word)."""
    return f"d’{name}" if name[:1].lower() in "aâàeéèêëiîïoôuùûüyœ" else f"de {name}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Count and noun: "1 offre", "3 offres"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DATE_STYLES = ("long", "medium", "short", "full")


def day(value: date | datetime, style: str = "long") -> str:
    """A French date: long "28 novembre 2026", medium "28 nov. 2026", short "28/11/2026",
    full "samedi 28 novembre 2026"."""
    if isinstance(value, datetime):
        value = value.date()
    if style == "short":
        return f"{value:%d/%m/%Y}"
    if style == "medium":
        return f"{value.day} {MONTHS_SHORT[value.month - 1]} {value.year}"
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if style == "full":
        return f"{WEEKDAYS[value.weekday()]} {text}"
    if style != "long":
        raise ValueError(f"unknown date style {style!r} (one of {', '.join(DATE_STYLES)})")
    return text
