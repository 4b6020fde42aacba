"""Building the CP-SAT model: every registered rule's constraints and named penalty terms.

The variables live in :mod:`scheduler.roster.variables`, the rules in :mod:`scheduler.roster.rules`
(one function each); this module creates the variables, runs the rules, sums their named penalty
terms into the objective, and adds redundant window-capacity cuts (:func:`add_window_cuts`) that
tighten the LP relaxation. A solver strategy that needs a relaxed version of a rule passes its own
function for that rule (``replace``); the registry itself holds only the business rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from ortools.sat.python import cp_model

from scheduler.roster.domain import RosterProblem
from scheduler.roster.rules import REGISTRY, RuleFn
from scheduler.roster.variables import Penalty, RosterVars, create_vars


@dataclass
class BuiltModel:
    """A CP-SAT model with its variables and named penalty terms."""

    model: cp_model.CpModel
    vars: RosterVars
    penalties: list[Penalty]
    offset: int = 0  # constant part of the objective (penalties fixed by the data)

    def objective_expr(self) -> cp_model.LinearExprT:
        return sum(p.weight * p.expr for p in self.penalties if not isinstance(p.expr, int))


def build_model(
    problem: RosterProblem,
    rules: list[str] | None = None,
    diagnose: bool = False,
    replace: Mapping[str, RuleFn] | None = None,
) -> BuiltModel:
    """Run every registered rule (or the named ones) and set the objective.

    Parameters
    ----------
    problem
        The roster problem.
    rules
        Names from :data:`scheduler.roster.rules.REGISTRY` to apply; all by default.
    diagnose
        Guard every hard rule with an assumption literal (see :mod:`scheduler.roster.diagnose`).
    replace
        Rule name → function run in that rule's place (same position in the registry's order), for
        solver strategies that solve a relaxed model (e.g. the decomposition's priced support heads
        in the cover rule, :mod:`scheduler.roster.decompose`).
    """
    unknown = sorted(set(replace or {}) - set(REGISTRY))
    if unknown:
        raise ValueError(f"replace={unknown} not understood: no such rule in the registry")
    model = cp_model.CpModel()
    v = create_vars(problem, model)
    v.diagnose = diagnose
    penalties: list[Penalty] = []
    for name, spec in REGISTRY.items():
        if rules is not None and name not in rules:
            continue
        fn = (replace or {}).get(name, spec.fn)
        penalties.extend(fn(v, problem))
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
