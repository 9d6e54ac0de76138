"""A real HTTP server for the browser tests: the app on 127.0.0.1 and a free port, in a
background thread, against its own SQLite file built by the migrations and seeded.

Not the transactional ``db_session`` fixture: the browser's requests run in the server's
threads and commit for real, like in production.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.extensions import db

from .seed import seed


class LiveServer:
    """Start with ``start()``, stop with ``stop()``; ``url`` is the base address."""

    def __init__(self, database: Path, **config) -> None:
        self.app: Flask = create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            # Unexpected errors answer 500 instead of being raised in the server's thread.
            "PROPAGATE_UNEXPECTED": False,
            **config,
        })
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        with self.app.app_context():
            upgrade()
            self.accounts = seed()
            db.session.commit()
            db.session.remove()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in test output
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-server",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._server.server_close()
            self._server = None
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
