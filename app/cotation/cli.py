"""``flask cotation recompute``: score and store every active demande, EPCI by EPCI."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup

cotation_cli = AppGroup("cotation", help="Cotation de la demande.")


@cotation_cli.command("recompute")
@click.option("--epci", "epci_slug", default=None, help="Un seul EPCI (slug) ; défaut : tous.")
@click.option("--date", "day", default=None,
              help="Date de calcul AAAA-MM-JJ (défaut : la date de la plateforme).")
@click.option("--grid", "grid_ref", default=None,
              help="Grille (identifiant prédéfini ou fichier) ; défaut : celle du territoire.")
def recompute_command(epci_slug: str | None, day: str | None, grid_ref: str | None) -> None:
    """Calcule et enregistre la cotation de chaque demande active (une ligne par demande,
    avec la grille, sa version et la date)."""
    from app.clock import platform_today
    from app.cotation.services import epcis, recompute_epci
    from app.extensions import db
    from matching.grid import GridError, load_grid

    try:
        on = date.fromisoformat(day) if day else platform_today()
    except ValueError:
        raise click.BadParameter(f"date AAAA-MM-JJ invalide : {day!r}", param_hint="--date") from None
    try:
        grid = load_grid(grid_ref) if grid_ref else None
    except (GridError, FileNotFoundError) as exc:
        raise click.BadParameter(str(exc), param_hint="--grid") from None
    territories = epcis(db.session, epci_slug)
    if not territories:
        raise click.ClickException(f"EPCI inconnu : {epci_slug}" if epci_slug else "aucun EPCI")
    reports = []
    with click.progressbar(length=3 * len(territories), label="Cotation", file=sys.stderr,
                           show_pos=True) as bar:
        for epci in territories:
            reports.append(recompute_epci(db.session, epci, on, grid, step=lambda _: bar.update(1)))
    db.session.commit()
    failed = False
    for r in reports:
        if r.error:
            failed = True
            click.echo(f"{r.epci} : {r.error}", err=True)
            continue
        t = r.timings
        click.echo(f"{r.epci} : {r.scored} demande(s) cotée(s) le {on.isoformat()} avec la grille "
                   f"{r.grid}, dont {r.priority} prioritaire(s) ; {r.not_applicable} hors champ "
                   f"de la grille (chargement {t['load']:.2f} s, calcul {t['compute']:.2f} s, "
                   f"enregistrement {t['store']:.2f} s)")
    click.echo(f"Total : {sum(r.scored for r in reports)} demande(s) cotée(s).")
    if failed:
        raise SystemExit(1)
