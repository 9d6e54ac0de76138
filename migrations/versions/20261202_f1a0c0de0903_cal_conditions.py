"""The life of a CAL decision (c), « attribution sous condition suspensive » (CCH R.441-3).

- cal_condition_outcomes: what became of a decision's condition, once: lifted (the missing
  document was received, optionally linked to a document of the demande) or lapsed
  (« caduque », the deadline passed). The decisions themselves stay untouched (append-only).
  UPDATE and DELETE are refused by triggers, except the one change a deleted document makes
  (``document_id`` emptied by its ON DELETE SET NULL);
- flux_events: two more kinds, ``condition_levee`` and ``attribution_caduque``.

Revision ID: f1a0c0de0903
Revises: f1a0c0de0704
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.columns import UTCDateTime

revision = "f1a0c0de0903"
down_revision = "f1a0c0de0704"
branch_labels = None
depends_on = None

# Literal copies of the model constants at this revision (a migration must not change when
# the models do).
OLD_KINDS = (
    "hors_flux", "mise_a_disposition", "reprise", "designation", "decision_cal", "proposition",
    "acceptation", "refus", "attribution", "bail_signe", "retrait", "visite",
)
NEW_KINDS = (*OLD_KINDS, "condition_levee", "attribution_caduque")
OUTCOMES = "('levee', 'caduque')"
# Every column but document_id: a row whose only change empties document_id is a deleted
# document's ON DELETE SET NULL, the one update allowed.
KEPT_COLUMNS = ("id", "cal_decision_id", "outcome", "occurred_on", "recorded_at",
                "recorded_by_id", "note")


def _in(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


# --------------------------------------------------------------------------- flux_events


def _drop_ledger_append_only():
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_update ON flux_events")
        op.execute("DROP FUNCTION IF EXISTS flux_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_delete")


def _install_ledger_append_only():
    # SQLite rebuilds the table on batch changes, which drops its triggers: reinstall them.
    if _postgresql():
        op.execute(
            """
            CREATE FUNCTION flux_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'flux_events is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER flux_events_no_update BEFORE UPDATE OR DELETE ON flux_events "
            "FOR EACH ROW EXECUTE FUNCTION flux_events_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER flux_events_no_{event.lower()} BEFORE {event} ON flux_events "
                "BEGIN SELECT RAISE(ABORT, 'flux_events is append-only'); END"
            )


def _ledger_kinds(kinds) -> None:
    _drop_ledger_append_only()
    with op.batch_alter_table("flux_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_flux_events_kind_enum"), type_="check")
        batch_op.create_check_constraint(op.f("ck_flux_events_kind_enum"), _in(kinds))
    _install_ledger_append_only()


# --------------------------------------------------------------------------- outcomes


def _install_outcomes_append_only() -> None:
    if _postgresql():
        op.execute(
            """
            CREATE FUNCTION cal_condition_outcomes_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.document_id IS NULL
                   AND (to_jsonb(NEW) - 'document_id') = (to_jsonb(OLD) - 'document_id') THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'cal_condition_outcomes is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER cal_condition_outcomes_no_update BEFORE UPDATE OR DELETE "
            "ON cal_condition_outcomes "
            "FOR EACH ROW EXECUTE FUNCTION cal_condition_outcomes_append_only()"
        )
    else:
        unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT_COLUMNS)
        op.execute(
            "CREATE TRIGGER cal_condition_outcomes_no_update BEFORE UPDATE "
            f"ON cal_condition_outcomes WHEN NOT (NEW.document_id IS NULL AND {unchanged}) "
            "BEGIN SELECT RAISE(ABORT, 'cal_condition_outcomes is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER cal_condition_outcomes_no_delete BEFORE DELETE "
            "ON cal_condition_outcomes "
            "BEGIN SELECT RAISE(ABORT, 'cal_condition_outcomes is append-only'); END"
        )


def _drop_outcomes_append_only() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS cal_condition_outcomes_no_update "
                   "ON cal_condition_outcomes")
        op.execute("DROP FUNCTION IF EXISTS cal_condition_outcomes_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS cal_condition_outcomes_no_update")
        op.execute("DROP TRIGGER IF EXISTS cal_condition_outcomes_no_delete")


def upgrade() -> None:
    op.create_table(
        "cal_condition_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cal_decision_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"outcome IN {OUTCOMES}",
                           name=op.f("ck_cal_condition_outcomes_outcome_enum")),
        sa.CheckConstraint("outcome = 'levee' OR document_id IS NULL",
                           name=op.f("ck_cal_condition_outcomes_lapse_has_no_document")),
        sa.ForeignKeyConstraint(
            ["cal_decision_id"], ["cal_decisions.id"],
            name=op.f("fk_cal_condition_outcomes_cal_decision_id_cal_decisions")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"],
            name=op.f("fk_cal_condition_outcomes_recorded_by_id_users")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], ondelete="SET NULL",
            name=op.f("fk_cal_condition_outcomes_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cal_condition_outcomes")),
        sa.UniqueConstraint("cal_decision_id",
                            name=op.f("uq_cal_condition_outcomes_cal_decision_id")),
    )
    op.create_index(op.f("ix_cal_condition_outcomes_document_id"), "cal_condition_outcomes",
                    ["document_id"])
    _install_outcomes_append_only()
    _ledger_kinds(NEW_KINDS)


def downgrade() -> None:
    # Events of the new kinds cannot be kept under the old CHECK.
    _drop_ledger_append_only()
    op.execute(f"DELETE FROM flux_events WHERE NOT ({_in(OLD_KINDS)})")
    _install_ledger_append_only()
    _ledger_kinds(OLD_KINDS)
    _drop_outcomes_append_only()
    op.drop_index(op.f("ix_cal_condition_outcomes_document_id"),
                  table_name="cal_condition_outcomes")
    op.drop_table("cal_condition_outcomes")
