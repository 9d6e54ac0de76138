"""Location choisie: offer search documents, saved searches and alerts, withdrawn applications.

PostgreSQL: the ``unaccent`` extension, an immutable wrapper ``f_unaccent(text)``, a
``french_unaccent`` text search configuration (French stemming after accent folding) and a GIN
index on the documents' tsvector. SQLite: the FTS5 table ``offre_fts`` is a derived index the
search backend creates on first use (app/search/fts5.py); the downgrade drops it.

Revision ID: f1a0c0de0801
Revises: f1a0c0de0902
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.columns import UTCDateTime

revision = "f1a0c0de0801"
down_revision = "f1a0c0de0902"
branch_labels = None
depends_on = None

PG_SETUP = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE (it reads its dictionary by name): an IMMUTABLE wrapper naming
    # the dictionary explicitly can serve in indexes and generated expressions.
    """CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent",
    "CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = pg_catalog.french)",
    """ALTER TEXT SEARCH CONFIGURATION french_unaccent
       ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, french_stem""",
)


def upgrade() -> None:
    is_pg = op.get_bind().dialect.name == "postgresql"
    if is_pg:
        for statement in PG_SETUP:
            op.execute(statement)
    op.create_table(
        "offre_search_documents",
        sa.Column("offre_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=120), nullable=True),
        sa.Column("search_vector", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
                  nullable=False),
        sa.Column("indexed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["offre_id"], ["offres.id"], ondelete="CASCADE",
                                name=op.f("fk_offre_search_documents_offre_id_offres")),
        sa.PrimaryKeyConstraint("offre_id", name=op.f("pk_offre_search_documents")),
    )
    op.create_index("ix_offre_search_documents_search_vector", "offre_search_documents",
                    ["search_vector"], postgresql_using="gin")
    op.create_index(op.f("ix_offre_search_documents_indexed_at"), "offre_search_documents",
                    ["indexed_at"])

    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_alert_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_saved_searches_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(op.f("ix_saved_searches_user_id"), "saved_searches", ["user_id"])

    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("offre_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["saved_search_id"], ["saved_searches.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_deliveries_saved_search_id_saved_searches")),
        sa.ForeignKeyConstraint(["offre_id"], ["offres.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_deliveries_offre_id_offres")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("saved_search_id", "offre_id",
                            name=op.f("uq_alert_deliveries_saved_search_id_offre_id")),
    )
    op.create_index(op.f("ix_alert_deliveries_saved_search_id"), "alert_deliveries",
                    ["saved_search_id"])
    op.create_index(op.f("ix_alert_deliveries_offre_id"), "alert_deliveries", ["offre_id"])

    with op.batch_alter_table("candidatures") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    is_pg = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("candidatures") as batch:
        batch.drop_column("withdrawn_at")
    op.drop_table("alert_deliveries")
    op.drop_table("saved_searches")
    op.drop_table("offre_search_documents")
    if is_pg:
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")
        op.execute("DROP FUNCTION IF EXISTS f_unaccent(text)")
        # The extension stays: other schemas may use it, and dropping it needs more rights.
    else:
        op.execute("DROP TABLE IF EXISTS offre_fts")
