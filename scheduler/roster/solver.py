"""Solving: typed parameters, CP-SAT status → :class:`RosterResult`, LNS, group decomposition.

- :func:`solve`: build the model of :mod:`scheduler.roster.model` and run CP-SAT once;
- :func:`solve_lns`: CP-SAT for a first roster and the bound, then our own large-neighbourhood
  search (random employees, windows of days, blocks, days short of cover, region groups with the
  support team), one single-worker CP-SAT sub-solve per core, sharing one incumbent;
- :func:`solve_roster`: a branch: without a support team the region groups are independent and
  solved in parallel threads (one worker each; CP-SAT releases the GIL), the bound being the sum of
  theirs; with a support team the whole branch is one model solved by CP-SAT's interleaved
  portfolio (its own LNS included), whose bound is the branch's;
- :func:`solve_nrp`: a Curtois–Qu instance through the same engine (:func:`solve_lns`).

Every objective compared or reported is recomputed from the solution vector
(:func:`solution_objective`, after :func:`scheduler.roster.model.tighten`) and checked against the
sum of the named penalty terms (:func:`check_objective`), never read from
``CpSolver.objective_value``, which CP-SAT can report stale when a search stops on its time limit.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ortools.sat.python import cp_model

from scheduler.roster.domain import Assignment, PenaltyLine, RosterProblem, RosterResult
from scheduler.roster.model import BuiltModel, build_model, tighten

if TYPE_CHECKING:
    from scheduler.roster.nrp import NrpInstance


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


log = logging.getLogger(__name__)


class SolutionValues(Protocol):
    """Anything that reads a solution: a ``CpSolver`` after a solve, or a saved vector."""

    def boolean_value(self, lit: cp_model.IntVar) -> bool: ...

    def value(self, expr: cp_model.LinearExprT) -> int: ...


_STATUS = {
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


class _Progress(cp_model.CpSolverSolutionCallback):
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
    params = params or SolveParams()
    t0 = time.monotonic()
    built = build_model(problem)
    if hint is not None:
        add_hint(built, hint, hint_groups)
    solver = make_solver(params)
    status = solver.solve(built.model, _Progress(on_solution, stop))
    seconds = time.monotonic() - t0
    name = _STATUS.get(status, str(status))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return RosterResult(
            name=problem.name, status=name, objective=None, bound=None, seconds=seconds, assignment={}
        )
    values = tighten(built.vars, list(solver.response_proto.solution))
    reader = _ValueReader(values)
    assignment, groups = extract(built, reader)
    lines = breakdown(built, reader)
    # the objective of the roster returned, term by term (what the validator recomputes)
    objective = sum(line.cost for line in lines)
    check_objective(objective, solution_objective(built.model, values), problem.name)
    bound = objective if name == "OPTIMAL" else _int_bound(solver.best_objective_bound)
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


@dataclass(frozen=True)
class LnsParams:
    """Large-neighbourhood search on top of CP-SAT: free a part of the roster, re-solve the rest fixed."""

    #: share of the time for the first full solve (also gives the bound); with the window-capacity
    #: cuts of the model, CP-SAT's LP worker finds better cover structures than the LNS reaches
    #: (Curtois-Qu at 60 s: 0.3 measured better than 0.12)
    first_fraction: float = 0.3
    step_seconds: float = 1.5  # time limit of one neighbourhood solve
    start_share: float = 0.2  # initial share of employees / days freed
    step_workers: int = 1  # workers of one neighbourhood solve (the others solve other neighbourhoods)
    step_linearization: int = 2  # 1 measured worse: the LP guides even small neighbourhoods
    #: the budget in CP-SAT deterministic time per second of ``SolveParams.seconds``: one thread of
    #: the 2-core benchmark machine does 0.25–0.35 of it per CPU second on the Curtois–Qu models,
    #: so an unloaded run ends on this budget a little before its wall-clock limit
    deterministic_per_second: float = 0.25


KINDS = ("employees", "days", "block", "short-day", "groups")
#: above this many shift variables the LNS starts from :func:`employee_by_employee` (the largest
#: Curtois–Qu instances, 13, 21 and 23, have 60,000–580,000; 1–11 at most 8,400)
LARGE_MODEL = 50_000
#: wall-clock cap of one LNS step, in multiples of ``LnsParams.step_seconds``
STEP_WALL_FACTOR = 4.0


def _neighbourhood(
    problem: RosterProblem,
    rng: random.Random,
    kind: str,
    share: float,
    hot: list[int],
) -> tuple[set[int], tuple[int, int]]:
    """Employees and a day window to free (the rest stays fixed to the incumbent).

    ``employees``: some employees, every day; ``days``: every employee, a window of days;
    ``block``: more employees over a longer window; ``short-day``: every employee around a day
    that is short of cover (``hot``); ``groups``: some region groups and the support team.
    """
    n, h = len(problem.employees), problem.horizon
    if kind == "groups":
        names = problem.groups()
        chosen_groups = set(rng.sample(names, min(len(names), max(1, round(share * len(names))))))
        free = {e for e, emp in enumerate(problem.employees) if emp.support or emp.group_id in chosen_groups}
        return free, (0, h)
    if kind == "employees":
        k = max(2, round(share * n))
        return set(rng.sample(range(n), min(n, k))), (0, h)
    if kind in ("days", "short-day"):
        length = max(3, min(h, round(share * h)))
        if kind == "short-day" and hot:
            d = rng.choice(hot)
            start = max(0, min(h - length, d - length // 2))
        else:
            start = rng.randrange(0, h - length + 1)
        return set(range(n)), (start, start + length)
    k = max(2, min(n, round(2 * share * n)))
    length = max(7, min(h, round(min(1.0, 2 * share) * h)))
    start = rng.randrange(0, h - length + 1)
    return set(rng.sample(range(n), k)), (start, start + length)


def solve_lns(
    problem: RosterProblem,
    params: SolveParams | None = None,
    lns: LnsParams | None = None,
    hint: Assignment | None = None,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
    hint_groups: dict[str, list[str | None]] | None = None,
) -> RosterResult:
    """CP-SAT, then our own LNS loop until the budget is spent (or a proven optimum).

    The first full solve gives a roster and CP-SAT's lower bound; then, repeatedly, the roster is
    fixed except for a random set of employees or a window of days and that neighbourhood is
    re-solved exactly, starting from the incumbent (moves that keep the objective are accepted,
    so the search walks plateaus). The neighbourhood grows when it is solved to optimality
    quickly and shrinks when it times out.

    Reproducible: the budget is CP-SAT's deterministic time (``params.seconds`` ×
    ``lns.deterministic_per_second``: about what one thread of the 2-core benchmark machine does
    in a wall-clock second on these models), not the clock. The first solve runs single-worker
    lanes side by side (the full LP; CP-SAT's portfolio interleaved in one thread), each
    deterministic, and keeps the best roster and the best bound; the LNS runs in rounds of
    ``params.workers`` neighbourhoods drawn from one incumbent with seeded generators, solved in
    parallel on one worker each, and merged in a fixed order. The same problem, seed, workers and
    seconds give the same roster on any machine load; ``params.seconds`` of wall clock stays a
    safety stop (``info["stopped_by"]`` says which limit ended the search).
    """
    params = params or SolveParams()
    lns = lns or LnsParams()
    t0 = time.monotonic()
    deadline = t0 + params.seconds
    budget = params.seconds * lns.deterministic_per_second
    built = build_model(problem)
    if hint is not None:
        add_hint(built, hint, hint_groups)
    first_budget = budget * lns.first_fraction
    # first roster and bound: single-worker lanes side by side, each reproducible on its own — the
    # full LP (the tight bound; proves the small instances) and CP-SAT's whole portfolio
    # interleaved in one thread (its own neighbourhood searches find the first rosters of the
    # large instances, where the LP lane finds none in its budget)
    configs = [(False, 2), (True, 2)] if params.workers > 1 else [(True, 2)]

    def first_lane(k: int, deterministic: float) -> tuple[Any, list[int], float, float]:
        interleave, linearization = configs[k]
        solver = make_solver(
            SolveParams(
                seconds=max(0.5, deadline - time.monotonic()),
                workers=1,
                seed=params.seed + k,
                relative_gap=params.relative_gap,
                log=params.log,
                interleave=interleave,
                linearization=linearization,
                deterministic_seconds=deterministic,
            )
        )
        status = solver.solve(built.model, _Progress(on_solution, stop))
        found = (
            list(solver.response_proto.solution) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
        )
        return status, found, solver.best_objective_bound, solver.deterministic_time

    early: list[tuple[Any, list[int], float, float]] = []
    if len(built.vars.x) > LARGE_MODEL:
        # very large rosters: the first solves rarely find a roster in their budget; start from
        # each employee's own row at once and hint it to them
        start, used = employee_by_employee(problem, built, params, deadline)
        if start is not None:
            early.append((cp_model.FEASIBLE, start, 0.0, used))
            built.model.clear_hints()
            for var_index, value in enumerate(start):
                built.model.proto.solution_hint.vars.append(var_index)
                built.model.proto.solution_hint.values.append(value)
    with ThreadPoolExecutor(max_workers=len(configs)) as pool:
        lanes_out = list(pool.map(lambda k: first_lane(k, first_budget), range(len(configs)))) + early
    spent = max(out[3] for out in lanes_out)
    if not any(out[1] for out in lanes_out) and time.monotonic() < deadline:
        # no roster yet (the largest instances): every hard rule concerns one employee, so a roster
        # made of each employee's own feasible row is feasible; the LNS improves it from there
        start, used = employee_by_employee(problem, built, params, deadline)
        spent += used
        if start is not None:
            lanes_out.append((cp_model.FEASIBLE, start, 0.0, used))
    statuses = [out[0] for out in lanes_out]
    if (
        cp_model.INFEASIBLE in statuses
        or cp_model.MODEL_INVALID in statuses
        or not any(o[1] for o in lanes_out)
    ):
        worst = next(
            (st for st in statuses if st in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID)), statuses[-1]
        )
        return RosterResult(
            name=problem.name,
            status=_STATUS.get(worst, str(worst)),
            objective=None,
            bound=None,
            seconds=time.monotonic() - t0,
            assignment={},
        )
    candidates = []
    for k, (status, found, _, _) in enumerate(lanes_out):
        if found:
            values = tighten(built.vars, found)
            candidates.append((solution_objective(built.model, values), k, values, status))
    best_obj, _, best, status = min(candidates, key=lambda c: (c[0], c[1]))
    bound = max(_int_bound(out[2]) for out in lanes_out)
    name = "OPTIMAL" if status == cp_model.OPTIMAL or best_obj <= bound else "FEASIBLE"
    v = built.vars
    x_index = {key: lit.index for key, lit in v.x.items()}
    w_index = {key: lit.index for key, lit in v.w.items()}
    z_index: dict[tuple[int, int], list[int]] = {}
    for (e, d, _s, _g), lit in v.z.items():
        z_index.setdefault((e, d), []).append(lit.index)
    under_index = [
        (pen.expr.index, pen.day)
        for pen in built.penalties
        if pen.rule == "cover_under" and isinstance(pen.expr, cp_model.IntVar) and pen.day is not None
    ]
    state = _LnsState(best=best, obj=best_obj)
    # start small on big rosters (about 8 people or a fifth, whichever is less), then adapt
    first_share = min(lns.start_share, 8 / max(1, len(problem.employees)))
    multi = len(problem.groups()) > 1 and any(e.support for e in problem.employees)
    lanes = max(1, params.workers // max(1, lns.step_workers))
    rngs = [random.Random(params.seed * 1000 + k) for k in range(lanes)]
    stopped_by = "optimal" if name == "OPTIMAL" or best_obj <= bound else "deterministic budget"

    def draw(k: int) -> tuple[str, cp_model.CpModel, SolveParams]:
        """Lane ``k``'s next neighbourhood of the incumbent (its own seeded generator)."""
        wrng, inc = rngs[k], state.best
        hot = [d for idx, d in under_index if inc[idx] > 0]
        kind = wrng.choice(
            [k for k in KINDS if (not k.startswith("short") or hot) and (k != "groups" or multi)]
        )
        free_emps, window = _neighbourhood(
            problem, wrng, kind, state.share.setdefault(kind, first_share), hot
        )
        extra: frozenset[int] = frozenset()
        if kind == "short-day":
            # a day short of cover is fixed by someone resting that day, who then drops a day
            # elsewhere: free a few of them over the whole horizon as well
            short = [d for d in hot if window[0] <= d < window[1]]
            idle = [e for e in range(len(problem.employees)) if any(inc[w_index[e, d]] == 0 for d in short)]
            extra = frozenset(wrng.sample(idle, min(len(idle), 2)))
        sub = _fixed_copy(built.model, inc, x_index, w_index, z_index, free_emps, window, extra)
        step = SolveParams(
            # the deterministic limit ends a step; the wall clock only caps one that CP-SAT's work
            # counter does not see (large presolves): a few times its budget, never past the deadline
            seconds=max(0.05, min(deadline - time.monotonic(), STEP_WALL_FACTOR * lns.step_seconds)),
            workers=lns.step_workers,
            seed=params.seed + state.iterations + k,
            linearization=lns.step_linearization,
            deterministic_seconds=lns.step_seconds * lns.deterministic_per_second,
        )
        return kind, sub, step

    def run(
        job: tuple[str, cp_model.CpModel, SolveParams],
    ) -> tuple[str, cp_model.CpModel, Any, list[int], float]:
        kind, sub, step = job
        solver = make_solver(step)
        st = solver.solve(sub)
        found = list(solver.response_proto.solution) if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
        return kind, sub, st, found, solver.deterministic_time

    with ThreadPoolExecutor(max_workers=lanes) as pool:
        while stopped_by == "deterministic budget":
            if spent >= budget:
                break
            if time.monotonic() >= deadline - 0.1:
                stopped_by = "wall clock (safety stop)"
                break
            if stop is not None and stop():
                stopped_by = "stop requested"
                break
            jobs = [draw(k) for k in range(lanes)]
            state.iterations += lanes
            results = list(pool.map(run, jobs))
            spent += max(r[4] for r in results)  # the lanes run side by side
            incumbent = state.obj
            for kind, sub, st, found, _ in results:  # merged in lane order: deterministic
                stats = state.kinds.setdefault(kind, [0, 0])
                stats[0] += 1
                if found:
                    values = tighten(v, found)
                    obj = solution_objective(sub, values)
                    if obj <= state.obj and (obj < state.obj or state.obj == incumbent):
                        if obj < state.obj:
                            state.improvements += 1
                            stats[1] += 1
                            if on_solution is not None:
                                on_solution(obj, time.monotonic() - t0)
                        state.best, state.obj = values, obj
                # grow the neighbourhoods while they are solved to optimality, shrink otherwise
                size = state.share[kind]
                state.share[kind] = min(1.0, size * 1.05) if st == cp_model.OPTIMAL else max(0.03, size * 0.8)
            log.debug(
                "lns %s t=%.1f dt=%.1f best=%s", state.iterations, time.monotonic() - t0, spent, state.obj
            )
            if state.obj <= bound:
                stopped_by = "optimal"
    best = state.best
    final = _ValueReader(best)
    assignment, groups = extract(built, final)
    lines = breakdown(built, final)
    best_obj = sum(line.cost for line in lines)
    check_objective(best_obj, state.obj, problem.name)
    status_name = "OPTIMAL" if best_obj <= bound else "FEASIBLE"
    return RosterResult(
        name=problem.name,
        status=status_name,
        objective=best_obj,
        bound=min(bound, best_obj),
        seconds=time.monotonic() - t0,
        assignment=assignment,
        support_groups=groups,
        breakdown=lines,
        info={
            "lns_iterations": state.iterations,
            "lns_improvements": state.improvements,
            "final_share": {k: round(v, 3) for k, v in state.share.items()},
            "neighbourhoods": state.kinds,
            "deterministic_time": round(spent, 3),
            "stopped_by": stopped_by,
        },
    )


def employee_by_employee(
    problem: RosterProblem, built: BuiltModel, params: SolveParams, deadline: float
) -> tuple[list[int] | None, float]:
    """A full solution of ``built`` made of rows found for each employee alone, and the work it took.

    Hard rules (leave, limits on shifts, minutes, runs and weekends, successions, rest) concern one
    employee each; covers and the other coupling rules are soft. So each employee is solved alone
    (his own terms only, single worker, a small deterministic budget, two at a time), and the rows
    together are hinted to the full model with the hinted variables fixed: CP-SAT then only derives
    the rest. None when an employee has no feasible row (the problem is infeasible) or time is up.
    """
    spent = 0.0

    def alone(emp_id: str) -> tuple[list[str | None] | None, float]:
        emp = next(e for e in problem.employees if e.id == emp_id)
        sub = problem.model_copy(
            update={
                "name": f"{problem.name}/{emp_id}",
                "employees": (emp,),
                "covers": (),
                "requests": tuple(r for r in problem.requests if r.employee == emp_id),
            }
        )
        own = build_model(sub)
        used = 0.0
        for attempt in range(2):  # with his own terms; then, if nothing was found, any feasible row
            if attempt:
                own.model.clear_objective()
            solver = make_solver(
                SolveParams(
                    seconds=max(0.05, min(deadline - time.monotonic(), 10.0)),
                    workers=1,
                    seed=params.seed,
                    deterministic_seconds=1.0,
                )
            )
            status = solver.solve(own.model)
            used += solver.deterministic_time
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return extract(own, solver)[0][emp_id], used
            if status == cp_model.INFEASIBLE:
                break
        return None, used

    with ThreadPoolExecutor(max_workers=max(1, params.workers)) as pool:
        rows = list(pool.map(alone, [e.id for e in problem.employees]))
    spent += sum(used for _, used in rows) / max(1, params.workers)
    if any(row is None for row, _ in rows):
        return None, spent
    assignment: Assignment = {e.id: row for e, (row, _) in zip(problem.employees, rows, strict=True) if row}
    add_hint(built, assignment)
    solver = make_solver(
        SolveParams(seconds=max(0.5, deadline - time.monotonic()), workers=1, seed=params.seed)
    )
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(built.model)
    built.model.clear_hints()
    spent += solver.deterministic_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, spent
    return list(solver.response_proto.solution), spent


@dataclass
class _LnsState:
    """The incumbent shared by the LNS threads (guarded by a lock)."""

    best: list[int]
    obj: int
    share: dict[str, float] = field(default_factory=dict)  # adaptive size per neighbourhood kind
    iterations: int = 0
    improvements: int = 0
    kinds: dict[str, list[int]] = field(default_factory=dict)


def _fixed_copy(
    model: cp_model.CpModel,
    best: list[int],
    x_index: dict[tuple[int, int, str], int],
    w_index: dict[tuple[int, int], int],
    z_index: dict[tuple[int, int], list[int]],
    free_emps: set[int],
    window: tuple[int, int],
    free_all_days: frozenset[int] = frozenset(),
) -> cp_model.CpModel:
    """A copy of ``model`` with every cell outside the neighbourhood fixed to the incumbent.

    Free: employees ``free_emps`` on days ``window``, and employees ``free_all_days`` on every day.
    """
    lo, hi = window
    sub = model.clone()
    proto = sub.proto
    fixed_idx: list[int] = []
    for (e, d, _s), idx in x_index.items():
        if (e not in free_emps or not lo <= d < hi) and e not in free_all_days:
            fixed_idx.append(idx)
    for (e, d), idx in w_index.items():
        if (e not in free_emps or not lo <= d < hi) and e not in free_all_days:
            fixed_idx.append(idx)
            fixed_idx.extend(z_index.get((e, d), []))
    for idx in fixed_idx:
        dom = proto.variables[idx].domain
        dom.clear()
        dom.extend([best[idx], best[idx]])
    proto.solution_hint.vars.clear()
    proto.solution_hint.vars.extend(range(len(best)))
    proto.solution_hint.values.clear()
    proto.solution_hint.values.extend(best)
    return sub


def _int_bound(bound: float) -> int:
    """CP-SAT's real-valued bound rounded up (the objective is integer)."""
    return int(math.ceil(bound - 1e-6))


class _ValueReader:
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
    from ortools.sat.python import cp_model_helper as cmh

    flat = cmh.FlatIntExpr(expr)  # type: ignore[arg-type]
    return list(zip(flat.vars, flat.coeffs, strict=True)), flat.offset


def group_subproblem(
    problem: RosterProblem, group_id: str, virtual_support: int = 0, price: int | None = None
) -> RosterProblem:
    """The part of ``problem`` that concerns one region group (its members and its covers only).

    With ``virtual_support`` > 0 the group may also draw up to that many support heads a day, free
    of their own rules, each at ``price`` (default: the support-use weight): the group's part of a
    Lagrangian relaxation of the branch (see :mod:`scheduler.roster.decompose`).
    """
    members = tuple(e for e in problem.employees if e.group_id == group_id and not e.support)
    ids = {e.id for e in members}
    return problem.model_copy(
        update={
            "name": f"{problem.name}/{group_id}",
            "employees": members,
            "covers": tuple(c for c in problem.covers if c.group_id == group_id),
            "requests": tuple(r for r in problem.requests if r.employee in ids),
            "days_off": {k: v for k, v in problem.days_off.items() if k in ids},
            "history": {k: v for k, v in problem.history.items() if k in ids},
            "fixed": {k: v for k, v in problem.fixed.items() if k in ids},
            "reference": {k: v for k, v in problem.reference.items() if k in ids},
            "virtual_support": virtual_support,
            "virtual_support_price": price,
        }
    )


def decomposable(problem: RosterProblem) -> bool:
    """Whether every cover names a group (so groups only meet through the support team)."""
    return (
        bool(problem.covers)
        and all(c.group_id is not None for c in problem.covers)
        and len(problem.groups()) > 1
    )


def support_decomposable(problem: RosterProblem) -> bool:
    """Whether :func:`scheduler.roster.decompose.solve_branch` applies: decomposable, a support team,
    and group covers for any shift (the relaxation's virtual support heads count towards those only)."""
    return (
        decomposable(problem)
        and any(e.support for e in problem.employees)
        and all(c.shift is None for c in problem.covers)
    )


def groups_without_roster(
    problem: RosterProblem, groups: list[str], parts: list[RosterResult], t0: float
) -> RosterResult | None:
    """The branch's result when some group (solved alone) has no roster, else None.

    INFEASIBLE when every such group's own hard rules clash, UNKNOWN when one just ran out of time.
    """
    failed = [g for g, r in zip(groups, parts, strict=True) if not r.feasible]
    if not failed:
        return None
    statuses = {r.status for r in parts if not r.feasible}
    return RosterResult(
        name=problem.name,
        status="INFEASIBLE" if statuses <= {"INFEASIBLE", "MODEL_INVALID"} else "UNKNOWN",
        objective=None,
        bound=None,
        seconds=time.monotonic() - t0,
        assignment={},
        info={
            "groups": {g: r.status for g, r in zip(groups, parts, strict=True)},
            "infeasible_groups": failed,
        },
    )


def solve_roster(
    problem: RosterProblem,
    params: SolveParams | None = None,
    hint: Assignment | None = None,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> RosterResult:
    """Solve a branch roster.

    Without a support team the region groups are independent: each is solved alone, in parallel
    threads (one CP-SAT worker each; CP-SAT releases the GIL), and the branch's bound is the sum of
    the groups' bounds. A support team couples the groups only through the support heads: the branch
    is then solved by :func:`scheduler.roster.decompose.solve_branch` (a priced relaxation per group
    for the bound, then exact support and group steps in turn). With a ``hint`` (re-rostering from
    a published roster), or ``params.interleave``, or covers that name no group, the whole branch is
    one model solved by CP-SAT's portfolio, whose bound is then the branch's.
    """
    params = params or SolveParams()
    has_support = any(e.support for e in problem.employees)
    if support_decomposable(problem) and hint is None and not params.interleave:
        from scheduler.roster.decompose import solve_branch

        return solve_branch(problem, params, on_solution, stop)
    if not decomposable(problem) or has_support:
        whole = SolveParams(
            seconds=params.seconds,
            workers=params.workers,
            seed=params.seed,
            relative_gap=params.relative_gap,
            log=params.log,
            interleave=has_support or params.interleave,
        )
        return solve(problem, whole, hint, on_solution, stop)
    t0 = time.monotonic()
    groups = problem.groups()
    rounds = -(-len(groups) // params.workers)  # groups run params.workers at a time
    per_group = max(0.2, 0.95 * params.seconds / rounds)

    def one(g: str) -> RosterResult:
        sub = group_subproblem(problem, g)
        sub_hint = {k: v for k, v in hint.items() if any(e.id == k for e in sub.employees)} if hint else None
        return solve(
            sub,
            SolveParams(seconds=per_group, workers=1, seed=params.seed, relative_gap=params.relative_gap),
            sub_hint,
            None,
            stop,
        )

    with ThreadPoolExecutor(max_workers=params.workers) as pool:
        parts = list(pool.map(one, groups))
    phase = {g: r.status for g, r in zip(groups, parts, strict=True)}
    failed = groups_without_roster(problem, groups, parts, t0)
    if failed is not None:
        return failed
    merged: Assignment = {}
    for r in parts:
        merged.update(r.assignment)
    objective = sum(r.objective or 0 for r in parts)
    bound = sum(r.bound or 0 for r in parts)
    if on_solution is not None:
        on_solution(objective, time.monotonic() - t0)
    return RosterResult(
        name=problem.name,
        status="OPTIMAL" if all(r.status == "OPTIMAL" for r in parts) else "FEASIBLE",
        objective=objective,
        bound=min(bound, objective),
        seconds=time.monotonic() - t0,
        assignment=merged,
        breakdown=[line for r in parts for line in r.breakdown],
        info={"groups": phase},
    )


def solve_nrp(inst: NrpInstance, seconds: float = 60.0, workers: int = 2, seed: int = 0) -> RosterResult:
    """Solve a Curtois–Qu instance with the roster engine (CP-SAT, then our LNS)."""
    from scheduler.roster.nrp import nrp_to_problem

    problem = nrp_to_problem(inst)
    return solve_lns(problem, SolveParams(seconds=seconds, workers=workers, seed=seed))
