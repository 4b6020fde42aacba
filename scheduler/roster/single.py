"""One CP-SAT model solved once: typed parameters, the solve, CP-SAT status → :class:`RosterResult`.

- :class:`SolveParams`: time limit, workers, seed (and CP-SAT's deterministic-time limit);
- :func:`solve`: build the model of :mod:`scheduler.roster.model` and run CP-SAT once;
  :func:`solve_model` does the same for a model already built (a strategy's relaxed model);
- :func:`extract` and :func:`breakdown`: the roster and its score breakdown from a solution.

Every objective compared or reported is recomputed from the solution vector
(:func:`solution_objective`, after :func:`scheduler.roster.model.tighten`) and checked against the
sum of the named penalty terms (:func:`check_objective`), never read from
``CpSolver.objective_value``, which CP-SAT can report stale when a search stops on its time limit.
The searches built on this one (:mod:`scheduler.roster.lns`, :mod:`scheduler.roster.groups`,
:mod:`scheduler.roster.decompose`) import it; it imports none of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh

from scheduler.roster.domain import Assignment, PenaltyLine, RosterProblem, RosterResult
from scheduler.roster.model import BuiltModel, build_model, tighten


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search."""

    seconds: float = 10.0
    workers: int = 2
    seed: int = 0
    relative_gap: float = 0.0
    log: bool = False
    #: CP-SAT's interleaved portfolio: with few workers it still runs its own LNS subsolvers
    interleave: bool = False
    #: CP-SAT's linearization level (2: every constraint in the LP, the tight bound of these models)
    linearization: int = 2
    #: limit on CP-SAT's deterministic time (its own work counter, independent of machine load);
    #: with one worker and a fixed seed a solve stopped by it is reproducible. None: wall clock only
    deterministic_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"seconds={self.seconds} not understood: must be > 0")
        if self.workers < 1:
            raise ValueError(f"workers={self.workers} not understood: must be >= 1")


class SolutionValues(Protocol):
    """Anything that reads a solution: a ``CpSolver`` after a solve, or a saved vector."""

    def boolean_value(self, lit: cp_model.IntVar) -> bool: ...

    def value(self, expr: cp_model.LinearExprT) -> int: ...


#: CP-SAT's status codes by the names a :class:`RosterResult` reports
STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


def make_solver(params: SolveParams) -> cp_model.CpSolver:
    """A CP-SAT solver configured from ``params``."""
    solver = cp_model.CpSolver()
    sp = solver.parameters
    sp.max_time_in_seconds = params.seconds
    if params.deterministic_seconds is not None:
        sp.max_deterministic_time = params.deterministic_seconds
    sp.num_workers = params.workers
    sp.random_seed = params.seed
    sp.linearization_level = params.linearization
    sp.log_search_progress = params.log
    if params.interleave:
        sp.interleave_search = True
    elif params.workers >= 2:
        # one worker with the full LP and its cuts (tight bound on these models), the other
        # interleaving CP-SAT's own neighbourhood searches
        sp.subsolvers.append("max_lp")
    if params.relative_gap > 0:
        sp.relative_gap_limit = params.relative_gap
    return solver


def extract(built: BuiltModel, solver: SolutionValues) -> tuple[Assignment, dict[str, list[str | None]]]:
    """Read the roster (and the support team's groups) from a solved model."""
    p, v = built.vars.problem, built.vars
    assignment: Assignment = {}
    groups: dict[str, list[str | None]] = {}
    for e, emp in enumerate(p.employees):
        row: list[str | None] = []
        grow: list[str | None] = []
        for d in range(p.horizon):
            shift = next(
                (s.id for s in p.shifts if (e, d, s.id) in v.x and solver.boolean_value(v.x[e, d, s.id])),
                None,
            )
            row.append(shift)
            if emp.support:
                grow.append(
                    next(
                        (
                            g
                            for (ee, dd, s, g), lit in v.z.items()
                            if ee == e and dd == d and s == shift and solver.boolean_value(lit)
                        ),
                        None,
                    )
                )
        assignment[emp.id] = row
        if emp.support:
            groups[emp.id] = grow
    return assignment, groups


def breakdown(built: BuiltModel, solver: SolutionValues) -> list[PenaltyLine]:
    """The non-zero penalty terms of the solution, one line per named term."""
    out = []
    for pen in built.penalties:
        value = pen.expr if isinstance(pen.expr, int) else solver.value(pen.expr)
        if value:
            out.append(
                PenaltyLine(
                    rule=pen.rule,
                    cost=pen.weight * int(value),
                    employee=pen.employee,
                    group_id=pen.group_id,
                    day=pen.day,
                    detail=pen.detail,
                )
            )
    return out


SolutionCallback = Callable[[int, float], None]


class SolveProgress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution to ``on_solution`` and stops the search when ``stop()``."""

    def __init__(self, on_solution: SolutionCallback | None, stop: Callable[[], bool] | None) -> None:
        super().__init__()
        self._on_solution = on_solution
        self._stop = stop
        self._t0 = time.monotonic()

    def on_solution_callback(self) -> None:
        if self._on_solution is not None:
            self._on_solution(int(self.objective_value), time.monotonic() - self._t0)
        if self._stop is not None and self._stop():
            self.stop_search()


def solve(
    problem: RosterProblem,
    params: SolveParams | None = None,
    hint: Assignment | None = None,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
    hint_groups: dict[str, list[str | None]] | None = None,
) -> RosterResult:
    """Solve one roster problem with CP-SAT.

    Parameters
    ----------
    problem
        The problem.
    params
        Time limit, workers, seed.
    hint
        A roster to start from (e.g. the published one when re-rostering).
    on_solution
        Called with (objective, seconds) at each improving solution.
    stop
        Polled at each solution; returning True stops the search with the best roster so far.
    hint_groups
        With ``hint``: the support team's groups of the hinted roster.
    """
    t0 = time.monotonic()
    return solve_model(build_model(problem), params, hint, on_solution, stop, hint_groups, started=t0)


def solve_model(
    built: BuiltModel,
    params: SolveParams | None = None,
    hint: Assignment | None = None,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
    hint_groups: dict[str, list[str | None]] | None = None,
    started: float | None = None,
) -> RosterResult:
    """Solve a model already built (by :func:`scheduler.roster.model.build_model`) once with CP-SAT.

    The parameters are those of :func:`solve`; ``started`` is the ``time.monotonic()`` the reported
    seconds count from (default: now). The result's objective is the sum of the named terms of the
    model's penalties, whatever rule functions produced them.
    """
    params = params or SolveParams()
    t0 = time.monotonic() if started is None else started
    problem = built.vars.problem
    if hint is not None:
        add_hint(built, hint, hint_groups)
    solver = make_solver(params)
    status = solver.solve(built.model, SolveProgress(on_solution, stop))
    seconds = time.monotonic() - t0
    name = STATUS_NAMES.get(status, str(status))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return RosterResult(
            name=problem.name, status=name, objective=None, bound=None, seconds=seconds, assignment={}
        )
    values = tighten(built.vars, list(solver.response_proto.solution))
    reader = ValueReader(values)
    assignment, groups = extract(built, reader)
    lines = breakdown(built, reader)
    # the objective of the roster returned, term by term (what the validator recomputes)
    objective = sum(line.cost for line in lines)
    check_objective(objective, solution_objective(built.model, values), problem.name)
    bound = objective if name == "OPTIMAL" else int_bound(solver.best_objective_bound)
    return RosterResult(
        name=problem.name,
        status=name,
        objective=objective,
        bound=min(bound, objective),
        seconds=seconds,
        assignment=assignment,
        support_groups=groups,
        breakdown=lines,
        info={"branches": solver.num_branches, "conflicts": solver.num_conflicts},
    )


class ObjectiveMismatch(AssertionError):
    """The named penalty terms do not add up to CP-SAT's objective (a model accounting bug)."""


def check_objective(terms: int, model_objective: int, name: str) -> None:
    """Raise :class:`ObjectiveMismatch` unless the summed penalty terms equal the model's objective."""
    if terms != model_objective:
        raise ObjectiveMismatch(f"{name}: penalty terms sum to {terms}, model objective {model_objective}")


def solution_objective(model: cp_model.CpModel, solution: cp_model.CpSolver | list[int]) -> int:
    """The model's objective evaluated on a solution (a solver after a solve, or a value vector).

    Not ``CpSolver.objective_value``: when a search stops on its time limit, CP-SAT (9.15) can
    report an objective value that is not the one of the solution it returns (seen: 230 reported
    for a roster worth 220), so every objective we compare or accept is recomputed here.
    """
    values = list(solution.response_proto.solution) if isinstance(solution, cp_model.CpSolver) else solution
    obj = model.proto.objective
    total = sum(c * values[v] for v, c in zip(obj.vars, obj.coeffs, strict=True)) + obj.offset
    scale = obj.scaling_factor or 1.0
    return int(round(scale * total))


def add_hint(built: BuiltModel, hint: Assignment, groups: dict[str, list[str | None]] | None = None) -> None:
    """Hint every ``x`` variable from a roster (and the support team's ``z`` from ``groups``)."""
    v = built.vars
    for (e, d, s), lit in v.x.items():
        row = hint.get(v.employees[e].id)
        if row is not None and d < len(row):
            built.model.add_hint(lit, row[d] == s)
    for (e, d, s, g), lit in v.z.items():
        row, grow = hint.get(v.employees[e].id), (groups or {}).get(v.employees[e].id)
        if row is not None and grow is not None and d < len(row) and d < len(grow):
            built.model.add_hint(lit, row[d] == s and grow[d] == g)


def int_bound(bound: float) -> int:
    """CP-SAT's real-valued bound rounded up (the objective is integer)."""
    return int(math.ceil(bound - 1e-6))


class ValueReader:
    """Reads values from a saved solution vector like a ``CpSolver`` would."""

    def __init__(self, values: list[int]) -> None:
        self._values = values

    def boolean_value(self, lit: cp_model.IntVar) -> bool:
        return bool(self._values[lit.index])

    def value(self, expr: cp_model.LinearExprT) -> int:
        if isinstance(expr, int):
            return expr
        total = 0
        coeffs, constant = _linear_terms(expr)
        for var, coef in coeffs:
            total += coef * self._values[var.index]
        return total + constant


def _linear_terms(expr: cp_model.LinearExprT) -> tuple[list[tuple[cp_model.IntVar, int]], int]:
    flat = cmh.FlatIntExpr(expr)  # type: ignore[arg-type]
    return list(zip(flat.vars, flat.coeffs, strict=True)), flat.offset
