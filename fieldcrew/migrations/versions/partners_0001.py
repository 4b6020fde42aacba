"""partners: outsourcing partners (代维), their daily capacity and the orders handed to them

Revision ID: partners_0001
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "partners_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("partners",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partners_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "partner_capacity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id", "day", "area_id", name="uq_partner_capacity"),
    )
    with op.batch_alter_table("partner_capacity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_capacity_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_assignments",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("partner_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_assignments_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_assignments_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("partner_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_assignments_day"))
        batch_op.drop_index(batch_op.f("ix_partner_assignments_partner_id"))
    op.drop_table("partner_assignments")
    with op.batch_alter_table("partner_capacity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_capacity_partner_id"))
    op.drop_table("partner_capacity")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partners_branch_id"))
    op.drop_table("partners")
