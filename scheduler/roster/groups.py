"""Region groups solved apart: a group's own sub-problem, and the group-parallel branch strategy.

Every rule except coverage concerns one technician or one group, so a branch without a support
team (covers all naming a group) falls apart into independent groups: :func:`solve_groups` solves
them in parallel threads (one CP-SAT worker each; CP-SAT releases the GIL) and the branch's bound
is the sum of theirs. :func:`group_subproblem` and :func:`groups_without_roster` are shared with
the decomposition of branches with a support team (:mod:`scheduler.roster.decompose`) and the
diagnosis (:mod:`scheduler.roster.diagnose`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from scheduler.roster.domain import Assignment, RosterProblem, RosterResult
from scheduler.roster.single import SolutionCallback, SolveParams, solve


def group_subproblem(problem: RosterProblem, group_id: str) -> RosterProblem:
    """The part of ``problem`` that concerns one region group (its members and its covers only)."""
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
        }
    )


def decomposable(problem: RosterProblem) -> bool:
    """Whether every cover names a group (so groups only meet through the support team)."""
    return (
        bool(problem.covers)
        and all(c.group_id is not None for c in problem.covers)
        and len(problem.groups()) > 1
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


def solve_groups(
    problem: RosterProblem,
    params: SolveParams,
    hint: Assignment | None = None,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> RosterResult:
    """Solve a :func:`decomposable` branch without a support team group by group, in parallel.

    Groups run ``params.workers`` at a time, one CP-SAT worker each, with an equal share of the
    time limit; the roster is the union of theirs, the objective and the bound the sums of theirs.
    """
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
