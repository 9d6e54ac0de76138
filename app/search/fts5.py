"""SQLite FTS5 backend, the embedded default.

FTS5 has no French stemmer: the words are folded and stemmed in Python (app/search/text.py)
and the FTS table ``offre_fts`` (rowid = offer id) holds the stems; its tokenizer
``unicode61 remove_diacritics 2`` folds whatever accent is left. Queries are prefix terms
("renov*"), all required. The FTS table is a derived index: created on first use, filled from
``offre_search_documents`` when it has just been created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import text

from app.extensions import db
from app.search import fetch_ids
from app.search import text as search_text
from app.search.documents import searchable_text

TABLE = "offre_fts"
CREATE = (f"CREATE VIRTUAL TABLE {TABLE} USING fts5(body, "
          "tokenize = 'unicode61 remove_diacritics 2')")


def fts_query(query: str) -> str | None:
    """The FTS5 MATCH expression of a free-text query: every stem as a quoted prefix."""
    terms = search_text.query_terms(query)
    return " ".join(f'"{t}"*' for t in terms) or None


class Fts5Backend:
    name = "fts5"

    def ensure(self) -> None:
        exists = db.session.execute(text(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": TABLE}).first()
        if exists is None:
            db.session.execute(text(CREATE))
            db.session.execute(text(
                f"INSERT INTO {TABLE} (rowid, body) "
                "SELECT offre_id, search_vector FROM offre_search_documents"))

    def upsert(self, rows: Sequence[Any]) -> None:
        if not rows:
            return
        self.ensure()
        self.remove([r.id for r in rows])
        db.session.execute(
            text(f"INSERT INTO {TABLE} (rowid, body) VALUES (:id, :body)"),
            [{"id": r.id, "body": search_text.stemmed(searchable_text(r))} for r in rows],
        )

    def remove(self, offre_ids: Sequence[int]) -> None:
        if not offre_ids:
            return
        self.ensure()
        ids = list(offre_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join(f":i{n}" for n in range(len(chunk)))
            db.session.execute(text(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})"),
                               {f"i{n}": v for n, v in enumerate(chunk)})

    def search(self, query: str, *, ranked: bool = True) -> list[int] | None:
        """Ids of the matching offers, best first (bm25) when ``ranked``, else in id order:
        ranking thousands of hits costs several times the match itself."""
        match = fts_query(query)
        if match is None:
            return None
        self.ensure()
        order = "rank" if ranked else "rowid"
        return fetch_ids(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :q ORDER BY {order}",
                         {"q": match})

    def rebuild(self, rows: Sequence[Any], progress: Callable[[int, int], None]) -> None:
        db.session.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        db.session.execute(text(CREATE))
        total = len(rows)
        for start in range(0, total, 2000):
            batch = rows[start:start + 2000]
            db.session.execute(
                text(f"INSERT INTO {TABLE} (rowid, body) VALUES (:id, :body)"),
                [{"id": r.id, "body": search_text.stemmed(searchable_text(r))} for r in batch],
            )
            progress(min(start + 2000, total), total)

    def after_commit(self, rows, removed) -> None:
        """Nothing to do: the FTS table changed in the committed transaction."""
