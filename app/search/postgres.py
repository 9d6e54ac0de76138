"""PostgreSQL full-text backend: ``french_unaccent`` (unaccent, then the French Snowball
stemmer) on the GIN-indexed tsvector of ``offre_search_documents`` (migration f1a0c0de0801).

The documents table is the index (app/search/indexing.py writes the tsvector), so upserts
have nothing more to do. A query is the stem prefixes the other backends use, all required,
read with the ``simple`` configuration so PostgreSQL does not stem them again:
``to_tsquery('simple', 'renov:* & balcon:*')`` ("rénovées balcons"). A prefix of the stem
meets every form PostgreSQL's own French stemmer kept in the index ("rénové" → renov,
"renovee" → renove).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.search import fetch_ids
from app.search import text as search_text

CONFIGURATION = "french_unaccent"


def ts_query(query: str) -> str | None:
    """The to_tsquery text of a free-text query (stems are letters and digits only)."""
    return " & ".join(f"{t}:*" for t in search_text.query_terms(query)) or None


class PostgresBackend:
    name = "postgresql"

    def upsert(self, rows: Sequence[Any]) -> None:
        """The tsvector was written with the document."""

    def remove(self, offre_ids: Sequence[int]) -> None:
        """The document was deleted with the others."""

    def search(self, query: str, *, ranked: bool = True) -> list[int] | None:
        """Ids of the matching offers, best first (ts_rank) when ``ranked``, else in id order."""
        q = ts_query(query)
        if q is None:
            return None
        order = "ts_rank(search_vector, query) DESC, offre_id" if ranked else "offre_id"
        return fetch_ids(
            "SELECT offre_id FROM offre_search_documents, "
            "to_tsquery('simple', %(q)s) AS query "
            f"WHERE search_vector @@ query ORDER BY {order}", {"q": q})

    def rebuild(self, rows: Sequence[Any], progress: Callable[[int, int], None]) -> None:
        """The documents table was rebuilt: it is the index."""

    def after_commit(self, rows, removed) -> None:
        """Nothing to push."""
