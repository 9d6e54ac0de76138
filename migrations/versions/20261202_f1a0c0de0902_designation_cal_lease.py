"""Réservataire designation, CAL sessions and decisions, proposals and leases.

- proposals: a list is never edited, a change makes a new version (supersedes_id, unique, so
  two concurrent edits of one version cannot both be kept) with its kind and written reason;
- cal_dossiers: the agenda of a CAL session (designated offers);
- cal_decisions: a correction supersedes a decision (supersedes_id) instead of editing it;
  one first decision per candidate and session (partial unique index); who decided;
  UPDATE and DELETE refused by triggers (append-only, like flux_events);
- attributions: a version column (optimistic locking of answers and leases).

Revision ID: f1a0c0de0902
Revises: f1a0c0de0901
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.columns import UTCDateTime

revision = "f1a0c0de0902"
down_revision = "f1a0c0de0901"
branch_labels = None
depends_on = None

# Literal copy of the model constant at this revision.
PROPOSAL_CHANGES = "('ordre', 'retrait', 'ajout')"


def _install_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION cal_decisions_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'cal_decisions is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER cal_decisions_no_update BEFORE UPDATE OR DELETE ON cal_decisions "
            "FOR EACH ROW EXECUTE FUNCTION cal_decisions_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER cal_decisions_no_{event.lower()} BEFORE {event} "
                "ON cal_decisions BEGIN SELECT RAISE(ABORT, 'cal_decisions is append-only'); END"
            )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cal_decisions_no_update ON cal_decisions")
        op.execute("DROP FUNCTION IF EXISTS cal_decisions_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS cal_decisions_no_update")
        op.execute("DROP TRIGGER IF EXISTS cal_decisions_no_delete")


def upgrade() -> None:
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("change_kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("change_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("change_demande_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_proposals_supersedes_id_proposals"), "proposals", ["supersedes_id"], ["id"])
        batch_op.create_foreign_key(
            op.f("fk_proposals_change_demande_id_demandes"), "demandes",
            ["change_demande_id"], ["id"])
        batch_op.create_unique_constraint(
            op.f("uq_proposals_supersedes_id"), ["supersedes_id"])
        batch_op.create_check_constraint(
            op.f("ck_proposals_change_kind_enum"), f"change_kind IN {PROPOSAL_CHANGES}")
        batch_op.create_check_constraint(
            op.f("ck_proposals_change_has_reason"),
            "supersedes_id IS NULL OR (change_kind IS NOT NULL "
            "AND length(trim(coalesce(change_reason, ''))) > 0)",
        )

    op.create_table(
        "cal_dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("offre_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("position >= 1", name=op.f("ck_cal_dossiers_position_positive")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"],
                                name=op.f("fk_cal_dossiers_added_by_id_users")),
        sa.ForeignKeyConstraint(["offre_id"], ["offres.id"],
                                name=op.f("fk_cal_dossiers_offre_id_offres")),
        sa.ForeignKeyConstraint(["session_id"], ["cal_sessions.id"],
                                name=op.f("fk_cal_dossiers_session_id_cal_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cal_dossiers")),
        sa.UniqueConstraint("session_id", "offre_id",
                            name=op.f("uq_cal_dossiers_session_id_offre_id")),
    )
    op.create_index(op.f("ix_cal_dossiers_offre_id"), "cal_dossiers", ["offre_id"])
    op.create_index(op.f("ix_cal_dossiers_session_id"), "cal_dossiers", ["session_id"])

    with op.batch_alter_table("cal_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_cal_decisions_decided_by_id_users"), "users", ["decided_by_id"], ["id"])
        batch_op.create_foreign_key(
            op.f("fk_cal_decisions_supersedes_id_cal_decisions"), "cal_decisions",
            ["supersedes_id"], ["id"])
        batch_op.create_unique_constraint(
            op.f("uq_cal_decisions_supersedes_id"), ["supersedes_id"])
        batch_op.drop_constraint(
            op.f("uq_cal_decisions_session_id_offre_id_demande_id"), type_="unique")
    op.create_index(
        "uq_cal_decisions_first", "cal_decisions", ["session_id", "offre_id", "demande_id"],
        unique=True, sqlite_where=sa.text("supersedes_id IS NULL"),
        postgresql_where=sa.text("supersedes_id IS NULL"),
    )
    _install_append_only()

    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.drop_column("version")

    _drop_append_only()
    op.drop_index("uq_cal_decisions_first", table_name="cal_decisions")
    with op.batch_alter_table("cal_decisions", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            op.f("uq_cal_decisions_session_id_offre_id_demande_id"),
            ["session_id", "offre_id", "demande_id"])
        batch_op.drop_constraint(op.f("uq_cal_decisions_supersedes_id"), type_="unique")
        batch_op.drop_constraint(
            op.f("fk_cal_decisions_supersedes_id_cal_decisions"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_cal_decisions_decided_by_id_users"), type_="foreignkey")
        batch_op.drop_column("supersedes_id")
        batch_op.drop_column("decided_by_id")

    op.drop_index(op.f("ix_cal_dossiers_session_id"), table_name="cal_dossiers")
    op.drop_index(op.f("ix_cal_dossiers_offre_id"), table_name="cal_dossiers")
    op.drop_table("cal_dossiers")

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_proposals_change_has_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_proposals_change_kind_enum"), type_="check")
        batch_op.drop_constraint(op.f("uq_proposals_supersedes_id"), type_="unique")
        batch_op.drop_constraint(
            op.f("fk_proposals_change_demande_id_demandes"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_proposals_supersedes_id_proposals"), type_="foreignkey")
        batch_op.drop_column("change_demande_id")
        batch_op.drop_column("change_reason")
        batch_op.drop_column("change_kind")
        batch_op.drop_column("supersedes_id")
