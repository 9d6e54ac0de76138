"""Request text turned into numbers, and request text quoted back: one place for both.

Every integer or id read from a request (form field, query string, path, session) goes
through :func:`parse_int` or :func:`parse_id`: ASCII digits only (``"²".isdigit()`` is true
but ``int("²")`` fails, and ``int("١٢")`` is 12), a bounded number of digits (no quadratic
``int()`` on a 100 000-digit string) and a value the database column can hold (SQLite raises
``OverflowError`` past 64 bits, PostgreSQL refuses past the column's type). Out of range or
malformed is ``None``; the caller decides whether that is a 404 or a message.

Messages that quote what the user typed quote at most a short prefix (:func:`quote_prefix`),
so a 10 000-character value is never echoed back whole.
"""

from __future__ import annotations

import re

# Primary keys are INTEGER columns (SQLAlchemy ``Integer``): 32 bits on PostgreSQL.
ID_MAX = 2**31 - 1
# The widest integer column either database holds (BIGINT; SQLite's INTEGER is 64 bits).
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1

_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")  # ASCII digits; 20 is enough for any BIGINT

QUOTE_LENGTH = 40


def parse_int(value: object, *, minimum: int = INTEGER_MIN, maximum: int = INTEGER_MAX
              ) -> int | None:
    """The integer written in ``value`` (surrounding spaces allowed) if it lies within
    [minimum, maximum]; None for anything else (empty, not ASCII digits, out of range)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def parse_id(value: object) -> int | None:
    """A database id (a positive INTEGER primary key) from request text, or None."""
    return parse_int(value, minimum=1, maximum=ID_MAX)


def coerce_id(value: object) -> int:
    """``coerce=`` for a WTForms select of ids: a malformed or out-of-range id is refused
    (WTForms turns the ValueError into the field's "not a valid choice" error)."""
    number = parse_id(value)
    if number is None:
        raise ValueError("identifiant invalide")
    return number


def quote_prefix(value: object, length: int = QUOTE_LENGTH) -> str:
    """``value`` as text, cut to ``length`` characters with "…" when longer (for messages)."""
    text = "" if value is None else str(value)
    if len(text) <= length:
        return text
    return text[:length] + "…"
