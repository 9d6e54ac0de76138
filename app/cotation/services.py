"""Recompute and store the cotation of every active demande of a territory.

One EPCI at a time: load its active demandes as columns (``columns.load_table``), score them
with the vectorised engine (``matching.batch.cotation_batch``, the same scores as the explained
path), then store one ``CotationScore`` per demande with the grid, its version and the date.

History: a stored score is identified by (demande, grid, grid version, date), as the model's
unique constraint says. Recomputing on another date adds rows and keeps the earlier ones;
recomputing on the same date with the same grid version replaces that day's rows of the EPCI
(deleted, then written again, in the caller's transaction). Demandes the grid does not apply
to (a mutations-only grid, for instance) get no row. Per-commune scores are not stored.

PostgreSQL stores with one binary ``COPY … FROM STDIN`` built by numpy (no object per row);
SQLite with one ``executemany``. Nothing here commits: the caller (the CLI command) does, once.

Which grid: an EPCI has no grid column yet. The grid is, in this order, the one given by the
caller (``--grid``), else the preset whose territory has the EPCI's SIREN, else the preset
sharing the most communes with the EPCI (at least one). Otherwise the EPCI is reported as
having no grid and nothing is written for it.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.models import Commune, CotationScore, Demande, Organisation
from matching.batch import TableNeeds, cotation_batch
from matching.grid import Grid, load_grid, preset_ids

from .columns import load_table

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
    ids = table.ids[applicable]
    store_scores(session, epci, grid, on, ids, result.score[applicable],
                 result.priority[applicable])
    report.timings["store"] = time.perf_counter() - t0
    step("enregistrement")
    report.scored = int(applicable.sum())
    report.not_applicable = len(table) - report.scored
    report.priority = int((result.priority & applicable).sum())
    return report


def recompute(session: Session, on: date, epci_slug: str | None = None,
              grid: Grid | None = None, step: Progress | None = None) -> list[EpciRecompute]:
    """Recompute every EPCI (or one, by slug): three steps per EPCI for ``step``."""
    return [recompute_epci(session, epci, on, grid, step) for epci in epcis(session, epci_slug)]


# --------------------------------------------------------------------------- storing


def store_scores(session: Session, epci: Organisation, grid: Grid, on: date, demande_ids: np.ndarray,
                 scores: np.ndarray, priority: np.ndarray) -> None:
    """Replace the EPCI's scores of (grid, version, date) by these, in the open transaction."""
    table = CotationScore.__table__
    of_epci = select(Demande.id).where(Demande.epci_id == epci.id).scalar_subquery()
    session.execute(delete(table).where(
        table.c.grid_id == grid.id, table.c.grid_version == grid.version,
        table.c.computed_on == on, table.c.demande_id.in_(of_epci)))
    if len(demande_ids) == 0:
        return
    cents = np.floor(scores * 100.0 + 0.5).astype(np.int64)  # scores are already rounded to 0.01
    if session.get_bind().dialect.name == "postgresql":
        _copy_scores(session, grid, on, demande_ids, cents, priority)
        return
    rows = [{"demande_id": i, "grid_id": grid.id, "grid_version": grid.version,
             "computed_on": on, "score": c / 100, "is_priority": p, "details": {}}
            for i, c, p in zip(demande_ids.tolist(), cents.tolist(), priority.tolist(), strict=True)]
    session.execute(insert(table), rows)


_PG_EPOCH = date(2000, 1, 1)


def _copy_scores(session: Session, grid: Grid, on: date, demande_ids: np.ndarray,
                 cents: np.ndarray, priority: np.ndarray) -> None:
    """One binary COPY: every row has the same width, so numpy writes them all at once.

    The score is sent as a numeric of three base-10000 digits (weight 1, two decimals):
    PostgreSQL accepts unnormalised digits and normalises them when storing."""
    gid, version, details = grid.id.encode(), grid.version.encode(), b"{}"
    if np.abs(cents).max() >= 10**10:
        raise ValueError("score hors de la précision de cotation_scores.score (10 chiffres)")
    n = len(demande_ids)
    dtype = np.dtype([
        ("nfields", ">i2"),
        ("l_id", ">i4"), ("id", ">i4"),
        ("l_grid", ">i4"), ("grid", f"S{len(gid)}"),
        ("l_version", ">i4"), ("version", f"S{len(version)}"),
        ("l_on", ">i4"), ("on", ">i4"),
        ("l_score", ">i4"), ("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"),
        ("dscale", ">i2"), ("d0", ">i2"), ("d1", ">i2"), ("d2", ">i2"),
        ("l_priority", ">i4"), ("priority", "?"),
        ("l_details", ">i4"), ("details", f"S{len(details)}"),
    ])
    rows = np.empty(n, dtype)
    rows["nfields"] = 7
    rows["l_id"], rows["id"] = 4, demande_ids
    rows["l_grid"], rows["grid"] = len(gid), gid
    rows["l_version"], rows["version"] = len(version), version
    rows["l_on"], rows["on"] = 4, (on - _PG_EPOCH).days
    whole, frac = np.divmod(np.abs(cents), 100)
    rows["l_score"], rows["ndigits"], rows["weight"], rows["dscale"] = 14, 3, 1, 2
    rows["sign"] = np.where(cents < 0, 0x4000, 0)
    rows["d0"], rows["d1"], rows["d2"] = whole // 10000, whole % 10000, frac * 100
    rows["l_priority"], rows["priority"] = 1, priority
    rows["l_details"], rows["details"] = len(details), details
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(
        "COPY cotation_scores (demande_id, grid_id, grid_version, computed_on, score, "
        "is_priority, details) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(header)
        body = rows.tobytes()
        step = 1 << 24
        for start in range(0, len(body), step):
            copy.write(body[start : start + step])
        copy.write(b"\xff\xff")
