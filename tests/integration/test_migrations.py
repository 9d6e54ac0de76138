"""The schema is built only by migrations; upgrade and downgrade both run; models agree."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import reset_schema


@pytest.fixture
def scratch_app(database_url, tmp_path):
    """An app on its own database: a fresh SQLite file, or the test PostgreSQL database
    (left at head again afterwards for the rest of the session)."""
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        reset_schema(app.config["SQLALCHEMY_DATABASE_URI"])
        yield app
        reset_schema(app.config["SQLALCHEMY_DATABASE_URI"])
        upgrade()
        db.engine.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_to_head_builds_every_model_table(scratch_app):
    assert _tables() == set()
    upgrade()
    assert _tables() == set(db.metadata.tables)


def test_models_and_migrations_agree(scratch_app):
    upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_downgrade_to_base_removes_everything_and_upgrade_runs_again(scratch_app):
    upgrade()
    downgrade(revision="base")
    assert _tables() == set()
    upgrade()
    assert "audit_events" in _tables()


def test_sqlite_file_database_is_created_by_upgrade(tmp_path):
    path = tmp_path / "instance" / "fresh.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    engine = create_engine(f"sqlite:///{path}")
    assert "demandes" in inspect(engine).get_table_names()
    engine.dispose()


def test_earlier_scores_move_into_runs_and_back(scratch_app):
    """0704 groups the scores of f1a0c0de0703 into runs (EPCI, grid, version, date), and its
    downgrade puts them back."""
    upgrade(revision="f1a0c0de0703")
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO organisations (id, slug, name, kind, departement, created_at) VALUES "
            "(1, 'e1', 'EPCI 1', 'epci', '45', CURRENT_TIMESTAMP), "
            "(2, 'e2', 'EPCI 2', 'epci', '45', CURRENT_TIMESTAMP)"))
        for i, epci in ((1, 1), (2, 1), (3, 2)):
            conn.execute(text(
                "INSERT INTO demandes (id, nur, epci_id, status, filed_on, is_mutation, rfr_n2, "
                "current_housing_kind, employer_contributes_action_logement, needs_accessible, "
                "is_dalo, is_acd_labelled, created_at, updated_at) VALUES (:i, :nur, :e, "
                "'active', '2025-01-01', false, 0, 'autre', false, false, false, false, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"i": i, "nur": f"N{i}", "e": epci})
        for demande, day, score, priority in ((1, "2026-01-01", 12.5, True),
                                              (2, "2026-01-01", 3.0, False),
                                              (1, "2026-02-01", 13.0, True),
                                              (3, "2026-01-01", 7.25, False)):
            conn.execute(text(
                "INSERT INTO cotation_scores (demande_id, grid_id, grid_version, computed_on, "
                "score, is_priority, details) VALUES (:d, 'g', '1', :on, :s, :p, '{}')"),
                {"d": demande, "on": day, "s": score, "p": priority})
    upgrade()
    with db.engine.connect() as conn:
        runs = conn.execute(text(
            "SELECT epci_id, computed_on, scored, priority FROM cotation_runs "
            "ORDER BY epci_id, computed_on")).all()
        scores = conn.execute(text(
            "SELECT r.epci_id, r.computed_on, s.demande_id, s.score, s.is_priority "
            "FROM cotation_scores s JOIN cotation_runs r ON r.id = s.run_id "
            "ORDER BY 1, 2, 3")).all()
    assert [(e, str(d), n, p) for e, d, n, p in runs] == [
        (1, "2026-01-01", 2, 1), (1, "2026-02-01", 1, 1), (2, "2026-01-01", 1, 0)]
    assert [(e, str(d), i, float(s), bool(p)) for e, d, i, s, p in scores] == [
        (1, "2026-01-01", 1, 12.5, True), (1, "2026-01-01", 2, 3.0, False),
        (1, "2026-02-01", 1, 13.0, True), (2, "2026-01-01", 3, 7.25, False)]
    downgrade(revision="f1a0c0de0703")
    with db.engine.connect() as conn:
        back = conn.execute(text(
            "SELECT demande_id, computed_on, score, is_priority FROM cotation_scores "
            "ORDER BY 2, 1")).all()
    assert [(i, str(d), float(s), bool(p)) for i, d, s, p in back] == [
        (1, "2026-01-01", 12.5, True), (2, "2026-01-01", 3.0, False),
        (3, "2026-01-01", 7.25, False), (1, "2026-02-01", 13.0, True)]
