"""Regulatory parameters in the web app: the operator's override directory, the yearly gaps.

The engine reads its dated figures from ``matching/parameters/`` plus the directory named by
``COTAFLUX_PARAMETERS_DIR`` (docs/parameters.md, yearly update procedure). The app adds:

* start-up validation (``install_parameters``, called by ``create_app``): the directory, read
  from the app config or else the environment, is checked with the engine's schema. Production
  refuses to start when it is invalid (the server must not run on figures the operator did not
  mean); development and testing log the problems and start, so that the admin home and
  ``flask parameters check`` can show them;
* ``coming_year_gaps(today)`` / ``current_year_gaps(today)``: what the coming (from 1 December)
  or current year still lacks, for the warnings of the admin and EPCI homes;
* the 1 January rule: a page that needs a figure of a year not loaded yet raises
  ``ParameterMissing``; one error handler answers 503 with a plain French page (problem+json
  under /api/), never a 500 and never last year's value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import Flask, current_app, jsonify, render_template

from matching import parameters as params

OVERRIDE_SETTING = params.OVERRIDE_ENV  # "COTAFLUX_PARAMETERS_DIR", config key and env var
WARNING_FROM = (12, 1)  # from 1 December, the coming year's values are expected

# Compact names of the series, in the order they are listed (by prefix of the parameter name).
SERIES = (
    ("plafonds_ressources.plai", "PLAI"),
    ("plafonds_ressources.plus", "PLUS"),
    ("plafonds_ressources.pls", "PLS"),
    ("plafonds_ressources.pli", "PLI"),
    ("irl", "IRL"),
)
CEILINGS_PREFIX = "plafonds_ressources."
PROBLEMS_KEY = "cotaflux.parameter_problems"


class ParametersDirectoryError(RuntimeError):
    """The override directory is invalid: start-up refused (production)."""


def override_directory(app: Flask | None = None) -> Path | None:
    """``COTAFLUX_PARAMETERS_DIR`` from the app config, else from the environment."""
    app = app or current_app
    value = app.config.get(OVERRIDE_SETTING) or os.environ.get(OVERRIDE_SETTING, "")
    value = str(value).strip()
    return Path(value) if value else None


def directory_problems(app: Flask | None = None) -> list[str]:
    """Problems of the override directory (each naming its file and parameter), [] if valid."""
    directory = override_directory(app)
    return params.validate_directory(directory) if directory is not None else []


def loaded(app: Flask | None = None) -> params.Parameters:
    """The parameters the app serves: shipped values plus its override directory.

    The engine's ``params.default()`` when the app's directory is the environment's (the usual
    case); otherwise (a directory set in the app config only) loaded once per app.
    """
    app = app or current_app
    directory = override_directory(app)
    if directory == params.overrides_dir():
        return params.default()
    cache = app.extensions.setdefault("cotaflux.parameters", {})
    if directory not in cache:
        cache[directory] = params.Parameters.load(params.PARAMETERS_DIR, directory)
    return cache[directory]


def install_parameters(app: Flask) -> None:
    """Validate the override directory at start-up and answer ``ParameterMissing`` with 503."""
    problems = directory_problems(app)
    app.extensions[PROBLEMS_KEY] = problems  # what this process serves: checked once
    if problems:
        message = (
            f"{OVERRIDE_SETTING}={override_directory(app)} : répertoire de paramètres invalide "
            f"({len(problems)} problème(s)) :\n" + "\n".join(f"  {p}" for p in problems)
        )
        if app.config.get("COTAFLUX_CONFIG_NAME") == "production":
            raise ParametersDirectoryError(message)
        app.logger.error("%s", message)
    app.register_error_handler(params.ParameterMissing, _parameter_missing)


def coming_year_gaps(today: date, parameters: params.Parameters | None = None) -> list[str]:
    """Parameters without a value on 1 January next year, from 1 December; [] before."""
    if (today.month, today.day) < WARNING_FROM:
        return []
    return params.missing_for(today.year + 1, parameters or loaded())


def current_year_gaps(today: date, parameters: params.Parameters | None = None) -> list[str]:
    """Parameters without a value on 1 January of the current year (1 January, nothing loaded)."""
    return params.missing_for(today.year, parameters or loaded())


def default_check_year(today: date) -> int:
    """The year ``flask parameters check`` controls: the coming one from 1 December, else this one."""
    return today.year + 1 if (today.month, today.day) >= WARNING_FROM else today.year


def series_of(names: list[str]) -> list[str]:
    """Compact series names of parameter names, e.g. ``["PLAI", "PLUS", "PLS", "PLI", "IRL"]``."""
    out: list[str] = []
    for name in names:
        label = next((lab for prefix, lab in SERIES
                      if name == prefix or name.startswith(prefix + ".")), None)
        label = label or ".".join(name.split(".")[:2])
        if label not in out:
            out.append(label)
    order = {lab: i for i, (_, lab) in enumerate(SERIES)}
    return sorted(out, key=lambda lab: (order.get(lab, len(order)), lab))


@dataclass(frozen=True)
class Status:
    """What the admin and EPCI homes say about the regulatory figures on a day."""

    today: date
    problems: list[str] = field(default_factory=list)
    current_missing: list[str] = field(default_factory=list)
    coming_missing: list[str] = field(default_factory=list)

    @property
    def current_series(self) -> list[str]:
        return series_of(self.current_missing)

    @property
    def coming_series(self) -> list[str]:
        return series_of(self.coming_missing)

    @property
    def coming_year(self) -> int:
        return self.today.year + 1

    @property
    def setting(self) -> str:
        return OVERRIDE_SETTING


def status(today: date) -> Status:
    """Problems of the override directory and the gaps of the current and coming years.

    With an invalid directory (development only: production refuses to start) the gaps are
    those of the shipped values, which is what the operator must complete anyway.
    """
    problems = current_app.extensions.get(PROBLEMS_KEY)
    if problems is None:
        problems = directory_problems()
    parameters = params.Parameters.load(params.PARAMETERS_DIR) if problems else loaded()
    return Status(
        today=today,
        problems=problems,
        current_missing=current_year_gaps(today, parameters),
        coming_missing=coming_year_gaps(today, parameters),
    )


def _not_loaded(exc: params.ParameterMissing) -> bool:
    """True when the date is after the series' last value (a year not loaded yet)."""
    try:
        series = loaded().parameter(exc.name)
    except params.ParameterError:
        return True
    return bool(series.values) and exc.on >= series.values[0].start


def missing_message(exc: params.ParameterMissing) -> tuple[str, str]:
    """(title, explanation) in plain French for a figure missing on a date."""
    what = "Les plafonds de ressources" if exc.name.startswith(CEILINGS_PREFIX) else (
        "Les paramètres réglementaires")
    if _not_loaded(exc):
        title = f"{what} de l'année {exc.on.year} ne sont pas encore chargés"
        detail = (
            f"{what} de l'année {exc.on.year} sont publiés fin décembre par arrêté ; "
            "l'opérateur de la plateforme ne les a pas encore chargés. Cette page en a besoin : "
            "elle sera disponible dès leur chargement. Rien n'a été enregistré."
        )
    else:
        title = f"{what} ne couvrent pas le {exc.on.strftime('%d/%m/%Y')}"
        detail = (
            f"La plateforme n'a pas de valeur de « {exc.name} » à cette date. "
            "Rien n'a été enregistré ; signalez-le à l'opérateur de la plateforme."
        )
    return title, detail


def _parameter_missing(exc: params.ParameterMissing):
    from app.extensions import db
    from app.web import wants_json

    db.session.rollback()
    current_app.logger.warning("parameter missing: %s", exc)
    title, detail = missing_message(exc)
    if wants_json():
        resp = jsonify({"type": "about:blank", "title": title, "status": 503, "detail": detail,
                        "parameter": exc.name, "date": exc.on.isoformat()})
        resp.status_code = 503
        resp.mimetype = "application/problem+json"
        return resp
    return render_template("errors/parameters.html", title=title, detail=detail,
                           setting=OVERRIDE_SETTING), 503


def _check_command():
    import click
    from flask.cli import AppGroup

    from app.clock import platform_today

    group = AppGroup("parameters", help="Paramètres réglementaires datés (plafonds, IRL…).")

    @group.command("check")
    @click.option("--year", type=int, default=None,
                  help="Année contrôlée (défaut : l'année prochaine à partir du 1er décembre, "
                       "sinon l'année en cours).")
    @click.pass_context
    def check(ctx: click.Context, year: int | None) -> None:
        """Valide COTAFLUX_PARAMETERS_DIR et liste ce qui manque au 1er janvier de l'année.

        Statut 0 : tout est chargé ; 1 : des valeurs manquent ; 2 : répertoire invalide.
        """
        directory = override_directory()
        problems = directory_problems()
        if problems:
            click.echo(f"{OVERRIDE_SETTING}={directory} : répertoire invalide, "
                       f"{len(problems)} problème(s) :", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            ctx.exit(2)
        click.echo(f"{OVERRIDE_SETTING} : {directory if directory else 'non défini (valeurs livrées seules)'}")
        year = year or default_check_year(platform_today())
        missing = params.missing_for(year, loaded())
        if not missing:
            click.echo(f"Tous les paramètres ont une valeur au 1er janvier {year}.")
            ctx.exit(0)
        click.echo(f"{len(missing)} paramètre(s) sans valeur au 1er janvier {year} "
                   f"({', '.join(series_of(missing))}) :")
        for name in missing:
            click.echo(f"  {name}")
        ctx.exit(1)

    return group


def register_cli(app: Flask) -> None:
    """Add ``flask parameters check`` to the app's commands."""
    app.cli.add_command(_check_command())
