"""Two agents act on the same dwelling at the same moment, in real concurrent transactions
(two threads, two sessions) on PostgreSQL: exactly one succeeds, the other gets the conflict
message; repeated 20 times."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select, text

from app.accounts.models import Organisation
from app.attribution import designation
from app.attribution.models import Attribution, Designation
from app.attribution.services import MSG_CONFLICT_ALLOCATED, Conflict, allocate
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement
from app.territoire.models import Commune

ROUNDS = 20
ON = date(2026, 12, 2)

pytestmark = pytest.mark.postgres


def _require_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; concurrent allocation is tested on PostgreSQL")


def _setup() -> dict:
    bailleur = Organisation(slug="i9c-conc-b", name="B", kind="bailleur", departement="45")
    epci = Organisation(slug="i9c-conc-e", name="E", kind="epci", departement="45")
    db.session.add_all([bailleur, epci, Commune(insee="45997", name="Conc", departement="45",
                                                zone="autres_regions")])
    db.session.flush()
    demandes = [Demande(nur=f"I9C-CONC-{i}", epci_id=epci.id, status="active",
                        filed_on=date(2025, 1, 1), rfr_n2=1000, current_housing_kind="autre")
                for i in range(2)]
    offres = []
    for n in range(ROUNDS):
        lg = Logement(ref=f"I9C-L-{n}", bailleur_id=bailleur.id, commune_insee="45997",
                      zone="autres_regions", typology="T2", financing="PLUS", rent=400,
                      charges=50)
        db.session.add(lg)
        db.session.flush()
        offres.append(Offre(ref=f"I9C-O-{n}", logement_id=lg.id, flux_status="en_cal",
                            declared_on=date(2026, 11, 1), available_on=date(2026, 12, 1)))
    db.session.add_all(demandes + offres)
    db.session.commit()
    return {"offres": [o.id for o in offres], "demandes": [d.id for d in demandes],
            "orgs": [bailleur.id, epci.id]}


def _cleanup(ids: dict) -> None:
    # The ledger and the CAL decisions are append-only: lift their triggers for the cleanup
    # only, inside the cleanup's own transaction (PostgreSQL DDL is transactional).
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE flux_events DISABLE TRIGGER USER"))
        offres = {"o": ids["offres"]}
        conn.execute(text("DELETE FROM flux_events WHERE offre_id = ANY(:o)"), offres)
        conn.execute(text("ALTER TABLE flux_events ENABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM attributions WHERE offre_id = ANY(:o)"), offres)
        conn.execute(text("DELETE FROM designations WHERE offre_id = ANY(:o)"), offres)
        conn.execute(text("DELETE FROM proposal_candidates WHERE proposal_id IN "
                          "(SELECT id FROM proposals WHERE offre_id = ANY(:o))"), offres)
        conn.execute(text("DELETE FROM proposals WHERE offre_id = ANY(:o)"), offres)
        conn.execute(text("DELETE FROM offres WHERE id = ANY(:o)"), offres)
        conn.execute(text("DELETE FROM logements WHERE ref LIKE 'I9C-L-%'"))
        conn.execute(text("DELETE FROM demandes WHERE nur LIKE 'I9C-CONC-%'"))
        conn.execute(text("DELETE FROM communes WHERE insee = '45997'"))
        conn.execute(text("DELETE FROM organisations WHERE slug LIKE 'i9c-conc-%'"))


def _race(app, work) -> list[str]:
    """Run ``work(i)`` for i = 0, 1 in two threads, each in its own app context and session,
    started together; each commits. Returns the outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                work(i)
                time.sleep(0.05)  # keep the transaction open so the other one overlaps
                db.session.commit()
                outcomes.append("ok")
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
    return outcomes


def test_two_agents_allocating_one_dwelling_exactly_one_succeeds(app, database_url):
    _require_postgres(database_url)
    with app.app_context():
        ids = _setup()
    try:
        for offre_id in ids["offres"]:
            def work(i, offre_id=offre_id):
                offre = db.session.get(Offre, offre_id)
                allocate(offre, db.session.get(Demande, ids["demandes"][i]), on=ON, actor=None)

            outcomes = _race(app, work)
            assert sorted(outcomes) == sorted(["ok", MSG_CONFLICT_ALLOCATED]), outcomes
            with app.app_context():
                active = db.session.scalars(select(Attribution).where(
                    Attribution.offre_id == offre_id)).all()
                assert len(active) == 1
    finally:
        with app.app_context():
            _cleanup(ids)


def test_two_agents_designating_one_dwelling_exactly_one_succeeds(app, database_url):
    _require_postgres(database_url)
    with app.app_context():
        ids = _setup()
        reservataire = Organisation(slug="i9c-conc-r", name="R", kind="reservataire",
                                    reservataire_kind="action_logement", departement="45")
        db.session.add(reservataire)
        db.session.flush()
        from app.accounts.models import Membership, User

        agents = []
        for i in range(2):
            user = User(email=f"i9c-conc-{i}@example.org", full_name=f"Agent {i}",
                        role="reservataire", password_hash="x")
            user.membership = Membership(organisation=reservataire)
            db.session.add(user)
            agents.append(user)
        db.session.flush()
        agent_ids = [u.id for u in agents]
        offre_ids = ids["offres"][:5]
        for offre_id in offre_ids:
            offre = db.session.get(Offre, offre_id)
            offre.flux_status, offre.reservataire_id = "oriente", reservataire.id
            offre.designation_deadline = date(2026, 12, 20)
            proposal = designation.Proposal(offre_id=offre_id, source="manuel")
            proposal.candidates.append(designation.ProposalCandidate(
                demande_id=ids["demandes"][0], rank=1))
            db.session.add(proposal)
        db.session.commit()
    try:
        from app.accounts.models import User

        for offre_id in offre_ids:
            def work(i, offre_id=offre_id):
                offre = db.session.get(Offre, offre_id)
                version = designation.current_proposal(offre).id
                designation.designate(offre, version=version, on=ON,
                                      actor=db.session.get(User, agent_ids[i]),
                                      exception="candidats_insuffisants")

            outcomes = _race(app, work)
            assert outcomes.count("ok") == 1, outcomes
            [other] = [o for o in outcomes if o != "ok"]
            assert "a changé d'état entre-temps" in other
            with app.app_context():
                assert len(db.session.scalars(select(Designation).where(
                    Designation.offre_id == offre_id)).all()) == 1
    finally:
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM memberships WHERE user_id IN "
                                  "(SELECT id FROM users WHERE email LIKE 'i9c-conc-%')"))
                conn.execute(text("DELETE FROM designations WHERE offre_id = ANY(:o)"),
                             {"o": ids["offres"]})
                conn.execute(text("UPDATE offres SET reservataire_id = NULL, "
                                  "flux_status = 'en_cal' WHERE id = ANY(:o)"),
                             {"o": ids["offres"]})
            _cleanup(ids)
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM users WHERE email LIKE 'i9c-conc-%'"))
                conn.execute(text("DELETE FROM organisations WHERE slug = 'i9c-conc-r'"))
