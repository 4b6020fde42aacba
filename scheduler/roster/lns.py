"""Large-neighbourhood search on top of CP-SAT, for the Curtois–Qu benchmark and large models.

:func:`solve_lns`: CP-SAT for a first roster and the bound, then our own large-neighbourhood
search (random employees, windows of days, blocks, days short of cover, region groups with the
support team), one single-worker CP-SAT sub-solve per core, sharing one incumbent. Above
:data:`LARGE_MODEL` shift variables the search starts from :func:`employee_by_employee`.
Built on the single solve (:mod:`scheduler.roster.single`) and the model builder.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from scheduler.roster.domain import Assignment, RosterProblem, RosterResult
from scheduler.roster.model import BuiltModel, build_model, tighten
from scheduler.roster.single import (
    STATUS_NAMES,
    SolutionCallback,
    SolveParams,
    SolveProgress,
    ValueReader,
    add_hint,
    breakdown,
    check_objective,
    extract,
    int_bound,
    make_solver,
    solution_objective,
)

log = logging.getLogger(__name__)


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
    #: the whole budget in CP-SAT deterministic time, when a caller has already spent part of
    #: ``SolveParams.seconds`` (None: ``seconds × deterministic_per_second``)
    budget: float | None = None


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
    known_bound: int | None = None,
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

    A ``hint`` is also a candidate roster of its own (completed by :func:`complete_roster`), so a
    first solve stopped by its budget never loses it. ``known_bound``: a lower bound proven by the
    caller (e.g. column generation's LP bound); the search stops when it reaches it and the
    result reports the larger of it and CP-SAT's.
    """
    params = params or SolveParams()
    lns = lns or LnsParams()
    t0 = time.monotonic()
    deadline = t0 + params.seconds
    budget = lns.budget if lns.budget is not None else params.seconds * lns.deterministic_per_second
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
        status = solver.solve(built.model, SolveProgress(on_solution, stop))
        found = (
            list(solver.response_proto.solution) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
        )
        return status, found, solver.best_objective_bound, solver.deterministic_time

    early: list[tuple[Any, list[int], float, float]] = []
    if hint is not None and hint_groups is None:
        # the hint itself is a candidate: a first lane stopped by its budget may find nothing
        start, used = complete_roster(built, hint, params.seed, deadline)
        add_hint(built, hint, hint_groups)
        if start is not None:
            early.append((cp_model.FEASIBLE, start, 0.0, used))
    if len(built.vars.x) > LARGE_MODEL:
        # very large rosters: the first solves rarely find a roster in their budget; start from
        # each employee's own row at once and hint it to them
        start, used = employee_by_employee(problem, built, params, deadline)
        if start is not None:
            early.append((cp_model.FEASIBLE, start, 0.0, used))
            _clear_hints(built)
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
            status=STATUS_NAMES.get(worst, str(worst)),
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
    bound = max([int_bound(out[2]) for out in lanes_out] + ([known_bound] if known_bound is not None else []))
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
    final = ValueReader(best)
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
                own.model.clear_objective()  # type: ignore[no-untyped-call]  # unannotated in ortools 9.15
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
    values, used = complete_roster(built, assignment, params.seed, deadline)
    return values, spent + used


def complete_roster(
    built: BuiltModel, assignment: Assignment, seed: int, deadline: float
) -> tuple[list[int] | None, float]:
    """The full solution vector of ``built`` for a given roster, and the deterministic time it took.

    Every shift variable is fixed to the roster (hinted with CP-SAT's
    ``fix_variables_to_their_hinted_value``), so CP-SAT only derives the rest (cover slacks,
    weekend flags). None when the roster breaks a hard rule. The model's hints are cleared after.
    """
    _clear_hints(built)
    add_hint(built, assignment)
    solver = make_solver(SolveParams(seconds=max(0.5, deadline - time.monotonic()), workers=1, seed=seed))
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(built.model)
    _clear_hints(built)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.deterministic_time
    return list(solver.response_proto.solution), solver.deterministic_time


def _clear_hints(built: BuiltModel) -> None:
    """Remove every hint from the model (``CpModel.clear_hints`` left hints added earlier in
    ortools 9.15, and CP-SAT rejects a model hinting one variable twice)."""
    hint = built.model.proto.solution_hint
    hint.vars.clear()
    hint.values.clear()


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
