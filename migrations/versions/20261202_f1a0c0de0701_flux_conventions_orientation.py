"""Gestion en flux: versioned conventions, orientation decisions, takeback.

Revision ID: f1a0c0de0701
Revises: f1a0c0de0700
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "f1a0c0de0701"
down_revision = "f1a0c0de0700"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
