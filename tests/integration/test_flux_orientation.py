"""Orientation of each vacancy, deadlines, takeback, progress and reconciliation (app/flux)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.adapters.records import convention_record, logement_record
from app.flux.conventions import terms_at, update_convention
from app.flux.ledger import history
from app.flux.models import Offre
from app.flux.orientation import (
    OrientationRefused,
    confirm,
    propose,
    takeback,
    takeback_due,
)
from app.flux.queries import convention_progress, reconcile
from matching import flux
from tests.factories import UserFactory
from tests.support.flux import TODAY, make_flux


def test_the_proposals_are_the_engines_own_sequence_continued_from_the_ledger(db_session):
    f = make_flux()
    offres = [f.vacancy() for _ in range(12)]
    # The engine alone, on the same conventions and dwellings, in the same order.
    engine = flux.FluxEngine([convention_record(c) for c in f.conventions.values()])
    expected = [engine.orient(flux.Vacancy(logement_record(o.logement), 2026)).to
                for o in offres]
    # The platform confirms them one at a time: each proposal is rebuilt from the ledger.
    chosen = []
    for offre in offres:
        proposal = propose([offre], TODAY)[0]
        chosen.append(proposal.to)
        confirm(offre, TODAY)
    assert chosen == expected
    assert {f.etat.slug, f.action_logement.slug, f.bailleur.slug} <= set(chosen)


def test_a_confirmed_orientation_sets_status_deadline_and_records_its_reason(db_session):
    f = make_flux()
    first, offre = f.vacancy(), f.vacancy()
    # Earliest deadline first: the bailleur's 45 % comes first, then the État's 25 %.
    assert propose([first], TODAY)[0].to == f.bailleur.slug
    confirm(first, TODAY)
    assert propose([offre], TODAY)[0].to == f.etat.slug
    actor = UserFactory(role="bailleur", organisation=f.bailleur)
    event = confirm(offre, TODAY, actor=actor)
    convention = f.conventions["etat"]
    assert (offre.flux_status, offre.reservataire_id, offre.convention_id) == (
        "oriente", f.etat.id, convention.id)
    assert offre.designation_deadline == TODAY + timedelta(days=30)
    assert event.kind == "mise_a_disposition" and event.actor_id == actor.id
    assert event.details["proposed_to"] == event.details["chosen_to"] == f.etat.slug
    assert event.details["convention_version"] == 1
    assert event.details["override_reason"] is None
    assert "objectif" in event.details["reason"]
    assert set(event.details["gaps"]) == {f.etat.slug, f.action_logement.slug,
                                          f.commune_org.slug, f.bailleur.slug}


def test_an_override_needs_a_written_reason_which_is_kept(db_session):
    f = make_flux()
    offre = f.vacancy()
    with pytest.raises(OrientationRefused) as refused:
        confirm(offre, TODAY, chosen=f.action_logement.slug, override_reason="  ")
    assert refused.value.field == "override_reason"
    assert offre.flux_status == "a_orienter" and history(offre) == []
    event = confirm(offre, TODAY, chosen=f.action_logement.slug,
                    override_reason="Logement adapté à un salarié déjà identifié")
    assert event.details["proposed_to"] == f.bailleur.slug
    assert event.details["chosen_to"] == f.action_logement.slug
    assert event.details["override_reason"] == "Logement adapté à un salarié déjà identifié"
    assert offre.designation_deadline == TODAY + timedelta(days=15)


def test_an_override_outside_the_conventions_scope_is_refused(db_session):
    f = make_flux(scoped=True)  # the commune's convention covers communes[1] only
    offre = f.vacancy(commune=f.communes[0])
    with pytest.raises(OrientationRefused) as refused:
        confirm(offre, TODAY, chosen=f.commune_org.slug, override_reason="demande du maire")
    assert refused.value.field == "chosen"


def test_the_bailleurs_own_share_has_its_status_and_counts_for_nobody(db_session):
    f = make_flux()
    offre = f.vacancy()
    event = confirm(offre, TODAY, chosen=f.bailleur.slug, override_reason="mutation urgente")
    assert offre.flux_status == "contingent_bailleur"
    assert (offre.reservataire_id, offre.convention_id, offre.designation_deadline) == (
        None, None, None)
    assert (event.reservataire_id, event.convention_id) == (None, None)


def test_a_dwelling_outside_the_flux_is_set_aside_with_its_category(db_session):
    f = make_flux()
    offre = f.vacancy(hors_flux_reason="vente")
    proposal = propose([offre], TODAY)[0]
    assert proposal.is_hors_flux and proposal.to is None
    with pytest.raises(OrientationRefused):
        confirm(offre, TODAY, chosen=f.etat.slug, override_reason="essai")
    event = confirm(offre, TODAY)
    assert offre.flux_status == "hors_flux" and event.kind == "hors_flux"
    assert event.details["hors_flux"] == "vente" and event.reservataire_id is None


def test_an_offer_cannot_be_oriented_twice(db_session):
    f = make_flux()
    offre = f.vacancy()
    confirm(offre, TODAY)
    with pytest.raises(OrientationRefused):
        confirm(offre, TODAY)


def _oriented_to_etat(f):
    offre = f.vacancy()
    confirm(offre, TODAY, chosen=f.etat.slug, override_reason="test de reprise")
    return offre


@pytest.mark.parametrize("counts", [True, False])
def test_takeback_at_the_deadline_follows_the_convention(db_session, counts):
    f = make_flux(counts_after_takeback=counts)
    offre = _oriented_to_etat(f)
    convention = f.conventions["etat"]
    deadline = offre.designation_deadline
    with pytest.raises(OrientationRefused):  # the réservataire may still designate that day
        takeback(offre, deadline)
    before = convention_progress(convention, deadline).realised
    assert before == 1
    event = takeback(offre, deadline + timedelta(days=1))
    assert offre.flux_status == "repris_bailleur"
    assert event.kind == "reprise" and event.details["counts_after_takeback"] is counts
    after = convention_progress(convention, deadline + timedelta(days=1))
    if counts:
        assert event.reservataire_id is None and offre.reservataire_id == f.etat.id
        assert after.realised == 1 and after.taken_back_not_counted == 0
    else:
        assert (event.reservataire_id, event.convention_id) == (f.etat.id, convention.id)
        assert offre.reservataire_id is None
        assert after.realised == 0 and after.taken_back_not_counted == 1
    assert after.base == 1  # the dwelling stays in the flux's base either way
    assert reconcile() == []


def test_takeback_uses_the_terms_in_force_when_the_dwelling_was_oriented(db_session):
    f = make_flux(counts_after_takeback=True)
    offre = _oriented_to_etat(f)
    convention = f.conventions["etat"]
    update_convention(convention, {**_terms(convention), "counts_after_takeback": False})
    assert convention.version == 2
    event = takeback(offre, offre.designation_deadline + timedelta(days=1))
    assert event.details["convention_version"] == 1
    assert event.details["counts_after_takeback"] is True
    assert terms_at(convention, 1).counts_after_takeback is True


def _terms(c):
    return {"share_percent": c.share_percent, "origin": c.origin,
            "designation_delay_days": c.designation_delay_days, "counts_on": c.counts_on,
            "counts_after_takeback": c.counts_after_takeback,
            "scope_communes": list(c.scope_communes), "scope_typologies": [], "scope_qpv": None,
            "signed_on": None}


def test_the_scheduled_takeback_is_idempotent(db_session):
    f = make_flux()
    due = [_oriented_to_etat(f) for _ in range(2)]
    later = f.vacancy()
    confirm(later, TODAY + timedelta(days=20), chosen=f.etat.slug, override_reason="plus tard")
    day = due[0].designation_deadline + timedelta(days=1)
    report = takeback_due(day)
    assert (report.taken_back, report.still_counted, report.not_counted) == (2, 2, 0)
    assert later.flux_status == "oriente"
    assert takeback_due(day).taken_back == 0


def test_progress_counts_what_each_convention_counts_on(db_session):
    f = make_flux()
    offres = [f.vacancy() for _ in range(8)]
    for offre in offres:
        confirm(offre, TODAY)
    al = f.conventions["al"]
    progress = convention_progress(al, TODAY)
    assert progress.base == 8
    assert progress.made_available == 2  # 20 % of 8 = 1.6, within one dwelling
    assert progress.realised == 0  # Action Logement counts allocations: none yet
    assert progress.objective == pytest.approx(1.6)
    assert progress.gap == pytest.approx(-1.6)
    etat = convention_progress(f.conventions["etat"], TODAY)
    assert etat.realised == etat.made_available == 2


def test_reconciliation_finds_no_drift_then_catches_an_injected_one(db_session, app):
    f = make_flux()
    offres = [f.vacancy() for _ in range(3)]
    for offre in offres:
        confirm(offre, TODAY)
    assert reconcile() == []
    runner = app.test_cli_runner()
    assert runner.invoke(args=["flux", "reconcile"]).exit_code == 0
    # A status changed behind the ledger's back.
    db_session.execute(update(Offre).where(Offre.id == offres[0].id)
                       .values(flux_status="attribue"))
    drifts = reconcile()
    assert [(d.code, d.offre) for d in drifts] == [("statut", offres[0].ref)]
    result = runner.invoke(args=["flux", "reconcile"])
    assert result.exit_code == 1 and offres[0].ref in result.output


def test_reconciliation_catches_an_orientation_that_disagrees_with_its_event(db_session):
    f = make_flux()
    offre = _oriented_to_etat(f)
    db_session.execute(update(Offre).where(Offre.id == offre.id).values(
        reservataire_id=f.action_logement.id, convention_id=f.conventions["al"].id))
    assert [d.code for d in reconcile()] == ["orientation"]


def test_the_takeback_command_prints_counts_and_is_idempotent(db_session, app):
    f = make_flux(counts_after_takeback=False)
    offre = _oriented_to_etat(f)
    day = (offre.designation_deadline + timedelta(days=1)).isoformat()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["flux", "takeback", "--today", day])
    assert first.exit_code == 0 and "1 logement(s) repris" in first.output
    assert "1 décompté(s)" in first.output
    second = runner.invoke(args=["flux", "takeback", "--today", day])
    assert "0 logement(s) repris" in second.output
    assert runner.invoke(args=["flux", "takeback", "--today", "hier"]).exit_code == 2
