"""Offer search (location choisie): one interface, three backends.

- ``Fts5Backend`` (SQLite, the embedded default): words folded and stemmed in Python
  (app/search/text.py) into an FTS5 table with ``remove_diacritics``;
- ``PostgresBackend``: PostgreSQL full text, configuration ``french_unaccent`` (unaccent then
  the French Snowball stemmer) on a GIN-indexed tsvector;
- ``MeiliBackend`` when ``MEILI_URL`` is set: a Meilisearch index of published offers.

A backend answers free text with offer ids; the filters, the eligibility (the engine's
vectorised path) and the order are applied by app/search/catalogue.py on those ids.
The documents table ``offre_search_documents`` is kept by app/search/indexing.py at every
commit that touches an offer or a logement; ``flask search reindex`` rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flask import current_app

from app.extensions import db


class SearchBackend(Protocol):
    name: str

    def upsert(self, rows: Sequence[Any]) -> None:
        """Index (or re-index) these offer rows (app/search/documents.py)."""

    def remove(self, offre_ids: Sequence[int]) -> None:
        """Forget these offers (unpublished, allocated, withdrawn)."""

    def search(self, query: str, *, ranked: bool = True) -> list[int] | None:
        """Ids of the listed offers matching the text, best first (in id order when not
        ``ranked``); None for an empty query."""

    def rebuild(self, rows: Sequence[Any], progress: Callable[[int, int], None]) -> None:
        """Drop everything and index these rows."""


def fetch_ids(sql: str, params: dict[str, Any]) -> list[int]:
    """The first column of a query's rows as ints, read with the driver's own cursor in the
    session's transaction: a text search can match thousands of offers, and building a
    SQLAlchemy row for each costs more than the match itself. ``sql`` uses the driver's
    named-parameter style (``:name`` for sqlite3, ``%(name)s`` for psycopg)."""
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]
    finally:
        cursor.close()


def get_backend() -> SearchBackend:
    """Meilisearch when MEILI_URL is set, else the database's own full-text search."""
    url = current_app.config.get("MEILI_URL")
    if url:
        from app.search.meili import MeiliBackend

        return MeiliBackend.from_config(current_app.config)
    if db.engine.dialect.name == "postgresql":
        from app.search.postgres import PostgresBackend

        return PostgresBackend()
    from app.search.fts5 import Fts5Backend

    return Fts5Backend()
