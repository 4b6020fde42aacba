"""The pricing problem of column generation: one employee's cheapest feasible schedule.

A column of the set-partitioning master (:mod:`scheduler.roster.colgen`) is one employee's whole
horizon. Given a cost for every (day, shift) cell and for every rest day — the employee's own
request penalties minus the cover duals of the master — :func:`price` finds the schedule of least
total cost that keeps every hard rule of that employee: days off, allowed shift types and their
per-type maxima, forbidden successions, the minimum and maximum length of working runs, the
minimum length of rest runs (runs touching the first or last day exempt), the most weekends
worked, and the total minutes between their minimum and maximum.

It is a resource-constrained shortest path over the days, solved by dynamic programming with
dominance: a label is a partial schedule up to a day, identified by its *state* (last shift or
rest, length of the current run, whether the run began on day 0, total minutes so far) and carrying
its *resources* (cost, weekends worked, shifts of each limited type). Two labels in the same state
are compared componentwise and the dominated one dropped, so the search stays exact. Labels that
can no longer reach the minimum minutes are cut. The work done (label extensions) is counted so
that callers can budget it deterministically.

:func:`rules_for` reads an employee's rules from a :class:`~scheduler.roster.domain.RosterProblem`
(the Curtois–Qu shape: :func:`supported` says whether a problem has only rules this module knows);
:func:`brute_force` enumerates every schedule of a tiny horizon, for the tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.roster.domain import Employee, RosterProblem

#: the index of a rest day in a cost row (after the employee's shifts)
REST = -1


@dataclass(frozen=True)
class ScheduleRules:
    """One employee's hard rules, in the indexes the pricing uses.

    Shifts are numbered ``0 .. len(shifts) - 1`` (only those the employee may work); a schedule is
    a tuple of shift indexes or :data:`REST` per day.
    """

    employee: str
    horizon: int
    shifts: tuple[str, ...]
    minutes: tuple[int, ...]
    #: (a, b): shift b may not be worked the day after shift a
    forbidden: frozenset[tuple[int, int]]
    days_off: frozenset[int]
    #: per shift, the most shifts of that type (None: unlimited)
    max_count: tuple[int | None, ...]
    min_minutes: int
    max_minutes: int | None
    max_run: int | None
    min_run: int
    min_off: int
    #: per day, the index of its weekend (None: a weekday)
    weekend_of: tuple[int | None, ...]
    max_weekends: int | None

    def feasible(self, schedule: Sequence[int]) -> bool:
        """Whether ``schedule`` keeps every rule (a direct check, independent of the DP)."""
        h = self.horizon
        if len(schedule) != h:
            return False
        if any(c != REST and not 0 <= c < len(self.shifts) for c in schedule):
            return False
        if any(schedule[d] != REST for d in self.days_off if d < h):
            return False
        for a, b in itertools.pairwise(schedule):
            if a != REST and b != REST and (a, b) in self.forbidden:
                return False
        for k, limit in enumerate(self.max_count):
            if limit is not None and sum(1 for c in schedule if c == k) > limit:
                return False
        total = sum(self.minutes[c] for c in schedule if c != REST)
        if total < self.min_minutes or (self.max_minutes is not None and total > self.max_minutes):
            return False
        if self.max_weekends is not None:
            worked = {self.weekend_of[d] for d in range(h) if schedule[d] != REST}
            worked.discard(None)
            if len(worked) > self.max_weekends:
                return False
        start = 0
        for d in range(1, h + 1):
            if d == h or (schedule[d] == REST) != (schedule[start] == REST):
                length, working = d - start, schedule[start] != REST
                if working and self.max_run is not None and length > self.max_run:
                    return False
                inner = start > 0 and d < h
                if inner and length < (self.min_run if working else self.min_off):
                    return False
                start = d
        return True

    def cost(self, schedule: Sequence[int], costs: Sequence[Sequence[float]]) -> float:
        """Total cost of ``schedule`` under a cost table (row per day; last entry the rest day)."""
        return sum(costs[d][c] for d, c in enumerate(schedule))


def supported(problem: RosterProblem) -> bool:
    """Whether every rule of ``problem`` is one the pricing (and the set-partitioning master) models.

    The Curtois–Qu shape: no history, no fixed or reference days, no rolling rest window, no rest
    hours between shifts, no group fairness or rest spread, no support team, covers per day and
    shift for the whole staff.
    """
    r = problem.rules
    return (
        not problem.history
        and not problem.fixed
        and not problem.reference
        and r.min_rest_per_7 == 0
        and r.min_rest_minutes is None
        and r.rest_spread_min == 0
        and r.fairness_weekend_weight == 0
        and r.fairness_workdays_weight == 0
        and r.change_weight == 0
        and not any(e.support for e in problem.employees)
        and all(c.group_id is None and c.skill is None for c in problem.covers)
        and all(r_.shift is not None for r_ in problem.requests)
    )


def rules_for(problem: RosterProblem, employee: Employee) -> ScheduleRules:
    """The pricing's view of ``employee``'s hard rules in ``problem``."""
    allowed = [s for s in problem.shifts if employee.max_shifts.get(s.id, 1) > 0]
    index = {s.id: k for k, s in enumerate(allowed)}
    forbidden = frozenset((index[s.id], index[t]) for s in allowed for t in s.not_followed_by if t in index)
    weekend_of: list[int | None] = [None] * problem.horizon
    for w, days in enumerate(problem.weekends()):
        for d in days:
            weekend_of[d] = w
    return ScheduleRules(
        employee=employee.id,
        horizon=problem.horizon,
        shifts=tuple(s.id for s in allowed),
        minutes=tuple(s.minutes for s in allowed),
        forbidden=forbidden,
        days_off=frozenset(problem.days_off.get(employee.id, frozenset())),
        max_count=tuple(employee.max_shifts.get(s.id) for s in allowed),
        min_minutes=employee.min_total_minutes,
        max_minutes=employee.max_total_minutes,
        max_run=employee.max_consecutive_work,
        min_run=employee.min_consecutive_work,
        min_off=employee.min_consecutive_off,
        weekend_of=tuple(weekend_of),
        max_weekends=employee.max_weekends,
    )


@dataclass(frozen=True)
class PricedSchedule:
    """A schedule found by the pricing and its cost under the table it was priced with."""

    schedule: tuple[int, ...]
    cost: float


class _Label:
    """A partial schedule: its state, resources, and the label it extends."""

    __slots__ = ("cost", "weekends", "counts", "parent", "choice")

    def __init__(
        self, cost: float, weekends: int, counts: tuple[int, ...], parent: _Label | None, choice: int
    ) -> None:
        self.cost = cost
        self.weekends = weekends
        self.counts = counts
        self.parent = parent
        self.choice = choice

    def schedule(self) -> tuple[int, ...]:
        out: list[int] = []
        node: _Label | None = self
        while node is not None and node.parent is not None:
            out.append(node.choice)
            node = node.parent
        return tuple(reversed(out))


def _dominates(a: _Label, b: _Label) -> bool:
    return (
        a.cost <= b.cost
        and a.weekends <= b.weekends
        and all(x <= y for x, y in zip(a.counts, b.counts, strict=True))
    )


@dataclass
class PricingStats:
    """Work counters of the pricing (deterministic: they depend only on the inputs)."""

    extensions: int = 0
    labels: int = 0
    #: stop with :class:`PricingTooLong` past this many extensions (None: no limit)
    limit: int | None = None


class PricingTooLong(RuntimeError):
    """The pricing exceeded its work limit (:attr:`PricingStats.limit`)."""


def _step(
    rules: ScheduleRules, rest: int, max_run: int, state: tuple[int, int, bool], c: int
) -> tuple[int, int, bool] | None:
    """The (last, run, run began on day 0) state after choosing ``c`` in ``state`` (None: forbidden).

    ``last`` is a shift index, ``rest``, or ``-2`` before day 0; the run/days-off/succession rules
    are checked here, the resources (minutes, counts, weekends) by the caller.
    """
    last, run, from_start = state
    if c == rest:
        if last == rest:
            return (rest, min(run + 1, rules.min_off), from_start and run + 1 < rules.min_off)
        if last >= 0 and run < rules.min_run and not from_start:
            return None  # a working run too short
        return (rest, 1, last == -2 and rules.min_off > 1)
    if last == rest:
        if run < rules.min_off and not from_start:
            return None  # a rest run too short
        return (c, 1, False)
    if last == -2:
        return (c, 1, rules.min_run > 1)
    if run >= max_run or (last, c) in rules.forbidden:
        return None
    return (c, run + 1, from_start and run + 1 < rules.min_run)


def completion_bounds(
    rules: ScheduleRules, costs: Sequence[Sequence[float]]
) -> list[dict[tuple[int, int, bool], float]]:
    """Per day ``d``, per state after day ``d - 1``: the least cost of days ``d ..`` under the
    run, succession and days-off rules alone (minutes, per-type and weekend limits relaxed), so a
    lower bound of any feasible completion. ``inf`` where no completion keeps those rules."""
    h, rest = rules.horizon, len(rules.shifts)
    max_run = rules.max_run if rules.max_run is not None else h
    states = [(-2, 0, True)] + [
        (last, run, fs)
        for last in range(rest + 1)
        for run in range(1, (max_run if last != rest else rules.min_off) + 1)
        for fs in (False, True)
    ]
    out: list[dict[tuple[int, int, bool], float]] = [{} for _ in range(h + 1)]
    out[h] = dict.fromkeys(states, 0.0)
    for d in range(h - 1, -1, -1):
        row, after = costs[d], out[d + 1]
        choices = [rest] if d in rules.days_off else [*range(rest), rest]
        here = out[d]
        for st in states:
            best = math.inf
            for c in choices:
                nxt = _step(rules, rest, max_run, st, c)
                if nxt is not None:
                    v = row[c] + after.get(nxt, math.inf)
                    if v < best:
                        best = v
            here[st] = best
    return out


def price(
    rules: ScheduleRules,
    costs: Sequence[Sequence[float]],
    best: int = 1,
    stats: PricingStats | None = None,
    threshold: float = math.inf,
) -> list[PricedSchedule]:
    """The cheapest feasible schedules of one employee under a cost table.

    Parameters
    ----------
    rules
        The employee's hard rules (:func:`rules_for`).
    costs
        One row per day: the cost of working each of ``rules.shifts`` that day, then (last entry)
        the cost of resting.
    best
        How many schedules to return: the cheapest, then the cheapest of other final states (all
        distinct), cheapest first.
    stats
        Incremented with the work done.
    threshold
        Only schedules cheaper than this are wanted: partial schedules whose cost plus the
        :func:`completion_bounds` reach it are dropped. An empty answer then proves that no
        feasible schedule costs less than ``threshold``.

    Returns
    -------
    list[PricedSchedule]
        Empty when the employee has no feasible schedule (cheaper than ``threshold``).
    """
    h, n_shifts = rules.horizon, len(rules.shifts)
    rest = n_shifts  # a rest day's column in a cost row
    # which per-type limits and the weekend limit can bind (otherwise they are not tracked)
    most_days = h - len(rules.days_off)
    if rules.max_minutes is not None and rules.minutes:
        most_days = min(most_days, rules.max_minutes // min(rules.minutes))
    tracked = [k for k, lim in enumerate(rules.max_count) if lim is not None and lim < most_days]
    track_pos = {k: i for i, k in enumerate(tracked)}
    limits = [rules.max_count[k] or 0 for k in tracked]
    n_weekends = len({w for w in rules.weekend_of if w is not None})
    weekend_limit = (
        rules.max_weekends if rules.max_weekends is not None and rules.max_weekends < n_weekends else None
    )
    max_run = rules.max_run if rules.max_run is not None else h
    max_minutes = rules.max_minutes if rules.max_minutes is not None else 10**9
    longest = max(rules.minutes, default=0)
    # most minutes still obtainable from day d on (available days, runs of at most max_run)
    reach = [0] * (h + 1)
    for d in range(h - 1, -1, -1):
        span = h - d
        avail = sum(1 for t in range(d, h) if t not in rules.days_off)
        reach[d] = min(avail, span - span // (max_run + 1)) * longest
    bounds = completion_bounds(rules, costs) if threshold < math.inf else None
    cut = threshold - 1e-9
    # state: (last shift or rest, run length, run began on day 0, minutes) -> Pareto labels
    root = _Label(0.0, 0, tuple(0 for _ in tracked), None, REST)
    frontier: dict[tuple[int, int, bool, int], list[_Label]] = {(-2, 0, True, 0): [root]}
    counter = stats or PricingStats()
    choices_all = [*range(n_shifts), rest]
    for d in range(h):
        row = costs[d]
        weekend = rules.weekend_of[d]
        prev_same_weekend = d > 0 and weekend is not None and rules.weekend_of[d - 1] == weekend
        choices = [rest] if d in rules.days_off else choices_all
        after = bounds[d + 1] if bounds is not None else None
        # one label per full state (resources included): no pairwise dominance tests needed
        nxt: dict[tuple[tuple[int, int, bool], int, int, tuple[int, ...]], _Label] = {}
        for (last, run, from_start, minutes), labels in frontier.items():
            for c in choices:
                state = _step(rules, rest, max_run, (last, run, from_start), c)
                if state is None:
                    continue
                if c == rest:
                    new_minutes = minutes
                    add_weekend = False
                    pos = -1
                else:
                    new_minutes = minutes + rules.minutes[c]
                    if new_minutes > max_minutes:
                        continue
                    add_weekend = weekend is not None and not (prev_same_weekend and 0 <= last < rest)
                    pos = track_pos.get(c, -1)
                if new_minutes + reach[d + 1] < rules.min_minutes:
                    continue
                step = row[c]
                limit = cut - step - (after[state] if after is not None else 0.0)
                for lab in labels:
                    counter.extensions += 1
                    if lab.cost >= limit:
                        continue
                    weekends = lab.weekends + 1 if add_weekend else lab.weekends
                    if weekend_limit is not None and weekends > weekend_limit:
                        continue
                    counts = lab.counts
                    if pos >= 0:
                        if counts[pos] >= limits[pos]:
                            continue
                        counts = counts[:pos] + (counts[pos] + 1,) + counts[pos + 1 :]
                    new_cost = lab.cost + step
                    new_key = (state, new_minutes, weekends, counts)
                    old = nxt.get(new_key)
                    if old is None or new_cost < old.cost:
                        nxt[new_key] = _Label(new_cost, weekends, counts, lab, c)
        if counter.limit is not None and counter.extensions > counter.limit:
            raise PricingTooLong(f"{rules.employee}: more than {counter.limit} label extensions")
        frontier = {}
        for (st, mins, _w, _n), lab in nxt.items():
            frontier.setdefault((st[0], st[1], st[2], mins), []).append(lab)
        counter.labels += len(nxt)
    finals: list[_Label] = []
    for (_last, _run, _fs, minutes), labels in frontier.items():
        if minutes >= rules.min_minutes:
            finals.extend(lab for lab in labels if lab.cost < cut)
    finals.sort(key=lambda lab: lab.cost)
    out: list[PricedSchedule] = []
    seen: set[tuple[int, ...]] = set()
    for lab in finals:
        sched = tuple(REST if c == rest else c for c in lab.schedule())
        if sched in seen:
            continue
        seen.add(sched)
        out.append(PricedSchedule(sched, lab.cost))
        if len(out) >= best:
            break
    return out


def brute_force(rules: ScheduleRules, costs: Sequence[Sequence[float]]) -> PricedSchedule | None:
    """The cheapest feasible schedule by enumerating every one (tiny horizons only, for tests)."""
    rest = len(rules.shifts)
    best: PricedSchedule | None = None
    for combo in itertools.product([*range(len(rules.shifts)), REST], repeat=rules.horizon):
        if not rules.feasible(combo):
            continue
        cost = sum(costs[d][rest if c == REST else c] for d, c in enumerate(combo))
        if best is None or cost < best.cost:
            best = PricedSchedule(tuple(combo), cost)
    return best
