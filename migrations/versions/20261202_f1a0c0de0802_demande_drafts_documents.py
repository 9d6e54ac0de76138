"""Requester portal: demande drafts, supporting documents, rejection reasons.

A draft is the raw form data of a demande being prepared (or of pending changes to a filed
one): no NUR, no place in the cotation. A document is a file uploaded for one criterion of
the demande; it belongs to the criterion's verification row, whose status (declared /
verified / rejected) it shows, and which now carries the reason of a rejection.

Revision ID: f1a0c0de0802
Revises: f1a0c0de0801
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.columns import UTCDateTime

revision = "f1a0c0de0802"
down_revision = "f1a0c0de0801"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("verifications", sa.Column("reason", sa.Text(), nullable=True))
    op.create_table(
        "demande_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("demande_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_demande_drafts_requester_id_users")),
        sa.ForeignKeyConstraint(["demande_id"], ["demandes.id"], ondelete="CASCADE",
                                name=op.f("fk_demande_drafts_demande_id_demandes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demande_drafts")),
        sa.UniqueConstraint("demande_id", name=op.f("uq_demande_drafts_demande_id")),
    )
    op.create_index("ix_demande_drafts_requester_id", "demande_drafts", ["requester_id"])
    op.create_index("uq_demande_drafts_requester_new", "demande_drafts", ["requester_id"],
                    unique=True, sqlite_where=sa.text("demande_id IS NULL"),
                    postgresql_where=sa.text("demande_id IS NULL"))
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("demande_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=120), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_documents_size_positive")),
        sa.ForeignKeyConstraint(["demande_id", "criterion"],
                                ["verifications.demande_id", "verifications.criterion"],
                                ondelete="CASCADE", name=op.f("fk_documents_demande_id_verifications")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_documents_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    op.create_index("ix_documents_demande_criterion", "documents", ["demande_id", "criterion"])


def downgrade() -> None:
    op.drop_index("ix_documents_demande_criterion", table_name="documents")
    op.drop_table("documents")
    op.drop_index("uq_demande_drafts_requester_new", table_name="demande_drafts")
    op.drop_index("ix_demande_drafts_requester_id", table_name="demande_drafts")
    op.drop_table("demande_drafts")
    with op.batch_alter_table("verifications") as batch:
        batch.drop_column("reason")
