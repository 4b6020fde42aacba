"""Every KPI on a small month checked by hand, plus the attribution rules and the Wilson interval."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from quality_factories import T0, order

from quality.domain import KpiSettings
from quality.kpis import KPI_FUNCTIONS, compute_kpis, wilson_interval
from quality.periods import day_window, month_window, week_window
from quality.scorecard import KPI_NAMES
from vocabulary.orders import CustomerGrade, LineType, OrderType

MARCH = month_window("2026-03")


def hand_month() -> list:
    """The hand-checked month (see each test for the expected counts).

    r1 repair on time, fully satisfied; r2 repair late (VIP 4 h deadline, done after 6 h), slow
    first response (40 min), dissatisfied, repeat fault after 10 days, complaint; r3 repair on
    time, repeat fault after 45 days; i1 install on time (50 h of 72 h), satisfied 4/5; i2 move
    late (30 h of 24 h); c1 cancelled; open1 repair still open past its deadline; n1 repair created
    31 March 20:00, completed 1 April 06:00.
    """
    return [
        order("r1", done_h=2, satisfaction=5, contact_timely=True, appointment_kept=True,
              skill_satisfied=True, attitude_satisfied=True),
        order("r2", deadline_h=4, done_h=6, respond_min=40, grade=CustomerGrade.VIP,
              line=LineType.FIXED_LINE, satisfaction=2, contact_timely=False, appointment_kept=False,
              skill_satisfied=True, attitude_satisfied=False, repeat_fault_within_days=10, complaint=True),
        order("r3", done_h=3, repeat_fault_within_days=45),
        order("i1", OrderType.INSTALL, deadline_h=72, done_h=50, satisfaction=4, contact_timely=True),
        order("i2", OrderType.MOVE, deadline_h=24, done_h=30),
        order("c1", done_h=None, cancelled=True),
        order("open1", done_h=None),
        order("n1", created=dt.datetime(2026, 3, 31, 20), done_h=10),
    ]


def kpi(name: str, settings: KpiSettings | None = None):
    return KPI_FUNCTIONS[name](hand_month(), MARCH, settings or KpiSettings())


def check(name: str, num: int | str, den: int, value: str, num_ids: set[str] | None = None) -> None:
    result = kpi(name)
    assert (result.numerator, result.denominator) == (Decimal(num), den), name
    assert result.value == Decimal(value), name
    if num_ids is not None:
        assert set(result.numerator_ids) == num_ids


def test_registry_matches_stable_names() -> None:
    """Every stable KPI key has exactly one function."""
    assert set(KPI_FUNCTIONS) == set(KPI_NAMES)


def test_repair_timeliness_hand_month() -> None:
    """Repairs completed in March: r1, r2, r3; on time r1, r3 → 2/3 (n1 completes in April)."""
    check("repair_timeliness", 2, 3, "0.666667", {"r1", "r3"})
    assert set(kpi("repair_timeliness").order_ids) == {"r1", "r2", "r3"}


def test_repair_timeliness_by_grade_and_line_type() -> None:
    """Filtering by customer grade / line type gives the breakdown: VIP 0/1, ordinary 2/2."""
    vip = [o for o in hand_month() if o.customer_grade == CustomerGrade.VIP]
    fixed = [o for o in hand_month() if o.line_type == LineType.FIXED_LINE]
    ordinary = [o for o in hand_month() if o.customer_grade == CustomerGrade.ORDINARY]
    s = KpiSettings()
    assert KPI_FUNCTIONS["repair_timeliness"](vip, MARCH, s).value == Decimal(0)
    assert KPI_FUNCTIONS["repair_timeliness"](fixed, MARCH, s).denominator == 1
    assert KPI_FUNCTIONS["repair_timeliness"](ordinary, MARCH, s).value == Decimal(1)


def test_install_timeliness_hand_month() -> None:
    """Install and move orders completed in March: i1 on time, i2 late → 1/2."""
    check("install_timeliness", 1, 2, "0.5", {"i1"})


def test_install_wait_hours_hand_month() -> None:
    """Mean wait of i1 (50 h) and i2 (30 h) = 40 h; numerator is the 80 h total."""
    check("install_wait_hours", 80, 2, "40")
    assert kpi("install_wait_hours").ci_low is None


def test_repeat_report_rate_hand_month_and_window_n() -> None:
    """Repairs r1, r2, r3; repeats within 30 days: r2 (10 days) → 1/3; N=5 → 0/3; N=60 → 2/3."""
    check("repeat_report_rate", 1, 3, "0.333333", {"r2"})
    assert kpi("repeat_report_rate", KpiSettings(repeat_days=5)).numerator == 0
    assert kpi("repeat_report_rate", KpiSettings(repeat_days=60)).numerator == 2


def test_callback_contact_timely_hand_month() -> None:
    """Answered: r1 yes, r2 no, i1 yes → 2/3."""
    check("callback_contact_timely", 2, 3, "0.666667", {"r1", "i1"})


def test_callback_appointment_kept_hand_month() -> None:
    """Answered: r1 yes, r2 no → 1/2."""
    check("callback_appointment_kept", 1, 2, "0.5")


def test_callback_skill_hand_month() -> None:
    """Answered: r1 yes, r2 yes → 2/2."""
    check("callback_skill", 2, 2, "1")


def test_callback_attitude_hand_month() -> None:
    """Answered: r1 yes, r2 no → 1/2."""
    check("callback_attitude", 1, 2, "0.5")


def test_overall_satisfaction_hand_month() -> None:
    """Scores 5, 2, 4; satisfied means >= 4 → 2/3; with threshold 5 → 1/3."""
    check("overall_satisfaction", 2, 3, "0.666667", {"r1", "i1"})
    assert kpi("overall_satisfaction", KpiSettings(satisfied_min=5)).numerator == 1


def test_first_response_hand_month() -> None:
    """Created in March and not cancelled: r1 r2 r3 i1 i2 open1 n1 = 7; r2 answered after 40 min → 6/7."""
    check("first_response_30min", 6, 7, "0.857143")
    assert "c1" not in kpi("first_response_30min").order_ids


def test_first_response_never_dispatched() -> None:
    """An order without any event counts as late once its 30 minutes have run out, and is left out
    while they are still running."""
    waiting = order("w", respond_min=None, done_h=None, created=T0)
    w = day_window("2026-03-02")
    late = KPI_FUNCTIONS["first_response_30min"]([waiting], w, KpiSettings())
    assert (late.numerator, late.denominator) == (0, 1)
    early = KPI_FUNCTIONS["first_response_30min"](
        [waiting], w, KpiSettings(as_of=T0 + dt.timedelta(minutes=20))
    )
    assert early.denominator == 0 and early.value is None


def test_complaints_per_1000_hand_month() -> None:
    """Completed in March: r1 r2 r3 i1 i2 = 5, one complaint → 200 per 1,000."""
    check("complaints_per_1000", 1, 5, "200")
    result = kpi("complaints_per_1000")
    assert result.ci_low is not None and result.ci_high is not None
    assert Decimal(0) < result.ci_low < 200 < result.ci_high <= 1000


def test_overdue_reminders_hand_month() -> None:
    """Due in March: r1 r2 r3 i1 i2 open1 (n1 due in April, c1 cancelled); overdue r2, i2, open1 → 3/6."""
    check("overdue_reminders", 3, 6, "0.5", {"r2", "i2", "open1"})


def test_empty_denominator_gives_none() -> None:
    """No orders: every KPI has denominator 0 and value None (never a fake 0 or 100 %)."""
    for name, result in compute_kpis([], MARCH).items():
        assert result.denominator == 0 and result.value is None, name


def test_week_and_day_windows() -> None:
    """Orders of Monday 2 March count in ISO week 2026-W10 and on that day, not on 3 March."""
    assert kpi_for(week_window("2026-W10")).denominator == 3
    assert kpi_for(day_window("2026-03-02")).denominator == 3
    assert kpi_for(day_window("2026-03-03")).denominator == 0


def kpi_for(window):
    return KPI_FUNCTIONS["repair_timeliness"](hand_month(), window, KpiSettings())


def test_compute_kpis_rejects_unknown_name() -> None:
    """An unknown KPI key is an error naming the known ones."""
    with pytest.raises(ValueError, match="unknown KPI"):
        compute_kpis([], MARCH, names=["speed"])


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(3, 3, "0.438503", "1"), (0, 10, "0", "0.277533"), (81, 100, "0.722212", "0.874852")],
)
def test_wilson_interval_known_values(k: int, n: int, low: str, high: str) -> None:
    """Wilson 95 % intervals match the closed form computed independently in floats (3/3 → [0.4385, 1])."""
    interval = wilson_interval(k, n)
    assert interval is not None
    assert abs(interval[0] - Decimal(low)) < Decimal("0.000002")
    assert abs(interval[1] - Decimal(high)) < Decimal("0.000002")


def test_wilson_interval_rejects_impossible_counts() -> None:
    """More successes than trials is an error; n = 0 has no interval."""
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(4, 3)
