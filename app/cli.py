"""Flask CLI commands: ``flask demo load``, ``flask users create``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Territoire de démonstration.")


@demo_cli.command("load")
@click.option("--demandes", default=5000, show_default=True, help="Nombre de demandes.")
@click.option("--logements", default=3000, show_default=True, help="Nombre de logements.")
@click.option("--seed", default=2026, show_default=True)
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des données.")
def demo_load(demandes: int, logements: int, seed: int, if_empty: bool) -> None:
    """Charge le territoire de démonstration (déterministe, idempotent)."""
    from .demo.loader import load_demo
    from .extensions import db

    if load_demo(demandes=demandes, logements=logements, seed=seed, if_empty=if_empty,
                 echo=click.echo):
        db.session.commit()


import_cli = AppGroup("import", help="Import de fichiers au format d'échange v1 (JSON Lines / CSV).")


def _import(kind: str, path: str, fmt: str | None, epci: str | None) -> None:
    from .extensions import db
    from .imports.services import import_records


    fmt = fmt or ("csv" if path.lower().endswith(".csv") else "jsonl")
    if path == "-":
        report = import_records(kind, click.get_text_stream("stdin"), fmt, epci_slug=epci,
                                progress=click.echo)
    else:
        with open(path, encoding="utf-8", newline="") as stream:
            report = import_records(kind, stream, fmt, epci_slug=epci, progress=click.echo)
    for error in report.errors:
        click.echo(str(error), err=True)
    if not report.ok:  # nothing was written: there is nothing to roll back
        click.echo(report.summary(), err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(report.summary())
    for table, count in report.inserted.items():
        click.echo(f"  {table} : {count}")


def _import_command(kind: str, help_text: str):
    @import_cli.command(kind, help=help_text)
    @click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
    @click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None)
    @click.option("--epci", default=None, help="Territoire (slug de l'EPCI) des demandes.")
    def command(path: str, fmt: str | None, epci: str | None) -> None:
        _import(kind, path, fmt, epci)

    return command


_import_command("demandes", "Importe des demandes (rien n'est écrit si une ligne est invalide).")
_import_command("logements", "Importe des logements (rien n'est écrit si une ligne est invalide).")
_import_command("conventions", "Importe des conventions de réservation (plafonds légaux vérifiés).")


retention_cli = AppGroup("retention", help="Conservation des données personnelles.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Compter sans rien effacer.")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def retention_purge(dry_run: bool, today: str | None) -> None:
    """Efface l'identité des demandes closes dont la durée de conservation est échue."""
    from datetime import date

    from flask import current_app

    from .extensions import db
    from .retention.services import purge_expired

    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise click.BadParameter(f"date AAAA-MM-JJ invalide : {today!r}", param_hint="--today") from None
    months = current_app.config["RETENTION_MONTHS"]
    report = purge_expired(day, months, dry_run=dry_run)
    verb = "seraient effacées" if dry_run else "effacées"
    click.echo(f"Demandes closes au plus tard le {report.cutoff} ({months} mois) : "
               f"{len(report.demandes)} identité(s) {verb}.")
    click.echo(f"Tentatives de connexion anciennes {verb} : {report.login_attempts}.")
    if not dry_run:
        db.session.commit()


def register(app: Flask) -> None:
    app.cli.add_command(retention_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(import_cli)
