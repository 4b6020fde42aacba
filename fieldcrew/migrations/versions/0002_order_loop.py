"""platform: the order record closes the loop (completion outcome; who and why of each status change)

``work_orders.fixed`` / ``work_orders.repeat_of``: what the technician reported on completion.
``order_events.actor`` / ``order_events.reason``: who recorded a status change and why (a
suspension's reason, the dispatch event behind it). Imported history keeps them NULL.

Revision ID: 0002_order_loop
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_order_loop"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fixed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("repeat_of", sa.String(length=64), nullable=True))
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("actor")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("repeat_of")
        batch_op.drop_column("fixed")
