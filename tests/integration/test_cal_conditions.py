"""The life of a CAL decision (c), « attribution sous condition suspensive » (CCH R.441-3):
the proposal goes out, the lease waits for the missing document; the document received in
time lifts the condition (the dossier goes on as for a decision (a)); the deadline passed
without it, the allocation lapses and the dwelling goes to the next ranked candidate. Every
step in the ledger; the requester told by e-mail and in their application timeline."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.accounts.models import User
from app.attribution import applications, cal, conditions, designation, leases, proposals
from app.attribution.models import (
    Attribution,
    Bail,
    CalConditionOutcome,
    CalDecision,
    Candidature,
)
from app.attribution.services import Conflict, Refused, active_attribution
from app.demandes.models import Demande, Document, Verification
from app.extensions import db
from app.flux.ledger import history
from app.flux.models import FluxEvent
from app.flux.queries import reconcile
from app.mail import clear_outbox, outbox
from tests.support.dossiers import TODAY, territory

DEADLINE = TODAY + timedelta(days=15)  # 17 December 2026
AFTER = DEADLINE + timedelta(days=1)
PIECE = "Avis d'imposition 2025"


def conditional(deadline: date = DEADLINE) -> cal.DecisionInput:
    return cal.DecisionInput("attribution_sous_condition", condition=PIECE,
                             condition_deadline=deadline)


def in_cal(t, decisions):
    """Designate len(decisions) candidates, record one decision each (in designation rank
    order) and close the session; returns (designations, the proposals made at closing)."""
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    while len(proposal.candidates) > len(decisions):
        proposal = designation.change_list(
            t.offre, version=proposal.id, kind="retrait", reason="Ménage déjà relogé",
            actor=t.reservataire_user,
            demande=db.session.get(Demande, proposal.candidates[-1].demande_id))
    designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY,
                          exception=None if len(decisions) == 3 else "candidats_insuffisants")
    rows = designation.designations(t.offre)
    session = cal.create_session(t.bailleur.id, TODAY, "Siège")
    cal.add_dossier(session, t.offre, actor=t.cal_user)
    for row, data in zip(rows, decisions, strict=True):
        cal.record_decision(session, t.offre, row.demande, data, supersedes=None,
                            actor=t.cal_user, on=TODAY)
    made = cal.close_session(session, actor=t.cal_user, on=TODAY)
    return rows, made


def decision_of(demande) -> CalDecision:
    return db.session.scalar(select(CalDecision).where(CalDecision.demande_id == demande.id))


def kinds(offre) -> list[str]:
    return [e.kind for e in history(offre)]


def sign(attribution, t, on=AFTER):
    return leases.sign_lease(attribution, version=attribution.version, signed_on=on,
                             starts_on=on, rent=400.0, charges=80.0, actor=t.bailleur_user,
                             on=on)


def document_for(demande, name="avis-2025.pdf") -> Document:
    verification = db.session.get(Verification, (demande.id, "rfr_n2")) or Verification(
        demande_id=demande.id, criterion="rfr_n2", status="declared")
    db.session.add(verification)
    db.session.flush()
    document = Document(demande_id=demande.id, criterion="rfr_n2",
                        storage_key=uuid.uuid4().hex, content_type="application/pdf", size=10,
                        sha256="0" * 64, original_name=name)
    db.session.add(document)
    db.session.flush()
    return document


# --------------------------------------------------------------------------- lifting


def test_the_lease_waits_for_the_document_then_the_dossier_goes_on_as_a_plain_allocation(
        db_session):
    t = territory()
    rows, [proposal] = in_cal(t, [conditional(), cal.DecisionInput("attribution_rang", rank=2),
                                  cal.DecisionInput("attribution_rang", rank=3)])
    first = rows[0].demande
    assert proposal.demande_id == first.id and proposal.status == "proposee"
    proposals.accept(proposal, version=proposal.version, actor=t.requesters[0], on=TODAY)
    # Accepted, but the allocation takes effect only with the condition: nothing counted yet.
    assert (proposal.status, t.offre.flux_status) == ("acceptee", "en_cal")
    assert kinds(t.offre)[-2:] == ["proposition", "acceptation"]
    assert reconcile() == []

    with pytest.raises(Refused, match="la pièce manquante .« Avis d'imposition 2025 ». n'a "
                                      "pas été reçue"):
        sign(proposal, t, on=TODAY)
    assert db.session.scalar(select(func.count(Bail.id))) == 0
    assert proposal.status == "acceptee"

    clear_outbox()
    document = document_for(first)
    outcome = conditions.lift(decision_of(first), received_on=TODAY + timedelta(days=3),
                              note="Reçu à l'accueil", document_id=document.id,
                              actor=t.bailleur_user, on=TODAY + timedelta(days=4))
    assert (outcome.outcome, outcome.occurred_on) == ("levee", TODAY + timedelta(days=3))
    assert outcome.document_id == document.id and outcome.recorded_by_id == t.bailleur_user.id
    assert t.offre.flux_status == "attribue"
    lifted, allocated = history(t.offre)[-2:]
    assert (lifted.kind, allocated.kind) == ("condition_levee", "attribution")
    assert lifted.actor_id == t.bailleur_user.id and lifted.note == "Reçu à l'accueil"
    assert lifted.details["demande"] == first.nur
    assert lifted.details["condition"] == PIECE
    assert lifted.details["document"]["name"] == "avis-2025.pdf"
    assert allocated.occurred_on == TODAY + timedelta(days=3)
    assert allocated.convention_id == t.convention.id  # counted when it took effect
    assert reconcile() == []
    [mail] = outbox()
    assert mail.to == first.email and "Condition levée" in mail.subject
    assert "signer le bail" in mail.body

    bail = sign(proposal, t)
    assert bail.attribution_id == proposal.id
    assert (proposal.status, t.offre.flux_status) == ("bail_signe", "bail_signe")
    assert kinds(t.offre)[-1] == "bail_signe"


def test_lifted_before_the_answer_the_acceptance_is_an_ordinary_one(db_session):
    t = territory()
    rows, [proposal] = in_cal(t, [conditional()])
    conditions.lift(decision_of(rows[0].demande), received_on=TODAY, note=None,
                    document_id=None, actor=t.bailleur_user, on=TODAY)
    assert t.offre.flux_status == "en_cal"  # not accepted yet
    assert "Il vous reste à répondre à la proposition" in outbox()[-1].body
    proposals.accept(proposal, version=proposal.version, actor=t.requesters[0], on=TODAY)
    assert t.offre.flux_status == "attribue"
    assert kinds(t.offre)[-2:] == ["acceptation", "attribution"]
    assert sign(proposal, t).rent == 400.0


def test_the_proposal_mail_states_the_condition_and_its_deadline(db_session):
    t = territory()
    clear_outbox()
    rows, [proposal] = in_cal(t, [conditional()])
    [mail] = [m for m in outbox() if m.to == rows[0].demande.email]
    assert "sous condition suspensive" in mail.body
    assert "« Avis d'imposition 2025 »" in mail.body and "17/12/2026" in mail.body


@pytest.mark.parametrize(("received_on", "on", "field", "message"), [
    (AFTER, AFTER, "received_on", "après la date limite du 17/12/2026"),
    (TODAY + timedelta(days=2), TODAY + timedelta(days=1), "received_on", "dans le futur"),
    (TODAY - timedelta(days=1), TODAY, "received_on", "ne peut pas la précéder"),
])
def test_a_document_received_out_of_time_does_not_lift_the_condition(db_session, received_on,
                                                                       on, field, message):
    t = territory()
    rows, _ = in_cal(t, [conditional()])
    with pytest.raises(Refused, match=message) as err:
        conditions.lift(decision_of(rows[0].demande), received_on=received_on, note=None,
                        document_id=None, actor=t.bailleur_user, on=on)
    assert err.value.field == field
    assert db.session.scalar(select(func.count(CalConditionOutcome.id))) == 0


def test_the_document_linked_must_be_one_of_the_demande_and_a_condition_lifts_once(db_session):
    t = territory()
    rows, _ = in_cal(t, [conditional(), conditional()])
    first, second = rows[0].demande, rows[1].demande
    other = document_for(second)
    with pytest.raises(Refused, match=f"document de la demande {first.nur}") as err:
        conditions.lift(decision_of(first), received_on=TODAY, note=None,
                        document_id=other.id, actor=t.bailleur_user, on=TODAY)
    assert err.value.field == "document"
    with pytest.raises(Refused) as err:
        conditions.lift(decision_of(first), received_on=TODAY, note="x" * 1001,
                        document_id=None, actor=t.bailleur_user, on=TODAY)
    assert err.value.field == "note"
    conditions.lift(decision_of(first), received_on=TODAY, note=None, document_id=None,
                    actor=t.bailleur_user, on=TODAY)
    with pytest.raises(Conflict, match="déjà été levée"):
        conditions.lift(decision_of(first), received_on=TODAY, note=None, document_id=None,
                        actor=t.bailleur_user, on=TODAY)


def test_only_a_decision_c_has_a_condition_to_lift(db_session):
    t = territory()
    rows, _ = in_cal(t, [cal.DecisionInput("attribution")])
    with pytest.raises(Refused, match="n'est pas une attribution sous condition"):
        conditions.lift(decision_of(rows[0].demande), received_on=TODAY, note=None,
                        document_id=None, actor=t.bailleur_user, on=TODAY)


# --------------------------------------------------------------------------- lapsing


def test_deadline_passed_the_allocation_lapses_and_the_next_rank_gets_the_proposal(db_session):
    t = territory()
    rows, [first] = in_cal(t, [conditional(), cal.DecisionInput("attribution_rang", rank=2),
                               cal.DecisionInput("attribution_rang", rank=3)])
    assert conditions.lapse_due(DEADLINE) == []  # the last day is still open
    clear_outbox()
    [done] = conditions.lapse_due(AFTER)
    assert done.cancelled.id == first.id and first.status == "annulee"
    second = done.following
    assert second.demande_id == rows[1].demande_id and second.status == "proposee"
    assert second.cal_decision_id == decision_of(rows[1].demande).id
    outcome = db.session.scalar(select(CalConditionOutcome))
    assert (outcome.outcome, outcome.occurred_on, outcome.recorded_by_id) == (
        "caduque", AFTER, None)
    assert kinds(t.offre)[-3:] == ["proposition", "attribution_caduque", "proposition"]
    lapsed = history(t.offre)[-2]
    assert lapsed.occurred_on == AFTER and lapsed.actor_id is None
    assert lapsed.details == {
        "demande": rows[0].demande.nur, "cal_decision": decision_of(rows[0].demande).id,
        "condition": PIECE, "condition_deadline": "2026-12-17", "attribution": first.id,
        "next": rows[1].demande.nur}
    assert reconcile() == []
    to = {m.to: m for m in outbox()}
    assert "Attribution caduque" in to[rows[0].demande.email].subject
    assert "l'attribution est caduque" in to[rows[0].demande.email].body
    assert "Une proposition de logement" in to[rows[1].demande.email].subject
    assert rows[1].demande.nur in to[t.bailleur_user.email].body
    # The cancelled proposal can no longer be answered.
    with pytest.raises(Conflict, match="caduque"):
        proposals.accept(first, version=first.version, actor=t.requesters[0], on=AFTER)


def test_accepted_under_condition_then_lapsed_the_dwelling_moves_on(db_session):
    t = territory()
    rows, [first] = in_cal(t, [conditional(), cal.DecisionInput("attribution_rang", rank=2)])
    proposals.accept(first, version=first.version, actor=t.requesters[0], on=TODAY)
    [done] = conditions.lapse_due(AFTER + timedelta(days=2))
    assert first.status == "annulee" and done.following.demande_id == rows[1].demande_id
    assert t.offre.flux_status == "en_cal"
    assert "attribution" not in kinds(t.offre)  # never counted: it never took effect
    assert reconcile() == []


def test_with_no_candidate_left_the_dwelling_stays_in_cal_without_a_proposal(db_session):
    t = territory()
    rows, [first] = in_cal(t, [conditional(), cal.DecisionInput(
        "non_attribution", reasons="Ressources supérieures au plafond")])
    clear_outbox()
    [done] = conditions.lapse_due(AFTER)
    assert done.cancelled.id == first.id and done.following is None
    # As after the last refusal: the dossier stays in CAL, the dwelling free of any allocation.
    assert t.offre.flux_status == "en_cal"
    assert active_attribution(t.offre) is None
    assert history(t.offre)[-1].details["next"] is None
    assert "Aucun autre candidat classé" in {m.to: m for m in outbox()}[
        t.bailleur_user.email].body
    assert reconcile() == []


def test_running_the_lapse_twice_changes_nothing_the_second_time(db_session):
    t = territory()
    in_cal(t, [conditional(), cal.DecisionInput("attribution_rang", rank=2)])
    assert len(conditions.lapse_due(AFTER)) == 1
    events = db.session.scalar(select(func.count(FluxEvent.id)))
    attributions = db.session.scalar(select(func.count(Attribution.id)))
    clear_outbox()
    assert conditions.lapse_due(AFTER) == []
    assert conditions.lapse_due(AFTER + timedelta(days=30)) == []
    assert db.session.scalar(select(func.count(FluxEvent.id))) == events
    assert db.session.scalar(select(func.count(Attribution.id))) == attributions
    assert db.session.scalar(select(func.count(CalConditionOutcome.id))) == 1
    assert outbox() == []


def test_a_lifted_condition_never_lapses_and_a_lapsed_one_cannot_be_lifted(db_session):
    t = territory()
    rows, _ = in_cal(t, [conditional(), conditional()])
    first, second = rows[0].demande, rows[1].demande
    conditions.lift(decision_of(first), received_on=DEADLINE, note=None, document_id=None,
                    actor=t.bailleur_user, on=DEADLINE)
    [done] = conditions.lapse_due(AFTER)
    assert done.demande.id == second.id
    assert done.cancelled is None and done.following is None  # it was not its turn yet
    with pytest.raises(Conflict, match="déjà caduque depuis le 18/12/2026"):
        conditions.lift(decision_of(second), received_on=DEADLINE, note=None,
                        document_id=None, actor=t.bailleur_user, on=AFTER)


def test_a_lapsed_candidate_is_skipped_when_an_earlier_rank_refuses(db_session):
    t = territory()
    short = TODAY + timedelta(days=3)
    rows, [first] = in_cal(t, [cal.DecisionInput("attribution_rang", rank=1),
                               conditional(short),
                               cal.DecisionInput("attribution_rang", rank=3)])
    assert [d.demande_id for d in cal.ranking(t.offre)] == [r.demande_id for r in rows]
    later = short + timedelta(days=1)
    [done] = conditions.lapse_due(later)
    assert done.demande.id == rows[1].demande_id and done.cancelled is None
    proposals.refuse(first, version=first.version, reason="Trop loin", actor=None, on=later)
    following = active_attribution(t.offre)
    assert following.demande_id == rows[2].demande_id


def test_a_condition_ends_once_in_the_database_and_outcomes_are_never_edited(db_session):
    t = territory()
    rows, _ = in_cal(t, [conditional()])
    decision = decision_of(rows[0].demande)
    document = document_for(rows[0].demande)
    conditions.lift(decision, received_on=TODAY, note=None, document_id=document.id,
                    actor=t.bailleur_user, on=TODAY)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(CalConditionOutcome(cal_decision_id=decision.id, outcome="caduque",
                                               occurred_on=AFTER))
            db.session.flush()
    for statement in ("UPDATE cal_condition_outcomes SET note = 'x'",
                      "UPDATE cal_condition_outcomes SET outcome = 'caduque', document_id = NULL",
                      "DELETE FROM cal_condition_outcomes"):
        with pytest.raises((IntegrityError, DBAPIError)):
            with db.session.begin_nested():
                db.session.execute(text(statement))
    # The requester may still withdraw the document: the link goes, the outcome stays.
    with db.session.begin_nested():
        db.session.execute(text("DELETE FROM documents WHERE id = :id"), {"id": document.id})
    db.session.expire_all()
    outcome = db.session.scalar(select(CalConditionOutcome))
    assert (outcome.outcome, outcome.document_id) == ("levee", None)


# --------------------------------------------------------------------------- requester


def _timeline(t, demande):
    return applications.timelines([demande.id])[0]


def test_the_requesters_timeline_shows_the_condition_then_how_it_ended(db_session):
    t = territory()
    rows, _ = in_cal(t, [conditional(), conditional(DEADLINE + timedelta(days=10))])
    first, second = rows[0].demande, rows[1].demande
    for demande in (first, second):
        db.session.add(Candidature(offre_id=t.offre.id, demande_id=demande.id,
                                   status="deposee"))
    db.session.flush()
    pending = _timeline(t, first)
    assert pending.outcome == "sous_condition" and not pending.is_active
    step = pending.steps[-1]
    assert step.label == "Logement attribué sous condition suspensive"
    assert step.detail == ("Pièce manquante : Avis d'imposition 2025. Elle doit parvenir au "
                           "bailleur au plus tard le 17 décembre 2026 ; sans elle, "
                           "l'attribution deviendra caduque.")
    assert "Logement attribué" not in [s.label for s in pending.steps]

    conditions.lift(decision_of(first), received_on=TODAY + timedelta(days=1), note=None,
                    document_id=None, actor=t.bailleur_user, on=TODAY + timedelta(days=1))
    lifted = _timeline(t, first)
    assert lifted.outcome == "attribuee"
    assert [s.code for s in lifted.steps][-2:] == ["sous_condition", "condition_levee"]
    assert lifted.steps[-1].on == TODAY + timedelta(days=1)

    conditions.lapse_due(DEADLINE + timedelta(days=11))
    lapsed = _timeline(t, second)
    assert lapsed.outcome == "caduque"
    assert lapsed.steps[-1].label == "Attribution caduque"
    assert "n'a pas été reçue au 27 décembre 2026" in lapsed.steps[-1].detail


def test_the_daily_command_reports_what_lapsed_and_is_idempotent(app, db_session):
    t = territory()
    rows, _ = in_cal(t, [conditional(), cal.DecisionInput("attribution_rang", rank=2)])
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["cal", "conditions", "--today", "17/12/2026"])
    assert bad.exit_code == 2 and "date AAAA-MM-JJ invalide" in bad.output
    early = runner.invoke(args=["cal", "conditions", "--today", DEADLINE.isoformat()])
    assert early.exit_code == 0, early.output
    assert early.output.splitlines() == [
        "Conditions suspensives échues au 2026-12-17 : 0 attribution(s) devenue(s) caduque(s).",
        "Conditions encore en attente : 1 (prochaine date limite le 17/12/2026).",
    ]
    result = runner.invoke(args=["cal", "conditions", "--today", AFTER.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Conditions suspensives échues au 2026-12-18 : 1 attribution(s) devenue(s) caduque(s).",
        f"  {t.offre.ref} · demande {rows[0].demande.nur} : pièce « {PIECE} » non reçue au "
        f"17/12/2026 ; logement proposé à la demande {rows[1].demande.nur} (rang suivant de la "
        "CAL).",
        "Conditions encore en attente : 0.",
    ]
    again = runner.invoke(args=["cal", "conditions", "--today", AFTER.isoformat()])
    assert again.output.splitlines()[0] == (
        "Conditions suspensives échues au 2026-12-18 : 0 attribution(s) devenue(s) caduque(s).")
    assert db.session.scalar(select(func.count(CalConditionOutcome.id))) == 1


def test_the_demo_has_a_pending_condition_and_a_lifted_one(app, db_session, tmp_path,
                                                           monkeypatch):
    from app.demo.loader import load_demo

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    load_demo(demandes=300, logements=200, echo=lambda _: None)
    decisions = db.session.scalars(select(CalDecision).where(
        CalDecision.decision == "attribution_sous_condition")).all()
    outcomes = conditions.outcomes_for(d.id for d in decisions)
    pending = [d for d in decisions if conditions.is_pending(d)]
    assert len(pending) == 1
    requester = db.session.get(User, pending[0].demande.requester_id)
    assert requester.email == "demandeur@demo.example.org"
    assert [o.outcome for o in outcomes.values()] == ["levee"]
    lifted = db.session.scalar(select(Attribution).where(
        Attribution.cal_decision_id.in_(list(outcomes))))
    assert lifted.status == "acceptee" and lifted.offre.flux_status == "attribue"
    assert reconcile() == []
