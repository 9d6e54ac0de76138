"""Personal data of closed demandes is purged when its retention period ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import LoginAttempt
from app.audit.models import AuditEvent
from app.demandes.models import HouseholdMember
from app.demandes.retention import months_before, purge_expired
from app.extensions import db
from tests.factories import DemandeFactory

TODAY = date(2026, 11, 28)


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(date(2026, 11, 28), 24) == date(2024, 11, 28)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_closed_demande_past_retention_loses_its_identity_but_keeps_its_facts(db_session):
    old = DemandeFactory(status="attribuee", closed_on=date(2024, 11, 1), phone="06 12 34 56 78",
                         email="camille@example.org", address="1 rue X", employer_siret="12345678900011")
    recent = DemandeFactory(status="attribuee", closed_on=date(2025, 6, 1))
    active = DemandeFactory(status="active")

    report = purge_expired(TODAY, 24)

    assert report.demandes == [old.nur]
    for column in ("first_name", "last_name", "email", "phone", "address", "employer_siret"):
        assert getattr(old, column) is None
    assert old.purged_at is not None and old.display_name == "(données effacées)"
    member = db.session.scalar(select(HouseholdMember).where(HouseholdMember.demande_id == old.id))
    assert member.first_name is None and member.birth_date == date(1990, 1, 1)
    assert old.rfr_n2 == 14200 and old.status == "attribuee"  # facts for statistics stay
    assert recent.last_name is not None and recent.purged_at is None
    assert active.last_name is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
    assert event.details["demandes"] == 1 and event.details["nurs"] == [old.nur]


def test_dry_run_counts_without_erasing(db_session):
    old = DemandeFactory(status="radiee", closed_on=date(2023, 1, 1))
    report = purge_expired(TODAY, 24, dry_run=True)
    assert report.demandes == [old.nur]
    assert old.last_name is not None and old.purged_at is None


def test_old_login_attempts_are_deleted(db_session):
    now = datetime.now(UTC)
    db.session.add_all([
        LoginAttempt(email_key="a@example.org", client="1.2.3.4", attempted_at=now - timedelta(days=3)),
        LoginAttempt(email_key="b@example.org", client="1.2.3.4", attempted_at=now),
    ])
    db.session.flush()
    assert purge_expired(TODAY, 24).login_attempts == 1
    assert [a.email_key for a in db.session.scalars(select(LoginAttempt))] == ["b@example.org"]


def test_retention_command_reports_counts(app, db_session):
    DemandeFactory(status="expiree", closed_on=date(2020, 1, 1))
    result = app.test_cli_runner().invoke(args=["retention", "purge", "--today", "2026-11-28"])
    assert result.exit_code == 0, result.output
    assert "1 identité(s) effacées" in result.output
    bad = app.test_cli_runner().invoke(args=["retention", "purge", "--today", "hier"])
    assert bad.exit_code == 2 and "date AAAA-MM-JJ invalide" in bad.output
