"""The application proposes with the real engine (matching.proposals) through
app/adapters/proposals.py: the réservataire's working list is what ``propose`` gives on the same
records, applicants first, an ineligible applicant left out, fewer than three said and stored,
no demande first on two open dossiers, and the batch command never proposes a demande twice."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.adapters import proposals as adapter
from app.adapters.records import demande_record, offre_record
from app.attribution import designation
from app.attribution.models import Candidature, Proposal
from app.demandes.models import Demande, WishedTypology
from app.extensions import db
from matching.grid import load_grid
from matching.proposals import Application, Pool, load_policy_set, propose
from tests.factories import DemandeFactory, LogementFactory, OffreFactory
from tests.support.dossiers import ORLEANS, TODAY, territory


def _apply(offre, demande, day: int) -> None:
    db.session.add(Candidature(offre_id=offre.id, demande_id=demande.id, status="deposee",
                               applied_at=datetime(2026, 11, day, 10, tzinfo=UTC)))
    db.session.flush()


def _engine_on_the_same_records(t, applications):
    """``matching.proposals.propose`` run directly on the records of the EPCI's demandes."""
    demandes = db.session.scalars(select(Demande).where(
        Demande.epci_id == t.epci.id, Demande.status == "active").order_by(Demande.id)).all()
    records = [dataclasses.replace(demande_record(d), id=str(d.id)) for d in demandes]
    policies = dataclasses.replace(load_policy_set("defaut"),
                                   kinds={t.reservataire.slug: "action_logement"})
    return propose(offre_record(t.offre), Pool.from_demandes(records), applications, policies,
                   load_grid("orleans-metropole-exemple"), TODAY, epci_communes=[ORLEANS])


def _listed(proposal: Proposal) -> list[tuple[int, int, str]]:
    return [(c.demande_id, c.rank, c.explanation["source"]) for c in proposal.candidates]


def test_the_working_list_is_the_engines_proposal_on_the_same_records(db_session):
    t = territory(n_demandes=6)
    late, early = t.demandes[5], t.demandes[1]
    _apply(t.offre, late, 20)  # applied later, but applicants are ranked by the policy
    _apply(t.offre, early, 3)
    expected = _engine_on_the_same_records(t, [
        Application(str(late.id), t.offre.ref, date(2026, 11, 20)),
        Application(str(early.id), t.offre.ref, date(2026, 11, 3))])

    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)

    assert _listed(proposal) == [(int(c.id), c.rank, c.source) for c in expected.candidates]
    assert [c.source for c in expected.candidates] == ["candidature", "candidature", "vivier"]
    assert {c.demande_id for c in proposal.candidates[:2]} == {late.id, early.id}
    assert [c.score for c in proposal.candidates] == [c.score for c in expected.candidates]
    assert proposal.fewer_than_three_reason is None
    assert proposal.parameters["grid"].startswith("orleans-metropole-exemple@")
    assert proposal.parameters["policy"] == "defaut"


def test_an_ineligible_applicant_is_not_proposed_and_the_pool_completes_the_list(db_session):
    t = territory(n_demandes=4)
    rich = t.demandes[0]
    rich.rfr_n2 = 95_000  # far above the PLUS ceiling for two persons
    _apply(t.offre, rich, 5)
    withdrawn = t.demandes[1]
    db.session.add(Candidature(offre_id=t.offre.id, demande_id=withdrawn.id, status="retiree",
                               applied_at=datetime(2026, 11, 1, tzinfo=UTC),
                               withdrawn_at=datetime(2026, 11, 2, tzinfo=UTC)))
    db.session.flush()

    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)

    ids = [c.demande_id for c in proposal.candidates]
    assert rich.id not in ids
    assert len(ids) == 3 and {c.explanation["source"] for c in proposal.candidates} == {"vivier"}
    expected = _engine_on_the_same_records(t, [
        Application(str(rich.id), t.offre.ref, date(2026, 11, 5))])
    assert _listed(proposal) == [(int(c.id), c.rank, c.source) for c in expected.candidates]


def test_fewer_than_three_eligible_is_stored_with_the_reason(db_session):
    t = territory(n_demandes=2)
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    assert len(proposal.candidates) == 2
    assert proposal.fewer_than_three_reason.startswith(
        "2 candidats éligibles seulement au lieu de 3 (CCH R.441-3")
    assert "vivier : 2 demandes éligibles parmi les 2 qui souhaitent la commune 45234" in (
        proposal.fewer_than_three_reason)
    assert proposal.parameters["shortfall"]["pool_eligible"] == 2
    assert designation.engine_exception(t.offre) == proposal.fewer_than_three_reason
    # The réservataire's own motive goes with its designation; the engine's reason stays.
    designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY,
                          exception="candidats_insuffisants")
    assert proposal.fewer_than_three_reason.startswith("2 candidats éligibles seulement")
    assert designation.designations(t.offre)[0].fewer_than_three_reason == (
        "Nombre insuffisant de candidats")


def test_a_demande_first_on_another_open_dossier_is_not_put_first_again(db_session):
    t = territory(n_demandes=4)
    first_list = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    leader = first_list.candidates[0].demande_id
    other = OffreFactory(ref="OFF-T-0002", logement=LogementFactory(
        bailleur=t.bailleur, commune=t.commune, typology="T3", rent=400.0, charges=80.0),
        flux_status="oriente", reservataire=t.reservataire, convention_id=t.convention.id,
        designation_deadline=date(2026, 12, 20))

    second = designation.working_list(other, actor=t.reservataire_user, on=TODAY)

    ids = [c.demande_id for c in second.candidates]
    assert ids[0] != leader and leader in ids
    assert any("déjà en tête d'un autre dossier ouvert" in r
               for r in second.candidates[0].explanation["reasons"])
    assert adapter.engaged(db.session, [other.id])[str(leader)] == 1


def test_the_explanation_is_stored_with_its_french_summary(db_session):
    t = territory(n_demandes=3)
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    e = proposal.candidates[0].explanation
    titles = [s["title"] for s in e["sections"]]
    assert titles == ["Origine", "Priorité", "Éligibilité", "Adéquation et taux d'effort",
                      "Cotation", "Place dans la liste"]
    lines = [line for s in e["sections"] for line in s["lines"]]
    assert "Demande du vivier : elle souhaite la commune du logement, la liste des " \
           "candidatures a été complétée" in lines
    assert "2 personnes pour un T3 (de 2 à 4 personnes) : typologie adaptée" in lines
    assert "Taux d'effort : 22,9\u00a0%" in lines  # (400 + 80) / 2 100
    assert any(line.startswith("Revenu retenu 14\u00a0200\u00a0€ (revenu fiscal de "
                               "référence N-2) pour un plafond de") for line in lines)
    assert e["eligibility"]["eligible"] is True and e["taux_effort"] == 0.2286


def test_batch_proposes_every_oriented_offer_without_any_demande_twice(app, db_session):
    t = territory(n_demandes=5)
    others = []
    for i in range(2, 4):
        others.append(OffreFactory(ref=f"OFF-T-000{i}", logement=LogementFactory(
            bailleur=t.bailleur, commune=t.commune, typology="T3", rent=400.0, charges=80.0),
            flux_status="oriente", reservataire=t.reservataire, convention_id=t.convention.id,
            designation_deadline=date(2026, 12, 20 + i)))
    # A sixth demande, a single person: eligible for nothing here (T3 from two persons).
    single = DemandeFactory(epci=t.epci, wishes=[t.commune])
    db.session.add(WishedTypology(demande_id=single.id, typology="T3"))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["propositions", "batch", "--today",
                                                "2026-12-02"])

    assert result.exit_code == 0, result.output
    proposals = db.session.scalars(select(Proposal).order_by(Proposal.offre_id)).all()
    assert {p.offre_id for p in proposals} == {t.offre.id, *(o.id for o in others)}
    chosen = [c.demande_id for p in proposals for c in p.candidates]
    assert len(chosen) == 5 and len(set(chosen)) == 5 and single.id not in chosen
    # Five demandes for three dwellings: each gets one, two get a second (2, 2, 1).
    assert sorted(len(p.candidates) for p in proposals) == [1, 2, 2]
    assert all(p.fewer_than_three_reason for p in proposals)
    assert "3 logement(s) orienté(s) en attente de candidats au 2026-12-02." in result.output
    assert ("Propositions : 3 dossier(s), 5 candidat(s) dont 5 demande(s) distincte(s) ; "
            "3 dossier(s) à moins de trois candidats.") in result.output
    again = app.test_cli_runner().invoke(args=["propositions", "batch", "--today", "2026-12-02"])
    assert "0 logement(s) orienté(s) en attente de candidats" in again.output


def test_batch_for_one_reservataire_and_an_unknown_one(app, db_session):
    t = territory(n_demandes=3)
    result = app.test_cli_runner().invoke(args=[
        "propositions", "batch", "--reservataire", t.reservataire.slug, "--today", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "1 dossier(s), 3 candidat(s)" in result.output
    unknown = app.test_cli_runner().invoke(args=["propositions", "batch", "--reservataire",
                                                 "inconnu"])
    assert unknown.exit_code != 0 and "réservataire inconnu" in unknown.output



def test_a_commune_reservataire_gets_residents_of_its_commune(db_session):
    t = territory(n_demandes=3)
    t.reservataire.slug, t.reservataire.reservataire_kind = "commune-orleans", "commune"
    for d in t.demandes[:2]:
        d.current_commune_insee = ORLEANS
    db.session.flush()
    assert adapter.policy_set(db.session).communes["commune-orleans"] == ORLEANS

    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)

    assert {c.demande_id for c in proposal.candidates} == {d.id for d in t.demandes[:2]}
    assert "ni résident ni actif dans la commune réservataire 1" in (
        proposal.fewer_than_three_reason)
