"""Invariants held by the database itself, not only by forms (docs/architecture.md, « Database »)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.attribution.models import Attribution
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import Convention, Offre
from app.patrimoine.models import Logement
from tests.factories import (
    CommuneFactory,
    DemandeFactory,
    LogementFactory,
    OrganisationFactory,
    UserFactory,
)


def _offre(logement: Logement, ref: str, status: str = "a_orienter") -> Offre:
    return Offre(
        ref=ref, logement=logement, flux_status=status,
        declared_on=date(2026, 10, 1), available_on=date(2026, 12, 1),
    )


def _attribution(offre: Offre, demande: Demande, status: str = "proposee") -> Attribution:
    return Attribution(
        offre=offre, logement_id=offre.logement_id, demande=demande, status=status,
        proposed_on=date(2026, 11, 2), answer_due_on=date(2026, 11, 12),
    )


def _expect_integrity_error(*objects) -> None:
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add_all(objects)
            db.session.flush()


def test_one_active_demande_per_requester_and_territory(db_session):
    requester = UserFactory()
    first = DemandeFactory(requester_id=requester.id)
    _expect_integrity_error(Demande(
        nur="045-2026-999999", requester_id=requester.id, epci=first.epci, status="brouillon",
        filed_on=date(2026, 1, 1), rfr_n2=1000, current_housing_kind="autre",
    ))
    # A closed demande does not count: a new one may be filed after an allocation.
    first.status = "attribuee"
    db.session.flush()
    db.session.add(Demande(
        nur="045-2026-999998", requester_id=requester.id, epci=first.epci, status="active",
        filed_on=date(2026, 1, 1), rfr_n2=1000, current_housing_kind="autre",
    ))
    db.session.flush()


def test_one_open_offer_per_logement(db_session):
    logement = LogementFactory()
    db.session.add(_offre(logement, "OFF-1"))
    db.session.flush()
    _expect_integrity_error(_offre(logement, "OFF-2"))
    db.session.add(_offre(logement, "OFF-3", status="retire"))  # closed offers do not count
    db.session.flush()


def test_one_active_attribution_per_logement(db_session):
    logement = LogementFactory()
    offre = _offre(logement, "OFF-A")
    db.session.add(offre)
    db.session.flush()
    first, second = DemandeFactory(), DemandeFactory()
    db.session.add(_attribution(offre, first))
    db.session.flush()
    _expect_integrity_error(_attribution(offre, second))
    # Once refused, the dwelling can be proposed to the next candidate.
    offre_attr = db.session.query(Attribution).filter_by(demande_id=first.id).one()
    offre_attr.status = "refusee"
    db.session.flush()
    db.session.add(_attribution(offre, second))
    db.session.flush()


@pytest.mark.parametrize(
    "column, value",
    [
        ("typology", "T9"),  # not an enumeration value of docs/formats.md
        ("financing", "PLX"),
        ("zone", "lune"),
        ("rent", -1),  # negative amounts are refused
        ("surface", 0),
    ],
)
def test_logement_checks(db_session, column, value):
    logement = LogementFactory.build(bailleur=OrganisationFactory(), commune=CommuneFactory())
    setattr(logement, column, value)
    _expect_integrity_error(logement)


def test_convention_share_must_be_a_percentage(db_session):
    bailleur = OrganisationFactory()
    reservataire = OrganisationFactory(reservataire=True)
    _expect_integrity_error(Convention(
        ref="C-1", bailleur=bailleur, reservataire=reservataire, departement="45", year=2026,
        share_percent=120, origin="financement",
    ))


def test_reservataire_organisation_needs_its_kind(db_session):
    _expect_integrity_error(OrganisationFactory.build(kind="reservataire", reservataire_kind=None))
    _expect_integrity_error(OrganisationFactory.build(kind="bailleur", reservataire_kind="etat"))


def test_foreign_keys_are_enforced(db_session):
    logement = LogementFactory.build(bailleur=OrganisationFactory(), commune=None)
    logement.commune_insee = "99999"  # no such commune
    _expect_integrity_error(logement)


def test_negative_income_is_refused_by_the_database(db_session):
    demande = DemandeFactory.build(epci=OrganisationFactory(epci=True), rfr_n2=-5)
    _expect_integrity_error(demande)


@pytest.mark.postgres
def test_two_concurrent_allocations_of_one_logement_cannot_both_commit(app, database_url):
    """Two transactions allocate the same dwelling at the same time: exactly one commits."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; concurrent allocation is tested on PostgreSQL")
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO organisations (slug, name, kind, created_at) VALUES "
                "('conc-bailleur', 'B', 'bailleur', now()), ('conc-epci', 'E', 'epci', now())"
            ))
            conn.execute(text(
                "INSERT INTO communes (insee, name, departement, zone, has_qpv) "
                "VALUES ('45998', 'Test', '45', 'autres_regions', false)"
            ))
            bailleur = conn.execute(text("SELECT id FROM organisations WHERE slug='conc-bailleur'")).scalar()
            epci = conn.execute(text("SELECT id FROM organisations WHERE slug='conc-epci'")).scalar()
            logement = conn.execute(text(
                "INSERT INTO logements (ref, bailleur_id, commune_insee, zone, qpv, typology, lift, "
                "accessible, financing, rent, charges, created_at) VALUES ('CONC-1', :b, '45998', "
                "'autres_regions', false, 'T2', false, false, 'PLUS', 400, 50, now()) RETURNING id"
            ), {"b": bailleur}).scalar()
            offre = conn.execute(text(
                "INSERT INTO offres (ref, logement_id, flux_status, declared_on, available_on, "
                "is_published, created_at) VALUES ('CONC-O', :l, 'en_cal', '2026-11-01', "
                "'2026-12-01', false, now()) RETURNING id"
            ), {"l": logement}).scalar()
            demandes = [conn.execute(text(
                "INSERT INTO demandes (nur, epci_id, status, filed_on, is_mutation, rfr_n2, "
                "current_housing_kind, employer_contributes_action_logement, needs_accessible, "
                "is_dalo, is_acd_labelled, created_at, updated_at) VALUES (:n, :e, 'active', "
                "'2025-01-01', false, 1000, 'autre', false, false, false, false, now(), now()) "
                "RETURNING id"
            ), {"n": f"CONC-{i}", "e": epci}).scalar() for i in range(2)]

        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def allocate(demande_id: int) -> None:
            barrier.wait(timeout=10)  # both transactions start together
            try:
                with engine.begin() as conn:
                    conn.execute(text(
                        "INSERT INTO attributions (offre_id, logement_id, demande_id, status, "
                        "proposed_on, answer_due_on) VALUES (:o, :l, :d, 'proposee', "
                        "'2026-11-28', '2026-12-08')"
                    ), {"o": offre, "l": logement, "d": demande_id})
                    time.sleep(0.3)  # hold the row so that the other insert overlaps
                outcomes.append("committed")
            except IntegrityError:
                outcomes.append("refused")

        threads = [threading.Thread(target=allocate, args=(d,)) for d in demandes]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            with engine.connect() as conn:
                active = conn.execute(text(
                    "SELECT count(*) FROM attributions WHERE logement_id = :l "
                    "AND status IN ('proposee', 'acceptee', 'bail_signe')"
                ), {"l": logement}).scalar()
        finally:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM attributions WHERE logement_id = :l"), {"l": logement})
                conn.execute(text("DELETE FROM offres WHERE id = :o"), {"o": offre})
                conn.execute(text("DELETE FROM logements WHERE id = :l"), {"l": logement})
                conn.execute(text("DELETE FROM demandes WHERE nur LIKE 'CONC-%'"))
                conn.execute(text("DELETE FROM communes WHERE insee = '45998'"))
                conn.execute(text("DELETE FROM organisations WHERE slug LIKE 'conc-%'"))
    assert active == 1
    assert outcomes.count("committed") == 1
    assert outcomes.count("refused") == 1


def test_emails_are_unique_whatever_their_case(db_session):
    UserFactory(email="camille@example.org")
    _expect_integrity_error(UserFactory.build(email="Camille@Example.org"))
