"""A branch with a support team, solved group by group: a priced relaxation for the bound, then
alternating exact steps for the roster.

Region groups share nothing but the support team: every rule except coverage concerns one
technician or one group, and a support member counts towards the cover of the one group he serves
that day. So:

1. **Relaxation (the bound).** A Lagrangian relaxation of "each support head serves one group":
   every support head is given a price λ. Each group is solved alone with up to as many *virtual*
   support heads a day as the team has members, each costing λ and free of any rule of its own
   (:func:`relaxed_group_model`); the support team is solved alone with each working day costing
   its support-use weight w minus λ (:func:`support_alone_bound`). For any λ the sum of these
   optima is at most the branch's optimum: in a branch roster the support heads the groups use
   are exactly the days the team works, so the λ terms cancel. Two prices are tried, side by
   side: λ = w (tight when support is plentiful: a head costs what it costs) and λ = the
   under-cover weight (tight when the branch is short, as the demo city is: a head is worth a
   missing head); the better bound is kept. Groups run in parallel, one CP-SAT worker each; a
   solve stopped by its limit contributes its proven bound, so every sum stays valid. (The best λ
   per day — column generation — proved 185 on the demo branch with synthetic quotas where λ = w
   gives 168, but took some 30 rounds of all groups: far beyond 10 s.)

   The virtual heads belong to this strategy, not to the cover rule: a group's relaxed model runs
   every business rule as registered, except that coverage is replaced
   (``build_model(..., replace=...)``) by :func:`priced_support_cover`, which applies the same
   quota rule (:func:`scheduler.roster.rules.cover_quota`) to a count that includes the virtual
   heads.
2. **Support step.** The group members keep the rows of the last group step; the full branch model
   is solved for the support team alone (who works which day, for which group): exact, and its
   objective is the branch's true objective (every term, recomputed from the solution).
3. **Group step.** Each group is re-solved with the support heads the last support step gave it
   taken off its quotas (over-supply keeps its over-cover cost), in parallel.
4. Steps 2 and 3 alternate while the objective improves and time remains; the best branch roster
   (always one read from a full-model solve) is returned with the bound of step 1; the start
   is the relaxed rows of the price that gave that bound.

Neighbourhood searches on the whole branch from CP-SAT's first solution spend their time
repairing a poor start (measured on the demo branch in 10 s: 325 against this method's 211); the
group steps start from solutions that are already optimal for each group.

Reproducibility: every sub-solve has a deterministic-time limit (CP-SAT's own work counter) and a
fixed seed, and the loop's decisions depend only on their results, so the same problem, seed and
budget give the same roster on any machine load. The wall-clock limit is only a safety stop
(``SolveParams.seconds``); when it cuts a sub-solve short, that solve's best result is used.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ortools.sat.python import cp_model

from scheduler.roster.domain import RosterProblem, RosterResult
from scheduler.roster.groups import decomposable, group_subproblem, groups_without_roster
from scheduler.roster.model import BuiltModel, build_model
from scheduler.roster.rules import RuleFn, cover_count, cover_quota
from scheduler.roster.single import SolutionCallback, SolveParams, make_solver, solve, solve_model
from scheduler.roster.variables import Penalty, RosterVars

#: deterministic-time limit of one group solve, per second of the budget (0.3 at 10 s). CP-SAT's
#: deterministic time ran about 3× slower than the wall clock on the 2-core machine of the
#: benchmarks, and most demo groups are solved to optimality in under 0.1 of it
GROUP_SLICE_PER_SECOND = 0.03
#: deterministic-time limit of one support step, per second of the budget
SUPPORT_SLICE_PER_SECOND = 0.05
#: most alternations of support and group steps (they usually settle after one or two)
MAX_ROUNDS = 4
#: joint steps (support team + a few groups) per second of the budget, groups freed in each, and
#: the deterministic-time limit of each per second of the budget
JOINT_STEPS_PER_SECOND = 0.3
JOINT_GROUPS = 3
JOINT_SLICE_PER_SECOND = 0.03
#: the penalty term of the relaxation's virtual support heads (never in a branch roster's breakdown)
VIRTUAL_SUPPORT = "virtual_support"


def support_decomposable(problem: RosterProblem) -> bool:
    """Whether :func:`solve_branch` applies: a :func:`~scheduler.roster.groups.decomposable` branch,
    a support team, and group covers for any shift (the virtual support heads count towards those only)."""
    return (
        decomposable(problem)
        and any(e.support for e in problem.employees)
        and all(c.shift is None for c in problem.covers)
    )


def priced_support_cover(heads: int, price: int) -> RuleFn:
    """The cover rule of a group's relaxed problem: up to ``heads`` virtual support heads a day.

    Each any-shift group cover counts, besides the group's own heads, up to ``heads`` support heads
    of its (group, day), free of any rule of their own and costing ``price`` each (one
    :data:`VIRTUAL_SUPPORT` term per group-day); the quota itself is the business rule's,
    :func:`scheduler.roster.rules.cover_quota`.
    """

    def cover_with_virtual_support(v: RosterVars, p: RosterProblem) -> list[Penalty]:
        out: list[Penalty] = []
        virtual: dict[tuple[str, int], cp_model.IntVar] = {}
        for i, c in enumerate(p.covers):
            count = cover_count(v, p, i)
            if heads > 0 and c.group_id is not None and c.shift is None:
                key = (c.group_id, c.day)
                if key not in virtual:
                    virtual[key] = v.model.new_int_var(0, heads, f"virtual_support[{c.group_id},{c.day}]")
                    out.append(
                        Penalty(
                            VIRTUAL_SUPPORT,
                            price,
                            virtual[key],
                            None,
                            c.group_id,
                            c.day,
                            "virtual support heads",
                        )
                    )
                count = cp_model.LinearExpr.sum([count, virtual[key]])
            out.extend(cover_quota(v, p, i, count))
        return out

    return cover_with_virtual_support


def relaxed_group_model(problem: RosterProblem, group_id: str, heads: int, price: int) -> BuiltModel:
    """The model of one group's part of the relaxation: the group alone (:func:`group_subproblem`),
    every rule as registered, the cover rule with :func:`priced_support_cover` heads."""
    return build_model(
        group_subproblem(problem, group_id), replace={"cover": priced_support_cover(heads, price)}
    )


def support_heads(result: RosterResult) -> dict[tuple[str, int], int]:
    """Support heads each group gets on each day in a solved branch roster."""
    heads: dict[tuple[str, int], int] = {}
    for groups in result.support_groups.values():
        for day, group in enumerate(groups):
            if group is not None:
                heads[group, day] = heads.get((group, day), 0) + 1
    return heads


def group_given_support(
    problem: RosterProblem, group_id: str, heads: dict[tuple[str, int], int]
) -> RosterProblem:
    """The group's own problem with the support heads it is given taken off its quotas.

    A cover asking for fewer heads than support gives is set to 0; its over-cover is then paid by
    the support step, which sees the whole branch.
    """
    sub = group_subproblem(problem, group_id)
    covers = tuple(
        c.model_copy(update={"requirement": max(0, c.requirement - heads.get((group_id, c.day), 0))})
        if c.shift is None and c.skill is None
        else c
        for c in sub.covers
    )
    return sub.model_copy(update={"covers": covers})


def _rows(results: Sequence[RosterResult]) -> dict[str, dict[int, str | None]]:
    return {emp: dict(enumerate(row)) for r in results for emp, row in r.assignment.items()}


def _heads_of(heads: dict[tuple[str, int], int], group_id: str) -> dict[int, int]:
    return {d: k for (g, d), k in heads.items() if g == group_id and k}


def _virtual_heads(relaxed: RosterResult, weight: int) -> dict[int, int] | None:
    """Virtual support heads per day in a relaxed group solution (None: not readable, weight 0)."""
    if weight <= 0:
        return None
    out: dict[int, int] = {}
    for line in relaxed.breakdown:
        if line.rule == VIRTUAL_SUPPORT and line.day is not None:
            out[line.day] = out.get(line.day, 0) + line.cost // weight
    return out


def solve_branch(
    problem: RosterProblem,
    params: SolveParams,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> RosterResult:
    """Solve a decomposable branch with a support team (see the module's description)."""
    t0 = time.monotonic()
    groups = problem.groups()
    support = [e for e in problem.employees if e.support]
    group_slice = GROUP_SLICE_PER_SECOND * params.seconds
    support_slice = SUPPORT_SLICE_PER_SECOND * params.seconds

    def sub_params(budget: float, minimum: float = 0.05) -> SolveParams:
        # one worker and a deterministic limit: reproducible; the wall clock is a safety stop only
        left = max(minimum, params.seconds - (time.monotonic() - t0))
        return SolveParams(seconds=left, deterministic_seconds=budget, workers=1, seed=params.seed)

    def parallel(fn: Callable[[str], RosterResult]) -> list[RosterResult]:
        with ThreadPoolExecutor(max_workers=params.workers) as pool:
            return list(pool.map(fn, groups))

    weight = problem.rules.support_use_weight
    scarce_price = max([weight] + [c.weight_under for c in problem.covers])

    def relax(price: int) -> tuple[list[RosterResult], int | None]:
        def relaxed_part(g: str) -> RosterResult:
            step = sub_params(group_slice)
            return solve_model(relaxed_group_model(problem, g, len(support), price), step)

        parts = parallel(relaxed_part)
        return parts, support_alone_bound(problem, price, sub_params(group_slice))

    relaxed, team = relax(weight)
    failed = groups_without_roster(problem, groups, relaxed, t0)
    if failed is not None:
        return failed
    if team is None:  # the support team's own hard rules clash
        no_team = groups_without_roster(problem, ["support team"], [_NO_ROSTER], t0)
        assert no_team is not None  # _NO_ROSTER has no roster
        return no_team
    bounds = {weight: sum(r.bound or 0 for r in relaxed) + team}
    price = weight
    demanded = sum(sum((_virtual_heads(r, weight) or {}).values()) for r in relaxed)
    if scarce_price > weight and (weight == 0 or demanded > _support_days_available(problem)):
        # the groups ask for more support than the team can give (or support is free, so the
        # first price bounds nothing): a head is worth a missing head
        scarce, team = relax(scarce_price)
        if team is not None and all(r.feasible for r in scarce):
            bounds[scarce_price] = sum(r.bound or 0 for r in scarce) + team
            if bounds[scarce_price] > bounds[weight]:
                relaxed, price = scarce, scarce_price
    bound = bounds[price]

    rows = {g: _rows([r]) for g, r in zip(groups, relaxed, strict=True)}
    # the support heads each group's rows were optimal for (the relaxation's virtual heads)
    wanted = {g: _virtual_heads(r, price) for g, r in zip(groups, relaxed, strict=True)}
    best: RosterResult | None = None
    history: list[int] = []
    for _ in range(MAX_ROUNDS):
        fixed = {k: dict(v) for k, v in problem.fixed.items()}
        for group_rows in rows.values():
            fixed.update(group_rows)
        # the support step is never skipped: the roster returned always comes from a full-model solve
        branch = solve(problem.model_copy(update={"fixed": fixed}), sub_params(support_slice, minimum=1.0))
        if not branch.feasible:
            break
        history.append(branch.objective or 0)
        improved = best is None or (branch.objective or 0) < (best.objective or 0)
        if improved:
            best = branch
            if on_solution is not None:
                on_solution(branch.objective or 0, time.monotonic() - t0)
        if not improved or (branch.objective or 0) <= bound:
            break
        if (stop is not None and stop()) or time.monotonic() - t0 > params.seconds:
            break  # asked to stop, or a safety stop on an overloaded machine: the best so far
        heads = support_heads(branch)
        # a group whose rows were optimal for exactly the heads it now gets keeps them
        redo = [g for g in groups if _heads_of(heads, g) != wanted[g]]
        if not redo:
            break

        def step(g: str, heads: dict[tuple[str, int], int] = heads) -> RosterResult:
            hint = {k: [row[d] for d in range(problem.horizon)] for k, row in rows[g].items()}
            return solve(group_given_support(problem, g, heads), sub_params(group_slice), hint)

        with ThreadPoolExecutor(max_workers=params.workers) as pool:
            stepped = list(pool.map(step, redo))
        for g, r in zip(redo, stepped, strict=True):
            if r.feasible:  # else (stopped before any roster) the group keeps its rows
                rows[g] = _rows([r])
                wanted[g] = _heads_of(heads, g)
    if best is not None:
        best = _joint_steps(problem, best, bound, params, sub_params, on_solution, stop, t0)
    seconds = time.monotonic() - t0
    if best is None:
        return RosterResult(
            name=problem.name, status="UNKNOWN", objective=None, bound=bound, seconds=seconds, assignment={}
        )
    objective = best.objective or 0
    return best.model_copy(
        update={
            "name": problem.name,
            "status": "OPTIMAL" if objective <= bound else "FEASIBLE",
            "bound": min(bound, objective),
            "seconds": seconds,
            "info": {
                "method": "group decomposition",
                "relaxation": {g: r.status for g, r in zip(groups, relaxed, strict=True)},
                "bound_by_price": bounds,
                "price": price,
                "objectives": history,
            },
        }
    )


def _support_days_available(problem: RosterProblem) -> int:
    """Most days the support team could work in the horizon (leave and total-minute limits only)."""
    shortest = min(s.minutes for s in problem.shifts)
    total = 0
    for emp in problem.employees:
        if emp.support:
            days = problem.horizon - len(problem.days_off.get(emp.id, ()))
            if emp.max_total_minutes is not None:
                days = min(days, emp.max_total_minutes // shortest)
            total += max(0, days)
    return total


def support_alone_bound(problem: RosterProblem, price: int, params: SolveParams) -> int | None:
    """Lower bound of the support team's own part of the relaxation at head price ``price``.

    The team alone (its rules, requests, leave and history), each working day costing its
    support-use weight minus ``price`` (negative when a head is worth more than it costs: the team
    then works as much as its rules allow), every other term of its members at its weight.
    None when the team's own hard rules clash (then no branch roster exists).
    """
    members = tuple(e for e in problem.employees if e.support)
    if not members:
        return 0
    ids = {e.id for e in members}
    alone = problem.model_copy(
        update={
            "name": f"{problem.name}/support",
            "employees": members,
            "covers": (),
            "requests": tuple(r for r in problem.requests if r.employee in ids),
        }
    )
    built = build_model(alone)
    # each working day at w − price, whether or not the preset prices support use (w may be 0)
    weight = problem.rules.support_use_weight
    terms: list[cp_model.LinearExprT] = [
        (weight - price) * built.vars.works(e, d) for e in range(len(members)) for d in range(problem.horizon)
    ]
    offset = 0
    for pen in built.penalties:
        if pen.rule == "support_use":
            continue  # counted above
        if isinstance(pen.expr, int):
            offset += pen.weight * pen.expr
        else:
            terms.append(pen.weight * pen.expr)
    built.model.minimize(sum(terms) + offset)
    solver = make_solver(params)
    status = solver.solve(built.model)
    if solver.status_name(status) not in ("OPTIMAL", "FEASIBLE"):
        raise RuntimeError(
            f"support team of {problem.name}: no roster of its own ({solver.status_name(status)})"
        )
    return math.floor(solver.best_objective_bound + 1e-6)


def _joint_steps(
    problem: RosterProblem,
    best: RosterResult,
    bound: int,
    params: SolveParams,
    sub_params: Callable[[float], SolveParams],
    on_solution: SolutionCallback | None,
    stop: Callable[[], bool] | None,
    t0: float,
) -> RosterResult:
    """Re-solve the support team with a few groups at once (the other groups fixed), from the best.

    The alternation settles where no single group nor the support team alone can improve; moving a
    support head from one group to another while both change their rests needs them together.
    Each step frees the support team and :data:`JOINT_GROUPS` groups, drawn (seeded) with weights
    by their current penalties, and keeps the result when it is better. The number of steps is
    fixed by the budget (:data:`JOINT_STEPS_PER_SECOND`), not by the clock, for reproducibility.
    """
    rng = random.Random(params.seed)
    groups = problem.groups()
    members: dict[str, list[str]] = {g: [] for g in groups}
    for emp in problem.employees:
        if not emp.support and emp.group_id in members:
            members[emp.group_id].append(emp.id)
    for _ in range(int(JOINT_STEPS_PER_SECOND * params.seconds)):
        if (best.objective or 0) <= bound or (stop is not None and stop()):
            break
        if time.monotonic() - t0 > params.seconds:
            break
        cost = {g: 1 for g in groups}
        for line in best.breakdown:
            if line.group_id in cost and line.rule != "support_use":
                cost[line.group_id] += line.cost
        chosen: set[str] = set()
        while len(chosen) < min(JOINT_GROUPS, len(groups)):
            chosen.add(rng.choices(groups, weights=[cost[g] for g in groups])[0])
        fixed = {k: dict(v) for k, v in problem.fixed.items()}
        for g in groups:
            if g not in chosen:
                for emp_id in members[g]:
                    fixed[emp_id] = dict(enumerate(best.assignment[emp_id]))
        step = solve(
            problem.model_copy(update={"fixed": fixed}),
            sub_params(JOINT_SLICE_PER_SECOND * params.seconds),
            best.assignment,
            hint_groups=best.support_groups,
        )
        if step.feasible and (step.objective or 0) < (best.objective or 0):
            best = step
            if on_solution is not None:
                on_solution(step.objective or 0, time.monotonic() - t0)
    return best


_NO_ROSTER = RosterResult(
    name="support team", status="INFEASIBLE", objective=None, bound=None, seconds=0, assignment={}
)
