"""A condition lifted by an agent while the daily command makes it lapse, in real concurrent
transactions (two threads, two sessions) on PostgreSQL: the condition ends once, either lifted
or lapsed, never both, and the dwelling follows that one outcome; repeated 10 times."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.accounts.models import Membership, Organisation, User
from app.attribution import conditions
from app.attribution.models import (
    Attribution,
    CalConditionOutcome,
    CalDecision,
    CalDossier,
    CalSession,
    Designation,
)
from app.attribution.services import Conflict
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement
from app.territoire.models import Commune

ROUNDS = 10
HELD = date(2026, 12, 2)
DEADLINE = HELD + timedelta(days=10)

pytestmark = pytest.mark.postgres


def _setup() -> dict:
    bailleur = Organisation(slug="h2-cond-b", name="B", kind="bailleur", departement="45")
    epci = Organisation(slug="h2-cond-e", name="E", kind="epci", departement="45")
    db.session.add_all([bailleur, epci, Commune(insee="45996", name="Cond", departement="45",
                                                zone="autres_regions")])
    db.session.flush()
    agent = User(email="h2-cond@example.org", full_name="Agent", role="bailleur",
                 password_hash="x")
    agent.membership = Membership(organisation=bailleur)
    demandes = [Demande(nur=f"H2-COND-{i}", epci_id=epci.id, status="active",
                        filed_on=date(2025, 1, 1), rfr_n2=1000, current_housing_kind="autre")
                for i in range(2)]
    session = CalSession(bailleur_id=bailleur.id, held_on=HELD, status="tenue")
    db.session.add_all([agent, session, *demandes])
    db.session.flush()
    decisions = []
    for n in range(ROUNDS):
        lg = Logement(ref=f"H2-COND-L-{n}", bailleur_id=bailleur.id, commune_insee="45996",
                      zone="autres_regions", typology="T2", financing="PLUS", rent=400,
                      charges=50)
        db.session.add(lg)
        db.session.flush()
        offre = Offre(ref=f"H2-COND-O-{n}", logement_id=lg.id, flux_status="en_cal",
                      declared_on=date(2026, 11, 1), available_on=date(2026, 12, 1))
        db.session.add(offre)
        db.session.flush()
        db.session.add(CalDossier(session_id=session.id, offre_id=offre.id, position=n + 1))
        for rank, demande in enumerate(demandes, start=1):
            db.session.add(Designation(offre_id=offre.id, demande_id=demande.id,
                                       reservataire_id=bailleur.id, rank=rank))
        conditional = CalDecision(
            session_id=session.id, offre_id=offre.id, demande_id=demandes[0].id,
            decision="attribution_sous_condition", rank=1, condition="Avis d'imposition",
            condition_deadline=DEADLINE)
        ranked = CalDecision(session_id=session.id, offre_id=offre.id,
                             demande_id=demandes[1].id, decision="attribution_rang", rank=2)
        db.session.add_all([conditional, ranked])
        db.session.flush()
        db.session.add(Attribution(offre_id=offre.id, logement_id=lg.id,
                                   demande_id=demandes[0].id, cal_decision_id=conditional.id,
                                   status="proposee", proposed_on=HELD,
                                   answer_due_on=HELD + timedelta(days=10)))
        decisions.append(conditional.id)
    db.session.commit()
    return {"decisions": decisions, "agent": agent.id, "session": session.id}


def _cleanup() -> None:
    # Outcomes, decisions and the ledger are append-only: lift their triggers for the cleanup
    # only, inside the cleanup's own transaction (PostgreSQL DDL is transactional).
    append_only = ("flux_events", "cal_condition_outcomes", "cal_decisions")
    offres = "(SELECT id FROM offres WHERE ref LIKE 'H2-COND-O-%')"
    with db.engine.begin() as conn:
        for table in append_only:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        conn.execute(text(f"DELETE FROM flux_events WHERE offre_id IN {offres}"))
        conn.execute(text("DELETE FROM cal_condition_outcomes WHERE cal_decision_id IN "
                          f"(SELECT id FROM cal_decisions WHERE offre_id IN {offres})"))
        conn.execute(text(f"DELETE FROM attributions WHERE offre_id IN {offres}"))
        conn.execute(text(f"DELETE FROM cal_decisions WHERE offre_id IN {offres}"))
        conn.execute(text(f"DELETE FROM cal_dossiers WHERE offre_id IN {offres}"))
        conn.execute(text(f"DELETE FROM designations WHERE offre_id IN {offres}"))
        for table in append_only:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM offres WHERE ref LIKE 'H2-COND-O-%'"))
        conn.execute(text("DELETE FROM logements WHERE ref LIKE 'H2-COND-L-%'"))
        conn.execute(text("DELETE FROM cal_sessions WHERE bailleur_id IN "
                          "(SELECT id FROM organisations WHERE slug = 'h2-cond-b')"))
        conn.execute(text("DELETE FROM demandes WHERE nur LIKE 'H2-COND-%'"))
        conn.execute(text("DELETE FROM memberships WHERE user_id IN "
                          "(SELECT id FROM users WHERE email = 'h2-cond@example.org')"))
        conn.execute(text("DELETE FROM users WHERE email = 'h2-cond@example.org'"))
        conn.execute(text("DELETE FROM communes WHERE insee = '45996'"))
        conn.execute(text("DELETE FROM organisations WHERE slug LIKE 'h2-cond-%'"))


def test_lifting_while_the_condition_lapses_ends_it_once(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; concurrent transactions are tested on "
                    "PostgreSQL")
    with app.app_context():
        _cleanup()  # a run interrupted earlier
        ids = _setup()
    seen: set[str] = set()
    try:
        for n, decision_id in enumerate(ids["decisions"]):
            barrier = threading.Barrier(2)
            outcomes: list[str] = []

            def run(i: int, decision_id=decision_id, late=n % 2, barrier=barrier,
                    outcomes=outcomes) -> None:
                with app.app_context():
                    barrier.wait(timeout=10)
                    if i == late:  # each side starts first in turn
                        time.sleep(0.01)
                    try:
                        decision = db.session.get(CalDecision, decision_id)
                        if i == 0:
                            conditions.lift(decision, received_on=DEADLINE, note=None,
                                            document_id=None, on=DEADLINE + timedelta(days=1),
                                            actor=db.session.get(User, ids["agent"]))
                            result = "levee"
                        else:
                            done = conditions.lapse(decision, on=DEADLINE + timedelta(days=1))
                            result = "caduque" if done is not None else "rien"
                        time.sleep(0.05)  # keep the transaction open so the other overlaps
                        db.session.commit()
                        outcomes.append(result)
                    except Conflict as err:
                        db.session.rollback()
                        outcomes.append(err.message)
                    finally:
                        db.session.remove()

            threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            with app.app_context():
                [outcome] = db.session.scalars(select(CalConditionOutcome).where(
                    CalConditionOutcome.cal_decision_id == decision_id)).all()
                decision = db.session.get(CalDecision, decision_id)
                statuses = dict(db.session.execute(
                    select(Attribution.demande_id, Attribution.status)
                    .where(Attribution.offre_id == decision.offre_id)).all())
                seen.add(outcome.outcome)
                if outcome.outcome == "levee":
                    assert sorted(outcomes) == ["levee", "rien"], outcomes
                    assert list(statuses.values()) == ["proposee"]
                else:
                    assert "caduque" in outcomes, outcomes
                    [other] = [o for o in outcomes if o != "caduque"]
                    assert "déjà caduque" in other or "traitée par ailleurs" in other, other
                    assert statuses[decision.demande_id] == "annulee"
                    assert sorted(statuses.values()) == ["annulee", "proposee"]
                db.session.remove()
        assert seen == {"levee", "caduque"}  # both orders happened
    finally:
        with app.app_context():
            _cleanup()
            db.session.remove()
            db.engine.dispose()  # the threads' connections, closed now rather than collected
