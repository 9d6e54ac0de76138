"""``flask export demandes|logements|offres|conventions``: the exchange records of the platform.

Each row goes through the adapters (app/adapters/records.py: row → record) and the one writer
(app/adapters/writers.py: record → line), so ``flask import …`` and ``python -m matching`` read
the output back unchanged. Written to standard output unless ``--output`` is given.

- demandes: the active demandes (``--id NUR``: that demande whatever its status);
- logements: every logement;
- offres: every offer (``--published``: published ones only), each a logement/offre record
  under the offer's reference (``id`` and ``ref``, the same as ``data-offre-ref`` on the portal
  pages) with its logement's reference (``logement``) and fields and its ``flux_status``;
- conventions: every convention.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, Any

import click
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.adapters.records import convention_record, demande_record, logement_record, offre_record
from app.adapters.writers import FORMATS, RecordWriter
from app.extensions import db

KINDS = ("demandes", "logements", "offres", "conventions")
BATCH = 1000


class UnknownRef(LookupError):
    pass


def _rows(query) -> Iterator[Any]:
    yield from db.session.scalars(query.execution_options(yield_per=BATCH))


def _demandes(ref: str | None) -> Iterator[tuple[Any, dict | None]]:
    from app.demandes.models import Demande

    query = select(Demande).options(
        selectinload(Demande.members), selectinload(Demande.reasons),
        selectinload(Demande.employments), selectinload(Demande.wished_communes),
        selectinload(Demande.wished_typologies), selectinload(Demande.priority_criteria),
        selectinload(Demande.refusals), selectinload(Demande.verifications),
    ).order_by(Demande.nur)
    query = query.where(Demande.nur == ref) if ref else query.where(Demande.status == "active")
    for d in _rows(query):
        yield demande_record(d), None


def _logements(ref: str | None) -> Iterator[tuple[Any, dict | None]]:
    from app.patrimoine.models import Logement

    query = select(Logement).options(
        joinedload(Logement.bailleur), joinedload(Logement.programme),
        joinedload(Logement.commune)).order_by(Logement.ref, Logement.id)
    if ref:
        query = query.where(Logement.ref == ref)
    for lg in _rows(query):
        yield logement_record(lg), None


def _offres(ref: str | None, published: bool) -> Iterator[tuple[Any, dict | None]]:
    from app.flux.models import Offre
    from app.patrimoine.models import Logement

    query = select(Offre).options(
        joinedload(Offre.logement).joinedload(Logement.bailleur),
        joinedload(Offre.logement).joinedload(Logement.programme),
        joinedload(Offre.logement).joinedload(Logement.commune),
        joinedload(Offre.reservataire)).order_by(Offre.ref)
    if ref:
        query = query.where(Offre.ref == ref)
    if published:
        query = query.where(Offre.is_published.is_(True))
    for o in _rows(query):
        yield offre_record(o), {"ref": o.ref, "logement": o.logement.ref}


def _conventions(ref: str | None) -> Iterator[tuple[Any, dict | None]]:
    from app.flux.models import Convention

    query = select(Convention).options(
        joinedload(Convention.bailleur), joinedload(Convention.reservataire)
    ).order_by(Convention.ref)
    if ref:
        query = query.where(Convention.ref == ref)
    for c in _rows(query):
        yield convention_record(c), None


def export_records(kind: str, out: IO[str], fmt: str = "jsonl", *, ref: str | None = None,
                   published: bool = False) -> int:
    """Write the records of one kind; the number written (UnknownRef when ``ref`` matches none)."""
    if kind not in KINDS:
        raise ValueError(f"type inconnu : {kind!r}")
    if kind == "offres":
        records = _offres(ref, published)
    else:
        records = {"demandes": _demandes, "logements": _logements,
                   "conventions": _conventions}[kind](ref)
    writer = RecordWriter(out, fmt)
    for record, extra in records:
        writer.write(record, extra)
    if ref and writer.count == 0:
        raise UnknownRef(ref)
    return writer.count


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.option("--published", is_flag=True, help="Offres : seulement les offres publiées.")
@click.option("--id", "ref", default=None,
              help="Un seul enregistrement : NUR, référence du logement, de l'offre ou de la convention.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Fichier à écrire (défaut : la sortie standard).")
def export_command(kind: str, fmt: str, published: bool, ref: str | None,
                   output: str | None) -> None:
    """Exporte des demandes, logements, offres ou conventions au format d'échange v1."""
    if published and kind != "offres":
        raise click.UsageError("--published ne s'applique qu'aux offres.")
    try:
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = export_records(kind, out, fmt, ref=ref, published=published)
        else:
            count = export_records(kind, sys.stdout, fmt, ref=ref, published=published)
    except UnknownRef:
        if output:
            import os

            os.unlink(output)
        click.echo(f"Aucun enregistrement {kind} ne porte la référence {ref!r}.", err=True)
        raise SystemExit(1) from None
    click.echo(f"{count} enregistrement(s) {kind} exporté(s).", err=True)
