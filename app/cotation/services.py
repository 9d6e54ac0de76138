"""Recompute and store the cotation of every active demande of a territory.

One EPCI at a time: load its active demandes as columns (``columns.load_table``), score them
with the vectorised engine (``matching.batch.cotation_batch``, the same scores as the explained
path), then store them as one run (``runs.store_run``): the EPCI, the grid, its version and
the date, with one score per scored demande.

History: a run is identified by (EPCI, grid, grid version, date). Recomputing on another date
adds a run and keeps the earlier ones (``runs.prune`` trims the history); recomputing on the
same date with the same grid version replaces that day's run, in the caller's transaction.
Demandes the grid does not apply to (a mutations-only grid, for instance) get no score; the
run counts them. Per-commune scores are not stored. Nothing here commits: the caller (the
command line) does, once, then sweeps the rows of replaced runs (``runs.sweep``).

Which grid: an EPCI has no grid column yet. The grid is, in this order, the one given by the
caller (``--grid``), else the preset whose territory has the EPCI's SIREN, else the preset
sharing the most communes with the EPCI (at least one). Otherwise the EPCI is reported as
having no grid and nothing is written for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Commune, Organisation
from matching.batch import TableNeeds, cotation_batch
from matching.grid import Grid, load_grid, preset_ids

from .columns import load_table
from .runs import store_run

Progress = Callable[[str], None]


class NoGrid(LookupError):
    """No cotation grid is known for an EPCI."""


@dataclass
class EpciRecompute:
    """What one EPCI's recomputation did, with the time of each stage in seconds."""

    epci: str
    grid: str | None
    scored: int = 0
    priority: int = 0
    not_applicable: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def epci_communes(session: Session, epci: Organisation) -> list[str]:
    return list(session.scalars(select(Commune.insee).where(Commune.epci_id == epci.id)
                                .order_by(Commune.insee)))


def grid_for_epci(session: Session, epci: Organisation) -> Grid:
    """The preset grid of an EPCI: same SIREN, else the most communes in common."""
    presets = [load_grid(g) for g in preset_ids()]
    if epci.siren:
        for grid in presets:
            if grid.territory.siren == epci.siren:
                return grid
    communes = set(epci_communes(session, epci))
    best = max(presets, key=lambda g: len(communes & set(g.territory.communes)), default=None)
    if best is not None and communes & set(best.territory.communes):
        return best
    raise NoGrid(f"aucune grille de cotation connue pour {epci.slug} "
                 f"(ni SIREN ni commune en commun avec une grille prédéfinie) : utiliser --grid")


def epcis(session: Session, slug: str | None = None) -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == "epci").order_by(Organisation.slug)
    if slug is not None:
        query = query.where(Organisation.slug == slug)
    return list(session.scalars(query))


def recompute_epci(session: Session, epci: Organisation, on: date, grid: Grid | None = None,
                   step: Progress | None = None) -> EpciRecompute:
    """Load, score and store the active demandes of one EPCI (three steps for ``step``)."""
    step = step or (lambda _label: None)
    try:
        grid = grid or grid_for_epci(session, epci)
    except NoGrid as exc:
        for label in ("chargement", "calcul", "enregistrement"):
            step(label)
        return EpciRecompute(epci.slug, None, error=str(exc))
    report = EpciRecompute(epci.slug, grid.ref)
    t0 = time.perf_counter()
    table = load_table(session, epci.id, TableNeeds.for_grid(grid, choices=False))
    communes = epci_communes(session, epci) or None
    report.timings["load"] = time.perf_counter() - t0
    step("chargement")

    t0 = time.perf_counter()
    result = cotation_batch(table, grid, on, communes, choices=False)
    report.timings["compute"] = time.perf_counter() - t0
    step("calcul")

    t0 = time.perf_counter()
    applicable = result.applicable
    run = store_run(session, epci.id, grid.id, grid.version, on, table.ids[applicable],
                    result.score[applicable], result.priority[applicable],
                    not_applicable=len(table) - int(applicable.sum()))
    report.timings["store"] = time.perf_counter() - t0
    step("enregistrement")
    report.scored, report.priority, report.not_applicable = (
        run.scored, run.priority, run.not_applicable)
    return report


def recompute(session: Session, on: date, epci_slug: str | None = None,
              grid: Grid | None = None, step: Progress | None = None) -> list[EpciRecompute]:
    """Recompute every EPCI (or one, by slug): three steps per EPCI for ``step``."""
    return [recompute_epci(session, epci, on, grid, step) for epci in epcis(session, epci_slug)]


