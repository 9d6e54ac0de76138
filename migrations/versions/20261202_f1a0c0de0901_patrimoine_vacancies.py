"""Patrimoine edits and vacancies published as offers (text, photos, plans).

* ``logements.version`` (optimistic locking: a stale edit is refused), ``retired_on`` and
  ``retired_reason`` (a dwelling that left the parc keeps its history);
* ``offres.notice_on`` (the tenant's notice) and ``offres.quartier`` (named in the offer);
* ``offre_media``: photos and plans of an offer, with their required text alternative.

Revision ID: f1a0c0de0901
Revises: f1a0c0de0701
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0901"
down_revision = "f1a0c0de0701"
branch_labels = None
depends_on = None

# Literal copies of the model constants at this revision.
RETIRED_REASONS = ("vendu", "demoli", "autre")
MEDIA_KINDS = ("photo", "plan")
MEDIA_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class _ForeignKeysOff:
    """SQLite rebuilds a table to change its CHECKs; other tables reference ``logements``, so
    foreign keys are off while the old table is dropped (the PRAGMA only works outside a
    transaction, hence the COMMIT before and after)."""

    def __enter__(self):
        self.sqlite = op.get_bind().dialect.name == "sqlite"
        if self.sqlite:
            op.execute("COMMIT")
            op.execute("PRAGMA foreign_keys = OFF")
            op.execute("BEGIN")

    def __exit__(self, *exc):
        if self.sqlite:
            op.execute("COMMIT")
            op.execute("PRAGMA foreign_keys = ON")
            op.execute("BEGIN")
        return False


def upgrade() -> None:
    with _ForeignKeysOff(), op.batch_alter_table("logements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("retired_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.create_check_constraint(op.f("ck_logements_retired_reason_enum"),
                                         _in("retired_reason", RETIRED_REASONS))
        batch_op.create_check_constraint(op.f("ck_logements_retired_with_reason"),
                                         "(retired_on IS NULL) = (retired_reason IS NULL)")
        batch_op.create_check_constraint(op.f("ck_logements_version_positive"), "version >= 1")

    op.add_column("offres", sa.Column("notice_on", sa.Date(), nullable=True))
    op.add_column("offres", sa.Column("quartier", sa.String(length=120), nullable=True))

    op.create_table(
        "offre_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offre_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=120), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in("kind", MEDIA_KINDS), name=op.f("ck_offre_media_kind_enum")),
        sa.CheckConstraint(_in("content_type", MEDIA_CONTENT_TYPES),
                           name=op.f("ck_offre_media_content_type_enum")),
        sa.CheckConstraint("kind = 'plan' OR content_type <> 'application/pdf'",
                           name=op.f("ck_offre_media_photo_is_an_image")),
        sa.CheckConstraint("size > 0", name=op.f("ck_offre_media_size_positive")),
        sa.CheckConstraint("length(trim(caption)) > 0", name=op.f("ck_offre_media_caption_given")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_offre_media_position_non_negative")),
        sa.ForeignKeyConstraint(["offre_id"], ["offres.id"],
                                name=op.f("fk_offre_media_offre_id_offres")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"],
                                name=op.f("fk_offre_media_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offre_media")),
        sa.UniqueConstraint("key", name=op.f("uq_offre_media_key")),
    )
    op.create_index(op.f("ix_offre_media_offre_id"), "offre_media", ["offre_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_offre_media_offre_id"), table_name="offre_media")
    op.drop_table("offre_media")
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): no rebuild of ``offres``, whose partial
    # index and referencing tables stay as they are.
    op.drop_column("offres", "quartier")
    op.drop_column("offres", "notice_on")
    with _ForeignKeysOff(), op.batch_alter_table("logements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_logements_version_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_logements_retired_with_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_logements_retired_reason_enum"), type_="check")
        batch_op.drop_column("version")
        batch_op.drop_column("retired_reason")
        batch_op.drop_column("retired_on")
