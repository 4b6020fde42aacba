"""The decision variables of a roster model and the named penalty term every rule returns.

Variables: ``x[e, d, s]`` (employee ``e`` works shift ``s`` on day ``d``; only created where the
shift is allowed), ``w[e, d]`` (works at all, ``= Σ_s x``), ``z[e, d, s, g]`` for support-team
members (which group they serve). :class:`RosterVars` wraps them so rules read
``vars.works(e, d)``, not raw dict indexing; :class:`Penalty` is one named term of the objective.
Below the rules (:mod:`scheduler.roster.rules`) and the model builder (:mod:`scheduler.roster.model`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.roster.domain import Employee, RosterProblem

Lit = cp_model.IntVar  # a Boolean variable
Known = bool | Lit | None  # a history constant, a model literal, or unknown (before the history)


@dataclass
class Penalty:
    """One named term of the objective: ``weight * value(expr)``."""

    rule: str
    weight: int
    expr: cp_model.LinearExprT
    employee: str | None = None
    group_id: str | None = None
    day: int | None = None
    detail: str = ""


@dataclass
class RosterVars:
    """The decision variables, wrapped so rules read ``vars.works(e, d)`` not raw dicts."""

    problem: RosterProblem
    model: cp_model.CpModel
    x: dict[tuple[int, int, str], Lit] = field(default_factory=dict)
    w: dict[tuple[int, int], Lit] = field(default_factory=dict)
    z: dict[tuple[int, int, str, str], Lit] = field(default_factory=dict)
    #: diagnosis mode: hard rules are enforced only under these assumption literals
    diagnose: bool = False
    guards: dict[tuple[str, str | None, str | None], Lit] = field(default_factory=dict)
    #: (under, over) of each cover line, tied by ``count + under - over == requirement``
    cover_slack: list[tuple[cp_model.IntVar, cp_model.IntVar]] = field(default_factory=list)

    def guard(self, rule: str, employee: str | None = None, group_id: str | None = None) -> list[Lit]:
        """Enforcement literals of a hard rule for one subject (empty unless diagnosing).

        In diagnosis mode each (rule, employee, group) gets one assumption literal, so CP-SAT's
        infeasibility core names the rules and people that clash.
        """
        if not self.diagnose:
            return []
        key = (rule, employee, group_id)
        lit = self.guards.get(key)
        if lit is None:
            lit = self.model.new_bool_var(f"assume[{rule},{employee},{group_id}]")
            self.guards[key] = lit
        return [lit]

    @property
    def employees(self) -> tuple[Employee, ...]:
        return self.problem.employees

    @property
    def horizon(self) -> int:
        return self.problem.horizon

    def shift_allowed(self, e: int, s: str) -> bool:
        """Whether employee ``e`` may ever work shift type ``s`` (per-type maximum > 0)."""
        return self.employees[e].max_shifts.get(s, 1) > 0

    def shift(self, e: int, d: int, s: str) -> Lit | int:
        """Literal of ``e`` working ``s`` on day ``d`` (``0`` when the shift is not allowed)."""
        return self.x.get((e, d, s), 0)

    def works(self, e: int, d: int) -> Lit:
        """Literal of ``e`` working on day ``d`` (inside the horizon)."""
        return self.w[e, d]

    def history_len(self, e: int) -> int:
        """How many days before day 0 are known for employee ``e`` (at most 7 are used)."""
        hist = self.problem.history.get(self.employees[e].id)
        return min(len(hist.worked), 7) if hist else 0

    def works_at(self, e: int, d: int) -> Known:
        """Working on day ``d``, where ``d < 0`` reads the history (``None`` if unknown)."""
        if d >= 0:
            return self.w[e, d]
        hist = self.problem.history.get(self.employees[e].id)
        if hist is None or -d > len(hist.worked):
            return None
        return hist.worked[d]

    def serves(self, e: int, d: int, group_id: str, s: str | None = None) -> Lit | int | cp_model.LinearExpr:
        """Expression of support member ``e`` serving ``group_id`` on ``d`` (shift ``s`` or any)."""
        if s is not None:
            return self.z.get((e, d, s, group_id), 0)
        return sum(self.z.get((e, d, t.id, group_id), 0) for t in self.problem.shifts)


def create_vars(problem: RosterProblem, model: cp_model.CpModel) -> RosterVars:
    """Create ``x``, ``w`` (and ``z`` for the support team when covers name groups)."""
    v = RosterVars(problem, model)
    group_covers = any(c.group_id is not None for c in problem.covers)
    groups = problem.groups()
    for e, emp in enumerate(problem.employees):
        for d in range(problem.horizon):
            day_x = []
            for s in problem.shifts:
                if v.shift_allowed(e, s.id):
                    lit = model.new_bool_var(f"x[{emp.id},{d},{s.id}]")
                    v.x[e, d, s.id] = lit
                    day_x.append(lit)
                    if emp.support and group_covers:
                        zs = [model.new_bool_var(f"z[{emp.id},{d},{s.id},{g}]") for g in groups]
                        for g, zl in zip(groups, zs, strict=True):
                            v.z[e, d, s.id, g] = zl
                        model.add(sum(zs) == lit)
            wl = model.new_bool_var(f"w[{emp.id},{d}]")
            v.w[e, d] = wl
            # at most one shift a day, and w is exactly "works some shift"
            model.add(sum(day_x) == wl)
    return v
