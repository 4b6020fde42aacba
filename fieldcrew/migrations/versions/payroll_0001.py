"""payroll: pay policy versions, immutable payroll runs and their payslips

Revision ID: payroll_0001
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payroll_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("payroll",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payroll_policies",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("payroll_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payroll_policies_effective_from"), ["effective_from"], unique=False
        )
    op.create_table(
        "payroll_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("technicians", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "version", name="uq_payroll_runs_month_version"),
    )
    with op.batch_alter_table("payroll_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_runs_month"), ["month"], unique=False)
    op.create_table(
        "payroll_payslips",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("technician_id", sa.String(length=64), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("payslip", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["payroll_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "technician_id", name="uq_payroll_payslips_run_tech"),
    )
    with op.batch_alter_table("payroll_payslips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_payslips_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payroll_payslips_technician_id"), ["technician_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payroll_payslips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payroll_payslips_technician_id"))
        batch_op.drop_index(batch_op.f("ix_payroll_payslips_run_id"))
    op.drop_table("payroll_payslips")
    with op.batch_alter_table("payroll_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payroll_runs_month"))
    op.drop_table("payroll_runs")
    with op.batch_alter_table("payroll_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payroll_policies_effective_from"))
    op.drop_table("payroll_policies")
