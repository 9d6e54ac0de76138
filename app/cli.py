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

    load_demo(demandes=demandes, logements=logements, seed=seed, if_empty=if_empty, echo=click.echo)


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
