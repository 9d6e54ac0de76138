"""``flask flux takeback`` (scheduled, daily) and ``flask flux reconcile``."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

flux_cli = AppGroup("flux", help="Gestion en flux : reprises à l'échéance, contrôle du registre.")


def _day(today: str | None) -> date:
    from app.clock import platform_today

    if not today:
        return platform_today()
    try:
        return date.fromisoformat(today)
    except ValueError:
        raise click.BadParameter(f"date AAAA-MM-JJ invalide : {today!r}",
                                 param_hint="--today") from None


@flux_cli.command("takeback")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def takeback_command(today: str | None) -> None:
    """Reprend les logements dont le délai de désignation est échu (idempotent)."""
    from app.extensions import db
    from app.flux.orientation import takeback_due

    day = _day(today)
    report = takeback_due(day)
    db.session.commit()
    click.echo(f"Reprises au {day.isoformat()} : {report.taken_back} logement(s) repris, "
               f"{report.still_counted} toujours compté(s) pour le réservataire, "
               f"{report.not_counted} décompté(s).")


@flux_cli.command("reconcile")
def reconcile_command() -> None:
    """Compare les statuts enregistrés au registre des événements ; code 1 en cas d'écart."""
    from app.extensions import db
    from app.flux.queries import reconcile

    drifts = reconcile()
    db.session.rollback()
    for drift in drifts:
        click.echo(str(drift))
    if drifts:
        click.echo(f"{len(drifts)} écart(s) entre les données et le registre.", err=True)
        raise SystemExit(1)
    click.echo("Aucun écart entre les données et le registre des événements.")


# ``flask flux bilan`` (app/flux/bilan_cli.py) registers itself on this group.
from app.flux import bilan_cli  # noqa: E402,F401
