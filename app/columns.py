"""Shared column helpers for the models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, Index, TextClause, TypeDecorator, text


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')``: SQL string literals in parentheses, quotes doubled; one value is
    ``('a')`` (a Python tuple's text would give ``('a',)``, which is not SQL)."""
    items = [str(v) for v in values]
    if not items:
        raise ValueError("an SQL IN list needs at least one value")
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in items) + ")"


def in_values(column: str, values: Iterable[str]) -> TextClause:
    """``column IN (...)`` as a predicate for partial indexes (``postgresql_where=``,
    ``sqlite_where=``), built from the status constants."""
    return text(f"{column} IN {sql_list(values)}")


def unique_where(name: str, *columns: str, where: str | TextClause) -> Index:
    """A partial unique index, the same predicate on PostgreSQL and SQLite ("one active
    allocation per logement": ``unique_where(name, "logement_id", where=in_values(...))``)."""
    predicate = text(where) if isinstance(where, str) else where
    return Index(name, *columns, unique=True, sqlite_where=predicate, postgresql_where=predicate)


def enum_check(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping a text column within an enumeration of docs/formats.md."""
    return CheckConstraint(f"{column} IN {sql_list(values)}", name=name or f"{column}_enum")
