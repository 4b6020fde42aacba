"""control: the dispatch centre's process control (reminders, reviews, flags, escalations, clock)

Revision ID: control_0001
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "control_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("control",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "control_reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("control_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_control_reminders_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_reminders_order_id"), ["order_id"], unique=False)

    op.create_table(
        "control_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("technician_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_start", sa.DateTime(), nullable=True),
        sa.Column("proposed_end", sa.DateTime(), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("act_by", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("control_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_control_reviews_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_reviews_order_id"), ["order_id"], unique=False)

    op.create_table(
        "control_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("repeat_of", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "kind", name="uq_control_flags_order_kind"),
    )
    with op.batch_alter_table("control_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_control_flags_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_flags_order_id"), ["order_id"], unique=False)

    op.create_table(
        "control_escalations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("area_id", sa.String(length=64), nullable=True),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("level_since", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trigger", "subject", name="uq_control_escalations_trigger_subject"),
    )
    with op.batch_alter_table("control_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_control_escalations_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_escalations_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_control_escalations_closed_at"), ["closed_at"], unique=False)

    op.create_table(
        "control_clock",
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=True),
        sa.Column("ticks", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.PrimaryKeyConstraint("branch_id"),
    )


def downgrade() -> None:
    op.drop_table("control_clock")
    with op.batch_alter_table("control_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_escalations_closed_at"))
        batch_op.drop_index(batch_op.f("ix_control_escalations_order_id"))
        batch_op.drop_index(batch_op.f("ix_control_escalations_branch_id"))
    op.drop_table("control_escalations")
    with op.batch_alter_table("control_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_flags_order_id"))
        batch_op.drop_index(batch_op.f("ix_control_flags_branch_id"))
    op.drop_table("control_flags")
    with op.batch_alter_table("control_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_reviews_order_id"))
        batch_op.drop_index(batch_op.f("ix_control_reviews_branch_id"))
    op.drop_table("control_reviews")
    with op.batch_alter_table("control_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_reminders_order_id"))
        batch_op.drop_index(batch_op.f("ix_control_reminders_branch_id"))
    op.drop_table("control_reminders")
