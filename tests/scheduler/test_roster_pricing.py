"""Column generation: the pricing DP against brute force, the master's bound, rosters from columns."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from roster_factories import shared_dir

from scheduler.roster.colgen import column_generation, solve_colgen
from scheduler.roster.nrp import nrp_to_problem, read_nrp
from scheduler.roster.nrp_bench import method_for
from scheduler.roster.pricing import REST, ScheduleRules, brute_force, price, rules_for
from scheduler.roster.single import SolveParams
from scheduler.roster.validate import check_nrp

DATA = Path(__file__).parent / "data"
INSTANCE1 = DATA / "nrp_Instance1.txt"


def tiny_rules(draw: st.DrawFn) -> ScheduleRules:
    """A random employee over a horizon short enough to enumerate every schedule."""
    horizon = draw(st.integers(3, 8))
    n_shifts = draw(st.integers(1, 3))
    minutes = tuple(draw(st.sampled_from([240, 360, 480])) for _ in range(n_shifts))
    pairs = [(a, b) for a in range(n_shifts) for b in range(n_shifts)]
    forbidden = frozenset(p for p in pairs if draw(st.booleans()) and draw(st.booleans()))
    days_off = frozenset(d for d in range(horizon) if draw(st.integers(0, 5)) == 0)
    max_count = tuple(draw(st.one_of(st.none(), st.integers(0, horizon))) for _ in range(n_shifts))
    most = horizon * max(minutes)
    lo = draw(st.integers(0, most // 2))
    hi = draw(st.one_of(st.none(), st.integers(lo, most)))
    first = draw(st.integers(0, 6))
    weekend_of = tuple(((first + d) // 7) if (first + d) % 7 >= 5 else None for d in range(horizon))
    return ScheduleRules(
        employee="E",
        horizon=horizon,
        shifts=tuple(f"S{k}" for k in range(n_shifts)),
        minutes=minutes,
        forbidden=forbidden,
        days_off=days_off,
        max_count=max_count,
        min_minutes=lo,
        max_minutes=hi,
        max_run=draw(st.one_of(st.none(), st.integers(1, 5))),
        min_run=draw(st.integers(1, 3)),
        min_off=draw(st.integers(1, 3)),
        weekend_of=weekend_of,
        max_weekends=draw(st.one_of(st.none(), st.integers(0, 2))),
    )


@st.composite
def priced_case(draw: st.DrawFn) -> tuple[ScheduleRules, list[list[float]]]:
    rules = tiny_rules(draw)
    costs = [
        [float(draw(st.integers(-50, 50))) for _ in range(len(rules.shifts) + 1)]
        for _ in range(rules.horizon)
    ]
    return rules, costs


@settings(max_examples=150, deadline=None)
@given(priced_case())
def test_pricing_finds_the_brute_force_optimum(case: tuple[ScheduleRules, list[list[float]]]) -> None:
    """The DP's cheapest schedule costs exactly what enumerating every schedule finds (or both
    find none), and every schedule it returns keeps every hard rule (checked directly)."""
    rules, costs = case
    found = price(rules, costs, best=3)
    truth = brute_force(rules, costs)
    if truth is None:
        assert found == []
        return
    assert found and math.isclose(found[0].cost, truth.cost)
    for f in found:
        assert rules.feasible(f.schedule)
        assert math.isclose(rules.cost(f.schedule, costs), f.cost)


@settings(max_examples=100, deadline=None)
@given(priced_case(), st.integers(-60, 60))
def test_pricing_threshold_is_exact_below_and_proves_above(
    case: tuple[ScheduleRules, list[list[float]]], threshold: int
) -> None:
    """With a threshold, the DP returns the true optimum when it is below it, and nothing proves
    every feasible schedule costs at least the threshold."""
    rules, costs = case
    found = price(rules, costs, best=1, threshold=float(threshold))
    truth = brute_force(rules, costs)
    if truth is not None and truth.cost < threshold - 1e-6:
        assert found and math.isclose(found[0].cost, truth.cost)
    else:
        assert not found


def test_rules_feasible_matches_the_benchmark_validator() -> None:
    """`ScheduleRules.feasible` agrees with `check_nrp` on random rows of Instance 1's employees."""
    inst = read_nrp(INSTANCE1)
    problem = nrp_to_problem(inst)
    rng = random.Random(0)
    for emp in problem.employees:
        rules = rules_for(problem, emp)
        for _ in range(300):
            sched = tuple(rng.choice([REST, *range(len(rules.shifts))]) for _ in range(rules.horizon))
            others = {e.id: [None] * inst.horizon for e in inst.staff if e.id != emp.id}
            row = [None if c == REST else rules.shifts[c] for c in sched]
            rep = check_nrp(inst, {**others, emp.id: row})
            mine = [v for v in rep.violations if v.employee == emp.id]
            assert rules.feasible(sched) == (not mine)


def test_master_bound_never_exceeds_the_optimum_and_lp_proves_instance1() -> None:
    """Column generation on Instance 1 (optimum 607) ends with the LP optimal; its bound is valid
    at every round, and the final one is the LP value rounded up."""
    problem = nrp_to_problem(read_nrp(INSTANCE1))
    pool = column_generation(problem, budget_seconds=60.0)
    assert pool.lp_optimal and pool.bound is not None and pool.lp is not None
    assert pool.bound <= 607
    assert pool.bound == math.ceil(pool.lp.value - 1e-6)
    assert all(b <= 607 for _, _, b in pool.history)


def test_colgen_roster_passes_the_validator_on_instance1() -> None:
    """The roster from the columns and the LNS is feasible, worth what the validator recomputes,
    and its bound is at most its objective and the known optimum."""
    inst = read_nrp(INSTANCE1)
    result = solve_colgen(nrp_to_problem(inst), SolveParams(seconds=8, workers=2, seed=0))
    assert result.feasible and result.objective is not None and result.bound is not None
    rep = check_nrp(inst, result.assignment)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == result.objective
    assert result.bound <= min(result.objective, 607)


@pytest.mark.slow
def test_master_bound_on_shared_instance3_is_at_most_best_known() -> None:
    """On Instance 3 (best known 1001) the column generation's bound never exceeds it."""
    shared = shared_dir()
    path = shared / "data" / "nrp" / "Instance3.txt" if shared is not None else None
    if path is None or not path.is_file():
        pytest.skip("no shared data")
    pool = column_generation(nrp_to_problem(read_nrp(path)), budget_seconds=20.0)
    assert pool.bound is not None and pool.bound <= 1001
    assert all(b <= 1001 for _, _, b in pool.history)


def test_the_method_is_chosen_by_structure() -> None:
    """Instance 1 (one shift type, cheap pricing) goes to column generation; a problem the
    set-partitioning master does not model (a rolling rest window) to the LNS."""
    problem = nrp_to_problem(read_nrp(INSTANCE1))
    assert method_for(problem) == "colgen"
    rules = problem.rules.model_copy(update={"min_rest_per_7": 1})
    assert method_for(problem.model_copy(update={"rules": rules})) == "lns"
