"""Inputs and results of the roster engine; imports no solver.

One generic problem shape serves both the operator's rest rosters (one day shift, cover per region
group, a support team, the rolling 7-day rest guarantee) and the Curtois–Qu benchmark (several
shift types, per-type limits, requests, cover per shift): the benchmark's rules are a subset of
ours, so the same model solves both.

Days are integer indexes ``0 .. horizon-1``; ``weekday(d)`` is derived from ``first_weekday``
(0 = Monday). Time inside the model is integer minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vocabulary.errors import InputErrors, Problem

OFF = None  # the value of an assignment cell on a rest day


class ShiftType(BaseModel):
    """A kind of shift (e.g. ``D`` day shift, ``N`` evening on-call)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=16)
    minutes: int = Field(gt=0, le=24 * 60)
    #: start of the shift in minutes after midnight; ``None`` when unknown (no rest-hours rule)
    start_minute: int | None = Field(default=None, ge=0, lt=24 * 60)
    #: shift types that may not be worked on the day after this one
    not_followed_by: tuple[str, ...] = ()


class Employee(BaseModel):
    """One technician (or benchmark employee) with the limits that apply to him."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=64)
    group_id: str | None = Field(default=None, description="region group; None for the support team")
    support: bool = False
    skills: frozenset[str] = frozenset()
    #: per shift type, the most shifts of that type over the horizon (missing: unlimited)
    max_shifts: Mapping[str, int] = Field(default_factory=dict)
    min_total_minutes: int = Field(default=0, ge=0)
    max_total_minutes: int | None = Field(default=None, ge=0)
    max_consecutive_work: int | None = Field(default=None, ge=1)
    min_consecutive_work: int = Field(default=1, ge=1)
    min_consecutive_off: int = Field(default=1, ge=1)
    max_weekends: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Employee:
        if self.max_total_minutes is not None and self.max_total_minutes < self.min_total_minutes:
            raise ValueError(f"employee {self.id}: max_total_minutes < min_total_minutes")
        if not self.support and self.group_id is None:
            raise ValueError(f"employee {self.id}: needs a group_id unless in the support team")
        return self


class Cover(BaseModel):
    """Heads needed on one day (optionally for one shift, one group, one skill)."""

    model_config = ConfigDict(frozen=True)

    day: int = Field(ge=0)
    shift: str | None = None  # None: any shift
    group_id: str | None = None  # None: the whole branch / instance
    skill: str | None = None
    requirement: int = Field(ge=0)
    weight_under: int = Field(default=100, ge=0)
    weight_over: int = Field(default=0, ge=0)


class Request(BaseModel):
    """A wish to work (``on=True``) or not work (``on=False``) a shift on a day."""

    model_config = ConfigDict(frozen=True)

    employee: str
    day: int = Field(ge=0)
    shift: str | None = None  # None: any shift (a day-off request)
    on: bool
    weight: int = Field(ge=0)


class History(BaseModel):
    """What happened just before day 0 (the previous roster), for rules that look back.

    ``worked`` lists the most recent days before the horizon, oldest first: ``worked[-1]`` is the
    day before day 0. Days before the listed ones are unknown and their windows are not checked.
    """

    model_config = ConfigDict(frozen=True)

    worked: tuple[bool, ...] = ()
    last_shift: str | None = None


class Severity(StrEnum):
    """Whether a rule must hold or costs a weighted penalty."""

    HARD = "hard"
    SOFT = "soft"


class RuleSettings(BaseModel):
    """Which rules apply and how much each soft rule costs (one preset = one of these)."""

    model_config = ConfigDict(frozen=True)

    #: at least this many rest days in every rolling 7-day window (0: rule off)
    min_rest_per_7: int = Field(default=1, ge=0, le=7)
    rest_window_severity: Severity = Severity.HARD
    rest_window_weight: int = Field(default=1000, ge=0)
    #: about this many of each group rest each day (0: rule off)
    rest_spread_min: int = Field(default=0, ge=0)
    rest_spread_weight: int = Field(default=5, ge=0)
    #: weight of the largest deviation of weekend rests within a group (0: off)
    fairness_weekend_weight: int = Field(default=0, ge=0)
    #: weight of the largest deviation of working days within a group (0: off)
    fairness_workdays_weight: int = Field(default=0, ge=0)
    #: minimum rest between the end of one shift and the start of the next (None: off)
    min_rest_minutes: int | None = Field(default=None, ge=0)
    #: weight per support-team assignment (keeps the support team for real gaps)
    support_use_weight: int = Field(default=0, ge=0)
    #: weight per cell that differs from the reference roster (re-rostering: minimal change)
    change_weight: int = Field(default=0, ge=0)


class RosterProblem(BaseModel):
    """Everything the engine needs to build one roster."""

    model_config = ConfigDict(frozen=True)

    name: str = "roster"
    horizon: int = Field(gt=0)
    first_weekday: int = Field(default=0, ge=0, le=6)
    start_date: str | None = None  # ISO date of day 0, for display only
    shifts: tuple[ShiftType, ...]
    employees: tuple[Employee, ...]
    covers: tuple[Cover, ...] = ()
    requests: tuple[Request, ...] = ()
    #: employee id -> days he must not work (leave, unavailability)
    days_off: Mapping[str, frozenset[int]] = Field(default_factory=dict)
    history: Mapping[str, History] = Field(default_factory=dict)
    #: (employee id, day) -> fixed shift id or None (published days, kept as they are)
    fixed: Mapping[str, Mapping[int, str | None]] = Field(default_factory=dict)
    #: employee id -> reference roster (the published one) for the minimal-change rule
    reference: Mapping[str, tuple[str | None, ...]] = Field(default_factory=dict)
    rules: RuleSettings = Field(default_factory=RuleSettings)

    @model_validator(mode="after")
    def _references(self) -> RosterProblem:
        problems: list[Problem] = []
        shift_ids = {s.id for s in self.shifts}
        emp_ids = [e.id for e in self.employees]
        if len(set(emp_ids)) != len(emp_ids):
            dup = sorted({e for e in emp_ids if emp_ids.count(e) > 1})
            problems.append(Problem("employees", "employee ids must be unique", dup))
        if len(shift_ids) != len(self.shifts):
            problems.append(Problem("shifts", "shift ids must be unique"))
        known = set(emp_ids)
        groups = {e.group_id for e in self.employees if e.group_id is not None}
        for s in self.shifts:
            for t in s.not_followed_by:
                if t not in shift_ids:
                    problems.append(Problem("not_followed_by", f"unknown shift after {s.id}", t))
        for e in self.employees:
            for t in e.max_shifts:
                if t not in shift_ids:
                    problems.append(Problem("max_shifts", f"unknown shift for employee {e.id}", t))
        for i, c in enumerate(self.covers):
            if c.day >= self.horizon:
                problems.append(Problem("day", "cover day outside the horizon", c.day, row=i))
            if c.shift is not None and c.shift not in shift_ids:
                problems.append(Problem("shift", "cover for an unknown shift", c.shift, row=i))
            if c.group_id is not None and c.group_id not in groups:
                problems.append(
                    Problem("group_id", "quota for a group that has no technicians", c.group_id, row=i)
                )
        for i, r in enumerate(self.requests):
            if r.employee not in known:
                problems.append(Problem("employee", "request of an unknown technician", r.employee, row=i))
            if r.day >= self.horizon:
                problems.append(Problem("day", "request outside the horizon", r.day, row=i))
            if r.shift is not None and r.shift not in shift_ids:
                problems.append(Problem("shift", "request for an unknown shift", r.shift, row=i))
        for name, mapping in (("days_off", self.days_off), ("history", self.history), ("fixed", self.fixed)):
            for e_id in mapping:
                if e_id not in known:
                    problems.append(Problem(name, "unknown technician", e_id))
        for e_id, days in self.days_off.items():
            bad = sorted(d for d in days if not 0 <= d < self.horizon)
            if bad:
                problems.append(Problem("days_off", f"days outside the horizon for {e_id}", bad))
        for e_id, hist in self.history.items():
            if hist.last_shift is not None and hist.last_shift not in shift_ids:
                problems.append(Problem("history.last_shift", f"unknown shift for {e_id}", hist.last_shift))
        for e_id, cells in self.fixed.items():
            for d, cell in cells.items():
                if not 0 <= d < self.horizon:
                    problems.append(Problem("fixed", f"fixed day outside the horizon for {e_id}", d))
                if cell is not None and cell not in shift_ids:
                    problems.append(Problem("fixed", f"unknown fixed shift for {e_id} day {d}", cell))
        if problems:
            raise InputErrors(problems)
        return self

    # --- small helpers used by model, validator and reports -------------------------------
    def is_weekend(self, day: int) -> bool:
        """Saturday or Sunday."""
        return (self.first_weekday + day) % 7 >= 5

    def weekends(self) -> list[tuple[int, ...]]:
        """Day indexes of each weekend touching the horizon (one or two days each)."""
        out: dict[int, list[int]] = {}
        for d in range(self.horizon):
            if self.is_weekend(d):
                out.setdefault((self.first_weekday + d) // 7, []).append(d)
        return [tuple(v) for _, v in sorted(out.items())]

    def shift(self, shift_id: str) -> ShiftType:
        """The shift type with id ``shift_id``."""
        for s in self.shifts:
            if s.id == shift_id:
                return s
        raise KeyError(shift_id)

    def groups(self) -> list[str]:
        """Region groups in order of first appearance."""
        seen: dict[str, None] = {}
        for e in self.employees:
            if e.group_id is not None:
                seen.setdefault(e.group_id, None)
        return list(seen)

    def can_serve(self, employee: Employee, group_id: str | None) -> bool:
        """Whether ``employee`` counts towards a cover of ``group_id``."""
        return group_id is None or employee.group_id == group_id or employee.support


Assignment = dict[str, list[str | None]]  # employee id -> shift id or None per day
GroupAssignment = dict[str, list[str | None]]  # support employee id -> group id or None per day


class PenaltyLine(BaseModel):
    """One term of the objective: which rule, whom, which day, how much."""

    model_config = ConfigDict(frozen=True)

    rule: str
    cost: int
    employee: str | None = None
    group_id: str | None = None
    day: int | None = None
    detail: str = ""


class RosterResult(BaseModel):
    """A solved roster with its objective, bound and score breakdown."""

    name: str
    status: str
    objective: int | None
    bound: int | None
    seconds: float
    assignment: Assignment
    support_groups: GroupAssignment = Field(default_factory=dict)
    breakdown: list[PenaltyLine] = Field(default_factory=list)
    info: dict[str, Any] = Field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Whether a roster was found."""
        return self.status in ("OPTIMAL", "FEASIBLE")

    def gap(self) -> float | None:
        """Relative gap between objective and bound."""
        if self.objective is None or self.bound is None:
            return None
        return (self.objective - self.bound) / max(1, abs(self.objective))
