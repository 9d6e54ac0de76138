"""``flask demandes expire``: mark the demandes not renewed within a year ``expiree``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

demandes_cli = AppGroup("demandes", help="Demandes de logement social.")


@demandes_cli.command("expire")
@click.option("--today", default=None,
              help="Date de référence AAAA-MM-JJ (défaut : la date de la plateforme).")
def expire_command(today: str | None) -> None:
    """Marque « expirée » chaque demande active non renouvelée depuis un an (à lancer chaque jour)."""
    from app.clock import cli_day
    from app.demandes.renewal import expire_demandes
    from app.extensions import db

    day = cli_day(today)
    expired = expire_demandes(day)
    db.session.commit()
    click.echo(f"{len(expired)} demande(s) expirée(s) au {day.isoformat()} "
               "(non renouvelées depuis un an).")
    for nur in expired:
        click.echo(f"  {nur}")
