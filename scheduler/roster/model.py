"""Building the CP-SAT model: decision variables and the penalty terms of the rules.

Variables: ``x[e, d, s]`` (employee ``e`` works shift ``s`` on day ``d``; only created where the
shift is allowed), ``w[e, d]`` (works at all, ``= Σ_s x``), ``z[e, d, s, g]`` for support-team
members (which group they serve). The rules themselves live in :mod:`scheduler.roster.rules`,
one function each; this module runs them and sums their named penalty terms into the objective,
and adds redundant window-capacity cuts (:func:`add_window_cuts`) that tighten the LP relaxation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

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


@dataclass
class BuiltModel:
    """A CP-SAT model with its variables and named penalty terms."""

    model: cp_model.CpModel
    vars: RosterVars
    penalties: list[Penalty]
    offset: int = 0  # constant part of the objective (penalties fixed by the data)

    def objective_expr(self) -> cp_model.LinearExprT:
        return sum(p.weight * p.expr for p in self.penalties if not isinstance(p.expr, int))


def build_model(problem: RosterProblem, rules: list[str] | None = None, diagnose: bool = False) -> BuiltModel:
    """Run every registered rule (or the named ones) and set the objective.

    Parameters
    ----------
    problem
        The roster problem.
    rules
        Names from :data:`scheduler.roster.rules.REGISTRY` to apply; all by default.
    diagnose
        Guard every hard rule with an assumption literal (see :mod:`scheduler.roster.diagnose`).
    """
    from scheduler.roster.rules import REGISTRY

    model = cp_model.CpModel()
    v = create_vars(problem, model)
    v.diagnose = diagnose
    penalties: list[Penalty] = []
    for name, spec in REGISTRY.items():
        if rules is not None and name not in rules:
            continue
        penalties.extend(spec.fn(v, problem))
    if not diagnose and (rules is None or "max_consecutive_work" in rules):
        add_window_cuts(
            v,
            work_runs=rules is None or "min_work_run" in rules,
            rest_runs=rules is None or "min_rest_run" in rules,
        )
    offset = sum(p.weight * p.expr for p in penalties if isinstance(p.expr, int))
    built = BuiltModel(model, v, penalties, offset)
    model.minimize(built.objective_expr() + offset)
    return built


def tighten(v: RosterVars, values: list[int]) -> list[int]:
    """A solution vector with each cover's under- and over-cover never both positive.

    ``count + under - over == requirement`` still holds after lowering both by their minimum,
    and every other constraint is untouched (the slacks appear nowhere else), so the vector stays
    a solution, worth exactly what the validator recomputes.
    """
    out = list(values)
    for under, over in v.cover_slack:
        both = min(out[under.index], out[over.index])
        if both > 0:
            out[under.index] -= both
            out[over.index] -= both
    return out


#: longest day window the redundant capacity cuts look at
WINDOW_CUT_MAX = 14


@cache
def window_capacity(length: int, max_run: int, min_work: int, min_rest: int) -> int:
    """Most working days in ``length`` consecutive days under the run rules.

    Work runs never exceed ``max_run``; runs inside the window (touching neither end) are at least
    ``min_work`` (work) or ``min_rest`` (rest) long; runs touching an end may continue outside the
    window, so only the maximum applies to them. Valid for any window of the horizon, wherever the
    first and last days and the history leave runs exempt.
    """
    best = 0
    for mask in range(1 << length):
        days = [(mask >> i) & 1 for i in range(length)]
        count = sum(days)
        if count <= best:
            continue
        runs: list[tuple[int, int]] = []  # (value, length)
        for day in days:
            if runs and runs[-1][0] == day:
                runs[-1] = (day, runs[-1][1] + 1)
            else:
                runs.append((day, 1))
        too_long = any(value and run > max_run for value, run in runs)
        too_short = any(run < (min_work if value else min_rest) for value, run in runs[1:-1])
        if not too_long and not too_short:
            best = count
    return best


def add_window_cuts(v: RosterVars, work_runs: bool = True, rest_runs: bool = True) -> None:
    """Redundant cuts: working days in every window of up to :data:`WINDOW_CUT_MAX` days at most
    :func:`window_capacity` (implied by the maximum-run and minimum-run rules, whose clauses alone
    leave the LP relaxation weak: e.g. 5/6 of a shift every day passes them all)."""
    h = v.horizon
    for e, emp in enumerate(v.employees):
        k = emp.max_consecutive_work
        if k is None or k >= h:
            continue
        mw = emp.min_consecutive_work if work_runs else 1
        mr = emp.min_consecutive_off if rest_runs else 1
        for length in window_cut_lengths(k, mw, mr, min(WINDOW_CUT_MAX, h)):
            cap = window_capacity(length, k, mw, mr)
            for t in range(0, h - length + 1):
                v.model.add(sum(v.w[e, d] for d in range(t, t + length)) <= cap)


@cache
def window_cut_lengths(max_run: int, min_work: int, min_rest: int, longest: int) -> tuple[int, ...]:
    """The window lengths whose capacity cut is not already the sum of shorter windows' bounds
    (the maximum-run constraint being the window of ``max_run + 1`` days)."""
    eff = [0] + [min(a, max_run) for a in range(1, max_run + 2)]  # eff[a]: bound of a window of a days
    out = []
    for length in range(max_run + 2, longest + 1):
        implied = min(eff[a] + eff[length - a] for a in range(1, length))
        cap = window_capacity(length, max_run, min_work, min_rest)
        if cap < implied:
            out.append(length)
        eff.append(min(cap, implied))
    return tuple(out)
