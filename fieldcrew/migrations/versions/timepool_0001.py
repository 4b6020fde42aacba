"""timepool: versioned standard-hour tables and quota tables with provenance

Revision ID: timepool_0001
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "timepool_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("timepool",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "timepool_standard_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("method_version", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("observation_count", sa.Integer(), nullable=False),
        sa.Column("observations_sha256", sa.String(length=64), nullable=False),
        sa.Column("observation_ids", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("set_aside", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "version", name="uq_timepool_standard_versions_scope_version"),
    )
    with op.batch_alter_table("timepool_standard_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timepool_standard_versions_scope"), ["scope"], unique=False)
    op.create_table(
        "timepool_standard_cells",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("area_type", sa.String(length=16), nullable=False),
        sa.Column("n_observed", sa.Integer(), nullable=False),
        sa.Column("n_used", sa.Integer(), nullable=False),
        sa.Column("n_set_aside", sa.Integer(), nullable=False),
        sa.Column("mean_normal_min", sa.Float(), nullable=False),
        sa.Column("sd_normal_min", sa.Float(), nullable=False),
        sa.Column("standard_min", sa.Float(), nullable=False),
        sa.Column("ci_low_min", sa.Float(), nullable=True),
        sa.Column("ci_high_min", sa.Float(), nullable=True),
        sa.Column("required_n", sa.Integer(), nullable=True),
        sa.Column("more_needed", sa.Integer(), nullable=True),
        sa.Column("adequate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["timepool_standard_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "version_id", "order_type", "difficulty", "area_type", name="uq_timepool_standard_cells"
        ),
    )
    with op.batch_alter_table("timepool_standard_cells", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timepool_standard_cells_version_id"), ["version_id"], unique=False
        )
    op.create_table(
        "timepool_travel_cells",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("area_type", sa.String(length=16), nullable=False),
        sa.Column("n_observed", sa.Integer(), nullable=False),
        sa.Column("n_used", sa.Integer(), nullable=False),
        sa.Column("n_set_aside", sa.Integer(), nullable=False),
        sa.Column("travel_min", sa.Float(), nullable=False),
        sa.Column("sd_travel_min", sa.Float(), nullable=False),
        sa.Column("ci_low_min", sa.Float(), nullable=True),
        sa.Column("ci_high_min", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["timepool_standard_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "area_type", name="uq_timepool_travel_cells"),
    )
    with op.batch_alter_table("timepool_travel_cells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timepool_travel_cells_version_id"), ["version_id"], unique=False)
    op.create_table(
        "timepool_quota_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("productive_minutes_per_shift", sa.Integer(), nullable=False),
        sa.Column("standard_version_id", sa.Integer(), nullable=True),
        sa.Column("standards_scope", sa.String(length=128), nullable=False),
        sa.Column("standards_sha256", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["standard_version_id"], ["timepool_standard_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("branch_id", "version", name="uq_timepool_quota_versions_branch_version"),
    )
    with op.batch_alter_table("timepool_quota_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timepool_quota_versions_branch_id"), ["branch_id"], unique=False)
    op.create_table(
        "timepool_quota_cells",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("region_group_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.Float(), nullable=False),
        sa.Column("pool_min", sa.Float(), nullable=False),
        sa.Column("heads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["timepool_quota_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "region_group_id", "day", name="uq_timepool_quota_cells"),
    )
    with op.batch_alter_table("timepool_quota_cells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timepool_quota_cells_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timepool_quota_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timepool_quota_cells_version_id"))
    op.drop_table("timepool_quota_cells")
    with op.batch_alter_table("timepool_quota_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timepool_quota_versions_branch_id"))
    op.drop_table("timepool_quota_versions")
    with op.batch_alter_table("timepool_travel_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timepool_travel_cells_version_id"))
    op.drop_table("timepool_travel_cells")
    with op.batch_alter_table("timepool_standard_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timepool_standard_cells_version_id"))
    op.drop_table("timepool_standard_cells")
    with op.batch_alter_table("timepool_standard_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timepool_standard_versions_scope"))
    op.drop_table("timepool_standard_versions")
