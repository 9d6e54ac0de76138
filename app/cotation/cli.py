"""``flask cotation recompute``: score and store every active demande, EPCI by EPCI;
``flask cotation prune``: delete the runs older than the history kept."""

from __future__ import annotations

import sys
from datetime import timedelta

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
    """Calcule et enregistre la cotation de chaque demande active (un calcul par EPCI avec la
    grille, sa version et la date ; un score par demande)."""
    from app.clock import cli_day
    from app.cotation.runs import sweep
    from app.cotation.services import epcis, recompute_epci
    from app.extensions import db
    from matching.grid import GridError, load_grid

    on = cli_day(day, "--date")
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
            # One transaction per EPCI: a failure elsewhere keeps this run, and the next EPCI
            # starts with a transaction that has written nothing (its load may then run on
            # two connections, app.cotation.columns).
            db.session.commit()
    sweep(db.session)  # the rows of the runs just replaced, in a short transaction of its own
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


@cotation_cli.command("prune")
@click.option("--keep-days", type=click.IntRange(min=0), default=None,
              help="Jours d'historique gardés (défaut : COTATION_HISTORY_DAYS).")
@click.option("--today", default=None, help="Date du jour AAAA-MM-JJ (défaut : la plateforme).")
def prune_command(keep_days: int | None, today: str | None) -> None:
    """Supprime les calculs de cotation plus anciens que l'historique gardé (jamais le dernier
    calcul d'un EPCI)."""
    from flask import current_app

    from app.clock import cli_day
    from app.cotation.runs import prune, sweep
    from app.extensions import db

    day = cli_day(today)
    keep = current_app.config["COTATION_HISTORY_DAYS"] if keep_days is None else keep_days
    removed = prune(db.session, day, keep)
    db.session.commit()
    sweep(db.session)
    db.session.commit()
    click.echo(f"{len(removed)} calcul(s) de cotation supprimé(s) (antérieurs au "
               f"{(day - timedelta(days=keep)).isoformat()}, historique de {keep} jours).")
