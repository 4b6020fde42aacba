"""roster: versioned rosters, immutable once published

Revision ID: roster_0001
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "roster_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("roster",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("preset", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("objective", sa.Integer(), nullable=True),
        sa.Column("bound", sa.Integer(), nullable=True),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("branch_id", "period_start", "version", name="uq_roster_version"),
    )
    with op.batch_alter_table("roster_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_versions_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_versions_period_start"), ["period_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roster_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_versions_period_start"))
        batch_op.drop_index(batch_op.f("ix_roster_versions_branch_id"))
    op.drop_table("roster_versions")
