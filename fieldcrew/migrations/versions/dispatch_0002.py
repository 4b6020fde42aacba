"""dispatch: one row per branch-day, the lock that serialises its events and its version in force

Existing plans get their row (the latest version; not linked to the order table, as they were
made before plans moved work orders along).

Revision ID: dispatch_0002
Revises: dispatch_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0002"
down_revision: str | Sequence[str] | None = "dispatch_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_days",
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("branch_id", "day"),
    )
    op.execute(
        "INSERT INTO dispatch_days (branch_id, day, version, linked) "
        "SELECT branch_id, day, MAX(version), false FROM dispatch_plans GROUP BY branch_id, day"
    )


def downgrade() -> None:
    op.drop_table("dispatch_days")
