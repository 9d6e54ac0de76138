"""flask demandes expire: a demande not renewed within a year from its filing or its last
renewal becomes « expirée » on its anniversary; the others stay active."""

from __future__ import annotations

from datetime import date

from app.demandes.renewal import add_months, expires_on
from tests.factories import DemandeFactory


def test_demandes_past_their_anniversary_expire_and_the_others_stay(app, db_session):
    due = DemandeFactory(filed_on=date(2025, 3, 2))
    renewed = DemandeFactory(filed_on=date(2024, 1, 10), renewed_on=date(2025, 6, 1))
    tomorrow = DemandeFactory(filed_on=date(2025, 3, 3))
    closed = DemandeFactory(filed_on=date(2020, 1, 1), status="radiee")

    result = app.test_cli_runner().invoke(args=["demandes", "expire", "--today", "2026-03-02"])

    assert result.exit_code == 0, result.output
    assert "1 demande(s) expirée(s) au 2026-03-02" in result.output
    assert due.nur in result.output
    assert (due.status, due.closed_on) == ("expiree", date(2026, 3, 2))
    assert (renewed.status, tomorrow.status, closed.status) == ("active", "active", "radiee")


def test_a_bad_date_is_refused(app, db_session):
    result = app.test_cli_runner().invoke(args=["demandes", "expire", "--today", "2026-02-30"])

    assert result.exit_code == 2 and "date AAAA-MM-JJ invalide" in result.output


def test_the_anniversary_of_a_29_february_is_the_28th(db_session):
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert expires_on(DemandeFactory.build(filed_on=date(2024, 2, 29), renewed_on=None)) == date(
        2025, 2, 28)
