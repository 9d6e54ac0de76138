"""Cotation runs: one row per computation (EPCI, grid, version, date), and narrow score rows
keyed by (run, demande) with no foreign key; on PostgreSQL, cotation_scores is partitioned by
run (one table per run, attached when written). Earlier scores are moved into runs.

Revision ID: f1a0c0de0704
Revises: f1a0c0de0703
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.columns import UTCDateTime

revision = "f1a0c0de0704"
down_revision = "f1a0c0de0703"
branch_labels = None
depends_on = None

PARTITION_PREFIX = "cotation_scores_run_"  # app.cotation.models.PARTITION_PREFIX


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "cotation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epci_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.String(length=80), nullable=False),
        sa.Column("grid_version", sa.String(length=20), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("not_applicable", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["epci_id"], ["organisations.id"],
                                name=op.f("fk_cotation_runs_epci_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cotation_runs")),
        sa.UniqueConstraint("epci_id", "grid_id", "grid_version", "computed_on",
                            name=op.f("uq_cotation_runs_epci_id_grid_id_grid_version_computed_on")),
        sqlite_autoincrement=True,  # ids never reused: see app/cotation/models.py
    )
    # Earlier scores: one run per (EPCI of the demande, grid, version, date).
    op.execute(
        "INSERT INTO cotation_runs (epci_id, grid_id, grid_version, computed_on, created_at, "
        "scored, priority, not_applicable) "
        "SELECT d.epci_id, s.grid_id, s.grid_version, s.computed_on, CURRENT_TIMESTAMP, "
        "count(*), sum(CASE WHEN s.is_priority THEN 1 ELSE 0 END), 0 "
        "FROM cotation_scores s JOIN demandes d ON d.id = s.demande_id "
        "GROUP BY d.epci_id, s.grid_id, s.grid_version, s.computed_on")
    op.rename_table("cotation_scores", "cotation_scores_v1")
    if _postgresql():  # index names are schema-wide: free the new table's primary key name
        op.execute("ALTER INDEX pk_cotation_scores RENAME TO pk_cotation_scores_v1")
    op.create_table(
        "cotation_scores",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("demande_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=False),
        sa.Column("is_priority", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "demande_id", name=op.f("pk_cotation_scores")),
        postgresql_partition_by="LIST (run_id)",
    )
    if _postgresql():
        for (run_id,) in op.get_bind().execute(sa.text("SELECT id FROM cotation_runs")):
            op.execute(f"CREATE TABLE {PARTITION_PREFIX}{int(run_id)} PARTITION OF "
                       f"cotation_scores FOR VALUES IN ({int(run_id)})")
    op.execute(
        "INSERT INTO cotation_scores (run_id, demande_id, score, is_priority) "
        "SELECT r.id, s.demande_id, s.score, s.is_priority FROM cotation_scores_v1 s "
        "JOIN demandes d ON d.id = s.demande_id "
        "JOIN cotation_runs r ON r.epci_id = d.epci_id AND r.grid_id = s.grid_id "
        "AND r.grid_version = s.grid_version AND r.computed_on = s.computed_on")
    op.drop_table("cotation_scores_v1")


def downgrade() -> None:
    op.create_table(
        "cotation_scores_v1",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("demande_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.String(length=80), nullable=False),
        sa.Column("grid_version", sa.String(length=20), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=False),
        sa.Column("is_priority", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["demande_id"], ["demandes.id"],
                                name=op.f("fk_cotation_scores_demande_id_demandes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_cotation_scores_v1"),
        sa.UniqueConstraint("demande_id", "grid_id", "grid_version", "computed_on",
                            name="uq_cotation_scores_demande_id_grid_id_grid_version_computed_on"),
    )
    # Runs that were replaced but not yet swept have no run row: their scores are not moved.
    op.execute(
        "INSERT INTO cotation_scores_v1 (demande_id, grid_id, grid_version, computed_on, score, "
        "is_priority, details) "
        "SELECT s.demande_id, r.grid_id, r.grid_version, r.computed_on, s.score, s.is_priority, "
        "'{}' FROM cotation_scores s JOIN cotation_runs r ON r.id = s.run_id "
        "JOIN demandes d ON d.id = s.demande_id")
    op.drop_table("cotation_scores")  # PostgreSQL: its partitions go with it
    op.drop_table("cotation_runs")
    op.rename_table("cotation_scores_v1", "cotation_scores")
    if _postgresql():
        op.execute("ALTER INDEX pk_cotation_scores_v1 RENAME TO pk_cotation_scores")
