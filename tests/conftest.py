"""Test fixtures: one database built by the migrations per run, one transaction per test.

TEST_DATABASE_URL chooses the database (PostgreSQL in CI); by default a SQLite file in a
temporary folder. Each test runs inside a connection-level transaction that is rolled back
at the end; the code under test commits SAVEPOINTs only (join_transaction_mode), as in
warehouse's conftest.
"""

from __future__ import annotations

import os

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'cotaflux-test.sqlite3'}"


def reset_schema(url: str) -> None:
    """Start PostgreSQL runs from an empty schema (a SQLite file is new each run)."""
    if url.startswith("postgresql"):
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      # uploaded files of the tests (and of the demo they load) stay in a
                      # temporary folder, never in instance/uploads
                      "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads"))})
    with app.app_context():
        reset_schema(app.config["SQLALCHEMY_DATABASE_URI"])
        upgrade()
    return app


def _clear_request_globals(sender, **extra) -> None:
    """Give each test request an empty ``flask.g``, as in production.

    The test keeps an app context pushed (for factories and queries) and Flask reuses it, and
    its ``g``, for every request of the test: Flask-Login's cached user and Flask-WTF's CSRF
    token would otherwise leak from one request to the next, and a replayed cookie would be
    judged by the previous request's user."""
    namespace = g._get_current_object()
    for name in list(vars(namespace)):
        delattr(namespace, name)


@pytest.fixture
def db_session(app):
    """The database session of the test, rolled back at the end."""
    request_started.connect(_clear_request_globals, app, weak=False)
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()
            request_started.disconnect(_clear_request_globals, app)


@pytest.fixture
def client(app, db_session):
    return app.test_client()
