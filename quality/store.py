"""Persistence of the quality instrument: monthly KPI snapshots and monthly grades.

Snapshots let the "missed its target two months running" trigger look back at a month whose
orders are no longer loaded; stored grades are what a payroll run was computed from, so an appeal
can see the exact score, grade and flags. Writing a month replaces that month's rows (a recompute
is the same month recomputed, not a second version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, Numeric, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldcrew.db import Base
from fieldcrew.tables import utcnow
from quality.domain import Light, ScoredGrade, UnitKind
from quality.table import ALL, KpiRow


class KpiSnapshotRow(Base):
    """One monthly KPI value of one unit."""

    __tablename__ = "quality_kpi_snapshots"
    __table_args__ = (UniqueConstraint("unit_kind", "unit_id", "month", "kpi", name="uq_quality_snapshot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_kind: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    kpi: Mapped[str] = mapped_column(String(40))
    numerator: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    denominator: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 6), nullable=True)
    light: Mapped[str] = mapped_column(String(8))
    excluded: Mapped[Any] = mapped_column(JSON, nullable=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class GradeRow(Base):
    """One technician's monthly quality score and grade (what payroll reads)."""

    __tablename__ = "quality_grades"
    __table_args__ = (UniqueConstraint("technician_id", "month", name="uq_quality_grade"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    technician_id: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade: Mapped[str] = mapped_column(String(8))
    scheme: Mapped[str] = mapped_column(String(64))
    points: Mapped[Any] = mapped_column(JSON, nullable=True)
    flags: Mapped[Any] = mapped_column(JSON, nullable=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def save_snapshot(session: Session, month: str, rows: Iterable[KpiRow]) -> int:
    """Store the month's KPI rows (``all`` breakdown only), replacing that month's rows of the same
    unit kinds. Returns the number of rows written."""
    chosen = [r for r in rows if r.breakdown == ALL and r.period == month]
    for kind in {r.unit_kind.value for r in chosen}:
        session.execute(
            delete(KpiSnapshotRow).where(KpiSnapshotRow.month == month, KpiSnapshotRow.unit_kind == kind)
        )
    session.add_all(
        KpiSnapshotRow(
            unit_kind=r.unit_kind.value, unit_id=r.unit_id, month=month, kpi=r.kpi,
            numerator=r.numerator, denominator=r.denominator, value=r.value, light=r.light.value,
            excluded=dict(r.excluded) or None,
        )
        for r in chosen
    )
    session.flush()
    return len(chosen)


def load_lights(session: Session, unit_kind: UnitKind | str, month: str) -> dict[tuple[str, str], Light]:
    """``(unit_id, kpi) → light`` of a stored month (for the two-months-running trigger)."""
    query = select(KpiSnapshotRow).where(
        KpiSnapshotRow.unit_kind == UnitKind(unit_kind).value, KpiSnapshotRow.month == month
    )
    return {(r.unit_id, r.kpi): Light(r.light) for r in session.scalars(query)}


def save_grades(session: Session, month: str, grades: Mapping[str, ScoredGrade], scheme: str) -> int:
    """Store the month's grades, replacing those of the same technicians. Returns rows written."""
    if grades:
        session.execute(
            delete(GradeRow).where(GradeRow.month == month, GradeRow.technician_id.in_(list(grades)))
        )
    session.add_all(
        GradeRow(
            technician_id=tech, month=month, score=g.score, grade=g.grade, scheme=scheme,
            points={k: str(v) for k, v in g.points.items()}, flags=list(g.flags),
        )
        for tech, g in grades.items()
    )
    session.flush()
    return len(grades)


def load_grades(session: Session, month: str) -> dict[str, ScoredGrade]:
    """Stored grades of a month: technician id → score, grade, points, flags."""
    out: dict[str, ScoredGrade] = {}
    for row in session.scalars(select(GradeRow).where(GradeRow.month == month)):
        out[row.technician_id] = ScoredGrade(
            score=Decimal(row.score).quantize(Decimal("0.01")), grade=row.grade,
            points={k: Decimal(v) for k, v in (row.points or {}).items()}, flags=list(row.flags or []),
        )
    return out
