"""quality: monthly KPI snapshots and grades

Revision ID: quality_0001
Revises: 0001_foundation
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "quality_0001"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("quality",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_kpi_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("numerator", sa.Numeric(18, 6), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(18, 6), nullable=True),
        sa.Column("light", sa.String(length=8), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_kind", "unit_id", "month", "kpi", name="uq_quality_snapshot"),
    )
    with op.batch_alter_table("quality_kpi_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_kpi_snapshots_unit_kind"), ["unit_kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_kpi_snapshots_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_kpi_snapshots_month"), ["month"], unique=False)
    op.create_table(
        "quality_grades",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("technician_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("score", sa.Numeric(6, 2), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("scheme", sa.String(length=64), nullable=False),
        sa.Column("points", sa.JSON(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("technician_id", "month", name="uq_quality_grade"),
    )
    with op.batch_alter_table("quality_grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_grades_technician_id"), ["technician_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_grades_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_grades_month"))
        batch_op.drop_index(batch_op.f("ix_quality_grades_technician_id"))
    op.drop_table("quality_grades")
    with op.batch_alter_table("quality_kpi_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_kpi_snapshots_month"))
        batch_op.drop_index(batch_op.f("ix_quality_kpi_snapshots_unit_id"))
        batch_op.drop_index(batch_op.f("ix_quality_kpi_snapshots_unit_kind"))
    op.drop_table("quality_kpi_snapshots")
