"""Solver-independent checks: feasibility and the objective recomputed from a finished roster.

Two checkers, neither imports the solver or the model:

- :func:`check_nrp` recomputes the Curtois–Qu objective exactly as ``shared/data/README.md``
  defines it, from the raw :class:`~scheduler.roster.nrp.NrpInstance` (not from our mapping);
- :func:`check_roster` checks a roster against a :class:`RosterProblem` and recomputes our
  objective term by term (the score breakdown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scheduler.roster.domain import Assignment, PenaltyLine, RosterProblem, Severity
from scheduler.roster.nrp import NrpInstance


@dataclass
class Violation:
    """A broken hard rule: which rule, whom, which day, what."""

    rule: str
    employee: str | None
    day: int | None
    detail: str

    def __str__(self) -> str:
        who = f" {self.employee}" if self.employee else ""
        when = f" day {self.day}" if self.day is not None else ""
        return f"{self.rule}{who}{when}: {self.detail}"


@dataclass
class Report:
    """Result of a check: hard violations, the objective and its breakdown."""

    violations: list[Violation] = field(default_factory=list)
    objective: int = 0
    breakdown: list[PenaltyLine] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations

    def cost_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.breakdown:
            out[line.rule] = out.get(line.rule, 0) + line.cost
        return out


def _runs(worked: Sequence[bool]) -> list[tuple[int, int, bool]]:
    """Maximal runs as (start, length, working)."""
    out: list[tuple[int, int, bool]] = []
    start = 0
    for d in range(1, len(worked) + 1):
        if d == len(worked) or worked[d] != worked[start]:
            out.append((start, d - start, worked[start]))
            start = d
    return out


def check_nrp(inst: NrpInstance, assignment: dict[str, list[str | None]]) -> Report:
    """Check a benchmark roster and recompute its objective as the benchmark defines it."""
    rep = Report()
    h = inst.horizon
    shifts = {s.id: s for s in inst.shifts}
    staff_ids = {e.id for e in inst.staff}
    for e_id in assignment:
        if e_id not in staff_ids:
            rep.violations.append(Violation("unknown_employee", e_id, None, "not in the instance"))
    for e in inst.staff:
        row = assignment.get(e.id)
        if row is None or len(row) != h:
            rep.violations.append(Violation("shape", e.id, None, f"needs {h} days"))
            continue
        for d, s in enumerate(row):
            if s is not None and s not in shifts:
                rep.violations.append(Violation("unknown_shift", e.id, d, str(s)))
        if any(s is not None and s not in shifts for s in row):
            continue
        for d in range(h - 1):
            a, b = row[d], row[d + 1]
            if a is not None and b is not None and b in shifts[a].not_follow:
                rep.violations.append(Violation("rotation", e.id, d + 1, f"{b} may not follow {a}"))
        for s_id, limit in e.max_shifts.items():
            n = sum(1 for s in row if s == s_id)
            if n > limit:
                rep.violations.append(Violation("max_shifts", e.id, None, f"{n} {s_id} shifts > {limit}"))
        minutes = sum(shifts[s].minutes for s in row if s is not None)
        if not e.min_total_minutes <= minutes <= e.max_total_minutes:
            rep.violations.append(
                Violation(
                    "total_minutes",
                    e.id,
                    None,
                    f"{minutes} not in [{e.min_total_minutes}, {e.max_total_minutes}]",
                )
            )
        worked = [s is not None for s in row]
        for start, length, working in _runs(worked):
            touches = start == 0 or start + length == h
            if working:
                if length > e.max_consecutive:
                    rep.violations.append(
                        Violation("max_consecutive", e.id, start, f"{length} days > {e.max_consecutive}")
                    )
                if length < e.min_consecutive and not touches:
                    rep.violations.append(
                        Violation("min_consecutive", e.id, start, f"{length} days < {e.min_consecutive}")
                    )
            elif length < e.min_consecutive_off and not touches:
                rep.violations.append(
                    Violation("min_days_off", e.id, start, f"{length} days off < {e.min_consecutive_off}")
                )
        weekends = sum(1 for w in range(h // 7) if worked[7 * w + 5] or worked[7 * w + 6])
        if weekends > e.max_weekends:
            rep.violations.append(Violation("max_weekends", e.id, None, f"{weekends} > {e.max_weekends}"))
        for d in inst.days_off.get(e.id, []):
            if 0 <= d < h and worked[d]:
                rep.violations.append(Violation("days_off", e.id, d, f"works {row[d]} on a day off"))
    for r in inst.on_requests:
        row = assignment.get(r.employee)
        if row is not None and len(row) == h and row[r.day] != r.shift:
            rep.objective += r.weight
            rep.breakdown.append(
                PenaltyLine(
                    rule="shift_on_request",
                    cost=r.weight,
                    employee=r.employee,
                    day=r.day,
                    detail=f"wants {r.shift}",
                )
            )
    for r in inst.off_requests:
        row = assignment.get(r.employee)
        if row is not None and len(row) == h and row[r.day] == r.shift:
            rep.objective += r.weight
            rep.breakdown.append(
                PenaltyLine(
                    rule="shift_off_request",
                    cost=r.weight,
                    employee=r.employee,
                    day=r.day,
                    detail=f"wants no {r.shift}",
                )
            )
    for c in inst.cover:
        x = sum(1 for row in assignment.values() if len(row) == h and row[c.day] == c.shift)
        if x < c.requirement:
            cost = (c.requirement - x) * c.weight_under
            rule = "cover_under"
        elif x > c.requirement:
            cost = (x - c.requirement) * c.weight_over
            rule = "cover_over"
        else:
            continue
        if cost:
            rep.objective += cost
            rep.breakdown.append(
                PenaltyLine(
                    rule=rule, cost=cost, day=c.day, detail=f"shift {c.shift}: {x} for {c.requirement}"
                )
            )
    return rep


def _line(
    rep: Report,
    rule: str,
    cost: int,
    employee: str | None = None,
    group_id: str | None = None,
    day: int | None = None,
    detail: str = "",
) -> None:
    if cost:
        rep.objective += cost
        rep.breakdown.append(
            PenaltyLine(rule=rule, cost=cost, employee=employee, group_id=group_id, day=day, detail=detail)
        )


def check_roster(
    problem: RosterProblem,
    assignment: Assignment,
    support_groups: dict[str, list[str | None]] | None = None,
) -> Report:
    """Check a roster against every hard rule and recompute its objective term by term.

    Parameters
    ----------
    problem
        The problem the roster answers.
    assignment
        Employee id → shift id or ``None`` per day.
    support_groups
        Support member id → group served per day (needed when covers name groups).
    """
    p, rep = problem, Report()
    h, rules = p.horizon, p.rules
    shifts = {s.id: s for s in p.shifts}
    support_groups = support_groups or {}
    group_covers = any(c.group_id is not None for c in p.covers)
    known = {e.id for e in p.employees}
    for e_id in assignment:
        if e_id not in known:
            rep.violations.append(Violation("unknown_employee", e_id, None, "not in the problem"))
    weekends = p.weekends()
    for emp in p.employees:
        row = assignment.get(emp.id)
        if row is None or len(row) != h or any(s is not None and s not in shifts for s in row):
            rep.violations.append(Violation("shape", emp.id, None, f"needs {h} days of known shifts or None"))
            continue
        worked = [s is not None for s in row]
        hist = p.history.get(emp.id)
        past = list(hist.worked[-7:]) if hist else []
        ext = past + worked  # index i ↔ day i - len(past)
        lo = -len(past)
        for d in p.days_off.get(emp.id, ()):
            if worked[d]:
                rep.violations.append(Violation("leave", emp.id, d, f"works {row[d]} on leave"))
        for d, s in p.fixed.get(emp.id, {}).items():
            if row[d] != s:
                rep.violations.append(
                    Violation("fixed_days", emp.id, d, f"{row[d]} instead of published {s}")
                )
        for s_id, limit in emp.max_shifts.items():
            n = sum(1 for s in row if s == s_id)
            if n > limit:
                rep.violations.append(Violation("max_shifts_per_type", emp.id, None, f"{n} {s_id} > {limit}"))
        minutes = sum(shifts[s].minutes for s in row if s is not None)
        if minutes < emp.min_total_minutes or (
            emp.max_total_minutes is not None and minutes > emp.max_total_minutes
        ):
            rep.violations.append(
                Violation(
                    "total_minutes",
                    emp.id,
                    None,
                    f"{minutes} min outside [{emp.min_total_minutes}, {emp.max_total_minutes}]",
                )
            )
        for start_i, length, working in _runs(ext):
            start, end = start_i + lo, start_i + lo + length - 1
            if (
                working
                and emp.max_consecutive_work is not None
                and length > emp.max_consecutive_work
                and end >= 0
            ):
                rep.violations.append(
                    Violation(
                        "max_consecutive_work",
                        emp.id,
                        start,
                        f"{length} working days in a row > {emp.max_consecutive_work}",
                    )
                )
            need = emp.min_consecutive_work if working else emp.min_consecutive_off
            if length < need and start - 1 >= lo and 0 <= end + 1 <= h - 1:
                rep.violations.append(
                    Violation(
                        "min_work_run" if working else "min_rest_run",
                        emp.id,
                        start,
                        f"run of {length} {'working' if working else 'rest'} days < {need}",
                    )
                )
        if emp.max_weekends is not None:
            n_we = sum(1 for days in weekends if any(worked[d] for d in days))
            if n_we > emp.max_weekends:
                rep.violations.append(
                    Violation("max_weekends", emp.id, None, f"{n_we} weekends > {emp.max_weekends}")
                )
        prev = [(hist.last_shift if hist and hist.worked and hist.worked[-1] else None), *row]
        for d in range(h):
            a, b = prev[d], prev[d + 1]
            if a is None or b is None:
                continue
            if b in shifts[a].not_followed_by:
                rep.violations.append(
                    Violation("forbidden_successions", emp.id, d, f"{b} may not follow {a}")
                )
            sa, sb = shifts[a], shifts[b]
            if (
                rules.min_rest_minutes is not None
                and sa.start_minute is not None
                and sb.start_minute is not None
            ):
                gap = 24 * 60 + sb.start_minute - (sa.start_minute + sa.minutes)
                if gap < rules.min_rest_minutes:
                    rep.violations.append(
                        Violation(
                            "min_rest_hours",
                            emp.id,
                            d,
                            f"{gap} min rest after {a} < {rules.min_rest_minutes}",
                        )
                    )
        if rules.min_rest_per_7 > 0:
            for t in range(-min(len(past), 6), h - 6):
                n_work = sum(ext[t - lo + k] for k in range(7))
                short = n_work - (7 - rules.min_rest_per_7)
                if short > 0:
                    if rules.rest_window_severity == Severity.HARD:
                        rep.violations.append(
                            Violation(
                                "rest_in_every_7_days",
                                emp.id,
                                t + 6,
                                f"{7 - n_work} rest days in days {t}..{t + 6}",
                            )
                        )
                    else:
                        _line(
                            rep,
                            "rest_in_every_7_days",
                            rules.rest_window_weight * short,
                            emp.id,
                            emp.group_id,
                            t + 6,
                            f"window days {t}..{t + 6}",
                        )
        if emp.support and group_covers:
            grow = support_groups.get(emp.id)
            for d in range(h):
                served = grow[d] if grow is not None and d < len(grow) else None
                if worked[d] and served is None:
                    rep.violations.append(Violation("support_group", emp.id, d, "works for no group"))
    if rep.violations:
        return rep
    # --- objective ---------------------------------------------------------------------------
    for c in p.covers:
        count = 0
        for emp in p.employees:
            s = assignment[emp.id][c.day]
            if s is None or (c.shift is not None and s != c.shift):
                continue
            if c.skill is not None and c.skill not in emp.skills:
                continue
            serves = emp.support and support_groups.get(emp.id, [None] * h)[c.day] == c.group_id
            if c.group_id is not None and emp.group_id != c.group_id and not serves:
                continue
            count += 1
        where = (
            f"day {c.day}"
            + (f" shift {c.shift}" if c.shift else "")
            + (f" skill {c.skill}" if c.skill else "")
        )
        if count < c.requirement:
            _line(
                rep, "cover_under", c.weight_under * (c.requirement - count), None, c.group_id, c.day, where
            )
        elif count > c.requirement:
            _line(rep, "cover_over", c.weight_over * (count - c.requirement), None, c.group_id, c.day, where)
    for r in p.requests:
        s = assignment[r.employee][r.day]
        hit = s is not None and (r.shift is None or s == r.shift)
        what = r.shift or "any shift"
        if r.on and not hit:
            _line(rep, "shift_on_request", r.weight, r.employee, None, r.day, f"wants {what}")
        if not r.on and hit:
            _line(rep, "shift_off_request", r.weight, r.employee, None, r.day, f"wants no {what}")
    for g in p.groups():
        members = [e for e in p.employees if e.group_id == g and not e.support]
        need = rules.rest_spread_min
        if need > 0 and rules.rest_spread_weight and len(members) > need:
            for d in range(h):
                resting = sum(1 for e in members if assignment[e.id][d] is None)
                _line(
                    rep,
                    "rest_spread",
                    rules.rest_spread_weight * max(0, need - resting),
                    None,
                    g,
                    d,
                    f"fewer than {need} resting",
                )
        if len(members) >= 2:
            if rules.fairness_weekend_weight and weekends:
                rests = [
                    sum(1 for days in weekends if all(assignment[e.id][d] is None for d in days))
                    for e in members
                ]
                _line(
                    rep,
                    "fairness_weekend_rests",
                    rules.fairness_weekend_weight * (max(rests) - min(rests)),
                    None,
                    g,
                    None,
                    "largest difference of weekend rests in the group",
                )
            if rules.fairness_workdays_weight:
                totals = [sum(1 for s in assignment[e.id] if s is not None) for e in members]
                _line(
                    rep,
                    "fairness_working_days",
                    rules.fairness_workdays_weight * (max(totals) - min(totals)),
                    None,
                    g,
                    None,
                    "largest difference of working days in the group",
                )
    if rules.change_weight:
        for e_id, ref in p.reference.items():
            for d in range(min(h, len(ref))):
                if assignment[e_id][d] != ref[d]:
                    _line(
                        rep,
                        "minimal_change",
                        rules.change_weight,
                        e_id,
                        None,
                        d,
                        f"published {ref[d] or 'rest'}",
                    )
    if rules.support_use_weight:
        for emp in p.employees:
            if emp.support:
                for d, s in enumerate(assignment[emp.id]):
                    if s is not None:
                        _line(rep, "support_use", rules.support_use_weight, emp.id, None, d, "support day")
    return rep
