"""The solver's accounting: named penalty terms, the model objective and the validator agree."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from ortools.sat.python import cp_model
from roster_factories import FAST, problem

from scheduler.roster.lns import LnsParams, employee_by_employee, solve_lns
from scheduler.roster.model import build_model, tighten
from scheduler.roster.planning import build_problem
from scheduler.roster.single import (
    ObjectiveMismatch,
    SolveParams,
    ValueReader,
    breakdown,
    check_objective,
    extract,
    make_solver,
    solution_objective,
    solve,
)
from scheduler.roster.solver import solve_roster
from scheduler.roster.synthetic import synthetic_branch
from scheduler.roster.validate import check_roster

START = dt.date(2025, 3, 3)  # a Monday


def test_check_objective_raises_on_disagreement() -> None:
    check_objective(220, 220, "same")
    with pytest.raises(ObjectiveMismatch, match="220.*230"):
        check_objective(220, 230, "stale")


def test_named_terms_equal_the_model_objective_on_any_solution() -> None:
    """Every solution CP-SAT reports, optimal or not, is worth the sum of its named terms."""
    techs, q = synthetic_branch(seed=5, technicians=12, support=2, start=START, days=14)
    p = build_problem(techs, q, START, 14, "urban_dense")
    built = build_model(p)
    solver = make_solver(SolveParams(seconds=3.0, workers=1, seed=0))
    status = solver.solve(built.model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    terms = sum(line.cost for line in breakdown(built, solver))
    assert terms == solution_objective(built.model, solver)
    assert terms == solution_objective(built.model, list(solver.response_proto.solution))


def test_solve_reports_the_objective_the_validator_recomputes() -> None:
    p = problem(n=4, horizon=14, quota=3, over=1)
    r = solve(p, FAST)
    assert r.status == "OPTIMAL"
    rep = check_roster(p, r.assignment)
    assert rep.feasible and rep.objective == r.objective == r.bound


def test_branch_without_support_is_solved_group_by_group() -> None:
    """Independent groups solved in parallel: objective and bound are the sums over the groups."""
    techs, q = synthetic_branch(seed=2, technicians=12, support=0, start=START, days=14)
    p = build_problem(techs, q, START, 14, "urban_dense")
    assert len(p.groups()) > 1 and not any(e.support for e in p.employees)
    r = solve_roster(p, SolveParams(seconds=6, workers=2, seed=0))
    assert r.feasible and set(r.info["groups"]) == set(p.groups())
    rep = check_roster(p, r.assignment, r.support_groups)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == r.objective
    assert r.bound is not None and r.bound <= r.objective


def test_tighten_never_leaves_under_and_over_cover_together() -> None:
    """Cover slack is one equality; ``tighten`` restores the exact cost of a padded solution."""
    p = problem(n=3, horizon=7, quota=2, over=1)
    built = build_model(p)
    solver = make_solver(SolveParams(seconds=5.0, workers=1, seed=0))
    assert solver.solve(built.model) == cp_model.OPTIMAL
    exact = tighten(built.vars, list(solver.response_proto.solution))
    padded = list(exact)
    under, over = built.vars.cover_slack[0]
    padded[under.index] += 1
    padded[over.index] += 1  # still satisfies count + under - over == requirement
    assert solution_objective(built.model, padded) == solution_objective(built.model, exact) + 100 + 1
    assert tighten(built.vars, padded) == exact


def test_lns_gives_the_same_roster_for_the_same_seed_and_budget() -> None:
    """The LNS budget is CP-SAT's deterministic time: two runs agree move for move."""
    techs, q = synthetic_branch(seed=7, technicians=14, support=2, start=START, days=14)
    p = build_problem(techs, q, START, 14, "urban_dense")
    # a small deterministic budget (0.6) under a generous wall-clock safety stop
    lns = LnsParams(deterministic_per_second=0.02, step_seconds=2.0)
    runs = [solve_lns(p, SolveParams(seconds=30, workers=2, seed=3), lns) for _ in range(2)]
    assert runs[0].info["stopped_by"] in ("deterministic budget", "optimal")
    assert runs[0].assignment == runs[1].assignment and runs[0].objective == runs[1].objective
    assert runs[0].info["lns_iterations"] == runs[1].info["lns_iterations"]
    rep = check_roster(p, runs[0].assignment, runs[0].support_groups)
    assert rep.feasible and rep.objective == runs[0].objective


def test_a_start_made_of_each_employees_own_row_is_a_feasible_roster() -> None:
    """Hard rules are per employee: rows found one by one form a roster the validator accepts."""
    techs, q = synthetic_branch(seed=3, technicians=10, support=0, start=START, days=14)
    p = build_problem(techs, q, START, 14, "rural")  # runs of 3+ work days and 2+ rest days
    built = build_model(p)
    start, used = employee_by_employee(
        p, built, SolveParams(seconds=20, workers=2, seed=0), time.monotonic() + 20
    )
    assert start is not None and used > 0
    assignment, _ = extract(built, ValueReader(start))
    rep = check_roster(p, assignment)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == solution_objective(built.model, start)
