"""A branch with a support team solved group by group: valid bound, validated roster, reproducible."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from roster_factories import FAST, NO_RULES, employee, problem

from scheduler.roster.decompose import (
    VIRTUAL_SUPPORT,
    group_given_support,
    relaxed_group_model,
    solve_branch,
    support_heads,
)
from scheduler.roster.domain import Cover, RosterProblem, RosterResult
from scheduler.roster.groups import group_subproblem
from scheduler.roster.model import build_model
from scheduler.roster.planning import build_problem
from scheduler.roster.presets import load_presets
from scheduler.roster.single import SolveParams, solve, solve_model
from scheduler.roster.solver import solve_roster
from scheduler.roster.synthetic import synthetic_branch
from scheduler.roster.validate import check_roster

START = dt.date(2025, 3, 3)  # a Monday


def _branch(seed: int = 3, technicians: int = 13, support: int = 2, days: int = 14) -> RosterProblem:
    techs, quotas = synthetic_branch(
        seed=seed, technicians=technicians, support=support, start=START, days=days
    )
    return build_problem(techs, quotas, START, days, "urban_dense", name="branch")


def test_a_branch_with_support_is_solved_by_decomposition_and_validated() -> None:
    p = _branch()
    r = solve_roster(p, SolveParams(seconds=6, workers=2, seed=0))
    assert r.info["method"] == "group decomposition"
    rep = check_roster(p, r.assignment, r.support_groups)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == r.objective
    assert r.bound is not None and r.objective is not None and r.bound <= r.objective


def test_the_relaxation_bound_is_below_the_true_optimum() -> None:
    """On a branch small enough for CP-SAT to prove its optimum, the decomposition's bound is ≤ it."""
    p = _branch(seed=1, technicians=8, support=1, days=7)
    exact = solve(p, SolveParams(seconds=30, workers=2, seed=0))
    assert exact.status == "OPTIMAL" and exact.objective is not None
    r = solve_branch(p, SolveParams(seconds=6, workers=2, seed=0))
    assert r.bound is not None and r.objective is not None
    assert r.bound <= exact.objective <= r.objective
    assert (r.status == "OPTIMAL") == (r.objective == r.bound)


def test_the_same_seed_and_budget_give_the_same_roster() -> None:
    """Sub-solves stop on CP-SAT's deterministic time: the roster does not depend on machine load."""
    p = _branch(seed=4)
    first = solve_branch(p, SolveParams(seconds=6, workers=2, seed=0))
    second = solve_branch(p, SolveParams(seconds=6, workers=2, seed=0))
    assert first.assignment == second.assignment and first.objective == second.objective


def test_the_relaxation_prices_virtual_support_heads_exactly() -> None:
    """One technician, quota 2 on 2 days: with one virtual head a day at 7 the relaxed group costs
    2 × 7 = 14 (the heads as ``virtual_support`` terms); at 150 a missing head (100) is cheaper: 200.
    The group's own model, built from the business rules alone, has no virtual heads: 200."""
    p = problem(n=1, horizon=2, quota=2, rules=NO_RULES)
    cheap = solve_model(relaxed_group_model(p, "G1", heads=1, price=7), FAST)
    assert cheap.objective == 14
    assert [(line.rule, line.cost, line.day) for line in cheap.breakdown] == [
        (VIRTUAL_SUPPORT, 7, 0),
        (VIRTUAL_SUPPORT, 7, 1),
    ]
    assert solve_model(relaxed_group_model(p, "G1", heads=1, price=150), FAST).objective == 200
    plain = build_model(group_subproblem(p, "G1"))
    assert all(pen.rule != VIRTUAL_SUPPORT for pen in plain.penalties)
    assert solve_model(plain, FAST).objective == 200


def test_a_replacement_must_name_a_registered_rule() -> None:
    """``build_model(replace=...)`` rejects a rule name the registry does not know."""
    with pytest.raises(ValueError, match="no_such_rule"):
        build_model(problem(n=1, horizon=2), replace={"no_such_rule": lambda v, p: []})


def test_support_heads_are_taken_off_the_groups_quotas() -> None:
    p = RosterProblem(
        horizon=2,
        shifts=_branch().shifts,
        employees=(employee(1, "G1"), employee(2, "G2"), employee(9, support=True)),
        covers=(
            Cover(day=0, group_id="G1", requirement=2),
            Cover(day=1, group_id="G1", requirement=0),
            Cover(day=0, group_id="G2", requirement=1),
        ),
    )
    result = RosterResult(
        name="x",
        status="FEASIBLE",
        objective=0,
        bound=0,
        seconds=0,
        assignment={"E9": ["D", "D"]},
        support_groups={"E9": ["G1", "G1"]},
    )
    heads = support_heads(result)
    assert heads == {("G1", 0): 1, ("G1", 1): 1}
    sub = group_given_support(p, "G1", heads)
    assert [c.requirement for c in sub.covers] == [1, 0]  # never below zero
    assert [e.id for e in sub.employees] == ["E1"]


def test_a_group_whose_own_rules_clash_makes_the_branch_infeasible() -> None:
    """Seven fixed working days break the weekly rest of one member: no roster, the group named."""
    p = _branch(seed=2, days=7)
    member = next(e for e in p.employees if not e.support)
    clash = p.model_copy(update={"fixed": {member.id: dict.fromkeys(range(7), "D")}})
    r = solve_roster(clash, SolveParams(seconds=4, workers=2, seed=0))
    assert r.status == "INFEASIBLE" and r.info["infeasible_groups"] == [member.group_id]


def test_when_support_is_scarce_a_head_is_priced_as_a_missing_head_and_the_bound_stays_valid() -> None:
    """Quotas above the staff: the under-cover weight as price gives the bound, still ≤ the optimum."""
    techs, quotas = synthetic_branch(seed=1, technicians=8, support=1, start=START, days=7)
    heavy = {g: {d: n + 3 for d, n in per_day.items()} for g, per_day in quotas.items()}
    p = build_problem(techs, heavy, START, 7, "urban_dense", name="short")
    exact = solve(p, SolveParams(seconds=30, workers=2, seed=0))
    assert exact.status == "OPTIMAL" and exact.objective is not None
    r = solve_branch(p, SolveParams(seconds=6, workers=2, seed=0))
    assert r.bound is not None and r.objective is not None
    assert r.bound <= exact.objective <= r.objective
    under = max(c.weight_under for c in p.covers)
    assert r.info["price"] == under and r.info["bound_by_price"][under] > r.info["bound_by_price"][2]
    assert check_roster(p, r.assignment, r.support_groups).objective == r.objective


def test_free_support_is_priced_as_a_missing_head_for_the_bound() -> None:
    """peak_season: support costs nothing, so only the under-cover price bounds anything."""
    techs, quotas = synthetic_branch(seed=1, technicians=8, support=1, start=START, days=7)
    p = build_problem(techs, quotas, START, 7, "peak_season", name="peak")
    assert p.rules.support_use_weight == 0
    exact = solve(p, SolveParams(seconds=30, workers=2, seed=0))
    r = solve_branch(p, SolveParams(seconds=6, workers=2, seed=0))
    assert set(r.info["bound_by_price"]) == {0, max(c.weight_under for c in p.covers)}
    assert r.bound is not None and exact.objective is not None and r.objective is not None
    assert r.bound <= exact.objective <= r.objective


def test_shift_specific_group_covers_are_solved_as_one_model() -> None:
    """Virtual support heads count only towards any-shift covers: shift covers keep the whole model."""
    p = _branch(seed=3, days=7)
    shifted = p.model_copy(update={"covers": tuple(c.model_copy(update={"shift": "D"}) for c in p.covers)})
    r = solve_roster(shifted, SolveParams(seconds=4, workers=2, seed=0))
    assert r.feasible and "method" not in r.info
    assert check_roster(shifted, r.assignment, r.support_groups).objective == r.objective


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    preset=st.sampled_from(sorted(load_presets())),
    seed=st.integers(0, 50),
    extra=st.integers(0, 3),
)
def test_the_decomposition_bound_never_exceeds_the_optimum(preset: str, seed: int, extra: int) -> None:
    """Any operating model, any quotas (up to 3 above the fitted ones): bound ≤ optimum ≤ roster."""
    techs, quotas = synthetic_branch(seed=seed, technicians=8, support=1, start=START, days=7)
    heavy = {g: {d: n + extra for d, n in per_day.items()} for g, per_day in quotas.items()}
    p = build_problem(techs, heavy, START, 7, preset, name="any")
    exact = solve(p, SolveParams(seconds=30, workers=2, seed=0))
    r = solve_branch(p, SolveParams(seconds=4, workers=2, seed=0))
    if exact.status != "OPTIMAL":
        assert exact.status == "INFEASIBLE" and r.status == "INFEASIBLE"
        return
    assert r.bound is not None and exact.objective is not None and r.objective is not None
    assert r.bound <= exact.objective <= r.objective
    assert check_roster(p, r.assignment, r.support_groups).objective == r.objective
