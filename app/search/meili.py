"""Meilisearch backend, used when ``MEILI_URL`` is set.

The index ``offres`` holds one document per published, open offer (app/search/documents.py:
commune, quarter, programme, description and their French stems, plus the filterable
figures). Meilisearch folds accents but does not stem French: the ``stems`` attribute carries
the Snowball stems, and queries are sent stemmed. Every search is filtered to published offers
(``is_published = true``) whatever else is asked; the requester's eligibility is applied by
the engine on the ids returned (app/search/catalogue.py). Documents are pushed after the
database commit, never before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import meilisearch

from app.search import text as search_text
from app.search.documents import search_document

INDEX = "offres"
MAX_HITS = 100_000
SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["commune_name", "quarter", "stems", "programme", "description"],
    "filterableAttributes": ["id", "is_published", "flux_status", "commune", "typology", "financing",
                             "rent_with_charges", "floor", "lift", "accessible"],
    "sortableAttributes": ["rent_with_charges", "published_at", "floor"],
    "displayedAttributes": ["id", "ref"],
    "localizedAttributes": [{"locales": ["fra"], "attributePatterns": ["*"]}],
    "pagination": {"maxTotalHits": MAX_HITS},
}
PUBLISHED_ONLY = "is_published = true"


def _quoted(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def filter_expression(criteria: Mapping[str, Any] | None = None) -> list[str]:
    """The Meilisearch filter of a search: published offers only, then the requester's
    filters (values already validated; strings quoted)."""
    criteria = criteria or {}
    out = [PUBLISHED_ONLY]
    if criteria.get("commune"):
        out.append(f"commune = {_quoted(criteria['commune'])}")
    if criteria.get("typology"):
        out.append(f"typology = {_quoted(criteria['typology'])}")
    if criteria.get("max_rent") is not None:
        out.append(f"rent_with_charges <= {float(criteria['max_rent'])}")
    if criteria.get("accessible"):
        out.append("accessible = true")
    if criteria.get("lift"):
        out.append("lift = true")
    if criteria.get("max_floor") is not None:
        out.append(f"floor <= {int(criteria['max_floor'])}")
    return out


def search_payload(query: str, criteria: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parameters of the search request for a free-text query."""
    return {
        "filter": filter_expression(criteria),
        "limit": MAX_HITS,
        "attributesToRetrieve": ["id"],
        "matchingStrategy": "all",
    }


class MeiliBackend:
    name = "meilisearch"

    def __init__(self, client: meilisearch.Client):
        self.client = client
        self._rebuild_rows: Sequence[Any] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MeiliBackend:
        return cls(meilisearch.Client(config["MEILI_URL"], config.get("MEILI_API_KEY"),
                                      timeout=5))

    @property
    def index(self):
        return self.client.index(INDEX)

    def upsert(self, rows: Sequence[Any]) -> None:
        """Pushed after commit."""

    def remove(self, offre_ids: Sequence[int]) -> None:
        """Removed after commit."""

    def search(self, query: str, criteria: Mapping[str, Any] | None = None) -> list[int] | None:
        terms = search_text.query_terms(query)
        if not terms:
            return None
        result = self.index.search(" ".join(terms), search_payload(query, criteria))
        return [int(hit["id"]) for hit in result["hits"]]

    def rebuild(self, rows: Sequence[Any], progress: Callable[[int, int], None]) -> None:
        self._rebuild_rows = rows

    def configure(self) -> None:
        self.client.create_index(INDEX, {"primaryKey": "id"})
        self.index.update_settings(SETTINGS)

    def after_commit(self, rows, removed) -> None:
        if rows is None:  # a full rebuild
            rows, self._rebuild_rows = self._rebuild_rows or [], None
            self.configure()
            self.index.delete_all_documents()
        if rows:
            docs = [search_document(r) for r in rows]
            for start in range(0, len(docs), 1000):
                self.index.add_documents(docs[start:start + 1000], primary_key="id")
        if removed:
            ids = ", ".join(str(int(i)) for i in removed)
            self.index.delete_documents(filter=f"id IN [{ids}]")
