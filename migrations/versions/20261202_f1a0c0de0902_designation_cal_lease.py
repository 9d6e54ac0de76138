"""Réservataire designation, CAL sessions and decisions, proposals and leases.

Revision ID: f1a0c0de0902
Revises: f1a0c0de0901
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "f1a0c0de0902"
down_revision = "f1a0c0de0901"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
