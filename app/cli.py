"""Flask CLI commands: demo, import, organisations, users, retention."""

from __future__ import annotations

import sys

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
    from app.demo.loader import load_demo
    from app.extensions import db

    if load_demo(demandes=demandes, logements=logements, seed=seed, if_empty=if_empty,
                 echo=click.echo):
        db.session.commit()


import_cli = AppGroup("import", help="Import de fichiers au format d'échange v1 (JSON Lines / CSV).")


def _import(kind: str, path: str, fmt: str | None, epci: str | None) -> None:
    from app.extensions import db
    from app.imports import import_records


    fmt = fmt or ("csv" if path.lower().endswith(".csv") else "jsonl")
    if path == "-":
        report = import_records(kind, sys.stdin, fmt, epci_slug=epci,
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


organisations_cli = AppGroup("organisations", help="Organisations (bailleurs, réservataires, EPCI).")
users_cli = AppGroup("users", help="Comptes utilisateurs.")


@organisations_cli.command("create")
@click.option("--slug", required=True, help="Identifiant court, par exemple habitat-loiret.")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["bailleur", "reservataire", "epci", "operateur"]))
@click.option("--reservataire-kind", default=None, help="etat, etat_agents, action_logement, commune…")
@click.option("--siren", default=None)
@click.option("--departement", default=None)
def organisations_create(slug, name, kind, reservataire_kind, siren, departement) -> None:
    """Crée une organisation."""
    from app.accounts.bootstrap import AdminError, create_organisation
    from app.extensions import db

    try:
        org = create_organisation(slug, name, kind, reservataire_kind=reservataire_kind,
                                  siren=siren, departement=departement)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Organisation créée : {org.slug} ({org.kind_label}).")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", required=True, type=click.Choice(["demandeur", "bailleur", "reservataire", "cal", "epci", "admin"]))
@click.option("--organisation", "organisation_slug", default=None, help="Slug de l'organisation (rôles du personnel).")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard.")
def users_create(email, full_name, role, organisation_slug, password_stdin) -> None:
    """Crée un compte (le mot de passe est demandé, jamais passé en argument)."""
    from app.accounts.bootstrap import AdminError, create_user
    from app.extensions import db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, full_name, role, password, organisation_slug=organisation_slug)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({user.role_label}).")


@import_cli.command("communes")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
def import_communes_command(path: str) -> None:
    """Importe les communes d'un territoire (CSV insee,name,departement,zone,epci)."""
    from app.extensions import db
    from app.territoire.services import import_communes

    with open(path, encoding="utf-8", newline="") as stream:
        report = import_communes(stream)
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} erreur(s) : rien n'a été importé.", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"{report.created} commune(s) créée(s), {report.updated} mise(s) à jour.")


retention_cli = AppGroup("retention", help="Conservation des données personnelles.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Compter sans rien effacer.")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def retention_purge(dry_run: bool, today: str | None) -> None:
    """Efface l'identité des demandes closes dont la durée de conservation est échue."""
    from datetime import date

    from flask import current_app

    from app.demandes.retention import purge_expired
    from app.extensions import db
    from app.uploads import delete_stored

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
        for key in report.files:  # the rows are gone for good: so do their files
            delete_stored(key)


def register(app: Flask) -> None:
    """Every command group of the platform (each domain keeps its own commands)."""
    from app.attribution.cli import cal_cli, propositions_cli
    from app.cotation.cli import cotation_cli
    from app.demandes.cli import demandes_cli
    from app.export import export_command
    from app.flux.cli import flux_cli
    from app.parameters import register_cli as register_parameters_cli
    from app.search.cli import register_cli as register_search_cli

    for group in (retention_cli, organisations_cli, users_cli, demo_cli, import_cli,
                  cotation_cli, demandes_cli, export_command, propositions_cli, flux_cli,
                  cal_cli):
        app.cli.add_command(group)
    register_parameters_cli(app)
    register_search_cli(app)
