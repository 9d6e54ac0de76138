"""Allocation tables tightened while they are empty: candidate ranks 1–3 unique per offer,
one place for the "fewer than three" exception, CAL decisions (d)/(e) with reasons and (c)
with a condition and its deadline, flux_events append-only with the convention an event
counts under, indexes on the foreign keys that are filtered on, communes.zone_abc

Revision ID: 0f9df9e50d43
Revises: 1ca86e4a89cc
Create Date: 2026-12-02 07:44:58.306505

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0f9df9e50d43'
down_revision = '1ca86e4a89cc'
branch_labels = None
depends_on = None

# Literal copies of the model constants at this revision (a migration must not change
# when the models do).
ZONES_ABC = "('A_bis', 'A', 'B1', 'B2', 'C')"
RANK_RANGE = "rank BETWEEN 1 AND 3"


def upgrade():
    # communes: a plain ADD COLUMN with its CHECK (no table copy on SQLite: many tables
    # refer to communes).
    op.add_column('communes', sa.Column(
        'zone_abc', sa.String(length=5),
        sa.CheckConstraint(f"zone_abc IN {ZONES_ABC}", name=op.f('ck_communes_zone_abc_enum')),
        nullable=True,
    ))

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fewer_than_three_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('proposal_candidates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proposal_candidates_rank_positive'), type_='check')
        batch_op.create_check_constraint(op.f('ck_proposal_candidates_rank_range'), RANK_RANGE)

    with op.batch_alter_table('designations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_designations_rank_positive'), type_='check')
        batch_op.create_check_constraint(op.f('ck_designations_rank_range'), RANK_RANGE)
        batch_op.create_check_constraint(
            op.f('ck_designations_exception_on_first_rank'),
            "fewer_than_three_reason IS NULL OR rank = 1",
        )
        batch_op.create_unique_constraint(
            op.f('uq_designations_offre_id_rank'), ['offre_id', 'rank'])

    with op.batch_alter_table('cal_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition_deadline', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_cal_decisions_refusal_has_reasons'),
            "decision NOT IN ('non_attribution', 'irrecevable') "
            "OR length(trim(coalesce(reasons, ''))) > 0",
        )
        batch_op.create_check_constraint(
            op.f('ck_cal_decisions_conditional_has_condition'),
            "decision <> 'attribution_sous_condition' "
            "OR (length(trim(coalesce(condition, ''))) > 0 AND condition_deadline IS NOT NULL)",
        )

    with op.batch_alter_table('flux_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('convention_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_flux_events_convention_id_conventions'), 'conventions',
            ['convention_id'], ['id'])
        batch_op.create_index(
            op.f('ix_flux_events_convention_id'), ['convention_id'], unique=False)
    _backfill_flux_event_conventions()
    with op.batch_alter_table('flux_events', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_flux_events_counted_has_convention'),
            "reservataire_id IS NULL OR convention_id IS NOT NULL",
        )
    _install_flux_events_append_only()

    # Foreign keys that views, reports and the flux ledger filter or join on.
    op.create_index(op.f('ix_offres_convention_id'), 'offres', ['convention_id'], unique=False)
    op.create_index(op.f('ix_attributions_cal_decision_id'), 'attributions',
                    ['cal_decision_id'], unique=False)
    op.create_index(op.f('ix_attributions_refusal_id'), 'attributions',
                    ['refusal_id'], unique=False)
    op.create_index(op.f('ix_attributions_reservataire_id'), 'attributions',
                    ['reservataire_id'], unique=False)
    op.create_index(op.f('ix_demandes_current_commune_insee'), 'demandes',
                    ['current_commune_insee'], unique=False)
    op.create_index(op.f('ix_refusals_bailleur_id'), 'refusals', ['bailleur_id'], unique=False)
    op.create_index(op.f('ix_refusals_offre_id'), 'refusals', ['offre_id'], unique=False)


def _backfill_flux_event_conventions():
    """Events already recorded for a réservataire (a demo database) get the convention of
    their offer, else the bailleur × réservataire convention of the event's year, else the
    latest one; an event left without one makes the CHECK that follows fail, as it should."""
    if op.get_bind().dialect.name == "postgresql":
        event_year = "CAST(EXTRACT(YEAR FROM flux_events.occurred_on) AS INTEGER)"
    else:
        event_year = "CAST(strftime('%Y', flux_events.occurred_on) AS INTEGER)"
    missing = "WHERE reservataire_id IS NOT NULL AND convention_id IS NULL"
    op.execute(
        "UPDATE flux_events SET convention_id = (SELECT offres.convention_id FROM offres "
        f"WHERE offres.id = flux_events.offre_id) {missing}"
    )
    same_parties = (
        "SELECT conventions.id FROM conventions"
        " JOIN logements ON logements.bailleur_id = conventions.bailleur_id"
        " JOIN offres ON offres.logement_id = logements.id"
        " WHERE offres.id = flux_events.offre_id"
        " AND conventions.reservataire_id = flux_events.reservataire_id"
    )
    op.execute(
        f"UPDATE flux_events SET convention_id = ({same_parties}"
        f" AND conventions.year = {event_year}) {missing}"
    )
    op.execute(
        f"UPDATE flux_events SET convention_id = ({same_parties}"
        f" ORDER BY conventions.year DESC LIMIT 1) {missing}"
    )


def _install_flux_events_append_only():
    """The flux ledger is append-only, like the audit trail: the database refuses UPDATE and
    DELETE (a correction is a further event)."""
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


def _drop_flux_events_append_only():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_update ON flux_events")
        op.execute("DROP FUNCTION IF EXISTS flux_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS flux_events_no_delete")


def downgrade():
    op.drop_index(op.f('ix_refusals_offre_id'), table_name='refusals')
    op.drop_index(op.f('ix_refusals_bailleur_id'), table_name='refusals')
    op.drop_index(op.f('ix_demandes_current_commune_insee'), table_name='demandes')
    op.drop_index(op.f('ix_attributions_reservataire_id'), table_name='attributions')
    op.drop_index(op.f('ix_attributions_refusal_id'), table_name='attributions')
    op.drop_index(op.f('ix_attributions_cal_decision_id'), table_name='attributions')
    op.drop_index(op.f('ix_offres_convention_id'), table_name='offres')

    _drop_flux_events_append_only()
    with op.batch_alter_table('flux_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_flux_events_counted_has_convention'), type_='check')
        batch_op.drop_index(op.f('ix_flux_events_convention_id'))
        batch_op.drop_constraint(
            op.f('fk_flux_events_convention_id_conventions'), type_='foreignkey')
        batch_op.drop_column('convention_id')

    with op.batch_alter_table('cal_decisions', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('ck_cal_decisions_conditional_has_condition'), type_='check')
        batch_op.drop_constraint(op.f('ck_cal_decisions_refusal_has_reasons'), type_='check')
        batch_op.drop_column('condition_deadline')

    with op.batch_alter_table('designations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_designations_offre_id_rank'), type_='unique')
        batch_op.drop_constraint(
            op.f('ck_designations_exception_on_first_rank'), type_='check')
        batch_op.drop_constraint(op.f('ck_designations_rank_range'), type_='check')
        batch_op.create_check_constraint(op.f('ck_designations_rank_positive'), 'rank >= 1')

    with op.batch_alter_table('proposal_candidates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proposal_candidates_rank_range'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_proposal_candidates_rank_positive'), 'rank >= 1')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('fewer_than_three_reason')

    # SQLite drops a column together with its own CHECK without copying the table.
    op.drop_column('communes', 'zone_abc')
