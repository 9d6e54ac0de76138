"""``flask flux bilan --year Y [--bailleur X] [--output DIR]``: every bilan annuel of a year."""

from __future__ import annotations

from pathlib import Path

import click

from app.flux.cli import flux_cli


@flux_cli.command("bilan")
@click.option("--year", type=click.IntRange(2000, 2100), required=True,
              help="Année du bilan (les événements du 1er janvier au 31 décembre).")
@click.option("--bailleur", default=None, help="Identifiant (slug) d'un seul bailleur.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bilans"), show_default=True, help="Dossier de sortie.")
def bilan_command(year: int, bailleur: str | None, output: Path) -> None:
    """Écrit le bilan annuel (PDF et CSV) de chaque bailleur, de chacun de ses réservataires
    et de chaque EPCI où il a des logements."""
    from app.clock import platform_today
    from app.extensions import db
    from app.flux.bilan import write_all

    with click.progressbar(length=1, label=f"Bilans {year}", show_pos=True) as bar:
        def progress(done: int, total: int, name: str) -> None:
            bar.length = total
            bar.update(1)

        try:
            written = write_all(year, output, bailleur_slug=bailleur, progress=progress,
                                today=platform_today())
        except LookupError as exc:
            raise click.BadParameter(str(exc), param_hint="--bailleur") from None
    db.session.rollback()
    pdfs = sum(1 for p in written if p.suffix == ".pdf")
    click.echo(f"{pdfs} bilan(s) écrit(s) dans {output} ({len(written)} fichiers).")
