"""The period's rest roster from the real roster engine, rolling week by week.

Each week is one problem of :func:`scheduler.roster.planning.build_problem` solved by
:func:`scheduler.roster.solver.solve_roster` (deterministic time: same seed, same roster), the last
days of the previous week as its history (:func:`~scheduler.roster.planning.history_from`), so the
rolling 7-day rest rule holds across weeks. Quotas are synthetic (the simulator has no work-study
database): every region group needs all its members but one on each day, the plan's "about one
technician of each group rests every day". The roster does not depend on the operating model, so
the models are compared on the same roster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scheduler.roster.domain import History, ShiftType
from scheduler.roster.planning import DAY_SHIFT, build_problem, history_from
from scheduler.roster.solver import SolveParams, solve_roster
from timepool.domain import Quotas
from vocabulary.staff import Technician

#: The roster preset (operating model of rest rules) the simulator rosters with.
PRESET = "urban_dense"


@dataclass(frozen=True)
class RosterPlan:
    """Who works which shift on each day of the period (None: rest) and where support serves."""

    start: dt.date
    days: int
    cells: Mapping[str, Sequence[str | None]]
    support_groups: Mapping[str, Sequence[str | None]]
    shifts: Mapping[str, ShiftType]

    def shift_of(self, technician_id: str, day: dt.date) -> ShiftType | None:
        """The technician's shift on ``day``, None on a rest day."""
        cell = self.cells[technician_id][(day - self.start).days]
        return None if cell is None else self.shifts[cell]

    def group_of(self, technician_id: str, day: dt.date) -> str | None:
        """The region group a support-team member serves on ``day`` (None otherwise)."""
        row = self.support_groups.get(technician_id)
        return None if row is None else row[(day - self.start).days]


def synthetic_quotas(technicians: Sequence[Technician], start: dt.date, days: int) -> Quotas:
    """Every region group needs all its members but one on each day (at least one)."""
    size: dict[str, int] = {}
    for t in technicians:
        if t.region_group_id and not t.support_team:
            size[t.region_group_id] = size.get(t.region_group_id, 0) + 1
    return Quotas(
        {g: {start + dt.timedelta(days=d): max(1, n - 1) for d in range(days)} for g, n in size.items()}
    )


def rolling_roster(
    technicians: Sequence[Technician], start: dt.date, days: int, seconds: float = 4.0, seed: int = 0
) -> RosterPlan:
    """Roster the period week by week with the real roster engine (see the module); a last partial
    week is rostered as a whole week and cut (a one- or two-day problem scales the preset's monthly
    day limits to nothing)."""
    cells: dict[str, list[str | None]] = {t.id: [] for t in technicians}
    support: dict[str, list[str | None]] = {t.id: [] for t in technicians if t.support_team}
    history: dict[str, History] | None = None
    done = 0
    while done < days:
        week_start = start + dt.timedelta(days=done)
        n = 7
        problem = build_problem(
            technicians,
            synthetic_quotas(technicians, week_start, n),
            week_start,
            n,
            preset=PRESET,
            history=history,
            name=f"sim-{week_start}",
        )
        result = solve_roster(problem, SolveParams(seconds=seconds, workers=1, seed=seed))
        if not result.feasible:
            raise RuntimeError(f"roster of the week from {week_start}: {result.status}")
        for t in technicians:
            row = result.assignment.get(t.id, [None] * n)
            cells[t.id].extend(row)
            if t.support_team:
                groups = result.support_groups.get(t.id, [None] * n)
                support[t.id].extend(groups)
        history = history_from(result.assignment, upto=n, days=7)
        done += n
    return RosterPlan(
        start,
        days,
        {k: v[:days] for k, v in cells.items()},
        {k: v[:days] for k, v in support.items()},
        {DAY_SHIFT.id: DAY_SHIFT},
    )


def fixed_roster(
    cells: Mapping[str, Sequence[str | None]], start: dt.date, shift: ShiftType = DAY_SHIFT
) -> RosterPlan:
    """A roster given by hand (tests): technician → shift id or None per day."""
    days = len(next(iter(cells.values()))) if cells else 0
    return RosterPlan(start, days, {k: list(v) for k, v in cells.items()}, {}, {shift.id: shift})
