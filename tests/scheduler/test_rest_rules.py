"""The weekly rest guarantee: at least R rest days in every rolling 7-day window, history included."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from roster_factories import FAST, History, employee, problem

from scheduler.roster.domain import RuleSettings, Severity
from scheduler.roster.solver import SolveParams, solve
from scheduler.roster.validate import check_roster


def solved(p):
    r = solve(p, FAST)
    assert r.feasible, r.status
    rep = check_roster(p, r.assignment, r.support_groups)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == r.objective
    return r


def test_rest_every_7_days_exact_cost_when_quota_is_full_group() -> None:
    """3 technicians, quota 3 every day for 14 days: each needs 2 rests → 6 heads short, exactly 600."""
    r = solved(problem(n=3, horizon=14, quota=3))
    assert r.status == "OPTIMAL"
    assert r.objective == 600


def test_two_rest_days_preset_doubles_the_cost() -> None:
    """With R = 2 each technician needs 4 rests in 14 days: 12 heads short."""
    r = solved(problem(n=3, horizon=14, quota=3, rules=RuleSettings(min_rest_per_7=2)))
    assert r.objective == 1200


def test_rest_rule_infeasible_when_seven_days_are_fixed_as_work() -> None:
    """Publishing 7 working days in a row cannot be continued: INFEASIBLE."""
    p = problem(n=1, horizon=7, quota=1, fixed={"E0": {d: "D" for d in range(7)}})
    assert solve(p, FAST).status == "INFEASIBLE"


def test_rest_window_crosses_into_the_previous_roster() -> None:
    """Worked the last 6 days of the previous roster: day 0 must be a rest day (cost 100 exactly)."""
    p = problem(n=1, horizon=7, quota=1, history={"E0": History(worked=(True,) * 6, last_shift="D")})
    r = solved(p)
    assert r.assignment["E0"][0] is None
    assert r.objective == 100


def test_validator_flags_a_missing_rest_across_the_week_boundary() -> None:
    """A hand-made roster that works day 0 after 6 worked days breaks the rule."""
    p = problem(n=1, horizon=7, history={"E0": History(worked=(True,) * 6, last_shift="D")})
    rep = check_roster(p, {"E0": ["D", None, None, None, None, None, None]})
    assert [v.rule for v in rep.violations] == ["rest_in_every_7_days"]


def test_soft_rest_rule_costs_its_weight_per_missing_rest() -> None:
    """As a soft rule (weight 7) working all 7 days costs 7, cheaper than 100 of under-cover."""
    rules = RuleSettings(rest_window_severity=Severity.SOFT, rest_window_weight=7)
    r = solved(problem(n=1, horizon=7, quota=1, rules=rules))
    assert r.objective == 7
    assert all(s == "D" for s in r.assignment["E0"])


@st.composite
def rolling_cases(draw):
    n = draw(st.integers(2, 4))
    horizon = draw(st.sampled_from([7, 14]))
    r = draw(st.integers(1, 2))
    quotas = draw(st.lists(st.integers(0, n), min_size=horizon, max_size=horizon))
    history = {}
    for i in range(n):
        worked = draw(st.lists(st.booleans(), min_size=0, max_size=7))
        # a history that alone breaks the rest rule makes any roster infeasible (tested apart)
        assume(sum(worked[-6:]) <= 7 - r)
        history[f"E{i}"] = History(worked=tuple(worked), last_shift="D" if worked and worked[-1] else None)
    leave = {f"E{i}": frozenset(draw(st.sets(st.integers(0, horizon - 1), max_size=3))) for i in range(n)}
    maxc = draw(st.integers(3, 6))
    emps = tuple(employee(i, max_consecutive_work=maxc) for i in range(n))
    return problem(
        employees=emps,
        horizon=horizon,
        quota=quotas,
        over=1,
        rules=RuleSettings(min_rest_per_7=r, rest_spread_min=1, fairness_workdays_weight=1),
        history=history,
        days_off=leave,
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rolling_cases())
def test_every_roster_passes_the_validator_with_history(p) -> None:
    """Any roster the engine returns passes the validator, rest windows across the boundary included."""
    r = solve(p, SolveParams(seconds=5.0, workers=1, seed=1))
    assert r.feasible
    rep = check_roster(p, r.assignment)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == r.objective
    for e in p.employees:
        past = list(p.history[e.id].worked)
        seq = past + [s is not None for s in r.assignment[e.id]]
        for t in range(max(0, len(past) - 6), len(seq) - 6):
            assert sum(seq[t : t + 7]) <= 7 - p.rules.min_rest_per_7


@pytest.mark.parametrize("weeks", [3])
def test_rolling_horizon_week_by_week_keeps_the_guarantee(weeks: int) -> None:
    """Three weeks solved one after the other, each from the last one's history: every 7-day window
    of the joined roster has a rest day."""
    from scheduler.roster.planning import history_from

    joined: dict[str, list[str | None]] = {f"E{i}": [] for i in range(3)}
    history: dict[str, History] = {}
    for _ in range(weeks):
        p = problem(n=3, horizon=7, quota=[3, 3, 2, 3, 3, 2, 3], history=history)
        r = solved(p)
        for k, row in r.assignment.items():
            joined[k].extend(row)
        history = history_from(joined, len(joined["E0"]))
    for row in joined.values():
        for t in range(len(row) - 6):
            assert any(s is None for s in row[t : t + 7])
