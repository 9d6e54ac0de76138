"""Location choisie: the offers' search documents, saved searches and the alerts sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.columns import UTCDateTime, utcnow
from app.extensions import db

# PostgreSQL keeps a tsvector (configuration ``french_unaccent``) under a GIN index; SQLite the
# folded and stemmed words, copied into the FTS5 table ``offre_fts`` (app/search/fts5.py).
SearchVector = Text().with_variant(TSVECTOR(), "postgresql")


class OffreSearchDocument(db.Model):
    """One published, open offer as the search backends index it (derived, rebuilt by
    ``flask search reindex``)."""

    __tablename__ = "offre_search_documents"
    __table_args__ = (
        # GIN on PostgreSQL; on SQLite the FTS5 table does the searching and this is a plain
        # index the planner ignores.
        Index("ix_offre_search_documents_search_vector", "search_vector",
              postgresql_using="gin"),
    )

    offre_id: Mapped[int] = mapped_column(
        ForeignKey("offres.id", ondelete="CASCADE"), primary_key=True
    )
    quarter: Mapped[str | None] = mapped_column(String(120))
    search_vector: Mapped[str] = mapped_column(SearchVector)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SavedSearch(db.Model):
    """A requester's saved search (filters and text) for new-offer alerts."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    # Offers published from this moment on are new for its alerts.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_alert_on: Mapped[date | None] = mapped_column(Date)


class AlertDelivery(db.Model):
    """One offer announced by one saved search's alert: never twice."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("saved_search_id", "offre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True
    )
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id", ondelete="CASCADE"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
