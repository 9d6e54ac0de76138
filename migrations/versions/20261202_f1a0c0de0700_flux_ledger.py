"""The flux ledger records every step of a vacancy: orientation, takeback, designation, CAL
decision, proposal, answer, allocation, lease, withdrawal, visit; each event may name who
recorded it and carry its details.

Revision ID: f1a0c0de0700
Revises: 0f9df9e50d43
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0700"
down_revision = "0f9df9e50d43"
branch_labels = None
depends_on = None

# Literal copies of the model constants at this revision (a migration must not change when
# the models do).
OLD_KINDS = ("mise_a_disposition", "reprise", "attribution", "bail_signe", "retrait")
NEW_KINDS = (
    "hors_flux", "mise_a_disposition", "reprise", "designation", "decision_cal", "proposition",
    "acceptation", "refus", "attribution", "bail_signe", "retrait", "visite",
)


def _in(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _drop_append_only():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_update ON flux_events")
        op.execute("DROP FUNCTION IF EXISTS flux_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_delete")


def _install_append_only():
    # SQLite rebuilds the table on batch changes, which drops its triggers: reinstall them.
    if op.get_bind().dialect.name == "postgresql":
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


def upgrade():
    _drop_append_only()
    with op.batch_alter_table("flux_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_flux_events_actor_id_users"), "users", ["actor_id"], ["id"])
        batch_op.drop_constraint(op.f("ck_flux_events_kind_enum"), type_="check")
        batch_op.create_check_constraint(op.f("ck_flux_events_kind_enum"), _in(NEW_KINDS))
    _install_append_only()


def downgrade():
    _drop_append_only()
    # Events of the new kinds cannot be kept under the old CHECK.
    op.execute(f"DELETE FROM flux_events WHERE NOT ({_in(OLD_KINDS)})")
    with op.batch_alter_table("flux_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_flux_events_kind_enum"), type_="check")
        batch_op.create_check_constraint(op.f("ck_flux_events_kind_enum"), _in(OLD_KINDS))
        batch_op.drop_constraint(op.f("fk_flux_events_actor_id_users"), type_="foreignkey")
        batch_op.drop_column("details")
        batch_op.drop_column("actor_id")
    _install_append_only()
