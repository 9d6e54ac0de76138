"""The demo territory loads deterministically, once, with one account per role."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import ROLES, Organisation, User
from app.accounts.passwords import verify_password
from app.adapters.records import demande_record, logement_record
from app.attribution.models import Attribution, Bail
from app.demandes.models import Demande
from app.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from app.extensions import db
from app.flux.models import Convention, Offre
from app.patrimoine.models import Logement
from app.territoire.models import Commune
from matching import flux, records


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_territory_loads_once_with_every_role(db_session):
    lines: list[str] = []
    assert load_demo(demandes=400, logements=300, echo=lines.append) is True
    assert _count(Demande) == 400
    assert _count(Logement) == 300
    assert {u.role for u in db.session.scalars(select(User))} == set(ROLES)
    for email, *_ in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        assert verify_password(user.password_hash, DEMO_PASSWORD)
        assert email in "\n".join(lines)  # the accounts are printed for `make run`
    # Idempotent: a second load writes nothing.
    assert load_demo(demandes=400, logements=300, echo=lines.append) is False
    assert _count(Demande) == 400


def test_demo_territory_is_orleans_metropole_with_its_22_communes(db_session):
    load_demo(demandes=100, logements=100, echo=lambda _: None)
    epci = db.session.scalar(select(Organisation).where(Organisation.slug == "orleans-metropole"))
    members = db.session.scalars(select(Commune.insee).where(Commune.epci_id == epci.id)).all()
    assert len(members) == 22
    assert "45234" in members  # Orléans


def test_demo_conventions_respect_the_legal_caps(db_session):
    load_demo(demandes=100, logements=100, echo=lambda _: None)
    conventions = [
        records.Convention(
            id=c.ref, bailleur=c.bailleur.slug, reservataire=c.reservataire.slug,
            reservataire_kind=c.reservataire.reservataire_kind, departement=c.departement,
            year=c.year, share_percent=c.share_percent, origin=c.origin,
        )
        for c in db.session.scalars(select(Convention))
    ]
    assert conventions
    assert flux.check_caps(conventions) == []


def test_demo_history_gives_past_allocations_and_leases(db_session):
    load_demo(demandes=2000, logements=1500, echo=lambda _: None)
    assert _count(Bail) > 0
    assert _count(Attribution, Attribution.status.in_(("acceptee", "bail_signe"))) > 0
    assert _count(Demande, Demande.status == "attribuee") > 0
    assert _count(Offre, Offre.flux_status == "a_orienter") > 0
    # At most one active allocation per logement holds (the index would have refused it).
    active = db.session.execute(
        select(Attribution.logement_id, func.count())
        .where(Attribution.status.in_(("proposee", "acceptee", "bail_signe")))
        .group_by(Attribution.logement_id).having(func.count() > 1)
    ).all()
    assert active == []


def test_loaded_rows_round_trip_to_valid_domain_records(db_session):
    load_demo(demandes=50, logements=50, echo=lambda _: None)
    for demande in db.session.scalars(select(Demande).limit(50)):
        record = demande_record(demande)
        assert records.parse_demande(records.to_jsonable(record)) == record
    for logement in db.session.scalars(select(Logement).limit(50)):
        record = logement_record(logement)
        assert records.parse_logement(records.to_jsonable(record)) == record
