"""dispatch: plan versions per branch-day and the rolling event log

Revision ID: dispatch_0001
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("dispatch",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("branch_id", "day", "version", name="uq_dispatch_plans_branch_day_version"),
    )
    op.create_index("ix_dispatch_plans_branch_id", "dispatch_plans", ["branch_id"], unique=False)
    op.create_index("ix_dispatch_plans_day", "dispatch_plans", ["day"], unique=False)
    op.create_table(
        "dispatch_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispatch_events_branch_id", "dispatch_events", ["branch_id"], unique=False)
    op.create_index("ix_dispatch_events_day", "dispatch_events", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dispatch_events_day", table_name="dispatch_events")
    op.drop_index("ix_dispatch_events_branch_id", table_name="dispatch_events")
    op.drop_table("dispatch_events")
    op.drop_index("ix_dispatch_plans_day", table_name="dispatch_plans")
    op.drop_index("ix_dispatch_plans_branch_id", table_name="dispatch_plans")
    op.drop_table("dispatch_plans")
