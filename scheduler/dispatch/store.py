"""Persistence of dispatch: every plan version of a branch-day (input + plan, JSON) and the event log.

A plan is never updated in place: each morning plan, event or re-optimisation stores a new version,
so the board can show what was in force at any time and every change is traceable to its event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldcrew.db import Base
from scheduler.dispatch.domain import DayInput, DayPlan
from vocabulary.errors import NotFound


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class DispatchPlanRow(Base):
    """One version of a branch-day's dispatch state (the input it was made from and the plan)."""

    __tablename__ = "dispatch_plans"
    __table_args__ = (
        UniqueConstraint("branch_id", "day", "version", name="uq_dispatch_plans_branch_day_version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(64))  # morning_plan, reoptimise, or the event kind
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    input: Mapped[Any] = mapped_column(JSON)
    plan: Mapped[Any] = mapped_column(JSON)


class DispatchEventRow(Base):
    """One rolling event applied to a branch-day, with the plan version it produced."""

    __tablename__ = "dispatch_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    payload: Mapped[Any] = mapped_column(JSON)
    plan_version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)


def save_state(session: Session, inp: DayInput, plan: DayPlan, actor: str, cause: str) -> int:
    """Store a new version of the branch-day's state; returns the version number."""
    latest = session.scalar(
        select(DispatchPlanRow.version)
        .where(DispatchPlanRow.branch_id == inp.branch_id, DispatchPlanRow.day == inp.day)
        .order_by(DispatchPlanRow.version.desc())
        .limit(1)
    )
    version = (latest or 0) + 1
    plan = plan.model_copy(update={"version": version})
    session.add(
        DispatchPlanRow(
            branch_id=inp.branch_id,
            day=inp.day,
            version=version,
            cause=cause,
            created_by=actor,
            input=inp.model_dump(mode="json"),
            plan=plan.model_dump(mode="json"),
        )
    )
    session.flush()
    return version


def load_state(
    session: Session, branch_id: str, day: dt.date, version: int | None = None
) -> tuple[DayInput, DayPlan]:
    """The state in force (latest version) of a branch-day, or a given version; 404 when none."""
    q = select(DispatchPlanRow).where(DispatchPlanRow.branch_id == branch_id, DispatchPlanRow.day == day)
    q = (
        q.where(DispatchPlanRow.version == version)
        if version is not None
        else q.order_by(DispatchPlanRow.version.desc())
    )
    row = session.scalars(q.limit(1)).first()
    if row is None:
        raise NotFound(
            f"dispatch plan of branch {branch_id} on {day}"
            f"{f' version {version}' if version else ''}: none stored; rule: plan the day first"
        )
    return DayInput.model_validate(row.input), DayPlan.model_validate(row.plan)


def record_event(
    session: Session,
    branch_id: str,
    day: dt.date,
    kind: str,
    at: dt.datetime,
    payload: dict[str, Any],
    plan_version: int,
    actor: str,
) -> None:
    """Append an applied event to the branch-day's event log."""
    session.add(
        DispatchEventRow(
            branch_id=branch_id,
            day=day,
            kind=kind,
            at=at,
            payload=payload,
            plan_version=plan_version,
            actor=actor,
        )
    )


def last_solved_at(session: Session, branch_id: str, day: dt.date) -> dt.datetime | None:
    """When the branch-day's plan was last made by a solver (morning plan or re-optimisation)."""
    return session.scalar(
        select(func.max(DispatchPlanRow.created_at)).where(
            DispatchPlanRow.branch_id == branch_id,
            DispatchPlanRow.day == day,
            DispatchPlanRow.cause.in_(("morning_plan", "reoptimise")),
        )
    )
