"""Worked examples, one per pay rule: each states the policy, the inputs and the exact fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from payroll_factories import amount, day, grade, lines, loss, order, payslip, policy, tech

from payroll.domain import DayStatus
from payroll.validate import check_payslip
from vocabulary.orders import OrderType

STANDARD = {"working_time_system": "standard"}


def test_hourly_base_is_monthly_wage_over_21_75_days_over_8_hours() -> None:
    """Hourly base = 2175.00 ÷ 21.75 ÷ 8 = 12.50; 3000.00 gives 17.2414 (to 0.0001, half-up)."""
    pol = policy(**STANDARD)
    slip = payslip(pol, attendance=(day("2026-03-02", 540),))
    (line,) = lines(slip, "overtime_hours")
    assert line.rate == Decimal("12.5000")
    slip = payslip(pol, technicians=(tech(grade="T4"),), attendance=(day("2026-03-02", 540),))
    (line,) = lines(slip, "overtime_hours")
    assert line.rate == Decimal("17.2414")  # 3000 / 174 = 17.24137...
    assert line.amount_fen == 2586  # 1 h × 17.2414 × 1.5 = 25.8621 → 25.86


def test_overtime_150_percent_for_extended_hours_on_a_working_day() -> None:
    """Standard system: 10 h on Monday = 2 h extended × 12.50 × 150% = 37.50; 8 h or less: none."""
    pol = policy(**STANDARD)
    slip = payslip(pol, attendance=(day("2026-03-02", 600), day("2026-03-03", 480)))
    (line,) = lines(slip, "overtime_hours")
    assert (line.quantity, line.multiplier, line.amount_fen) == (Decimal("2"), Decimal("1.5"), 3750)
    assert line.sources["days"] == {"2026-03-02": 120}
    assert check_payslip(slip) == []


def test_overtime_200_percent_on_a_rest_day_unless_time_off_in_lieu() -> None:
    """Standard system: 4 h on Saturday = 4 × 12.50 × 200% = 100.00; with time off in lieu: nothing."""
    pol = policy(**STANDARD)
    slip = payslip(pol, attendance=(day("2026-03-07", 240),))
    (line,) = lines(slip, "overtime_hours")
    assert (line.multiplier, line.amount_fen) == (Decimal("2"), 10000)
    slip = payslip(pol, attendance=(day("2026-03-07", 240, comp=True),))
    assert lines(slip, "overtime_hours") == []


def test_overtime_300_percent_on_a_statutory_holiday() -> None:
    """1 October 2026 (National Day): 8 h × 12.50 × 300% = 300.00, in either working-time system."""
    for system in ("standard", "comprehensive"):
        pol = policy(working_time_system=system)
        slip = payslip(pol, month="2026-10", attendance=(day("2026-10-01", 480),))
        (line,) = lines(slip, "overtime_hours")
        assert (line.multiplier, line.amount_fen) == (Decimal("3"), 30000), system


def test_comprehensive_system_counts_overtime_over_the_period() -> None:
    """Comprehensive (2025 norm 165.33 h = 9,919.8 min): 10,598 worked → 678.2 min = 11.303333 h;
    × 12.50 × 150% = 211.937… → 211.94.

    A 10-hour Monday that would be overtime under the standard system is not, by itself.
    """
    pol = policy(working_time_system="comprehensive")
    short = payslip(pol, attendance=(day("2026-03-02", 600),))
    assert lines(short, "overtime_hours") == []
    days = [day(f"2026-03-{d:02d}", 482) for d in range(1, 23)]  # 22 × 482 = 10,604
    days[-1] = day("2026-03-22", 482 - 6)  # total 10,598
    slip = payslip(pol, attendance=tuple(days))
    (line,) = lines(slip, "overtime_hours")
    assert line.sources["period"]["overtime_hours"] == "11.303333"
    assert (line.quantity, line.amount_fen) == (Decimal("11.303333"), 21194)


def test_comprehensive_norm_is_the_one_in_force_for_the_month() -> None:
    """166 h in a month: 0.67 h at 150% from 2025 (165.33 h, 人社部发〔2025〕2号); nothing in 2024
    (166.64 h, 劳社部发〔2008〕3号)."""
    days = [f"{d:02d}" for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27)]
    pol = policy(working_time_system="comprehensive")
    slip = payslip(pol, attendance=tuple(day(f"2026-03-{d}", 498) for d in days))
    (line,) = lines(slip, "overtime_hours")
    assert (line.quantity, line.amount_fen) == (Decimal("0.67"), 1256)
    old = policy(working_time_system="comprehensive", version="OLD", effective_from=dt.date(2024, 1, 1))
    march_2024 = (4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29)
    slip = payslip(old, month="2024-03", attendance=tuple(day(f"2024-03-{d:02d}", 498) for d in march_2024))
    assert lines(slip, "overtime_hours") == []


def test_piece_orders_in_overtime_get_the_multiplier_once_the_quota_is_met() -> None:
    """Piece rate × 150/200/300% only for paid orders (after the base) done in overtime.

    Base 60 min is filled by the first order. Then: an order on Saturday → 25 × 2; an order after
    17:30 on a 10-hour Monday → 25 × 1.5; an order on 1 Oct would be × 3 (separate month below).
    """
    pol = policy(base_workload_minutes=60, pay_overtime_hours=False, **STANDARD)
    orders = (
        order("a", "2026-03-02 09:00"),  # fills the base workload
        order("b", "2026-03-02 19:00"),  # extended hours
        order("c", "2026-03-07 10:00"),  # rest day
        order("d", "2026-03-03 19:00"),  # late, but only 8 h worked that day: normal
    )
    att = (day("2026-03-02", 600), day("2026-03-03", 480), day("2026-03-07", 300))
    slip = payslip(pol, orders=orders, attendance=att)
    by_key = {li.key: li for li in slip.lines}
    assert by_key["piece_pay_overtime:repair:1:extended_150"].amount_fen == 3750
    assert by_key["piece_pay_overtime:repair:1:rest_day_200"].amount_fen == 5000
    assert by_key["piece_pay:repair:1:normal"].sources["order_ids"] == ["d"]
    assert amount(slip, "piece_pay") == 2500
    base = payslip(
        pol,
        month="2026-10",
        orders=(order("x", "2026-10-08 09:00"), order("y", "2026-10-01 10:00")),
        attendance=(day("2026-10-01", 300),),
    )
    # "y" (1 Oct) is first chronologically, but ordinary time fills the base first (art. 13): x
    # fills it and y earns 300%
    assert amount(base, "piece_pay_overtime") == 7500
    in_order = payslip(
        policy(base_workload_minutes=60, pay_overtime_hours=False, base_fill="completion_order", **STANDARD),
        month="2026-10",
        orders=(order("x", "2026-10-08 09:00"), order("y", "2026-10-01 10:00")),
        attendance=(day("2026-10-01", 300),),
    )
    assert amount(in_order, "piece_pay_overtime") == 0  # the other choice: y fills the base
    later = payslip(
        pol,
        month="2026-10",
        orders=(
            order("x", "2026-10-09 09:00"),
            order("y", "2026-10-01 10:00"),
            order("z", "2026-10-01 11:00"),
        ),
    )
    (line,) = lines(later, "piece_pay_overtime")  # x fills the base; y and z both earn 300%
    assert (line.quantity, line.multiplier, line.amount_fen) == (Decimal(2), Decimal("3.00"), 15000)


def test_base_workload_deducted_chronologically() -> None:
    """Base 100 min, three 60-min repairs at 25.00: the 1st is covered, the 2nd pays 20/60 = 0.333333,
    the 3rd in full: 1.333333 × 25 = 33.333325 → 33.33."""
    pol = policy(base_workload_minutes=100, base_deduction="chronological")
    orders = (
        order("o1", "2026-03-02 09:00"),
        order("o2", "2026-03-02 10:00"),
        order("o3", "2026-03-02 11:00"),
    )
    slip = payslip(pol, orders=orders)
    (line,) = lines(slip, "piece_pay")
    assert line.quantity == Decimal("1.333333")
    assert line.amount_fen == 3333
    assert line.sources["partially_paid"] == {"o2": "0.333333"}
    assert lines(slip, "base_workload")[0].sources["covering_order_ids"] == ["o1", "o2"]


def test_base_workload_deducted_pro_rata() -> None:
    """Same orders, pro rata: paid share (180 − 100) ÷ 180 = 0.444444; 3 × 0.444444 × 25 = 33.3333 → 33.33."""
    pol = policy(base_workload_minutes=100, base_deduction="pro_rata")
    orders = (
        order("o1", "2026-03-02 09:00"),
        order("o2", "2026-03-02 10:00"),
        order("o3", "2026-03-02 11:00"),
    )
    slip = payslip(pol, orders=orders)
    (line,) = lines(slip, "piece_pay")
    assert line.quantity == Decimal("1.333332")
    assert line.sources["paid_share"] == "0.444444"
    assert line.amount_fen == 3333


def test_no_piece_pay_below_the_base_workload() -> None:
    """Infeasible for piece pay: 2 × 60 min against a base of 6000 min pays nothing in either mode."""
    for mode in ("pro_rata", "chronological"):
        slip = payslip(
            policy(base_deduction=mode),
            orders=(order("o1", "2026-03-02 09:00"), order("o2", "2026-03-02 10:00")),
        )
        assert amount(slip, "piece_pay") == 0, mode


def test_piece_pay_is_price_times_difficulty_times_quality() -> None:
    """Install, difficulty 3, grade A: 40.00 × 1.6 × 1.20 = 76.80; grade D: 40 × 1.6 × 0.8 = 51.20."""
    pol = policy(base_workload_minutes=0)
    one = (order("o1", "2026-03-02 09:00", kind=OrderType.INSTALL, difficulty=3),)
    assert amount(payslip(pol, orders=one, quality=(grade("t1", "A"),)), "piece_pay") == 7680
    assert amount(payslip(pol, orders=one, quality=(grade("t1", "D"),)), "piece_pay") == 5120
    assert amount(payslip(pol, orders=one), "piece_pay") == 6400  # no KPI row: default grade C


def test_deductions_are_capped_at_20_percent_of_the_month_wage() -> None:
    """Wage 3000.00, loss 1000.00: at most 600.00 may be deducted, so a cap line gives back 400.00."""
    pol = policy()
    slip = payslip(pol, technicians=(tech(grade="T4"),), losses=(loss("1000.00"),))
    (cap,) = lines(slip, "deduction_cap")
    assert cap.amount_fen == 40000
    assert slip.total_fen == 240000
    ok = payslip(pol, technicians=(tech(grade="T4"),), losses=(loss("600.00"),))
    assert lines(ok, "deduction_cap") == [] and ok.total_fen == 240000


def test_minimum_wage_top_up_when_pay_falls_short() -> None:
    """Post wage 1500.00, Hefei's minimum wage 2060.00, no piece pay: a top-up line of 560.00."""
    slip = payslip(policy(), technicians=(tech(grade="L"),))
    (top,) = lines(slip, "minimum_wage_top_up")
    assert top.amount_fen == 56000 and slip.total_fen == 206000
    assert top.sources["minimum_wage"] == "2060.00"
    higher = payslip(policy(minimum_wage="2100.00"), technicians=(tech(grade="L"),))
    assert amount(higher, "minimum_wage_top_up") == 60000  # the company's own floor is higher
    lower = payslip(policy(minimum_wage="1800.00"), technicians=(tech(grade="L"),))
    assert amount(lower, "minimum_wage_top_up") == 56000  # never below the statutory one
    assert lines(payslip(policy(), technicians=(tech(grade="T4"),)), "minimum_wage_top_up") == []


def test_pay_after_deductions_never_below_minimum_wage() -> None:
    """Wage 2175.00 minus a 400.00 loss (within 20%) = 1775.00 < 2060.00: top-up 285.00."""
    slip = payslip(policy(), losses=(loss("400.00"),))
    assert lines(slip, "deduction_cap") == []
    assert amount(slip, "minimum_wage_top_up") == 28500
    assert slip.total_fen == 206000


def test_minimum_wage_ignores_overtime_pay() -> None:
    """Overtime pay does not count toward the minimum wage: 1500 wage + overtime still gets a 560 top-up."""
    slip = payslip(policy(**STANDARD), technicians=(tech(grade="L"),), attendance=(day("2026-03-07", 480),))
    assert amount(slip, "minimum_wage_top_up") == 56000
    assert amount(slip, "overtime_hours") > 0


def test_post_wage_prorated_for_days_employed_and_unpaid_leave() -> None:
    """Joining on 16 March 2026: 12 paid days ÷ 21.75 = 0.551724 × 2175.00 = 1200.00 (12 daily wages
    of 100.00); the base workload by working days (12 of 22); a day of unpaid leave in a full month
    costs one daily wage: 1 − 1 ÷ 21.75 = 0.954023."""
    slip = payslip(policy(), technicians=(tech(start=dt.date(2026, 3, 16)),))
    (line,) = lines(slip, "post_wage")
    assert (line.quantity, line.amount_fen) == (Decimal("0.551724"), 120000)
    assert slip.summary["base_minutes"] == 3273  # 6000 × 12 / 22 = 3272.7
    leave = payslip(policy(), attendance=(day("2026-03-04", 0, status=DayStatus.UNPAID_LEAVE),))
    assert lines(leave, "post_wage")[0].quantity == Decimal("0.954023")
    paid = payslip(policy(), attendance=(day("2026-03-04", 0, status=DayStatus.PAID_LEAVE),))
    assert lines(paid, "post_wage")[0].quantity == Decimal(1)
    assert paid.summary["base_minutes"] == 5727  # 6000 × 21 / 22 = 5727.27


def test_repeat_fault_clawed_back_or_paid_once() -> None:
    """claw_back: the order whose fault recurred earns nothing; paid_once: the repeat visit earns nothing."""
    orders = (
        order("o1", "2026-03-02 09:00", repeat_fault_within_days=5),
        order("o2", "2026-03-07 09:00", repeat_of="o1"),
    )
    claw = payslip(policy(base_workload_minutes=0, items={}), orders=orders)
    assert lines(claw, "repeat_fault_unpaid")[0].sources["order_ids"] == ["o1"]
    assert lines(claw, "piece_pay")[0].sources["order_ids"] == ["o2"]
    once = payslip(
        policy(base_workload_minutes=0, items={}, repeat_fault={"window_days": 30, "mode": "paid_once"}),
        orders=orders,
    )
    assert lines(once, "repeat_fault_unpaid")[0].sources["order_ids"] == ["o2"]
    assert lines(once, "piece_pay")[0].sources["order_ids"] == ["o1"]
    outside = payslip(
        policy(base_workload_minutes=0, items={}, repeat_fault={"window_days": 3, "mode": "claw_back"}),
        orders=orders[:1],
    )
    assert lines(outside, "repeat_fault_unpaid") == []


def test_bonus_and_penalty_items_with_caps() -> None:
    """10 complaints × −50.00 = −500.00, capped at 300.00 (a +200.00 line); praise × 2 = +40.00."""
    orders = tuple(order(f"c{i}", "2026-03-02 09:00", complaint=True) for i in range(10)) + (
        order("p1", "2026-03-03 09:00", praise=True),
        order("p2", "2026-03-03 10:00", praise=True),
    )
    slip = payslip(policy(), technicians=(tech(grade="T4"),), orders=orders)
    assert amount(slip, "penalty_item") == -50000
    assert amount(slip, "penalty_cap") == 20000
    assert amount(slip, "bonus_item") == 4000
    many = tuple(order(f"p{i}", "2026-03-03 09:00", praise=True) for i in range(30))
    capped = payslip(policy(), technicians=(tech(grade="T4"),), orders=many)
    assert amount(capped, "bonus_item") + amount(capped, "bonus_cap") == 50000


@pytest.mark.parametrize("month", ["2026-03", "2026-10", "2026-02"])
def test_every_worked_example_payslip_passes_the_independent_check(month: str) -> None:
    """A busy month with every kind of line recomputes by hand to the fen."""
    first = dt.date.fromisoformat(f"{month}-01")
    orders = tuple(
        order(
            f"o{i}",
            f"{first + dt.timedelta(days=i % 27)} {8 + i % 12:02d}:15",
            kind=list(OrderType)[i % 3],
            difficulty=1 + i % 3,
            complaint=i % 17 == 0,
            praise=i % 11 == 0,
            repeat_fault_within_days=(i % 40) if i % 13 == 0 else None,
        )
        for i in range(150)
    )
    att = tuple(day(f"{first + dt.timedelta(days=d)}", 420 + 30 * (d % 5)) for d in range(27))
    for system in ("standard", "comprehensive"):
        for mode in ("pro_rata", "chronological"):
            slip = payslip(
                policy(working_time_system=system, base_deduction=mode),
                month=month,
                orders=orders,
                attendance=att,
                quality=(grade("t1", "B"),),
                losses=(loss("88.88"),),
            )
            assert check_payslip(slip) == [], (system, mode)
            assert slip.total_fen == sum(li.amount_fen for li in slip.lines)
