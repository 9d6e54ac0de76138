"""cotation_scores: drop the index on demande_id, which the unique (demande, grid, version,
date) index already serves; each recompute stores one row per demande and paid for both.

Revision ID: f1a0c0de0703
Revises: f1a0c0de0702
Create Date: 2026-12-02
"""

from alembic import op

revision = "f1a0c0de0703"
down_revision = "f1a0c0de0702"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index(op.f("ix_cotation_scores_demande_id"), table_name="cotation_scores")


def downgrade():
    op.create_index(op.f("ix_cotation_scores_demande_id"), "cotation_scores", ["demande_id"],
                    unique=False)
