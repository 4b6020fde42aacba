"""payroll: HR's process for runs (draft → approved → locked → released) and technicians' pay data

Revision ID: payroll_0002
Revises: payroll_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payroll_0002"
down_revision: str | Sequence[str] | None = "payroll_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payroll_run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["payroll_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payroll_run_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_run_events_run_id"), ["run_id"], unique=False)
    # runs stored before the process existed are drafts
    op.execute(
        "INSERT INTO payroll_run_events (run_id, status, actor, at, note) "
        "SELECT id, 'draft', created_by, created_at, 'stored before runs had a status' FROM payroll_runs"
    )
    op.create_table(
        "payroll_technicians",
        sa.Column("technician_id", sa.String(length=64), nullable=False),
        sa.Column("previous_year_average_wage_fen", sa.BigInteger(), nullable=True),
        sa.Column("bank_account", sa.String(length=64), nullable=False),
        sa.Column("outdoor", sa.Boolean(), nullable=False),
        sa.Column("additional_deductions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("technician_id"),
    )


def downgrade() -> None:
    op.drop_table("payroll_technicians")
    with op.batch_alter_table("payroll_run_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payroll_run_events_run_id"))
    op.drop_table("payroll_run_events")
