"""platform: the technician's first contact with the customer

``work_orders.first_contact_at``: when the technician first contacted the customer (the dispatch
event ``customer_contacted``; set once). ``work_orders.contacts_recorded``: whether the order's
source records first contacts (an order dispatched through the loop, or imported from a file
that records them); existing orders, whose histories recorded no contacts, get false. A contact
is also an ``order_events`` row with the status ``contacted`` (no column needed).

Revision ID: 0003_first_contact
Revises: 0002_order_loop
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_first_contact"
down_revision: str | Sequence[str] | None = "0002_order_loop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_contact_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("contacts_recorded", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("contacts_recorded")
        batch_op.drop_column("first_contact_at")
