"""The schema is built only by migrations; upgrade and downgrade both run; models agree."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

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
