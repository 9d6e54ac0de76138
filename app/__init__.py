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


# Modules that add routes to a role's blueprint (one module per capability of the space).
ROUTE_MODULES = (
    "app.spaces.requester.demande_views",  # file and edit the demande
    "app.spaces.requester.portal_views",  # renewal, NUR, documents, ma cotation
    "app.spaces.requester.offers",  # location choisie: offers, applications, saved searches
    "app.spaces.requester.proposals_views",  # proposals and their answers
    "app.spaces.staff_documents",  # supporting documents in the staff spaces
    "app.spaces.bailleur.patrimoine_views",  # logements: import, edit, retire, exclude
    "app.spaces.bailleur.vacancies_views",  # vacancies published as offers, their media
    "app.spaces.bailleur.dossiers_views",  # visits and leases
    "app.spaces.bailleur.bilan_views",  # état des lieux, objectives, bilan
    "app.spaces.reservataire.logements_views",  # candidates and designation
    "app.spaces.reservataire.bilan_views",
    "app.spaces.cal.sessions_views",  # CAL sessions, decisions, minutes
    "app.spaces.epci.bilan_views",
)


def _register_blueprints(app: Flask) -> None:
    import importlib

    for name in ROUTE_MODULES:
        importlib.import_module(name)
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
