"""The search backends (FTS5 on SQLite, PostgreSQL full text, Meilisearch payloads), the index
kept in step at commit, and the list's verdicts against ``python -m matching eligibility``."""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import asdict

import pytest

from app.adapters.records import demande_record, offre_record
from app.extensions import db
from app.search import catalogue, documents, get_backend, meili
from app.search.models import OffreSearchDocument
from matching.cli import eligibility as cli
from tests.functional.offers_support import TODAY, build_territory, offer


@pytest.fixture
def territory(db_session):
    return build_territory()


def dialect() -> str:
    return db.engine.dialect.name


def test_the_database_backend_matches_the_dialect(territory):
    assert get_backend().name == {"sqlite": "fts5", "postgresql": "postgresql"}[dialect()]


@pytest.mark.parametrize(("query", "index"), [
    ("rénovée", 0), ("renovees", 0), ("RENOVE", 0), ("balcon ensoleillé", 0), ("tramway", 0),
    ("la source", 0), ("cuisine equipee", 1), ("studios lumineux", 2), ("loiret", 2),
])
def test_the_backend_folds_accents_and_stems_french(territory, query, index):
    assert get_backend().search(query) == [territory.eligible[index].id]


def test_every_word_is_required_and_an_empty_query_is_no_search(territory):
    backend = get_backend()
    assert backend.search("balcon cave") == []
    assert backend.search("  ,; ") is None
    assert set(backend.search("Olivet")) == {territory.eligible[2].id}


def test_a_changed_offer_is_reindexed_at_commit_and_a_withdrawn_one_forgotten(territory):
    target = territory.eligible[1]
    target.description = "Grande terrasse plein sud"
    db.session.commit()
    assert get_backend().search("terrasses") == [target.id]
    assert get_backend().search("cuisine") == []
    target.flux_status = "retire"
    db.session.commit()
    assert get_backend().search("terrasse") == []
    assert db.session.get(OffreSearchDocument, target.id) is None


def test_rebuild_gives_the_same_answers(territory):
    from app.search.indexing import rebuild

    assert rebuild() == 6
    db.session.commit()
    assert get_backend().search("balcon") == [territory.eligible[0].id]


def test_bulk_records_equal_the_adapters_records(territory):
    rows = documents.offer_rows()
    by_id = {o.id: o for o in [*territory.eligible, *territory.closed.values()]}
    assert {r.id for r in rows} == set(by_id)
    for row in rows:
        assert documents.row_record(row) == offre_record(by_id[row.id])


def test_the_list_verdicts_equal_the_matching_cli(territory, tmp_path):
    """For the same household and offers, eligible exactly when the CLI says so, with the
    same reason codes."""
    cat, verdicts = catalogue.evaluate(demande_record(territory.demande), TODAY)
    demandes = tmp_path / "demandes.jsonl"
    demandes.write_text(json.dumps(_json(asdict(demande_record(territory.demande)))) + "\n")
    for i, rec in enumerate(cat.table.logements):
        offer_file = tmp_path / f"offer-{i}.json"
        offer_file.write_text(json.dumps(_json(asdict(rec))))
        out = io.StringIO()
        status = cli.run(argparse.Namespace(offer=str(offer_file), at=TODAY.isoformat(),
                                            input=str(demandes), format=None), out, io.StringIO())
        assert status == 0
        line = json.loads(out.getvalue())
        assert line["eligible"] == bool(verdicts.ok[i]), rec.id
        assert [r["code"] for r in line["reasons"]] == list(verdicts.codes(i)), rec.id


def _json(value):
    """Records as the exchange format writes them (dates ISO, tuples as lists)."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- Meilisearch


class FakeResponse:
    def __init__(self, body, status=200):
        self._body, self.status_code = body, status
        self.content = json.dumps(body).encode()
        self.text = self.content.decode()

    def json(self):
        return self._body

    def raise_for_status(self):
        pass


class FakeTransport:
    """Stands in for ``requests`` inside the meilisearch client: records every call."""

    def __init__(self, hits=()):
        self.calls, self.hits = [], list(hits)

    def _call(self, method):
        def send(url, timeout=None, headers=None, data=None):
            body = json.loads(data) if data not in (None, "", "null") else None
            self.calls.append((method, url.split("7700/", 1)[1], body))
            if url.endswith("/search"):
                return FakeResponse({"hits": [{"id": h} for h in self.hits]})
            return FakeResponse({"taskUid": len(self.calls), "indexUid": "offres",
                                 "status": "enqueued", "type": "x",
                                 "enqueuedAt": "2026-12-02T00:00:00.000000Z"}, 202)
        send.__name__ = method
        return send

    def __getattr__(self, name):
        if name in ("get", "post", "put", "patch", "delete"):
            return self._call(name)
        import requests

        return getattr(requests, name)


@pytest.fixture
def fake_meili(app, monkeypatch):
    import meilisearch._httprequests as transport

    fake = FakeTransport()
    monkeypatch.setattr(transport, "requests", fake)
    monkeypatch.setitem(app.config, "MEILI_URL", "http://meili.invalid:7700")
    monkeypatch.setitem(app.config, "MEILI_API_KEY", "test-key")
    return fake


def test_meili_filters_always_restrict_to_published_offers_and_quote_values():
    assert meili.filter_expression() == ["is_published = true"]
    assert meili.filter_expression({"commune": 'x" OR is_published = false', "typology": "T3",
                                    "max_rent": 500, "accessible": True, "lift": True,
                                    "max_floor": 2}) == [
        "is_published = true", 'commune = "x\\" OR is_published = false"', 'typology = "T3"',
        "rent_with_charges <= 500.0", "accessible = true", "lift = true", "floor <= 2",
    ]


def test_meili_settings_declare_french_and_the_filterable_sortable_attributes():
    assert meili.SETTINGS["localizedAttributes"] == [{"locales": ["fra"], "attributePatterns": ["*"]}]
    assert "is_published" in meili.SETTINGS["filterableAttributes"]
    assert {"rent_with_charges", "published_at"} <= set(meili.SETTINGS["sortableAttributes"])
    assert meili.SETTINGS["searchableAttributes"][:3] == ["commune_name", "quarter", "stems"]


def test_meili_documents_are_built_from_listed_offers(territory):
    rows = {r.id: r for r in documents.offer_rows()}
    doc = documents.search_document(rows[territory.eligible[0].id])
    assert doc["ref"] == territory.eligible[0].ref and doc["is_published"] is True
    assert doc["commune_name"] == "Orléans" and doc["quarter"] == "La Source"
    assert {"renov", "balcon", "ensoleil", "tramway"} <= set(doc["stems"].split())
    assert doc["rent_with_charges"] == 410.0


def test_meili_is_chosen_by_meili_url_and_pushes_after_commit_only(fake_meili, territory):
    assert get_backend().name == "meilisearch"
    fake_meili.calls.clear()
    target = territory.eligible[0]
    target.description = "Parquet"
    db.session.flush()
    assert fake_meili.calls == []  # nothing leaves before the commit
    db.session.commit()
    method, path, body = fake_meili.calls[-1]
    assert (method, path) == ("post", "indexes/offres/documents?primaryKey=id")
    assert [d["id"] for d in body] == [target.id] and body[0]["description"] == "Parquet"


def test_meili_search_sends_stems_and_the_published_filter(fake_meili, territory):
    fake_meili.hits = [territory.eligible[0].id, 999_999]
    ids = get_backend().search("Balcons rénovés", {"typology": "T2"})
    assert ids == [territory.eligible[0].id, 999_999]
    method, path, body = fake_meili.calls[-1]
    assert (method, path) == ("post", "indexes/offres/search")
    assert body["q"] == "balcon renov"
    assert body["filter"] == ["is_published = true", 'typology = "T2"']


def test_meili_ids_outside_the_households_eligible_offers_are_never_listed(fake_meili, territory):
    """The engine filters what Meilisearch returns: an ineligible or unknown id is dropped."""
    fake_meili.hits = [territory.closed["plafond_depasse"].id, territory.eligible[1].id, 999_999]
    listing = catalogue.list_offers(demande_record(territory.demande),
                                    catalogue.Criteria(q="calme", sort="pertinence"), TODAY)
    assert listing.offer_ids == [territory.eligible[1].id]


def test_meili_rebuild_configures_the_index_then_replaces_documents(fake_meili, territory):
    from app.search.indexing import rebuild

    fake_meili.calls.clear()
    rebuild()
    db.session.commit()
    paths = [(m, p) for m, p, _ in fake_meili.calls]
    assert paths[:3] == [("post", "indexes"), ("patch", "indexes/offres/settings"),
                         ("delete", "indexes/offres/documents")]
    assert ("post", "indexes/offres/documents?primaryKey=id") in paths
    settings = fake_meili.calls[1][2]
    assert settings["filterableAttributes"] == meili.SETTINGS["filterableAttributes"]


def test_offers_added_later_are_found(territory):
    new = offer(territory.olivet, description="Jardinet privatif")
    db.session.commit()
    assert get_backend().search("jardinets") == [new.id]
