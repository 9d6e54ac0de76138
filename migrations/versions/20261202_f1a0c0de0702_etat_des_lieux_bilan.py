"""Gestion en flux: état des lieux initial, objectives, bilan.

Revision ID: f1a0c0de0702
Revises: f1a0c0de0802
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "f1a0c0de0702"
down_revision = "f1a0c0de0802"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
