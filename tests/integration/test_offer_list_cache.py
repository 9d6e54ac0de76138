"""What the offers list keeps between requests (app/search/catalogue.py) and the cheaper reads
behind it: kept only while nothing it depends on changed.

The catalogue of listed offers is kept per process while its fingerprint (highest offer id,
number and latest write of the search documents) is unchanged; a household's verdicts are kept
with the catalogue, keyed by the household's whole record and the date, so a change in any of
the demande's rows (not only the demande's own columns) computes them again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.adapters.records import demande_record
from app.attribution import applications
from app.demandes.models import WishedCommune
from app.extensions import db
from app.search import catalogue, get_backend
from tests.factories import CalDecisionFactory
from tests.functional.offers_support import TODAY, build_territory


@pytest.fixture
def territory(db_session):
    catalogue._cache.clear()
    yield build_territory()
    catalogue._cache.clear()


def listed(territory, **criteria) -> list[int]:
    listing = catalogue.list_offers(demande_record(territory.demande),
                                    catalogue.Criteria(**criteria), TODAY)
    return listing.offer_ids


def test_the_catalogue_is_kept_while_nothing_changed_and_rebuilt_after_a_change(territory):
    first = catalogue.catalogue()
    assert catalogue.catalogue() is first
    territory.eligible[0].flux_status = "retire"
    db.session.commit()
    rebuilt = catalogue.catalogue()
    assert rebuilt is not first
    assert territory.eligible[0].id not in rebuilt.position
    assert len(rebuilt.rows) == len(first.rows) - 1


def test_a_changed_logement_is_seen_by_the_next_list(territory):
    target = territory.eligible[1]
    assert target.id in listed(territory, max_rent=450)
    target.logement.rent = 900
    db.session.commit()
    assert target.id not in listed(territory, max_rent=450)
    row = catalogue.catalogue().rows_of([target.id])[0]
    assert float(row.rent) == 900


def test_kept_verdicts_follow_a_change_in_the_demandes_own_rows(territory):
    """A new wished commune is a row of its own (the demande's columns do not change): the
    offer in that commune opens at once."""
    saran_offer = territory.closed["hors_souhaits_geographiques"]
    assert saran_offer.id not in listed(territory)
    territory.demande.wished_communes.append(
        WishedCommune(rank=3, commune_insee=territory.elsewhere.insee))
    db.session.commit()
    db.session.expire(territory.demande)
    assert saran_offer.id in listed(territory)


def test_kept_verdicts_are_those_of_the_engine_for_the_day_asked(territory):
    record = demande_record(territory.demande)
    cat = catalogue.catalogue()
    for on in (TODAY, TODAY - timedelta(days=200)):
        kept = cat.summary(record, on)
        assert cat.summary(record, on) is kept
        assert (kept.ok == cat.table.evaluate(record, on).ok).all()


def test_an_unranked_search_finds_the_same_offers_in_id_order(territory):
    backend = get_backend()
    ranked = backend.search("orleans")
    unranked = backend.search("orleans", ranked=False)
    assert len(unranked) == 4  # two open offers and two closed ones in Orléans
    assert sorted(ranked) == unranked
    assert backend.search("  ", ranked=False) is None


def test_positions_keep_the_order_and_leave_out_offers_not_listed(territory):
    cat = catalogue.catalogue()
    a, b, c = territory.eligible
    not_listed = max(cat.position) + 1000
    assert list(cat.positions([c.id, not_listed, a.id])) == [cat.position[c.id],
                                                            cat.position[a.id]]
    assert [r.id for r in cat.rows_of([b.id, not_listed, a.id])] == [b.id, a.id]


def test_the_applied_mark_is_the_timelines_active_state_for_the_pages_offers(territory):
    """``active_offer_ids`` (one query) says what the derived timelines say: active while no
    decision attributes or refuses and no attribution is live; withdrawn is not active."""
    first, second, third = territory.eligible
    demande = territory.demande
    for offre in (first, second, third):
        applications.apply(demande, offre, TODAY)
    db.session.flush()
    everything = [o.id for o in territory.eligible]
    assert applications.active_offer_ids(demande.id, everything) == set(everything)
    assert applications.active_offer_ids(demande.id, [second.id]) == {second.id}

    CalDecisionFactory(offre=first, demande=demande, decision="non_attribution",
                       reasons="Ressources insuffisantes pour ce loyer.")
    applications.withdraw(applications.own_candidature(demande, third))
    db.session.flush()
    by_timeline = {t.candidature.offre_id for t in applications.timelines([demande.id])
                   if t.is_active}
    assert applications.active_offer_ids(demande.id, everything) == by_timeline == {second.id}
    assert [t.candidature.offre_id for t in applications.timelines([demande.id], [first.id])
            ] == [first.id]
    assert applications.active_offer_ids(demande.id, []) == set()


def test_a_text_searched_again_after_a_change_finds_the_changed_offer(territory):
    target = territory.eligible[2]
    for _ in range(2):  # the second answer is the kept one
        assert listed(territory, q="terrasses", sort="pertinence") == []
    target.description = "Grande terrasse plein sud"
    db.session.commit()
    assert listed(territory, q="terrasses", sort="pertinence") == [target.id]
    assert listed(territory, q="terrasse", sort="loyer") == [target.id]


def test_kept_matches_keep_the_backends_order(territory):
    cat = catalogue.catalogue()
    backend = get_backend()
    ranked = [int(cat.ids[i]) for i in cat.matches(backend, "orleans", ranked=True)]
    assert ranked == backend.search("orleans")
    assert cat.matches(backend, "orleans", ranked=True) is cat.matches(backend, "Orléans",
                                                                       ranked=True)
    assert cat.matches(backend, " ; ", ranked=True) is None
