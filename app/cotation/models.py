"""Stored cotation scores: one run per EPCI, grid version and date, one score per demande.

A run (``cotation_runs``) records what was computed: the EPCI, the grid and its version, the
date, when, and the counts. Its scores (``cotation_scores``) are one narrow row per scored
demande, keyed by (run, demande).

Scores are derived data, written in bulk by one writer (``app.cotation.services``) and never
edited: a run is replaced as a whole or deleted as a whole. So ``cotation_scores`` carries no
foreign key. A foreign key is checked row by row on insert: on 10⁶ rows that check alone costs
several seconds, more than computing the scores. The writer takes the demande ids from the
``demandes`` table in the same transaction, and demandes are never deleted (retention only
erases their identity), so the ids stay valid; a test checks that every stored score names a
demande of its run's EPCI.

On PostgreSQL ``cotation_scores`` is partitioned by run (``LIST (run_id)``): each run is
written into a table of its own, indexed once its rows are in, then attached. Replacing or
pruning a run then drops a table instead of deleting a million rows. SQLite keeps one plain
table. Rows are always read through a run (``run_id = …``), which selects one partition.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.columns import UTCDateTime, utcnow
from app.extensions import db

PARTITION_PREFIX = "cotation_scores_run_"  # PostgreSQL: one partition per run, by its id


class CotationRun(db.Model):
    """One computation of an EPCI's cotation with one grid version on one date."""

    __tablename__ = "cotation_runs"
    __table_args__ = (
        UniqueConstraint("epci_id", "grid_id", "grid_version", "computed_on"),
        # ids are never reused (SQLite would reuse the highest deleted one): rows of a deleted
        # run, until swept, must not be taken for a new run's
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    epci_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # the unique index
    grid_id: Mapped[str] = mapped_column(String(80))
    grid_version: Mapped[str] = mapped_column(String(20))
    computed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scored: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=0)
    not_applicable: Mapped[int] = mapped_column(default=0)


class CotationScore(db.Model):
    """The cotation of one demande in one run (no foreign keys: see the module's docstring)."""

    __tablename__ = "cotation_scores"
    __table_args__ = ({"postgresql_partition_by": "LIST (run_id)"},)

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    demande_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    score: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    is_priority: Mapped[bool] = mapped_column(default=False)
