"""Each dispatch rule: a feasible case, an infeasible case and an exact-penalty case.

Tiny hand-built days (``scheduler.dispatch.synthetic`` fixtures); every plan is also held against the
solver-independent validator.
"""

from __future__ import annotations

import pytest

from scheduler.dispatch import rules
from scheduler.dispatch.domain import DayInput, DayPlan, DispatchPolicy
from scheduler.dispatch.engine import SolveParams, plan_day
from scheduler.dispatch.errors import InputErrors
from scheduler.dispatch.synthetic import make_input, make_order, make_tech
from scheduler.dispatch.validate import validate_plan
from vocabulary.orders import CustomerGrade
from vocabulary.staff import Skill

FAST = SolveParams(time_limit_s=0.3)


def solve(inp: DayInput) -> DayPlan:
    plan = plan_day(inp, FAST)
    assert validate_plan(inp, plan) == []
    return plan


def where(plan: DayPlan) -> dict[str, str]:
    return plan.assignment()


def unassigned_rule(plan: DayPlan, oid: str) -> str | None:
    return next((u.rule for u in plan.unassigned if u.order_id == oid), None)


# ----------------------------------------------------------------------------- skills


def test_skills_feasible() -> None:
    """An order needing fibre splicing goes to the technician who has it, not the nearer one."""
    inp = make_input(
        [make_tech("T1", x_km=0.9), make_tech("T2", skills={Skill.BROADBAND, Skill.FIBRE_SPLICING})],
        [make_order("O1", skills={Skill.FIBRE_SPLICING})],
    )
    assert where(solve(inp)) == {"O1": "T2"}


def test_skills_infeasible_in_group() -> None:
    """Only a technician of another group has the skill: the order is unassigned under rule 'skills'."""
    inp = make_input(
        [make_tech("T1"), make_tech("T2", group="G2", home="B1", skills={Skill.FIBRE_SPLICING})],
        [make_order("O1", skills={Skill.FIBRE_SPLICING})],
    )
    plan = solve(inp)
    assert unassigned_rule(plan, "O1") == "skills"


def test_skill_nobody_has_is_an_input_error() -> None:
    """A skill no technician on duty has is bad input naming the order and the rule."""
    inp = make_input([make_tech("T1")], [make_order("O9", skills={Skill.ENTERPRISE})])
    with pytest.raises(InputErrors) as exc:
        plan_day(inp, FAST)
    assert "order O9" in str(exc.value) and "skills" in str(exc.value)


def test_skills_exact_penalty() -> None:
    """One ordinary order left out costs exactly the ordinary drop penalty (10 000)."""
    t2 = make_tech("T2", group="G2", home="B1", skills={Skill.BROADBAND, Skill.FIBRE_SPLICING})
    inp = make_input(
        [make_tech("T1"), t2], [make_order("O1", skills={Skill.FIBRE_SPLICING}), make_order("O2", area="B1")]
    )
    plan = solve(inp)
    late = sum(s.late_min for r in plan.routes for s in r.stops)
    assert late == 0
    assert plan.score["customer_priority"] == 10_000


# ----------------------------------------------------------------------------- appointment windows


def test_window_feasible_waits_for_the_window() -> None:
    """Service starts at the window's opening; the technician waits."""
    plan = solve(make_input([make_tech("T1")], [make_order("O1", window=("10:00", "11:00"))]))
    stop = plan.routes[0].stops[0]
    assert stop.start.strftime("%H:%M") == "10:00" and stop.arrival < stop.start


def test_window_infeasible_when_passed() -> None:
    """A window that closed before now cannot be served: rule 'appointment_window'."""
    plan = solve(make_input([make_tech("T1")], [make_order("O1", window=("07:00", "07:30"))]))
    assert unassigned_rule(plan, "O1") == "appointment_window"


def test_lateness_exact_penalty() -> None:
    """Travel 4 min + 60 min on site from 08:00 ends 09:04, 4 min past a 09:00 deadline: 4 × 10."""
    plan = solve(make_input([make_tech("T1")], [make_order("O1", deadline="09:00")]))
    assert plan.routes[0].stops[0].late_min == 4
    assert plan.score["customer_priority"] == 40
    assert any(w.kind == "deadline_miss" and w.order_id == "O1" for w in plan.warnings)


# ----------------------------------------------------------------------------- shift end


def test_shift_end_feasible_and_infeasible() -> None:
    """Two 200-min orders fit a 9-hour shift; a 600-min order never does (rule 'shift_end')."""
    plan = solve(
        make_input(
            [make_tech("T1")],
            [make_order("O1", duration=200), make_order("O2", duration=200), make_order("O3", duration=600)],
        )
    )
    assert set(where(plan)) == {"O1", "O2"}
    assert unassigned_rule(plan, "O3") == "shift_end"


def test_shift_end_capacity_reason() -> None:
    """Three 200-min orders: each fits alone, not all three: one is out for 'capacity'."""
    plan = solve(make_input([make_tech("T1")], [make_order(f"O{i}", duration=200) for i in range(3)]))
    assert len(where(plan)) == 2
    assert [u.rule for u in plan.unassigned] == ["capacity"]


# ----------------------------------------------------------------------------- customer priority


def test_vip_never_left_for_an_ordinary_order() -> None:
    """Room for one 90-min job: the VIP is served and the ordinary order waits, even when the
    configured VIP penalty is tiny (the VIP guarantee raises it above all lower grades)."""
    policy = DispatchPolicy(
        drop_penalty={CustomerGrade.VIP: 1, CustomerGrade.GOLD: 1, CustomerGrade.ORDINARY: 5000}
    )
    inp = make_input(
        [make_tech("T1", end="10:00")],
        [make_order("ORD", duration=90), make_order("VIP", duration=90, grade=CustomerGrade.VIP)],
        policy=policy,
    )
    plan = solve(inp)
    assert where(plan) == {"VIP": "T1"}
    w = rules.effective_weights(policy, 2, 1)
    assert w.drop[CustomerGrade.VIP] > w.drop[CustomerGrade.ORDINARY] + w.drop[CustomerGrade.GOLD]


def test_vip_escalated_when_unservable() -> None:
    """A VIP order that cannot be served today is on the escalation list."""
    plan = solve(make_input([make_tech("T1")], [make_order("V", grade=CustomerGrade.VIP, duration=600)]))
    assert any(w.kind == "escalation" and w.order_id == "V" for w in plan.warnings)


# ----------------------------------------------------------------------------- own area / nearest


def test_own_area_feasible_prefers_home_technician() -> None:
    """T1 owns A1 (4 min away), T2 owns A2 (2 min away): the A1 order goes to T1."""
    inp = make_input([make_tech("T1", home="A1"), make_tech("T2", home="A2", x_km=0.5)], [make_order("O1")])
    assert where(solve(inp)) == {"O1": "T1"}


def test_own_area_exact_penalty() -> None:
    """An order served outside the technician's home area costs exactly 30."""
    plan = solve(make_input([make_tech("T1", home="A1")], [make_order("O1", area="A2")]))
    assert plan.score["own_area"] == 30


def test_lexicographic_own_area_outweighs_any_travel() -> None:
    """Weighted: 39 min of extra travel outweighs the 30 own-area penalty, so the near foreign
    technician goes; lexicographic: own-area priority wins whatever the travel."""
    techs = [make_tech("T1", home="A1", x_km=11.0), make_tech("T2", home="A2", x_km=1.0)]
    orders = [make_order("O1", area="A1", x_km=1.0)]
    assert where(solve(make_input(techs, orders))) == {"O1": "T2"}
    lex = make_input(techs, orders, policy=DispatchPolicy(mode="lexicographic"))
    assert where(solve(lex)) == {"O1": "T1"}


def test_nearest_exact_penalty_and_choice() -> None:
    """Both own A1; the nearer technician goes; the nearest penalty is the travel minutes (4)."""
    inp = make_input([make_tech("T1", x_km=-3.0), make_tech("T2", x_km=0.0)], [make_order("O1", x_km=1.0)])
    plan = solve(inp)
    assert where(plan) == {"O1": "T2"}
    assert plan.score["nearest"] == 4


# ----------------------------------------------------------------------------- balance


def test_balance_feasible_spreads_work() -> None:
    """Four equal jobs at one place, two technicians: two each."""
    inp = make_input(
        [make_tech("T1"), make_tech("T2")], [make_order(f"O{i}", duration=120) for i in range(4)]
    )
    plan = solve(inp)
    counts = sorted(len(r.stops) for r in plan.routes)
    assert counts == [2, 2]


def test_balance_exact_penalty() -> None:
    """Only T1 can do the job (skills): spread of working minutes = 4 travel + 60 on site = 64."""
    inp = make_input(
        [make_tech("T1", skills={Skill.BROADBAND, Skill.IPTV}), make_tech("T2")],
        [make_order("O1", skills={Skill.IPTV})],
    )
    plan = solve(inp)
    assert plan.score["balance"] == 64


def test_balance_infeasible_group_without_work_still_scores_zero() -> None:
    """A group where nobody works has zero spread."""
    plan = solve(make_input([make_tech("T1"), make_tech("T2")], []))
    assert plan.score["balance"] == 0 and plan.unassigned == ()


# ----------------------------------------------------------------------------- dependencies


def test_dependencies_feasible_order() -> None:
    """B depends on A: B starts after A ends."""
    inp = make_input(
        [make_tech("T1"), make_tech("T2")],
        [make_order("A", duration=120), make_order("B", depends_on=("A",), x_km=1.2)],
    )
    plan = solve(inp)
    stops = {s.order_id: s for r in plan.routes for s in r.stops}
    assert stops["B"].start >= stops["A"].end


def test_dependencies_infeasible() -> None:
    """A cannot be served (too long), so B, which depends on it, cannot be either."""
    inp = make_input([make_tech("T1")], [make_order("A", duration=700), make_order("B", depends_on=("A",))])
    plan = solve(inp)
    assert unassigned_rule(plan, "A") == "shift_end"
    assert unassigned_rule(plan, "B") in {"dependencies", "capacity"}
    assert "B" not in where(plan)


# ----------------------------------------------------------------------------- registry


def test_registry_names_every_rule() -> None:
    """Every hard and soft rule is registered with a user-facing sentence; the score has every soft rule."""
    assert set(rules.HARD_RULES) == {
        "skills",
        "region_group",
        "small_area_contract",
        "claim",
        "appointment_window",
        "shift_end",
        "dependencies",
    }
    assert set(rules.SOFT_RULES) == {"customer_priority", "own_area", "nearest", "balance"}
    plan = solve(make_input([make_tech("T1")], [make_order("O1")]))
    assert set(plan.score) == set(rules.SOFT_RULES)


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_weights_fit_int64_and_keep_the_vip_guarantee(mode: str) -> None:
    """Weights stay within int64 (worst case: every order dropped as a VIP) and a VIP outweighs a
    route's worth of lower-grade orders; lexicographic levels are strict at group sizes."""
    for n, v in ((1, 1), (40, 5), (300, 10), (2000, 90)):
        w = rules.effective_weights(DispatchPolicy(mode=mode), n, v)  # type: ignore[arg-type]
        assert w.drop[CustomerGrade.VIP] * n <= 2**61
        lower = w.drop[CustomerGrade.GOLD] + w.drop[CustomerGrade.ORDINARY]
        assert w.drop[CustomerGrade.VIP] > lower * min(n, rules.MAX_ORDERS_PER_ROUTE) or n > 300
        assert w.drop[CustomerGrade.VIP] >= w.drop[CustomerGrade.GOLD] >= w.drop[CustomerGrade.ORDINARY] >= 1
        if mode == "lexicographic" and n <= 40:
            assert w.late[CustomerGrade.ORDINARY] > w.own_area * n and w.own_area > w.travel * v * 720
            assert w.travel > w.balance * 2 * v * 720


def test_bad_morning_input_names_record_and_rule() -> None:
    """Unknown area, unknown technician on an order, a location outside the branch: one error each,
    all reported together; nothing is planned."""
    bad = make_order("O1", area="ZZ").model_copy(update={"technician_id": "T9"})
    far = make_order("O2", x_km=300.0)
    inp = make_input([make_tech("T1")], [bad, far], bbox=(30.4, 114.1, 30.7, 114.5))
    with pytest.raises(InputErrors) as exc:
        plan_day(inp, FAST)
    text = str(exc.value)
    assert "order O1: area_id" in text and "order O1: technician_id" in text and "order O2: location" in text


def test_order_created_after_the_shifts_is_carried_over() -> None:
    """An order created at 16:40 needing 60 min cannot finish by 17:00: rule 'shift_end', next day."""
    plan = solve(make_input([make_tech("T1")], [make_order("O1", created="16:40")]))
    (u,) = plan.unassigned
    assert u.rule == "shift_end" and "next day" in u.reason
