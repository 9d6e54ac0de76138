"""Stored cotation scores, each with the grid version and the date it was computed on."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CotationScore(db.Model):
    """A stored cotation with the grid version and date it was computed on (reproducible)."""

    __tablename__ = "cotation_scores"
    __table_args__ = (UniqueConstraint("demande_id", "grid_id", "grid_version", "computed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique constraint's index starts with demande_id and serves
    # every lookup by demande (a second index costs each recompute ~10 % of its store time).
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id", ondelete="CASCADE"))
    grid_id: Mapped[str] = mapped_column(String(80))
    grid_version: Mapped[str] = mapped_column(String(20))
    computed_on: Mapped[date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    is_priority: Mapped[bool] = mapped_column(default=False)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
