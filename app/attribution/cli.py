"""``flask propositions expire``: proposals not answered in time count as refused (R.441-10);
``flask cal conditions``: allocations under a suspensive condition whose deadline passed
without the missing document lapse (R.441-3).

Both are scheduled daily (cron or a systemd timer) and idempotent: a proposal is expired once,
a condition lapses once.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

propositions_cli = AppGroup("propositions", help="Propositions de logement aux demandeurs.")


@propositions_cli.command("expire")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def expire_command(today: str | None) -> None:
    """Le défaut de réponse dans le délai vaut refus (CCH R.441-10) : enregistre ces refus et
    propose le logement au candidat suivant du classement de la CAL."""
    from app.attribution.proposals import expire
    from app.clock import cli_day
    from app.extensions import db

    day = cli_day(today)
    refusals = expire(day)
    db.session.commit()
    click.echo(f"Propositions sans réponse au {day.isoformat()} : {len(refusals)} refus "
               "enregistré(s).")


@propositions_cli.command("batch")
@click.option("--reservataire", "slug", default=None,
              help="Slug du réservataire (défaut : tous les logements orientés).")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def batch_command(slug: str | None, today: str | None) -> None:
    """Propose en une fois des candidats pour chaque logement orienté qui n'en a pas encore
    (matching.proposals.propose_batch) : une même demande n'est jamais proposée deux fois, ni
    placée en tête si elle l'est déjà sur un autre dossier ouvert."""
    from sqlalchemy import select

    from app.accounts.models import Organisation
    from app.attribution.designation import awaiting_candidates, propose_all
    from app.clock import cli_day
    from app.extensions import db

    day = cli_day(today)
    reservataire_id = None
    if slug is not None:
        reservataire_id = db.session.scalar(select(Organisation.id).where(
            Organisation.slug == slug, Organisation.kind == "reservataire"))
        if reservataire_id is None:
            raise click.BadParameter(f"réservataire inconnu : {slug!r}",
                                     param_hint="--reservataire")
    offres = awaiting_candidates(reservataire_id)
    click.echo(f"{len(offres)} logement(s) orienté(s) en attente de candidats au "
               f"{day.isoformat()}.")
    made = propose_all(offres, on=day, progress=click.echo)
    db.session.commit()
    ids = [c.demande_id for p in made for c in p.candidates]
    short = sum(1 for p in made if len(p.candidates) < 3)
    click.echo(f"Propositions : {len(made)} dossier(s), {len(ids)} candidat(s) dont "
               f"{len(set(ids))} demande(s) distincte(s) ; {short} dossier(s) à moins de trois "
               "candidats.")


cal_cli = AppGroup("cal", help="Commission d'attribution : suites de ses décisions.")


@cal_cli.command("conditions")
@click.option("--today", default=None, help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
def conditions_command(today: str | None) -> None:
    """Attributions sous condition suspensive (CCH R.441-3) : celles dont la date limite est
    passée sans que la pièce manquante ait été reçue deviennent caduques ; le logement va au
    candidat suivant du classement de la CAL. Idempotent (à lancer chaque jour)."""
    from sqlalchemy import func, select

    from app.attribution.conditions import lapse_due, pending_query
    from app.clock import cli_day
    from app.extensions import db

    day = cli_day(today)
    lapsed = lapse_due(day)
    db.session.commit()
    click.echo(f"Conditions suspensives échues au {day.isoformat()} : {len(lapsed)} "
               "attribution(s) devenue(s) caduque(s).")
    for done in lapsed:
        d = done.decision
        if done.following is not None:
            what = (f"logement proposé à la demande {done.following.demande.nur} (rang suivant "
                    "de la CAL)")
        elif done.cancelled is not None:
            what = "aucun autre candidat classé : le logement reste en CAL sans proposition"
        else:
            what = "la proposition ne lui avait pas encore été faite"
        click.echo(f"  {done.offre.ref} · demande {done.demande.nur} : pièce « {d.condition} » "
                   f"non reçue au {d.condition_deadline:%d/%m/%Y} ; {what}.")
    waiting = pending_query().subquery()
    count, nearest = db.session.execute(
        select(func.count(waiting.c.id), func.min(waiting.c.condition_deadline))).one()
    click.echo(f"Conditions encore en attente : {count}"
               + (f" (prochaine date limite le {nearest:%d/%m/%Y})." if nearest else "."))
