"""Stored rosters: versioned drafts and published rosters (immutable once published).

Every solve or re-roster stores a new *draft* version of (branch, period start). Publishing a
draft freezes it: a published row can no longer be updated or deleted (the ORM raises
:class:`~vocabulary.errors.Conflict`); a change after publication is a re-roster, i.e. a new
version whose ``parent_id`` names the published one. Nothing published changes unless a user
publishes a new version.

Other instruments read published rosters through :func:`published_rosters`,
:func:`published_roster` and :func:`rostered_day`, which return :class:`PublishedRoster` and
:class:`RosteredDay` objects, never the table row or its stored JSON.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Date, DateTime, Integer, String, UniqueConstraint, event, func, inspect, select
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column

from fieldcrew.audit import record
from fieldcrew.db import Base
from fieldcrew.tables import utcnow
from scheduler.roster.domain import RosterProblem, RosterResult
from vocabulary.errors import Conflict, NotFound

DRAFT, PUBLISHED = "draft", "published"


class RosterVersionRow(Base):
    """One version of the roster of a branch for a period."""

    __tablename__ = "roster_versions"
    __table_args__ = (UniqueConstraint("branch_id", "period_start", "version", name="uq_roster_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    branch_id: Mapped[str] = mapped_column(String(64), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    days: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    preset: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    objective: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bound: Mapped[int | None] = mapped_column(Integer, nullable=True)
    problem: Mapped[Any] = mapped_column(JSON)
    result: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


def _published_immutable(mapper: Mapper[Any], connection: Any, target: RosterVersionRow) -> None:
    # publishing itself is the one allowed update: draft -> published
    hist = inspect(target).attrs.status.history
    was = hist.deleted[0] if hist.deleted else target.status
    if was == PUBLISHED:
        raise Conflict(f"roster {target.id} is published and immutable: re-roster to create a new version")


def _no_delete_published(mapper: Mapper[Any], connection: Any, target: RosterVersionRow) -> None:
    if target.status == PUBLISHED:
        raise Conflict(f"roster {target.id} is published and cannot be deleted")


event.listen(RosterVersionRow, "before_update", _published_immutable)
event.listen(RosterVersionRow, "before_delete", _no_delete_published)


def save_draft(
    session: Session,
    branch_id: str,
    period_start: dt.date,
    preset: str,
    problem: RosterProblem,
    result: RosterResult,
    actor: str,
    parent_id: str | None = None,
) -> RosterVersionRow:
    """Store a solved roster as the next draft version of (branch, period start)."""
    last = session.scalar(
        select(func.max(RosterVersionRow.version)).where(
            RosterVersionRow.branch_id == branch_id, RosterVersionRow.period_start == period_start
        )
    )
    row = RosterVersionRow(
        id=str(uuid.uuid4()),
        branch_id=branch_id,
        period_start=period_start,
        days=problem.horizon,
        version=(last or 0) + 1,
        status=DRAFT,
        preset=preset,
        parent_id=parent_id,
        objective=result.objective,
        bound=result.bound,
        problem=problem.model_dump(mode="json"),
        result=result.model_dump(mode="json"),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "roster.draft", row.id, {"version": row.version, "objective": row.objective})
    return row


def get_version(session: Session, roster_id: str) -> RosterVersionRow:
    """The stored roster ``roster_id`` (:class:`NotFound` otherwise)."""
    row = session.get(RosterVersionRow, roster_id)
    if row is None:
        raise NotFound(f"roster {roster_id!r} does not exist")
    return row


def publish(session: Session, roster_id: str, actor: str) -> RosterVersionRow:
    """Publish a draft; a second publish of the same row is a :class:`Conflict`."""
    row = get_version(session, roster_id)
    if row.status == PUBLISHED:
        raise Conflict(f"roster {roster_id} is already published (version {row.version})")
    if not row.result.get("assignment"):
        raise Conflict(
            f"roster {roster_id} has no feasible roster to publish (status {row.result.get('status')})"
        )
    row.status = PUBLISHED
    row.published_at = utcnow()
    row.published_by = actor
    session.flush()
    _audit(session, actor, "roster.publish", row.id, {"version": row.version})
    return row


def latest_published(session: Session, branch_id: str, period_start: dt.date) -> RosterVersionRow | None:
    """The newest published version of (branch, period start), if any."""
    return session.scalars(
        select(RosterVersionRow)
        .where(
            RosterVersionRow.branch_id == branch_id,
            RosterVersionRow.period_start == period_start,
            RosterVersionRow.status == PUBLISHED,
        )
        .order_by(RosterVersionRow.version.desc())
    ).first()


def load(row: RosterVersionRow) -> tuple[RosterProblem, RosterResult]:
    """The problem and result stored in a row."""
    return RosterProblem.model_validate(row.problem), RosterResult.model_validate(row.result)


def view(row: RosterVersionRow, technician_id: str | None = None) -> dict[str, Any]:
    """JSON view of a stored roster (only one technician's row when ``technician_id`` is given)."""
    assignment = row.result.get("assignment", {})
    leave: dict[str, list[int]] = {e: sorted(d) for e, d in (row.problem.get("days_off") or {}).items()}
    if technician_id is not None:
        assignment = {technician_id: assignment.get(technician_id)} if technician_id in assignment else {}
        leave = {technician_id: leave[technician_id]} if technician_id in leave else {}
    return {
        "id": row.id,
        "branch_id": row.branch_id,
        "period_start": row.period_start.isoformat(),
        "days": row.days,
        "version": row.version,
        "status": row.status,
        "preset": row.preset,
        "parent_id": row.parent_id,
        "objective": row.objective,
        "bound": row.bound,
        "solver_status": row.result.get("status"),
        "start_date": row.problem.get("start_date"),
        "assignment": assignment,
        "support_groups": {} if technician_id else row.result.get("support_groups", {}),
        "quotas": {} if technician_id else quotas_by_group(row),
        "leave": leave,
        "created_by": row.created_by,
        "published_at": row.published_at.isoformat() if row.published_at else None,
    }


def quotas_by_group(row: RosterVersionRow) -> dict[str, dict[str, int]]:
    """Heads asked per region group and date (ISO) by the stored problem's group covers.

    Covers of one group and day on several shifts are added up; skill covers are left out
    (they are a subset of the same heads, not extra ones).
    """
    start_iso = row.problem.get("start_date")
    start = dt.date.fromisoformat(start_iso) if start_iso else row.period_start
    quotas: dict[str, dict[str, int]] = {}
    for cover in row.problem.get("covers", ()):
        group, skill = cover.get("group_id"), cover.get("skill")
        if group is None or skill is not None:
            continue
        day = (start + dt.timedelta(days=int(cover["day"]))).isoformat()
        per_day = quotas.setdefault(group, {})
        per_day[day] = per_day.get(day, 0) + int(cover["requirement"])
    return quotas


def list_versions(
    session: Session, branch_id: str | None = None, status: str | None = None, limit: int = 50
) -> list[RosterVersionRow]:
    """Stored roster versions, newest first, optionally of one branch and one status."""
    query = select(RosterVersionRow)
    if branch_id is not None:
        query = query.where(RosterVersionRow.branch_id == branch_id)
    if status is not None:
        query = query.where(RosterVersionRow.status == status)
    order = (RosterVersionRow.period_start.desc(), RosterVersionRow.version.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def summary(row: RosterVersionRow) -> dict[str, Any]:
    """A stored roster without its assignment (for listings)."""
    return {
        "id": row.id,
        "branch_id": row.branch_id,
        "period_start": row.period_start.isoformat(),
        "days": row.days,
        "version": row.version,
        "status": row.status,
        "preset": row.preset,
        "objective": row.objective,
        "bound": row.bound,
        "published_at": row.published_at.isoformat() if row.published_at else None,
    }


# ---------------------------------------------------------------------------------------------
# What other instruments read: published rosters as domain objects
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterDay:
    """One technician's day in a published roster (a plain record: a month reads ~10⁵ of them)."""

    technician_id: str
    #: index of the day in the roster (0 = its start date)
    index: int
    day: dt.date
    #: the shift worked; None: not working (rest or leave)
    shift_id: str | None
    #: minutes of that shift; None when not working or the roster defines no such shift
    minutes: int | None
    #: the day is one of the technician's leave or unavailable days in the roster's problem
    leave: bool


#: Start of a shift whose definition gives no start time (minutes after midnight).
DEFAULT_SHIFT_START_MINUTE = 8 * 60 + 30
#: Length of a shift the roster does not define (minutes).
DEFAULT_SHIFT_MINUTES = 8 * 60


class RosteredShift(BaseModel):
    """One technician's shift on one day of a published roster, with its clock times."""

    model_config = ConfigDict(frozen=True)

    technician_id: str
    shift_id: str
    start: dt.datetime
    end: dt.datetime
    minutes: int
    #: a support-team member
    support: bool = False
    #: the region group a support-team member was deployed to that day (None: not to one group)
    region_group_id: str | None = None


class RosteredDay(BaseModel):
    """A branch's day in a published roster: the shifts worked, who rests, who is on leave."""

    model_config = ConfigDict(frozen=True)

    roster_id: str
    branch_id: str
    version: int
    published_at: dt.datetime | None
    day: dt.date
    shifts: tuple[RosteredShift, ...]
    resting: tuple[str, ...] = ()
    on_leave: tuple[str, ...] = ()

    def shift_of(self, technician_id: str) -> RosteredShift | None:
        """The technician's shift that day; None when he rests, is on leave or is not rostered."""
        return next((s for s in self.shifts if s.technician_id == technician_id), None)


class PublishedRoster(BaseModel):
    """A published roster version: who works which shift on which day, and who is on leave.

    Attributes
    ----------
    assignment:
        Technician id → shift id (None: not working) for each day from ``start_date``.
    shift_minutes:
        Minutes of each shift id of the roster.
    leave:
        Technician id → indexes of his leave or unavailable days.
    shift_start_minutes:
        Start of each shift id in minutes after midnight (:data:`DEFAULT_SHIFT_START_MINUTE`
        for a shift the roster gives no start time).
    support_groups:
        Support-team member → region group the roster deployed him to, per day (None: not
        deployed to one group that day).
    support:
        Ids of the support-team members.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    branch_id: str
    period_start: dt.date
    #: date of day 0 of the assignment (the period start unless the problem says otherwise)
    start_date: dt.date
    days: int
    version: int
    published_at: dt.datetime | None
    assignment: Mapping[str, tuple[str | None, ...]]
    shift_minutes: Mapping[str, int] = Field(default_factory=dict)
    leave: Mapping[str, frozenset[int]] = Field(default_factory=dict)
    shift_start_minutes: Mapping[str, int] = Field(default_factory=dict)
    support_groups: Mapping[str, tuple[str | None, ...]] = Field(default_factory=dict)
    support: frozenset[str] = frozenset()

    @property
    def end_date(self) -> dt.date:
        """The last day the roster covers."""
        return self.start_date + dt.timedelta(days=self.days - 1)

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the roster's days."""
        return self.start_date <= day <= self.end_date

    def day_shifts(self, day: dt.date) -> RosteredDay:
        """Who works which shift on ``day`` (start and end times, support deployment), who rests
        and who is on leave; :class:`NotFound` when the roster does not cover ``day``."""
        if not self.covers(day):
            raise NotFound(
                f"roster {self.id} (branch {self.branch_id}, {self.start_date}..{self.end_date}) does not "
                f"cover {day}; rule: a roster gives shifts only for its own days"
            )
        index = (day - self.start_date).days
        midnight = dt.datetime.combine(day, dt.time())
        shifts: list[RosteredShift] = []
        resting: list[str] = []
        on_leave: list[str] = []
        for tech_id, row in self.assignment.items():
            shift = row[index] if index < len(row) else None
            if index in self.leave.get(tech_id, frozenset()):
                on_leave.append(tech_id)  # leave wins over any shift the cell might hold
                continue
            if shift is None:
                resting.append(tech_id)
                continue
            begin = self.shift_start_minutes.get(shift, DEFAULT_SHIFT_START_MINUTE)
            start = midnight + dt.timedelta(minutes=begin)
            minutes = self.shift_minutes.get(shift, DEFAULT_SHIFT_MINUTES)
            deployed = self.support_groups.get(tech_id, ())
            shifts.append(
                RosteredShift(
                    technician_id=tech_id,
                    shift_id=shift,
                    start=start,
                    end=start + dt.timedelta(minutes=minutes),
                    minutes=minutes,
                    support=tech_id in self.support,
                    region_group_id=deployed[index] if index < len(deployed) else None,
                )
            )
        return RosteredDay(
            roster_id=self.id,
            branch_id=self.branch_id,
            version=self.version,
            published_at=self.published_at,
            day=day,
            shifts=tuple(shifts),
            resting=tuple(sorted(resting)),
            on_leave=tuple(sorted(on_leave)),
        )

    def technician_days(self) -> Iterator[RosterDay]:
        """Every (technician, day) of the assignment, technicians in stored order, days in order."""
        start = self.start_date
        for tech_id, row in self.assignment.items():
            away = self.leave.get(tech_id, frozenset())
            for index, shift in enumerate(row):
                minutes = None if shift is None else self.shift_minutes.get(shift)
                yield RosterDay(
                    tech_id, index, start + dt.timedelta(days=index), shift, minutes, index in away
                )


def _published(row: RosterVersionRow) -> PublishedRoster:
    """The domain view of a stored roster row (its problem and result read through their models)."""
    problem, result = load(row)
    return PublishedRoster(
        id=row.id,
        branch_id=row.branch_id,
        period_start=row.period_start,
        start_date=dt.date.fromisoformat(problem.start_date) if problem.start_date else row.period_start,
        days=row.days,
        version=row.version,
        published_at=row.published_at,
        assignment={tech_id: tuple(cells) for tech_id, cells in result.assignment.items()},
        shift_minutes={shift.id: shift.minutes for shift in problem.shifts},
        leave=dict(problem.days_off),
        shift_start_minutes={
            shift.id: shift.start_minute for shift in problem.shifts if shift.start_minute is not None
        },
        support_groups={tech_id: tuple(cells) for tech_id, cells in result.support_groups.items()},
        support=frozenset(e.id for e in problem.employees if e.support),
    )


def published_rosters(session: Session, first: dt.date, last: dt.date) -> list[PublishedRoster]:
    """The newest published version of every (branch, period start) whose days overlap ``first .. last``.

    Ordered by period start, then publication time, so that where two rosters cover the same
    day the later one comes last (and wins for a reader that lets later rosters override).
    """
    rows = session.scalars(
        select(RosterVersionRow)
        .where(RosterVersionRow.status == PUBLISHED, RosterVersionRow.period_start <= last)
        .order_by(RosterVersionRow.period_start, RosterVersionRow.version)
    )
    newest: dict[tuple[str, dt.date], RosterVersionRow] = {}
    for row in rows:
        if row.period_start + dt.timedelta(days=row.days - 1) < first:
            continue
        newest[row.branch_id, row.period_start] = row  # versions ascending: the last is the newest
    ordered = sorted(newest.values(), key=lambda r: (r.period_start, r.published_at or dt.datetime.min))
    return [_published(row) for row in ordered]


def published_roster(session: Session, roster_id: str) -> PublishedRoster:
    """The published roster ``roster_id`` as a domain object; :class:`NotFound` when there is no
    such roster, :class:`Conflict` when it is still a draft."""
    row = get_version(session, roster_id)
    if row.status != PUBLISHED:
        raise Conflict(
            f"roster {roster_id} is a draft (version {row.version}); rule: only published rosters count"
        )
    return _published(row)


def rostered_day(session: Session, branch_id: str, day: dt.date) -> RosteredDay | None:
    """The branch's shifts on ``day`` from the newest published roster covering it; None if none does.

    Where two published rosters of the branch cover the day, the one with the later period
    start wins, then the later publication (the order of :func:`published_rosters`); within one
    (branch, period start) the newest published version counts, so a re-roster published after a
    sick call replaces the shifts of the version it re-rosters.
    """
    covering = [r for r in published_rosters(session, day, day) if r.branch_id == branch_id and r.covers(day)]
    return covering[-1].day_shifts(day) if covering else None


def _audit(session: Session, actor: str, action: str, entity_id: str, after: Any) -> None:
    record(session, actor, action, "roster", entity_id, None, after)
