"""Gestion en flux: versioned conventions, orientation decisions, takeback.

* ``conventions.version`` (the version in force) and ``convention_versions`` (every earlier
  version, kept when a convention is edited);
* offer status ``contingent_bailleur``: the vacancy went to the bailleur's own share (it is
  an open status, so the "one open offer per logement" index covers it).

Revision ID: f1a0c0de0701
Revises: f1a0c0de0700
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0701"
down_revision = "f1a0c0de0700"
branch_labels = None
depends_on = None

# Literal copies of the model constants at this revision.
OLD_STATUSES = ("hors_flux", "a_orienter", "oriente", "repris_bailleur", "designe", "en_cal",
                "attribue", "bail_signe", "retire")
NEW_STATUSES = ("hors_flux", "a_orienter", "oriente", "contingent_bailleur", "repris_bailleur",
                "designe", "en_cal", "attribue", "bail_signe", "retire")
OLD_OPEN = ("a_orienter", "oriente", "repris_bailleur", "designe", "en_cal")
NEW_OPEN = ("a_orienter", "oriente", "contingent_bailleur", "repris_bailleur", "designe",
            "en_cal")
ORIGINS = ("garantie_emprunt", "financement", "apport_foncier", "autre")
COUNTS_ON = ("mise_a_disposition", "attribution", "bail_signe")


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _offres_status(statuses, open_statuses):
    """Replace the status CHECK and the open-offer index of ``offres``.

    SQLite cannot alter a CHECK: the table is rebuilt, which needs foreign keys off while the
    old table is dropped (other tables reference it). The PRAGMA only works outside a
    transaction, hence the explicit COMMIT before and after on SQLite."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("uq_offres_logement_open", table_name="offres")
    if sqlite:
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("BEGIN")
    with op.batch_alter_table("offres", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_offres_flux_status_enum"), type_="check")
        batch_op.create_check_constraint(op.f("ck_offres_flux_status_enum"),
                                         _in("flux_status", statuses))
    if sqlite:
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys = ON")
        op.execute("BEGIN")
    predicate = sa.text(_in("flux_status", open_statuses))
    op.create_index("uq_offres_logement_open", "offres", ["logement_id"], unique=True,
                    sqlite_where=predicate, postgresql_where=predicate)


def upgrade() -> None:
    op.add_column("conventions", sa.Column("version", sa.Integer(), nullable=False,
                                           server_default="1"))
    op.create_table(
        "convention_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("convention_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("share_percent", sa.Numeric(precision=5, scale=2, asdecimal=False),
                  nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("designation_delay_days", sa.Integer(), nullable=False),
        sa.Column("counts_on", sa.String(length=20), nullable=False),
        sa.Column("counts_after_takeback", sa.Boolean(), nullable=False),
        sa.Column("scope_communes", sa.JSON(), nullable=False),
        sa.Column("scope_typologies", sa.JSON(), nullable=False),
        sa.Column("scope_qpv", sa.Boolean(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("origin", ORIGINS),
                           name=op.f("ck_convention_versions_origin_enum")),
        sa.CheckConstraint(_in("counts_on", COUNTS_ON),
                           name=op.f("ck_convention_versions_counts_on_enum")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_convention_versions_version_positive")),
        sa.ForeignKeyConstraint(["convention_id"], ["conventions.id"],
                                name=op.f("fk_convention_versions_convention_id_conventions")),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["users.id"],
                                name=op.f("fk_convention_versions_superseded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_convention_versions")),
        sa.UniqueConstraint("convention_id", "version",
                            name=op.f("uq_convention_versions_convention_id_version")),
    )
    op.create_index(op.f("ix_convention_versions_convention_id"), "convention_versions",
                    ["convention_id"], unique=False)
    _offres_status(NEW_STATUSES, NEW_OPEN)


def downgrade() -> None:
    # The bailleur's own share had no status of its own before: back to the nearest one.
    op.execute("UPDATE offres SET flux_status = 'repris_bailleur' "
               "WHERE flux_status = 'contingent_bailleur'")
    _offres_status(OLD_STATUSES, OLD_OPEN)
    op.drop_index(op.f("ix_convention_versions_convention_id"), table_name="convention_versions")
    op.drop_table("convention_versions")
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.drop_column("version")
