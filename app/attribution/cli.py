"""``flask propositions expire``: proposals not answered in time count as refused (R.441-10).

Scheduled daily (cron or a systemd timer). Idempotent: a proposal is expired once.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

propositions_cli = AppGroup("propositions", help="Propositions de logement aux demandeurs.")


@propositions_cli.command("expire")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def expire_command(today: str | None) -> None:
    """Le défaut de réponse dans le délai vaut refus (CCH R.441-10) : enregistre ces refus et
    propose le logement au candidat suivant du classement de la CAL."""
    from app.attribution.proposals import expire
    from app.clock import platform_today
    from app.extensions import db

    try:
        day = date.fromisoformat(today) if today else platform_today()
    except ValueError:
        raise click.BadParameter(f"date AAAA-MM-JJ invalide : {today!r}",
                                 param_hint="--today") from None
    refusals = expire(day)
    db.session.commit()
    click.echo(f"Propositions sans réponse au {day.isoformat()} : {len(refusals)} refus "
               "enregistré(s).")
