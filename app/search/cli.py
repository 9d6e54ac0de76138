"""``flask search reindex`` and ``flask alerts send``."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="Recherche des offres (location choisie).")
alerts_cli = AppGroup("alerts", help="Alertes de nouvelles offres.")


@search_cli.command("reindex")
def reindex() -> None:
    """Reconstruit l'index de recherche des offres publiées, avec la progression."""
    from app.extensions import db
    from app.search import get_backend
    from app.search.indexing import rebuild

    click.echo(f"Moteur de recherche : {get_backend().name}")
    total = rebuild(lambda done, n: click.echo(f"  {done}/{n} offres indexées"))
    db.session.commit()
    click.echo(f"Index reconstruit : {total} offres publiées.")


@alerts_cli.command("send")
@click.option("--today", default=None, metavar="AAAA-MM-JJ",
              help="Date du jour (par défaut : la date de la plateforme).")
def send(today: str | None) -> None:
    """Envoie à chaque demandeur les nouvelles offres de ses recherches enregistrées, une fois."""
    from app.clock import platform_today
    from app.extensions import db
    from app.search.alerts import send_alerts

    try:
        on = date.fromisoformat(today) if today else platform_today()
    except ValueError:
        raise click.BadParameter("date attendue au format AAAA-MM-JJ", param_hint="--today") from None
    sent = send_alerts(on)
    db.session.commit()
    click.echo(f"{sent} message(s) d'alerte envoyé(s) pour le {on.isoformat()}.")


def register_cli(flask_app) -> None:
    from app.search import indexing  # noqa: F401  (the commit hooks)

    flask_app.cli.add_command(search_cli)
    flask_app.cli.add_command(alerts_cli)
