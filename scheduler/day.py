"""The branch's day: published roster → on-duty shifts → day plan → work orders.

The seam between the two scheduling instruments, which do not import each other: the roster
store says who works which shift on a day (:func:`scheduler.roster.store.rostered_day`), and
dispatch plans the day with exactly those technicians (:class:`~scheduler.dispatch.domain.OnDutyShift`:
the shift's clock times, a support-team member's region group that day), their orders moving the
work orders of the order table (:mod:`scheduler.dispatch.ledger`).

- :func:`plan_input`: the input of a day's morning plan. On duty = the rostered shifts; rest and
  leave are excluded. Without a published roster covering the day the plan is refused
  (:class:`~scheduler.dispatch.errors.NoRosterForDay`) unless the dispatcher names who is on duty,
  which the plan records as "roster overridden by <user>"; even then nobody the roster has resting
  or on leave is taken.
- :func:`roster_published`: a newly published roster version (a re-roster after a sick call) moves
  every stored day plan it covers to the new on-duty list: who is no longer on duty leaves the day
  (his unstarted orders go to others), who is newly rostered joins it; each day records the change
  as a ``roster_changed`` event with the diff.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fieldcrew import audit
from scheduler.dispatch import operating
from scheduler.dispatch import store as dispatch_store
from scheduler.dispatch.db_day import day_from_db, default_shifts
from scheduler.dispatch.domain import DayInput, DayIntake, OnDutyShift, OnDutySource
from scheduler.dispatch.errors import NoRosterForDay
from scheduler.dispatch.events import RosterChanged
from scheduler.dispatch.service import LinkedPlan, check_can_plan, replan_on_duty
from scheduler.roster import store as roster_store
from scheduler.roster.store import RosteredDay
from vocabulary.errors import InputErrors, Problem


class DayReplan(BaseModel):
    """What a newly published roster changed in one stored day plan."""

    day: dt.date
    version: int = Field(description="the plan version the change made")
    off_duty: dict[str, str] = Field(description="technician → why he left the day")
    on_duty: list[str] = Field(description="technicians who joined the day")
    moved: dict[str, list[str | None]] = Field(description="order → [technician before, technician after]")


def shifts_of(rostered: RosteredDay) -> list[OnDutyShift]:
    """The roster's shifts of a day as dispatch's on-duty shifts (resting and on-leave technicians
    have none)."""
    return [
        OnDutyShift(
            technician_id=s.technician_id,
            start=s.start,
            end=s.end,
            shift_id=s.shift_id,
            region_group_id=s.region_group_id if s.support else None,
        )
        for s in rostered.shifts
    ]


def off_reasons(rostered: RosteredDay) -> dict[str, str]:
    """Why each rostered technician who does not work that day is off."""
    where = f"roster {rostered.roster_id} v{rostered.version}"
    return {t: f"rests on {rostered.day} ({where})" for t in rostered.resting} | {
        t: f"on leave on {rostered.day} ({where})" for t in rostered.on_leave
    }


def plan_input(
    session: Session, branch_id: str, day: dt.date, on_duty: list[str] | None, actor: str
) -> tuple[DayInput, LinkedPlan]:
    """The morning-plan input of a branch-day from its published roster and the order table.

    Each region group's operating model (:mod:`scheduler.dispatch.operating`) decides who may take
    its orders; the plan's rule order (lexicographic weights) is the policy of every model.

    Parameters
    ----------
    on_duty
        None: the published roster's shifts of the day. A list of technician ids: the dispatcher's
        on-duty list instead (recorded as "roster overridden by ``actor``"); with a roster covering
        the day they work its shifts and none of them may rest or be on leave in it, without one
        they work the default shift.

    Raises
    ------
    NoRosterForDay
        No published roster covers the day and no on-duty list was given.
    InputErrors
        The on-duty list names someone the roster has resting or on leave that day.
    DayUnderWay
        The day's stored plan is under way.
    """
    base_version = check_can_plan(session, branch_id, day)
    rostered = roster_store.rostered_day(session, branch_id, day)
    if on_duty is None:
        if rostered is None:
            raise NoRosterForDay(
                f"branch {branch_id} on {day}: no published roster covers the day; rule: a day is "
                "planned with the technicians its published roster has on duty (publish the roster, or "
                "give the on-duty list, which the plan records as a roster override)"
            )
        shifts = shifts_of(rostered)
        intake = DayIntake(
            source=OnDutySource.ROSTER,
            roster_id=rostered.roster_id,
            roster_version=rostered.version,
            note=f"on duty from roster {rostered.roster_id} v{rostered.version}",
        )
    else:
        if rostered is not None:
            off = off_reasons(rostered)
            refused = [t for t in dict.fromkeys(on_duty) if rostered.shift_of(t) is None]
            if refused:
                raise InputErrors(
                    [
                        Problem(
                            "on_duty",
                            f"nobody resting or on leave is dispatched: {t} "
                            f"{off.get(t, f'has no shift on {day} in roster {rostered.roster_id}')}",
                            t,
                        )
                        for t in refused
                    ]
                )
            wanted = set(on_duty)
            shifts = [s for s in shifts_of(rostered) if s.technician_id in wanted]
        else:
            shifts = default_shifts(on_duty, day)
        intake = DayIntake(
            source=OnDutySource.OVERRIDE,
            roster_id=rostered.roster_id if rostered is not None else None,
            roster_version=rostered.version if rostered is not None else None,
            overridden_by=actor,
            note=f"roster overridden by {actor}",
        )
    inp, marks = day_from_db(session, branch_id, day, shifts, intake, policy=operating.PLAN_POLICY)
    models = {g: op.model for g, op in operating.group_operations(session, branch_id).items()}
    inp = operating.apply_operating_models(inp, models)
    return inp, LinkedPlan(base_version=base_version, marks=marks)


def roster_published(session: Session, roster_id: str, actor: str) -> list[DayReplan]:
    """Move every stored day plan (made from the order table) that the published roster
    ``roster_id`` governs to its on-duty list; returns what changed, day by day.

    A day is governed by the newest published roster covering it
    (:func:`~scheduler.roster.store.rostered_day`); days another roster governs are left alone.
    Days are locked in date order.
    """
    roster = roster_store.published_roster(session, roster_id)
    out: list[DayReplan] = []
    for day in dispatch_store.linked_days(session, roster.branch_id, roster.start_date, roster.end_date):
        rostered = roster_store.rostered_day(session, roster.branch_id, day)
        if rostered is None or rostered.roster_id != roster.id:
            continue
        applied = replan_on_duty(
            session,
            roster.branch_id,
            day,
            rostered.roster_id,
            rostered.version,
            shifts_of(rostered),
            off_reasons(rostered),
            actor,
        )
        if applied is None or not isinstance(applied.event, RosterChanged):
            continue
        replan = DayReplan(
            day=day,
            version=applied.version,
            off_duty=dict(applied.event.off_duty),
            on_duty=[t.id for t in applied.event.on_duty],
            moved=applied.moved(),
        )
        audit.record(
            session,
            actor,
            "dispatch.roster_changed",
            "dispatch_plan",
            f"{roster.branch_id}/{day}/{applied.version}",
            {"version": applied.before.version},
            replan.model_dump(mode="json") | {"roster_id": roster.id, "roster_version": roster.version},
        )
        out.append(replan)
    return out
