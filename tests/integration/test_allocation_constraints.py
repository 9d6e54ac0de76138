"""What the database itself refuses in the allocation chain (migration 0f9df9e50d43), on
SQLite and on PostgreSQL (TEST_DATABASE_URL): candidate ranks, the "fewer than three"
exception, CAL decisions, the append-only flux ledger, the commune's zone A/B/C."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.adapters.records import logement_record
from app.attribution.models import CalDecision, Designation, Proposal, ProposalCandidate
from app.columns import in_values
from app.demo.loader import load_demo
from app.extensions import db
from app.flux.models import Convention, FluxEvent, Offre
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from app.territoire.services import import_communes
from tests.factories import (
    CalSessionFactory,
    CommuneFactory,
    ConventionFactory,
    DemandeFactory,
    DesignationFactory,
    FluxEventFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    ProposalCandidateFactory,
    ProposalFactory,
)

DEMO_COMMUNES = Path(__file__).resolve().parents[2] / "app" / "demo" / "data" / "communes.csv"


def refused(session, *rows, error=IntegrityError):
    """Adding these rows fails in the database, and the test's session stays usable."""
    with pytest.raises(error), session.begin_nested():
        session.add_all(rows)
        session.flush()


def accepted(session, *rows):
    session.add_all(rows)
    session.flush()


# Candidates: ranks 1 to 3, one per rank, the exception recorded once ----------------------


@pytest.fixture
def oriented(db_session):
    """An offer oriented to a réservataire, which designates candidates for it."""
    reservataire = OrganisationFactory(reservataire=True)
    offre = OffreFactory(flux_status="designe", reservataire=reservataire,
                         designation_deadline=date(2026, 4, 15))
    return offre, reservataire


def _designation(offre, reservataire, rank, **kw):
    return Designation(offre_id=offre.id, reservataire_id=reservataire.id,
                       demande_id=DemandeFactory().id, rank=rank, **kw)


@pytest.mark.parametrize("rank", [0, 4, -1])
def test_designation_rank_outside_1_to_3_is_refused(db_session, oriented, rank):
    refused(db_session, _designation(*oriented, rank=rank))


def test_designations_ranked_1_to_3_are_accepted(db_session, oriented):
    accepted(db_session, *(_designation(*oriented, rank=r) for r in (1, 2, 3)))
    offre, _ = oriented
    ranks = db_session.scalars(select(Designation.rank).where(Designation.offre_id == offre.id))
    assert sorted(ranks) == [1, 2, 3]


def test_two_designations_of_the_same_rank_for_one_offer_are_refused(db_session, oriented):
    accepted(db_session, _designation(*oriented, rank=1))
    refused(db_session, _designation(*oriented, rank=1))


def test_the_same_rank_on_two_offers_is_accepted(db_session):
    first, second = DesignationFactory(rank=2), DesignationFactory(rank=2)
    assert first.offre_id != second.offre_id


def test_fewer_than_three_exception_is_recorded_on_the_rank_1_designation_only(
        db_session, oriented):
    refused(db_session, _designation(*oriented, rank=2,
                                     fewer_than_three_reason="un seul candidat adapté"))
    accepted(db_session, _designation(*oriented, rank=1,
                                      fewer_than_three_reason="un seul candidat adapté"))


@pytest.mark.parametrize("rank", [0, 4])
def test_proposal_candidate_rank_outside_1_to_3_is_refused(db_session, rank):
    proposal = ProposalFactory()
    refused(db_session, ProposalCandidate(proposal_id=proposal.id,
                                          demande_id=DemandeFactory().id, rank=rank))


def test_two_proposal_candidates_of_the_same_rank_are_refused(db_session):
    first = ProposalCandidateFactory(rank=1)
    refused(db_session, ProposalCandidate(proposal_id=first.proposal_id,
                                          demande_id=DemandeFactory().id, rank=1))


def test_a_proposal_records_its_fewer_than_three_exception_once(db_session):
    proposal = ProposalFactory(fewer_than_three_reason="deux demandes seulement sont adaptées")
    for rank in (1, 2):
        ProposalCandidateFactory(proposal_id=proposal.id, rank=rank)
    db_session.expire_all()
    stored = db_session.get(Proposal, proposal.id)
    assert [c.rank for c in stored.candidates] == [1, 2]
    assert stored.fewer_than_three_reason == "deux demandes seulement sont adaptées"


# CAL decisions ------------------------------------------------------------------------------


@pytest.fixture
def on_the_agenda(db_session):
    """A CAL session, an offer and a candidate it decides on."""
    return {"session_id": CalSessionFactory().id,
            "offre_id": OffreFactory(flux_status="en_cal").id,
            "demande_id": DemandeFactory().id}


@pytest.mark.parametrize("decision", ["non_attribution", "irrecevable"])
@pytest.mark.parametrize("reasons", [None, "", "   "])
def test_non_attribution_and_irrecevability_need_their_reasons(
        db_session, on_the_agenda, decision, reasons):
    refused(db_session, CalDecision(decision=decision, reasons=reasons, **on_the_agenda))


@pytest.mark.parametrize("decision", ["non_attribution", "irrecevable"])
def test_non_attribution_and_irrecevability_with_reasons_are_accepted(
        db_session, on_the_agenda, decision):
    accepted(db_session, CalDecision(decision=decision, reasons="plafond de ressources dépassé",
                                     **on_the_agenda))


@pytest.mark.parametrize(
    ("condition", "deadline"),
    [(None, date(2026, 12, 20)), ("  ", date(2026, 12, 20)), ("avis d'imposition 2025", None)],
)
def test_conditional_attribution_needs_a_condition_and_its_deadline(
        db_session, on_the_agenda, condition, deadline):
    refused(db_session, CalDecision(decision="attribution_sous_condition", condition=condition,
                                    condition_deadline=deadline, **on_the_agenda))


def test_conditional_attribution_with_condition_and_deadline_is_accepted(db_session,
                                                                         on_the_agenda):
    accepted(db_session, CalDecision(decision="attribution_sous_condition",
                                     condition="avis d'imposition 2025",
                                     condition_deadline=date(2026, 12, 20), **on_the_agenda))


def test_plain_attribution_needs_neither_reasons_nor_condition(db_session, on_the_agenda):
    accepted(db_session, CalDecision(decision="attribution", **on_the_agenda))


def test_one_decision_per_session_offer_and_candidate(db_session, on_the_agenda):
    accepted(db_session, CalDecision(decision="attribution", **on_the_agenda))
    refused(db_session, CalDecision(decision="non_attribution", reasons="doublon",
                                    **on_the_agenda))


# The flux ledger ------------------------------------------------------------------------------


@pytest.fixture
def convention(db_session):
    return ConventionFactory()


def test_an_event_counting_for_a_reservataire_without_convention_is_refused(db_session,
                                                                            convention):
    refused(db_session, FluxEvent(offre_id=OffreFactory().id, kind="mise_a_disposition",
                                  reservataire_id=convention.reservataire_id,
                                  occurred_on=date(2026, 3, 2)))


def test_an_event_counting_for_a_reservataire_under_its_convention_is_accepted(db_session,
                                                                               convention):
    event = FluxEventFactory(reservataire_id=convention.reservataire_id,
                             convention_id=convention.id)
    assert db_session.get(FluxEvent, event.id).convention_id == convention.id


def test_an_event_of_the_bailleurs_own_share_needs_no_convention(db_session):
    assert FluxEventFactory(reservataire_id=None).convention_id is None


@pytest.fixture
def event_id(db_session, convention) -> int:
    return FluxEventFactory(kind="attribution", reservataire_id=convention.reservataire_id,
                            convention_id=convention.id).id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE flux_events SET kind = 'retrait' WHERE id = :id",  # rewriting what happened
        "UPDATE flux_events SET reservataire_id = NULL, convention_id = NULL WHERE id = :id",
        "DELETE FROM flux_events WHERE id = :id",  # erasing it from the count
    ],
)
def test_flux_events_cannot_be_updated_or_deleted(db_session, event_id, statement):
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement), {"id": event_id})
    assert db_session.scalar(select(FluxEvent.kind).where(FluxEvent.id == event_id)) == (
        "attribution"
    )


def test_a_correction_is_a_further_event(db_session, event_id, convention):
    event = db_session.get(FluxEvent, event_id)
    FluxEventFactory(offre_id=event.offre_id, kind="retrait", reservataire_id=None)
    kinds = db_session.scalars(select(FluxEvent.kind).where(FluxEvent.offre_id == event.offre_id)
                               .order_by(FluxEvent.id))
    assert list(kinds) == ["attribution", "retrait"]


# Indexes and partial-index predicates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("offres", "convention_id"),
        ("attributions", "reservataire_id"),
        ("attributions", "cal_decision_id"),
        ("attributions", "refusal_id"),
        ("flux_events", "convention_id"),
        ("refusals", "offre_id"),
        ("refusals", "bailleur_id"),
        ("demandes", "current_commune_insee"),
    ],
)
def test_filtered_foreign_keys_are_indexed_by_the_migrations(db_session, table, column):
    indexes = inspect(db_session.connection()).get_indexes(table)
    assert any(ix["column_names"][:1] == [column] for ix in indexes)


def test_in_values_quotes_values_and_works_with_one_value():
    assert str(in_values("status", ("active",))) == "status IN ('active')"
    assert str(in_values("note", ("l'offre", "b"))) == "note IN ('l''offre', 'b')"
    with pytest.raises(ValueError):
        in_values("status", ())


def test_a_partial_unique_index_on_one_status_applies_to_that_status_only(db_session):
    """Built with the helper from a one-element tuple, the predicate is valid SQL on both
    databases and restricts uniqueness to that status (the table is rolled back)."""
    table = Table("tmp_partial_index", MetaData(),
                  Column("id", Integer, primary_key=True), Column("key", Integer),
                  Column("status", String(10)))
    only_open = in_values("status", ("ouvert",))
    Index("uq_tmp_open_key", table.c.key, unique=True,
          sqlite_where=only_open, postgresql_where=only_open)
    connection = db_session.connection()
    table.create(connection)
    connection.execute(table.insert(), [{"key": 1, "status": "clos"},
                                        {"key": 1, "status": "clos"},
                                        {"key": 1, "status": "ouvert"}])
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.connection().execute(table.insert(), {"key": 1, "status": "ouvert"})


# The commune's zone A/B/C (PLI) ----------------------------------------------------------------


@pytest.mark.parametrize("zone_abc", ["A_bis", "A", "B1", "B2", "C", None])
def test_commune_zone_abc_takes_the_five_zones_or_nothing(db_session, zone_abc):
    assert CommuneFactory(zone_abc=zone_abc).zone_abc == zone_abc


@pytest.mark.parametrize("zone_abc", ["B3", "Abis", "b1", ""])
def test_commune_zone_abc_outside_the_zoning_is_refused(db_session, zone_abc):
    refused(db_session, Commune(insee="45999", name="Essai", departement="45",
                                zone="autres_regions", zone_abc=zone_abc))


def test_a_logement_record_carries_its_communes_zone_abc(db_session):
    logement = LogementFactory(commune=CommuneFactory(zone_abc="B1"))
    assert logement_record(logement).zone_abc == "B1"
    assert logement_record(LogementFactory()).zone_abc is None


def _import(csv_text: str):
    return import_communes(io.StringIO(csv_text))


def test_communes_import_stores_zone_abc_and_an_empty_cell_as_unknown(db_session):
    report = _import("insee,name,departement,zone,epci,zone_abc\n"
                     "45901,Essai-Haut,45,autres_regions,,B1\n"
                     "45902,Essai-Bas,45,autres_regions,,\n")
    assert report.errors == [] and report.created == 2
    assert db_session.get(Commune, "45901").zone_abc == "B1"
    assert db_session.get(Commune, "45902").zone_abc is None


def test_communes_import_refuses_an_unknown_zone_abc_with_its_line(db_session):
    report = _import("insee,name,departement,zone,epci,zone_abc\n"
                     "45901,Essai-Haut,45,autres_regions,,B1\n"
                     "45902,Essai-Bas,45,autres_regions,,B3\n")
    assert [(e.line, e.path) for e in report.errors] == [(3, "zone_abc")]
    assert "B3" in report.errors[0].reason and "A_bis" in report.errors[0].reason
    assert db_session.get(Commune, "45901") is None  # all rows or none


def test_communes_import_without_the_column_keeps_the_known_zone_abc(db_session):
    CommuneFactory(insee="45903", zone_abc="B2")
    report = _import("insee,name,departement,zone,epci\n45903,Essai,45,autres_regions,\n")
    assert report.errors == [] and report.updated == 1
    db.session.expire_all()
    assert db_session.get(Commune, "45903").zone_abc == "B2"


# The demo territory ---------------------------------------------------------------------------


def test_the_demo_stores_zone_abc_and_names_the_convention_of_each_counted_event(db_session):
    load_demo(demandes=100, logements=100, echo=lambda _: None)
    stored = dict(db_session.execute(select(Commune.insee, Commune.zone_abc)).all())
    with open(DEMO_COMMUNES, encoding="utf-8") as f:
        assert stored == {row["insee"]: row["zone_abc"] for row in csv.DictReader(f)}
    assert stored["45234"] == "B1"  # Orléans

    counted = db_session.execute(
        select(FluxEvent.reservataire_id, Convention.reservataire_id, Convention.bailleur_id,
               Logement.bailleur_id)
        .join(Convention, Convention.id == FluxEvent.convention_id)
        .join(Offre, Offre.id == FluxEvent.offre_id)
        .join(Logement, Logement.id == Offre.logement_id)
        .where(FluxEvent.reservataire_id.is_not(None))
    ).all()
    assert counted, "the demo history has events counted for réservataires"
    assert all(r == conv_r and b == lg_b for r, conv_r, b, lg_b in counted)
