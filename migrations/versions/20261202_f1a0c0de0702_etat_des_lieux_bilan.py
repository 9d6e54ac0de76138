"""Gestion en flux: état des lieux initial, yearly forecasts, quartile thresholds (bilan).

* ``reservations_stock``: the dwellings each réservataire held in stock (état des lieux);
* ``flux_forecasts``: per bailleur × département × year, the rotation rate the bailleur sets
  and the dwellings it plans to take out of the base;
* ``quartile_thresholds``: the lowest-quartile threshold fixed yearly per EPCI by arrêté.

New tables only (``flux_events`` is not altered: its append-only triggers stay).

Revision ID: f1a0c0de0702
Revises: f1a0c0de0802
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.columns import UTCDateTime

revision = "f1a0c0de0702"
down_revision = "f1a0c0de0802"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservations_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bailleur_id", sa.Integer(), nullable=False),
        sa.Column("logement_id", sa.Integer(), nullable=False),
        sa.Column("reservataire_id", sa.Integer(), nullable=False),
        sa.Column("convention_ref", sa.String(length=64), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["bailleur_id"], ["organisations.id"],
                                name=op.f("fk_reservations_stock_bailleur_id_organisations")),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"],
                                name=op.f("fk_reservations_stock_imported_by_id_users")),
        sa.ForeignKeyConstraint(["logement_id"], ["logements.id"],
                                name=op.f("fk_reservations_stock_logement_id_logements")),
        sa.ForeignKeyConstraint(["reservataire_id"], ["organisations.id"],
                                name=op.f("fk_reservations_stock_reservataire_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations_stock")),
        sa.UniqueConstraint("logement_id", name=op.f("uq_reservations_stock_logement_id")),
    )
    op.create_index(op.f("ix_reservations_stock_bailleur_id"), "reservations_stock",
                    ["bailleur_id"])
    op.create_index(op.f("ix_reservations_stock_reservataire_id"), "reservations_stock",
                    ["reservataire_id"])

    op.create_table(
        "flux_forecasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bailleur_id", sa.Integer(), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rotation_rate", sa.Numeric(precision=5, scale=4, asdecimal=False),
                  nullable=True),
        sa.Column("mutations_internes", sa.Integer(), nullable=False),
        sa.Column("mutations_externes", sa.Integer(), nullable=False),
        sa.Column("relogements_npnru", sa.Integer(), nullable=False),
        sa.Column("relogements_orcod", sa.Integer(), nullable=False),
        sa.Column("mutations_hors_base", sa.String(length=10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("mutations_hors_base IN ('internes', 'toutes')",
                           name=op.f("ck_flux_forecasts_mutations_hors_base_enum")),
        sa.CheckConstraint(
            "rotation_rate IS NULL OR (rotation_rate >= 0 AND rotation_rate <= 1)",
            name=op.f("ck_flux_forecasts_rotation_rate_range")),
        sa.CheckConstraint(
            "mutations_internes >= 0 AND mutations_externes >= 0 AND "
            "relogements_npnru >= 0 AND relogements_orcod >= 0",
            name=op.f("ck_flux_forecasts_withdrawals_non_negative")),
        sa.ForeignKeyConstraint(["bailleur_id"], ["organisations.id"],
                                name=op.f("fk_flux_forecasts_bailleur_id_organisations")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_flux_forecasts_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flux_forecasts")),
        sa.UniqueConstraint("bailleur_id", "departement", "year",
                            name=op.f("uq_flux_forecasts_bailleur_id_departement_year")),
    )
    op.create_index(op.f("ix_flux_forecasts_bailleur_id"), "flux_forecasts", ["bailleur_id"])

    op.create_table(
        "quartile_thresholds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epci_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=10, scale=2, asdecimal=False),
                  nullable=False),
        sa.Column("arrete", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_quartile_thresholds_threshold_positive")),
        sa.ForeignKeyConstraint(["epci_id"], ["organisations.id"],
                                name=op.f("fk_quartile_thresholds_epci_id_organisations")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_quartile_thresholds_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quartile_thresholds")),
        sa.UniqueConstraint("epci_id", "year", name=op.f("uq_quartile_thresholds_epci_id_year")),
    )
    op.create_index(op.f("ix_quartile_thresholds_epci_id"), "quartile_thresholds", ["epci_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quartile_thresholds_epci_id"), table_name="quartile_thresholds")
    op.drop_table("quartile_thresholds")
    op.drop_index(op.f("ix_flux_forecasts_bailleur_id"), table_name="flux_forecasts")
    op.drop_table("flux_forecasts")
    op.drop_index(op.f("ix_reservations_stock_reservataire_id"), table_name="reservations_stock")
    op.drop_index(op.f("ix_reservations_stock_bailleur_id"), table_name="reservations_stock")
    op.drop_table("reservations_stock")
