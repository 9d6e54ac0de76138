"""The flux ledger: events inherit the offer's réservataire and convention, counts are derived."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DatabaseError

from app.flux.ledger import COUNTED_KINDS, LedgerError, counts, history, record_event
from app.flux.models import FLUX_EVENT_KINDS, FluxEvent
from tests.factories import ConventionFactory, OffreFactory, UserFactory


@pytest.fixture
def oriented(db_session):
    convention = ConventionFactory()
    offre = OffreFactory(flux_status="oriente", reservataire=convention.reservataire,
                         convention=convention)
    return offre, convention


def test_an_event_counts_for_the_offers_reservataire_under_its_convention(oriented):
    offre, convention = oriented
    actor = UserFactory()
    event = record_event(offre, "mise_a_disposition", date(2026, 4, 1), actor=actor,
                         details={"reason": "le plus en retard"})
    assert (event.reservataire_id, event.convention_id) == (convention.reservataire_id,
                                                            convention.id)
    assert event.actor_id == actor.id and event.details == {"reason": "le plus en retard"}


def test_an_event_for_nobody_carries_no_convention(oriented):
    offre, _ = oriented
    event = record_event(offre, "reprise", date(2026, 5, 1), reservataire_id=None)
    assert (event.reservataire_id, event.convention_id) == (None, None)


def test_unknown_kinds_and_counted_events_without_convention_are_refused(db_session):
    offre = OffreFactory()
    with pytest.raises(LedgerError):
        record_event(offre, "promesse", date(2026, 4, 1))
    reservataire = ConventionFactory().reservataire
    with pytest.raises(LedgerError):
        record_event(offre, "attribution", date(2026, 4, 1), reservataire_id=reservataire.id)


def test_counts_are_derived_per_convention_and_kind_within_dates(oriented):
    offre, convention = oriented
    other = OffreFactory(flux_status="oriente", reservataire=convention.reservataire,
                         convention=convention)
    record_event(offre, "mise_a_disposition", date(2026, 1, 10))
    record_event(other, "mise_a_disposition", date(2026, 6, 10))
    record_event(offre, "attribution", date(2026, 2, 1))
    record_event(offre, "bail_signe", date(2027, 1, 5))  # next year
    record_event(offre, "visite", date(2026, 1, 20))  # not a counted kind
    year = counts(conventions=[convention.id], start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert year == {(convention.id, "mise_a_disposition"): 2, (convention.id, "attribution"): 1}
    assert counts(conventions=[convention.id])[(convention.id, "bail_signe")] == 1


def test_history_lists_an_offers_events_in_order(oriented):
    offre, _ = oriented
    record_event(offre, "designation", date(2026, 3, 5))
    record_event(offre, "mise_a_disposition", date(2026, 3, 1))
    assert [e.kind for e in history(offre)] == ["mise_a_disposition", "designation"]


def test_the_ledger_stays_append_only_after_its_kinds_grew(oriented, db_session):
    offre, _ = oriented
    event = record_event(offre, "visite", date(2026, 3, 1), reservataire_id=None)
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(update(FluxEvent).where(FluxEvent.id == event.id)
                               .values(note="corrigé"))


def test_counted_kinds_are_ledger_kinds():
    assert set(COUNTED_KINDS) <= set(FLUX_EVENT_KINDS)
