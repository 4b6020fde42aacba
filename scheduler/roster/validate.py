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
            rep.violations.append(Violation("total_minutes", e.id, None,
                                            f"{minutes} not in [{e.min_total_minutes}, {e.max_total_minutes}]"))
        worked = [s is not None for s in row]
        for start, length, working in _runs(worked):
            touches = start == 0 or start + length == h
            if working:
                if length > e.max_consecutive:
                    rep.violations.append(Violation("max_consecutive", e.id, start,
                                                    f"{length} days > {e.max_consecutive}"))
                if length < e.min_consecutive and not touches:
                    rep.violations.append(Violation("min_consecutive", e.id, start,
                                                    f"{length} days < {e.min_consecutive}"))
            elif length < e.min_consecutive_off and not touches:
                rep.violations.append(Violation("min_days_off", e.id, start,
                                                f"{length} days off < {e.min_consecutive_off}"))
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
            rep.breakdown.append(PenaltyLine(rule="shift_on_request", cost=r.weight, employee=r.employee,
                                             day=r.day, detail=f"wants {r.shift}"))
    for r in inst.off_requests:
        row = assignment.get(r.employee)
        if row is not None and len(row) == h and row[r.day] == r.shift:
            rep.objective += r.weight
            rep.breakdown.append(PenaltyLine(rule="shift_off_request", cost=r.weight, employee=r.employee,
                                             day=r.day, detail=f"wants no {r.shift}"))
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
            rep.breakdown.append(PenaltyLine(rule=rule, cost=cost, day=c.day,
                                             detail=f"shift {c.shift}: {x} for {c.requirement}"))
    return rep
