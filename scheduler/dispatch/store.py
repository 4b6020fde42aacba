"""Persistence of dispatch: every plan version of a branch-day (input + plan, JSON), the event log,
and one row per branch-day (``dispatch_days``) that serialises its changes.

A plan is never updated in place: each morning plan, event or re-optimisation stores a new version,
so the board can show what was in force at any time and every change is traceable to its event.

Locking: every change of a branch-day starts with :func:`lock_day`, an ``UPDATE`` of the day's row
as the transaction's first write. On PostgreSQL that row lock holds until commit, so concurrent
changes of the same day queue behind it (other days are not blocked); on SQLite the first write
takes the database's write lock (its ``busy_timeout`` makes others wait). Whoever holds it reads the
plan in force, applies the change and stores the next version, so concurrent valid events are all
applied, one after the other, each to the version the previous one stored. A caller that says which
version it saw (``expected_version``) gets :class:`~scheduler.dispatch.errors.PlanVersionConflict`
when the day has moved on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldcrew.db import Base
from scheduler.dispatch.domain import DayInput, DayPlan
from scheduler.dispatch.errors import PlanVersionConflict
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


class DispatchDayRow(Base):
    """One branch-day: the version in force, whether its plan moves the order table, the lock row."""

    __tablename__ = "dispatch_days"
    branch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: planned from the order table: every order change is also a work-order status change
    linked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class DayLock:
    """A held lock on a branch-day (until the transaction ends): its version in force and link."""

    branch_id: str
    day: dt.date
    version: int
    linked: bool

    def expect(self, version: int | None) -> None:
        """:class:`PlanVersionConflict` unless ``version`` (when given) is the version in force."""
        if version is not None and version != self.version:
            raise PlanVersionConflict(
                f"dispatch plan of branch {self.branch_id} on {self.day}: the request was made against "
                f"version {version}, the plan in force is version {self.version}; rule: a change applies "
                "to the plan in force: reload the board and send it again"
            )


def lock_day(session: Session, branch_id: str, day: dt.date) -> DayLock:
    """Lock the branch-day for the rest of the transaction (creating its row if needed).

    Call it before reading the plan in force: the lock's ``UPDATE`` must be the transaction's first
    write, so that on SQLite the reads after it see the latest committed version.
    """
    now = _utcnow()
    stmt = (
        update(DispatchDayRow)
        .where(DispatchDayRow.branch_id == branch_id, DispatchDayRow.day == day)
        .values(locked_at=now)
    )
    result = session.execute(stmt)
    if not (isinstance(result, CursorResult) and result.rowcount):
        try:
            with session.begin_nested():
                session.add(
                    DispatchDayRow(branch_id=branch_id, day=day, version=0, linked=False, locked_at=now)
                )
        except IntegrityError:  # created meanwhile by a concurrent first change: lock it
            session.execute(stmt)
    row = session.execute(
        select(DispatchDayRow.version, DispatchDayRow.linked).where(
            DispatchDayRow.branch_id == branch_id, DispatchDayRow.day == day
        )
    ).one()
    return DayLock(branch_id, day, int(row.version), bool(row.linked))


def day_status(session: Session, branch_id: str, day: dt.date) -> DayLock | None:
    """The branch-day's version in force and link, without locking; None when it was never planned."""
    row = session.get(DispatchDayRow, (branch_id, day))
    return None if row is None else DayLock(branch_id, day, row.version, row.linked)


def linked_days(session: Session, branch_id: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """Days of the branch between ``first`` and ``last`` whose plan was made from the order table."""
    return list(
        session.scalars(
            select(DispatchDayRow.day)
            .where(
                DispatchDayRow.branch_id == branch_id,
                DispatchDayRow.day >= first,
                DispatchDayRow.day <= last,
                DispatchDayRow.linked.is_(True),
                DispatchDayRow.version > 0,
            )
            .order_by(DispatchDayRow.day)
        )
    )


def save_state(session: Session, inp: DayInput, plan: DayPlan, actor: str, cause: str) -> int:
    """Store a new version of the branch-day's state; returns the version number.

    The caller holds the day's lock (:func:`lock_day`) when others may change the day at once.
    """
    latest = session.scalar(
        select(DispatchPlanRow.version)
        .where(DispatchPlanRow.branch_id == inp.branch_id, DispatchPlanRow.day == inp.day)
        .order_by(DispatchPlanRow.version.desc())
        .limit(1)
    )
    version = (latest or 0) + 1
    day_row = session.get(DispatchDayRow, (inp.branch_id, inp.day))
    if day_row is None:
        session.add(
            DispatchDayRow(
                branch_id=inp.branch_id, day=inp.day, version=version, linked=inp.intake is not None
            )
        )
    else:
        day_row.version = version
        day_row.linked = inp.intake is not None
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


def list_events(session: Session, branch_id: str, day: dt.date) -> list[DispatchEventRow]:
    """The branch-day's applied events, oldest first."""
    return list(
        session.scalars(
            select(DispatchEventRow)
            .where(DispatchEventRow.branch_id == branch_id, DispatchEventRow.day == day)
            .order_by(DispatchEventRow.id)
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
