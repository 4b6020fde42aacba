"""The roster engine's entry point: :func:`solve_roster` picks the strategy for a branch.

The engine is layered, each module importing only those below it:

- :mod:`~scheduler.roster.domain` < :mod:`~scheduler.roster.variables` <
  :mod:`~scheduler.roster.rules` < :mod:`~scheduler.roster.model`: the problem, the decision
  variables, one function per business rule, the model builder;
- :mod:`~scheduler.roster.single`: one CP-SAT model solved once (:func:`solve`, :class:`SolveParams`);
- :mod:`~scheduler.roster.lns`: our large-neighbourhood search on top of CP-SAT (:func:`solve_lns`),
  which :mod:`~scheduler.roster.nrp_bench` uses for the Curtois–Qu benchmark (:func:`solve_nrp`);
- branch strategies: :mod:`~scheduler.roster.groups` (independent groups in parallel) and
  :mod:`~scheduler.roster.decompose` (a support team: a priced relaxation for the bound, then
  exact support and group steps);
- this module, on top: :func:`solve_roster`. It also re-exports the names the API, the jobs and
  the CLI import from here (:class:`SolveParams`, :func:`solve`, :func:`solve_nrp`).
"""

from __future__ import annotations

from collections.abc import Callable

from scheduler.roster.decompose import solve_branch, support_decomposable
from scheduler.roster.domain import Assignment, RosterProblem, RosterResult
from scheduler.roster.groups import decomposable, solve_groups
from scheduler.roster.nrp_bench import solve_nrp
from scheduler.roster.single import SolutionCallback, SolveParams, solve

__all__ = ["SolutionCallback", "SolveParams", "solve", "solve_nrp", "solve_roster"]


def solve_roster(
    problem: RosterProblem,
    params: SolveParams | None = None,
    hint: Assignment | None = None,
    on_solution: SolutionCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> RosterResult:
    """Solve a branch roster.

    Without a support team the region groups are independent: each is solved alone, in parallel
    threads (:func:`scheduler.roster.groups.solve_groups`), and the branch's bound is the sum of
    the groups' bounds. A support team couples the groups only through the support heads: the
    branch is then solved by :func:`scheduler.roster.decompose.solve_branch` (a priced relaxation
    per group for the bound, then exact support and group steps in turn). With a ``hint``
    (re-rostering from a published roster), or ``params.interleave``, or covers that name no
    group, the whole branch is one model solved by CP-SAT's portfolio, whose bound is then the
    branch's.

    Parameters
    ----------
    problem
        The branch's roster problem.
    params
        Time limit, workers, seed.
    hint
        A roster to start from (e.g. the published one when re-rostering).
    on_solution
        Called with (objective, seconds) at each improving roster.
    stop
        Polled during the search; returning True ends it with the best roster so far.
    """
    params = params or SolveParams()
    has_support = any(e.support for e in problem.employees)
    if support_decomposable(problem) and hint is None and not params.interleave:
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
    return solve_groups(problem, params, hint, on_solution, stop)
