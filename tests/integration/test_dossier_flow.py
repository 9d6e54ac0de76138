"""From vacancy to signed lease, through the services: designation (CCH R.441-3), the CAL's
decisions (a)–(e), the proposal and its answer (CCH R.441-10), the lease; every step in the
ledger."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.adapters.records import demande_record
from app.attribution import cal, designation, leases, proposals
from app.attribution.models import Attribution, CalDecision, Designation
from app.attribution.services import Conflict, Refused, StaleEdit
from app.cotation.services import epci_communes, grid_for_epci
from app.demandes.models import Refusal
from app.extensions import db
from app.flux.ledger import history
from app.mail import clear_outbox, outbox
from matching import records
from matching.cotation import cotation
from tests.support.dossiers import TODAY, territory


def _designated(t, n=3, exception=None):
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    while len(proposal.candidates) > n:
        proposal = designation.change_list(
            t.offre, version=proposal.id, kind="retrait", reason="Ménage déjà relogé",
            actor=t.reservataire_user, demande=db.session.get(
                type(t.demandes[0]), proposal.candidates[-1].demande_id))
    designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY,
                          exception=exception)
    return designation.designations(t.offre)


def _in_cal(t, decisions):
    """Put the offer on a session and record ``decisions`` (one DecisionInput per rank)."""
    rows = _designated(t, n=len(decisions), exception=None if len(decisions) == 3
                       else "candidats_insuffisants")
    session = cal.create_session(t.bailleur.id, TODAY, "Siège")
    cal.add_dossier(session, t.offre, actor=t.cal_user)
    for row, data in zip(rows, decisions, strict=True):
        cal.record_decision(session, t.offre, row.demande, data, supersedes=None,
                            actor=t.cal_user, on=TODAY)
    return session, rows


def _kinds(offre):
    return [e.kind for e in history(offre)]


# --------------------------------------------------------------------------- designation


def test_the_working_list_comes_from_the_engine_and_every_change_keeps_its_reason(db_session):
    t = territory(n_demandes=4)
    first = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    assert len(first.candidates) == 3 and first.source == "matching"
    ids = [c.demande_id for c in first.candidates]
    reordered = designation.change_list(
        t.offre, version=first.id, kind="ordre", reason="Urgence sociale signalée",
        actor=t.reservataire_user, order=[ids[2], ids[0], ids[1]])
    assert [c.demande_id for c in reordered.candidates] == [ids[2], ids[0], ids[1]]
    assert {c.override_reason for c in reordered.candidates} == {"Urgence sociale signalée"}
    assert reordered.supersedes_id == first.id and reordered.change_kind == "ordre"
    # The previous version is kept as it was.
    assert [c.demande_id for c in first.candidates] == ids
    assert designation.current_proposal(t.offre).id == reordered.id


def test_a_change_without_reason_is_refused(db_session):
    t = territory()
    first = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    with pytest.raises(Refused) as err:
        designation.change_list(t.offre, version=first.id, kind="retrait", reason="   ",
                                actor=t.reservataire_user, demande=t.demandes[0])
    assert err.value.field == "reason"


def test_a_change_from_an_older_version_is_a_stale_edit(db_session):
    t = territory()
    first = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    victim = db.session.get(type(t.demandes[0]), first.candidates[0].demande_id)
    designation.change_list(t.offre, version=first.id, kind="retrait", reason="Relogé",
                            actor=t.reservataire_user, demande=victim)
    with pytest.raises(StaleEdit):
        designation.change_list(t.offre, version=first.id, kind="retrait", reason="Relogé",
                                actor=t.reservataire_user, demande=victim)


def test_three_candidates_are_designated_with_a_ledger_event(db_session):
    t = territory()
    rows = _designated(t, n=3)
    assert [r.rank for r in rows] == [1, 2, 3]
    assert rows[0].fewer_than_three_reason is None
    assert t.offre.flux_status == "designe"
    assert _kinds(t.offre) == ["designation"]
    assert history(t.offre)[0].details["candidates"] == [r.demande.nur for r in rows]


def test_fewer_than_three_needs_a_recorded_exception(db_session):
    t = territory()
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    proposal = designation.change_list(
        t.offre, version=proposal.id, kind="retrait", reason="Ne répond plus",
        actor=t.reservataire_user,
        demande=db.session.get(type(t.demandes[0]), proposal.candidates[2].demande_id))
    with pytest.raises(Refused) as err:
        designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY)
    assert err.value.field == "exception"
    rows = designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user,
                                 on=TODAY, exception="dalo_prefet", exception_detail="Arrêté 12")
    assert len(rows) == 2
    assert rows[0].fewer_than_three_reason == (
        "Ménage reconnu DALO désigné par le préfet : Arrêté 12")
    assert rows[1].fewer_than_three_reason is None


def test_designation_after_the_deadline_is_refused_with_a_clear_message(db_session):
    t = territory()
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    with pytest.raises(Refused, match="délai de désignation a expiré le 20/12/2026"):
        designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user,
                              on=date(2026, 12, 21))
    assert t.offre.flux_status == "oriente"


# --------------------------------------------------------------------------- CAL


@pytest.mark.parametrize(("data", "field"), [
    (cal.DecisionInput("attribution_rang"), "rank"),
    (cal.DecisionInput("attribution_rang", rank=4), "rank"),
    (cal.DecisionInput("attribution_sous_condition", condition="Avis d'imposition"),
     "condition_deadline"),
    (cal.DecisionInput("attribution_sous_condition", condition_deadline=TODAY), "condition"),
    (cal.DecisionInput("non_attribution"), "reasons"),
    (cal.DecisionInput("irrecevable", reasons="  "), "reasons"),
    (cal.DecisionInput("autre"), "decision"),
])
def test_each_decision_requires_its_fields(data, field):
    assert field in cal.validate(data, on=TODAY)


@pytest.mark.parametrize("data", [
    cal.DecisionInput("attribution"),
    cal.DecisionInput("attribution_rang", rank=2),
    cal.DecisionInput("attribution_sous_condition", condition="Avis d'imposition 2025",
                      condition_deadline=TODAY + timedelta(days=15)),
    cal.DecisionInput("non_attribution", reasons="Ressources supérieures au plafond"),
    cal.DecisionInput("irrecevable", reasons="Titre de séjour non valide"),
])
def test_each_decision_is_recorded_with_its_fields_and_an_event(db_session, data):
    t = territory()
    _in_cal(t, [data])
    decision = db.session.scalar(select(CalDecision))
    assert decision.decision == data.decision
    assert (decision.reasons, decision.condition) == (data.reasons, data.condition)
    assert t.offre.flux_status == "en_cal"
    last = history(t.offre)[-1]
    assert last.kind == "decision_cal" and last.details["decision"] == data.decision


def test_a_decision_is_corrected_by_a_superseding_row_never_edited(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("non_attribution", reasons="Erreur")])
    first = db.session.scalar(select(CalDecision))
    with pytest.raises(StaleEdit):  # a correction must name the decision in force
        cal.record_decision(session, t.offre, rows[0].demande, cal.DecisionInput("attribution"),
                            supersedes=None, actor=t.cal_user, on=TODAY)
    fixed = cal.record_decision(session, t.offre, rows[0].demande,
                                cal.DecisionInput("attribution"), supersedes=first.id,
                                actor=t.cal_user, on=TODAY)
    assert cal.current_decisions(session, t.offre) == {rows[0].demande_id: fixed}
    assert db.session.get(CalDecision, first.id).decision == "non_attribution"
    with pytest.raises((IntegrityError, DBAPIError)):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE cal_decisions SET reasons = 'x'"))


# --------------------------------------------------------------------------- proposal → lease


def test_proposal_accept_and_lease_close_the_dossier_with_events_and_mails(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution_rang", rank=1),
                                cal.DecisionInput("attribution_rang", rank=2),
                                cal.DecisionInput("non_attribution", reasons="Hors plafond")])
    clear_outbox()
    [proposal] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    assert session.status == "tenue"
    assert proposal.demande_id == rows[0].demande_id and proposal.status == "proposee"
    assert proposal.answer_due_on == date(2026, 12, 12)  # ten days (CCH R.441-10)
    assert [m.to for m in outbox()] == [rows[0].demande.email]
    clear_outbox()
    proposals.accept(proposal, version=proposal.version, actor=t.requesters[0], on=TODAY)
    assert (proposal.status, t.offre.flux_status) == ("acceptee", "attribue")
    assert {m.to for m in outbox()} == {t.bailleur_user.email, t.cal_user.email}
    bail = leases.sign_lease(proposal, version=proposal.version, signed_on=TODAY,
                             starts_on=TODAY, rent=400.0, charges=80.0, actor=t.bailleur_user,
                             on=TODAY)
    assert bail.rent == 400.0
    assert (proposal.status, t.offre.flux_status) == ("bail_signe", "bail_signe")
    assert proposal.demande.status == "attribuee"
    assert _kinds(t.offre) == ["designation", "decision_cal", "decision_cal", "decision_cal",
                               "proposition", "acceptation", "attribution", "bail_signe"]
    counted = [e for e in history(t.offre) if e.kind in ("attribution", "bail_signe")]
    assert {e.convention_id for e in counted} == {t.convention.id}


def test_a_refusal_is_recorded_and_the_next_rank_gets_the_proposal(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution_rang", rank=1),
                                cal.DecisionInput("attribution_rang", rank=2),
                                cal.DecisionInput("attribution_rang", rank=3)])
    [first] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    refusal = proposals.refuse(first, version=first.version, reason="Trop loin du travail",
                               actor=t.requesters[0], on=TODAY)
    assert isinstance(refusal, Refusal) and refusal.demande_id == rows[0].demande_id
    assert refusal.is_adapted  # the dwelling is in a wished commune and typology
    assert first.status == "refusee" and first.refusal_id == refusal.id
    second = db.session.scalar(select(Attribution).where(Attribution.status == "proposee"))
    assert second.demande_id == rows[1].demande_id
    assert _kinds(t.offre)[-3:] == ["proposition", "refus", "proposition"]
    with pytest.raises(Conflict):  # answered already
        proposals.accept(first, version=first.version, actor=t.requesters[0], on=TODAY)


def test_no_answer_by_the_deadline_counts_as_a_refusal(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution_rang", rank=1),
                                cal.DecisionInput("attribution_rang", rank=2)])
    [first] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    assert proposals.expire(first.answer_due_on) == []  # the last day is still open
    with pytest.raises(Refused, match="délai de réponse a expiré"):
        proposals.accept(first, version=first.version, actor=t.requesters[0],
                         on=first.answer_due_on + timedelta(days=1))
    [refusal] = proposals.expire(first.answer_due_on + timedelta(days=3))
    assert refusal.refused_on == first.answer_due_on + timedelta(days=1)
    assert "défaut de réponse vaut refus" in refusal.reason
    assert first.status == "refusee"
    second = db.session.scalar(select(Attribution).where(Attribution.status == "proposee"))
    assert second.demande_id == rows[1].demande_id


def test_the_refusal_consequence_shown_is_the_engines_new_score(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution")])
    [attribution] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    preview = proposals.refusal_preview(attribution, TODAY)
    assert preview.unavailable is None and preview.adaptation.adapted
    demande = rows[0].demande
    grid = grid_for_epci(db.session, demande.epci)
    record = demande_record(demande)
    refused = dataclasses.replace(record, refusals=(records.Refusal(date=TODAY, adapted=True),))
    communes = epci_communes(db.session, demande.epci)
    assert preview.score_now == cotation(record, grid, TODAY, communes).score
    assert preview.score_after == cotation(refused, grid, TODAY, communes).score
    # The Orléans example grid takes 30 points per refused adapted offer.
    assert preview.score_after == pytest.approx(preview.score_now - 30)


def test_an_offer_outside_the_wishes_is_not_adapted_and_costs_nothing_under_this_grid(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution")])
    t.logement.typology = "T5"
    db.session.flush()
    [attribution] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    preview = proposals.refusal_preview(attribution, TODAY)
    assert not preview.adaptation.adapted
    assert ("Typologie souhaitée", False) in preview.adaptation.checks
    assert preview.score_after == preview.score_now


def test_stale_answer_and_lease_are_refused(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution")])
    [attribution] = cal.close_session(session, actor=t.cal_user, on=TODAY)
    stale = attribution.version
    proposals.accept(attribution, version=stale, actor=t.requesters[0], on=TODAY)
    with pytest.raises(StaleEdit):
        leases.sign_lease(attribution, version=stale, signed_on=TODAY, starts_on=TODAY,
                          rent=1.0, charges=1.0, actor=t.bailleur_user, on=TODAY)


def test_a_visit_is_an_event_of_the_ledger(db_session):
    t = territory()
    rows = _designated(t)
    leases.record_visit(t.offre, rows[1].demande, visited_on=TODAY, outcome="interesse",
                        note="Visite avec la gardienne", actor=t.bailleur_user, on=TODAY)
    [visit] = leases.visits(t.offre)
    assert visit.details["demande"] == rows[1].demande.nur
    assert visit.details["outcome"] == "interesse"
    with pytest.raises(Refused):
        leases.record_visit(t.offre, rows[1].demande, visited_on=TODAY, outcome="?", note=None,
                            actor=t.bailleur_user, on=TODAY)


def test_two_allocations_of_one_dwelling_the_second_is_a_conflict(db_session):
    t = territory()
    session, rows = _in_cal(t, [cal.DecisionInput("attribution_rang", rank=1),
                                cal.DecisionInput("attribution_rang", rank=2)])
    from app.attribution.services import allocate

    allocate(t.offre, rows[0].demande, on=TODAY, actor=t.cal_user)
    with pytest.raises(Conflict, match="vient d'être attribué"):
        allocate(t.offre, rows[1].demande, on=TODAY, actor=t.cal_user)
    assert db.session.scalar(select(db.func.count(Designation.id))) == 2
