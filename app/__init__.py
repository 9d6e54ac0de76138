"""Cotaflux web application: create_app(config) builds a configured Flask app."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from app.config import CONFIGS, ROOT, check_production
from app.extensions import csrf, db, login_manager, migrate

TEMPLATES = ROOT / "portal_templates"
MIGRATIONS = ROOT / "migrations"


def create_app(config: str | type | dict | None = None) -> Flask:
    """Application factory: config → extensions → blueprints → CLI."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        static_folder=str(Path(__file__).parent / "static"),
        instance_path=str(ROOT / "instance"),
    )
    _configure(app, config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import models  # noqa: F401  (register every table on the metadata)
    from app.accounts.access import install_access_control
    from app.parameters import install_parameters
    from app.security import install_security
    from app.web import install_web

    install_security(app)
    install_access_control(app)
    install_web(app)
    install_parameters(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _configure(app: Flask, config: str | type | dict | None) -> None:
    name = config if isinstance(config, str) else os.environ.get("COTAFLUX_CONFIG", "development")
    if config is None or isinstance(config, str):
        if name not in CONFIGS:
            raise ValueError(f"unknown configuration {name!r} (one of {', '.join(CONFIGS)})")
        app.config.from_object(CONFIGS[name])
    elif isinstance(config, dict):
        app.config.from_object(CONFIGS["testing"] if config.get("TESTING") else CONFIGS["development"])
        app.config.update(config)
    else:
        app.config.from_object(config)
    app.config["COTAFLUX_CONFIG_NAME"] = name if isinstance(config, str | None) else "custom"
    if app.config["COTAFLUX_CONFIG_NAME"] == "production":
        check_production(app.config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if uri.startswith("postgresql://"):  # use psycopg 3, the driver we install
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix(
            "postgresql://"
        )


def _register_blueprints(app: Flask) -> None:
    from app.spaces.requester import demande_views  # noqa: F401, I001  (registers its routes on portal.bp)
    from app.spaces.requester import offers  # noqa: F401  (location choisie routes on portal.bp)
    # Register their routes on bailleur.bp (and the offer media on portal.bp).
    from app.spaces.bailleur import patrimoine_views, vacancies_views  # noqa: F401, I001
    from app.spaces.requester import portal_views  # noqa: F401  (renewal, NUR, documents, cotation)
    from app.spaces import staff_documents  # noqa: F401  (documents routes of the staff spaces)
    # From designation to lease (issue 9 C): routes on the role blueprints.
    from app.spaces.bailleur import dossiers_views  # noqa: F401, I001
    from app.spaces.cal import sessions_views  # noqa: F401, I001
    from app.spaces.requester import proposals_views  # noqa: F401, I001
    from app.spaces.reservataire import logements_views  # noqa: F401, I001
    from app.spaces.bailleur import bilan_views as _b  # noqa: F401, I001  (état des lieux, objectives, bilan)
    from app.spaces.reservataire import bilan_views as _r  # noqa: F401, I001
    from app.spaces.epci import bilan_views as _e  # noqa: F401, I001
    from app.spaces.admin.views import bp as admin_bp
    from app.spaces.api.views import bp as api_bp
    from app.spaces.auth.views import bp as auth_bp
    from app.spaces.bailleur.views import bp as bailleur_bp
    from app.spaces.cal.views import bp as cal_bp
    from app.spaces.epci.views import bp as epci_bp
    from app.spaces.requester.views import bp as portal_bp
    from app.spaces.reservataire.views import bp as reservataire_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(bailleur_bp, url_prefix="/bailleur")
    app.register_blueprint(reservataire_bp, url_prefix="/reservataire")
    app.register_blueprint(cal_bp, url_prefix="/cal")
    app.register_blueprint(epci_bp, url_prefix="/epci")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # the API authenticates with tokens, not cookies


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)
