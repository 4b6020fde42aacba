"""Each roster rule: a feasible case, an infeasible case (hard rules) and an exact-penalty case."""

from __future__ import annotations

from roster_factories import FAST, NO_RULES, History, Request, employee, problem

from scheduler.roster.domain import Cover, RosterProblem, RuleSettings, ShiftType
from scheduler.roster.model import build_model
from scheduler.roster.rules import REGISTRY
from scheduler.roster.solver import solve
from scheduler.roster.validate import check_roster

E = ShiftType(id="E", minutes=480, start_minute=6 * 60)
L = ShiftType(id="L", minutes=480, start_minute=14 * 60, not_followed_by=("E",))
N = ShiftType(id="N", minutes=480, start_minute=22 * 60)


def solved(p: RosterProblem):  # type: ignore[no-untyped-def]
    r = solve(p, FAST)
    assert r.feasible, r.status
    rep = check_roster(p, r.assignment, r.support_groups)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == r.objective
    return r


def infeasible(p: RosterProblem) -> None:
    assert solve(p, FAST).status == "INFEASIBLE"


def test_registry_lists_every_rule_once_with_a_sentence() -> None:
    """The registry names each rule with a user-facing sentence."""
    assert {"leave", "rest_in_every_7_days", "cover", "fairness", "support_use"} <= set(REGISTRY)
    assert all(spec.sentence.endswith(".") for spec in REGISTRY.values())


# --- leave ------------------------------------------------------------------------------------
def test_leave_is_respected_and_costs_the_cover() -> None:
    """One technician on leave on day 2: that day is under-covered by one head (100)."""
    r = solved(problem(n=1, horizon=7, quota=1, rules=NO_RULES, days_off={"E0": frozenset({2})}))
    assert r.assignment["E0"][2] is None
    assert r.objective == 100


def test_leave_clashing_with_a_fixed_day_is_infeasible() -> None:
    infeasible(
        problem(n=1, horizon=7, rules=NO_RULES, days_off={"E0": frozenset({3})}, fixed={"E0": {3: "D"}})
    )


def test_validator_flags_work_on_leave() -> None:
    p = problem(n=1, horizon=2, rules=NO_RULES, days_off={"E0": frozenset({1})})
    assert [v.rule for v in check_roster(p, {"E0": [None, "D"]}).violations] == ["leave"]


# --- max consecutive working days ---------------------------------------------------------------
def test_max_consecutive_work_forces_one_rest_in_seven() -> None:
    """At most 3 days in a row over 7 days: one rest day is enough (WWW-WWW), cost 100."""
    emps = (employee(0, max_consecutive_work=3),)
    r = solved(problem(employees=emps, horizon=7, quota=1, rules=NO_RULES))
    assert r.objective == 100


def test_max_consecutive_work_infeasible_with_four_fixed_days() -> None:
    emps = (employee(0, max_consecutive_work=3),)
    infeasible(problem(employees=emps, horizon=7, rules=NO_RULES, fixed={"E0": {d: "D" for d in range(4)}}))


def test_max_consecutive_work_counts_the_history() -> None:
    """Three days worked before the horizon with a maximum of 3: day 0 is a rest day."""
    emps = (employee(0, max_consecutive_work=3),)
    p = problem(
        employees=emps, horizon=4, quota=1, rules=NO_RULES, history={"E0": History(worked=(True,) * 3)}
    )
    r = solved(p)
    assert r.assignment["E0"][0] is None and r.objective == 100


# --- minimum run lengths --------------------------------------------------------------------------
def test_min_work_run_makes_an_isolated_day_cost_one_more_day() -> None:
    """Quota only on day 3, over-cover 10 elsewhere, runs of at least 2 days: cost exactly 10."""
    emps = (employee(0, min_consecutive_work=2),)
    quota = [0, 0, 0, 1, 0, 0, 0]
    r = solved(problem(employees=emps, horizon=7, quota=quota, over=10, rules=NO_RULES))
    assert r.objective == 10


def test_min_work_run_infeasible_when_fixed_alone() -> None:
    emps = (employee(0, min_consecutive_work=2),)
    infeasible(problem(employees=emps, horizon=7, rules=NO_RULES, fixed={"E0": {2: None, 3: "D", 4: None}}))


def test_runs_touching_the_last_day_are_exempt() -> None:
    """A single working day at the end of the horizon is allowed (the next roster continues it)."""
    emps = (employee(0, min_consecutive_work=3),)
    p = problem(employees=emps, horizon=5, rules=NO_RULES)
    assert check_roster(p, {"E0": [None, None, None, None, "D"]}).feasible
    assert not check_roster(p, {"E0": [None, None, "D", None, None]}).feasible


def test_min_rest_run_costs_the_second_rest_day() -> None:
    """A day-off request (5) on day 3 with rest runs of 2: granting it costs one more head (1): 2."""
    emps = (employee(0, min_consecutive_off=2),)
    req = (Request(employee="E0", day=3, on=False, weight=5),)
    r = solved(problem(employees=emps, horizon=7, quota=1, under=1, rules=NO_RULES, requests=req))
    assert r.objective == 2


def test_min_rest_run_infeasible_when_a_single_rest_day_is_fixed() -> None:
    emps = (employee(0, min_consecutive_off=2),)
    infeasible(problem(employees=emps, horizon=7, rules=NO_RULES, fixed={"E0": {2: "D", 3: None, 4: "D"}}))


# --- weekends -----------------------------------------------------------------------------------
def test_max_weekends_leaves_one_weekend_uncovered() -> None:
    """Two weekends, at most one worked: 2 days short (200)."""
    emps = (employee(0, max_weekends=1),)
    assert solved(problem(employees=emps, horizon=14, quota=1, rules=NO_RULES)).objective == 200


def test_max_weekends_infeasible_with_both_weekends_fixed() -> None:
    emps = (employee(0, max_weekends=1),)
    infeasible(problem(employees=emps, horizon=14, rules=NO_RULES, fixed={"E0": {5: "D", 12: "D"}}))


# --- total working minutes ----------------------------------------------------------------------
def test_total_minutes_minimum_forces_over_cover() -> None:
    """3 technicians who must each work 3 days, quota 1 a day for 7 days: 2 heads over (weight 3) = 6."""
    emps = tuple(employee(i, min_total_minutes=3 * 480) for i in range(3))
    assert solved(problem(employees=emps, horizon=7, quota=1, over=3, rules=NO_RULES)).objective == 6


def test_total_minutes_minimum_infeasible_with_the_rest_rule() -> None:
    """7 days of work required, but the rest rule allows 6 of 7."""
    infeasible(problem(employees=(employee(0, min_total_minutes=7 * 480),), horizon=7))


def test_total_minutes_maximum_limits_days() -> None:
    emps = (employee(0, max_total_minutes=4 * 480),)
    assert solved(problem(employees=emps, horizon=7, quota=1, rules=NO_RULES)).objective == 300


# --- shift successions and rest hours -------------------------------------------------------------
def test_forbidden_succession_costs_one_cover() -> None:
    """L then E is forbidden: covering L on day 0 and E on day 1 leaves one short (100)."""
    covers = (Cover(day=0, shift="L", requirement=1), Cover(day=1, shift="E", requirement=1))
    p = problem(n=1, horizon=2, shifts=(E, L), rules=NO_RULES, covers=covers)
    assert solved(p).objective == 100


def test_forbidden_succession_from_the_history_is_infeasible_when_fixed() -> None:
    hist = {"E0": History(worked=(True,), last_shift="L")}
    infeasible(problem(n=1, horizon=2, shifts=(E, L), rules=NO_RULES, history=hist, fixed={"E0": {0: "E"}}))


def test_min_rest_hours_between_night_and_early() -> None:
    """N (22:00–06:00) then E (06:00) leaves 0 h of rest < 11 h: one cover is lost."""
    covers = (Cover(day=0, shift="N", requirement=1), Cover(day=1, shift="E", requirement=1))
    rules = RuleSettings(min_rest_per_7=0, min_rest_minutes=11 * 60)
    assert solved(problem(n=1, horizon=2, shifts=(E, N), rules=rules, covers=covers)).objective == 100
    assert solved(problem(n=1, horizon=2, shifts=(E, N), rules=NO_RULES, covers=covers)).objective == 0
    infeasible(problem(n=1, horizon=2, shifts=(E, N), rules=rules, fixed={"E0": {0: "N", 1: "E"}}))


def test_max_shifts_per_type() -> None:
    """At most 2 N shifts; on-requests for N on 4 days (weight 4): 2 refused = 8."""
    emps = (employee(0, max_shifts={"N": 2}),)
    reqs = tuple(Request(employee="E0", day=d, shift="N", on=True, weight=4) for d in range(4))
    p = problem(employees=emps, horizon=7, shifts=(E, N), rules=NO_RULES, requests=reqs)
    assert solved(p).objective == 8
    infeasible(
        problem(
            employees=emps, horizon=7, shifts=(E, N), rules=NO_RULES, fixed={"E0": {0: "N", 2: "N", 4: "N"}}
        )
    )


# --- soft rules ---------------------------------------------------------------------------------
def test_requests_cost_their_weight_when_refused() -> None:
    """An on-request on a leave day cannot be granted: its weight (4) exactly."""
    reqs = (Request(employee="E0", day=2, on=True, weight=4),)
    r = solved(problem(n=1, horizon=7, rules=NO_RULES, requests=reqs, days_off={"E0": frozenset({2})}))
    assert r.objective == 4


def test_cover_under_and_over_are_priced_apart() -> None:
    """Fixed rosters: one day 1 short (100), one day 1 over (3)."""
    p = problem(
        n=2,
        horizon=2,
        quota=1,
        over=3,
        rules=NO_RULES,
        fixed={"E0": {0: None, 1: "D"}, "E1": {0: None, 1: "D"}},
    )
    assert solved(p).objective == 103


def test_cover_rule_terms_are_exactly_the_quota_lines() -> None:
    """The cover rule returns one under-cover term per priced cover line (and an over-cover term
    where over-cover costs), each with the line's weight: no support heads, no other terms."""
    p = problem(n=2, horizon=3, quota=[2, 1, 0], over=3, rules=NO_RULES)
    built = build_model(p, rules=["cover"])
    terms = [(pen.rule, pen.weight, pen.group_id, pen.day) for pen in built.penalties]
    assert terms == [
        (rule, weight, "G1", day)
        for day in range(3)
        for rule, weight in (("cover_under", 100), ("cover_over", 3))
    ]


def test_cover_rule_exact_penalty_on_a_fixed_roster() -> None:
    """Quota 2, 1, 0 with E0 working every day and E1 resting: 1 short on day 0 (100), exact on
    day 1, 1 over on day 2 (3): 103, whatever a caller adds to the problem's data."""
    fixed = {"E0": {0: "D", 1: "D", 2: "D"}, "E1": {0: None, 1: None, 2: None}}
    p = problem(n=2, horizon=3, quota=[2, 1, 0], over=3, rules=NO_RULES, fixed=fixed)
    assert solved(p).objective == 103
    # the relaxation's former fields of the problem are gone: extra keys are ignored, terms unchanged
    assert not {"virtual_support", "virtual_support_price"} & set(RosterProblem.model_fields)
    loose = RosterProblem.model_validate(p.model_dump() | {"virtual_support": 3, "virtual_support_price": 1})
    assert solved(loose).objective == 103
    assert [pen.rule for pen in build_model(loose, rules=["cover"]).penalties] == [
        pen.rule for pen in build_model(p, rules=["cover"]).penalties
    ]


def test_rest_spread_prices_days_where_nobody_rests() -> None:
    """2 technicians, quota 2 every day, one should rest: 5 per day × 7 beats 100 of under-cover."""
    rules = RuleSettings(min_rest_per_7=0, rest_spread_min=1, rest_spread_weight=5)
    assert solved(problem(n=2, horizon=7, quota=2, rules=rules)).objective == 35


def test_fairness_of_working_days_is_the_largest_deviation() -> None:
    """Quota 1 for 7 days split between 2 (over-cover 5): 4 and 3 days, deviation 1."""
    rules = RuleSettings(min_rest_per_7=0, fairness_workdays_weight=1)
    assert solved(problem(n=2, horizon=7, quota=1, over=5, rules=rules)).objective == 1


def test_fairness_of_weekend_rests() -> None:
    """One technician on leave both weekends: the other works both: deviation 2 weekend rests."""
    rules = RuleSettings(min_rest_per_7=0, fairness_weekend_weight=1)
    quota = [0, 0, 0, 0, 0, 1, 1] * 2
    p = problem(n=2, horizon=14, quota=quota, rules=rules, days_off={"E0": frozenset({5, 6, 12, 13})})
    assert solved(p).objective == 2


def test_support_team_covers_another_group() -> None:
    """Group G1 has 1 technician and a quota of 2: the support member serves G1 every day (1 per day)."""
    emps = (employee(0), employee(1, support=True))
    rules = RuleSettings(min_rest_per_7=0, support_use_weight=1)
    r = solved(problem(employees=emps, horizon=7, quota=2, rules=rules))
    assert r.objective == 7
    assert r.support_groups["E1"] == ["G1"] * 7
