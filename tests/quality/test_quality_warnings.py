"""Warnings: lights, the two-months-running trigger and the escalation list."""

from __future__ import annotations

import datetime as dt

from quality_factories import order

from quality.domain import EscalationReason, KpiSettings, Light, UnitKind
from quality.table import kpi_table
from quality.warnings import escalations, light_warnings, monthly_warnings, two_month_triggers

FEB = dt.datetime(2026, 2, 2, 8)
MAR = dt.datetime(2026, 3, 2, 8)


def repairs(start: dt.datetime, n: int, late: int, tech: str = "t1") -> list:
    return [
        order(f"{tech}-{start:%m}-{i}", tech=tech, created=start + dt.timedelta(hours=i),
              done_h=30 if i < late else 2)
        for i in range(n)
    ]


def timeliness_warnings(orders: list, month: str = "2026-03") -> list:
    return [w for w in monthly_warnings(orders, month, UnitKind.TECHNICIAN) if w.kpi == "repair_timeliness"]


def test_trigger_when_missed_two_months_running() -> None:
    """Timeliness 0.8 in February and in March: a trigger (months_missed 2)."""
    (w,) = timeliness_warnings(repairs(FEB, 10, 2) + repairs(MAR, 10, 2))
    assert w.trigger and w.months_missed == 2 and w.light == Light.RED


def test_no_trigger_after_a_good_month() -> None:
    """Good February, bad March: a red light, no trigger."""
    (w,) = timeliness_warnings(repairs(FEB, 10, 0) + repairs(MAR, 10, 2))
    assert not w.trigger and w.light == Light.RED


def test_no_warning_when_target_met() -> None:
    """Bad February, good March: nothing for March."""
    assert timeliness_warnings(repairs(FEB, 10, 2) + repairs(MAR, 10, 0)) == []


def test_yellow_between_warn_and_target() -> None:
    """19 of 20 on time is 0.95 (green); 18 of 20 is 0.90 (yellow: meets the warning limit only)."""
    assert timeliness_warnings(repairs(MAR, 20, 1)) == []
    (w,) = timeliness_warnings(repairs(MAR, 20, 2))
    assert w.light == Light.YELLOW


def test_small_sample_never_warns() -> None:
    """Two repairs, both late: grey (2 < min sample 5), no warning."""
    assert timeliness_warnings(repairs(MAR, 2, 2)) == []


def test_trigger_from_stored_previous_month() -> None:
    """When February's orders are not loaded, its stored light is used."""
    stored = {("t1", "repair_timeliness"): Light.RED}
    found = monthly_warnings(repairs(MAR, 10, 2), "2026-03", previous=stored)
    assert [w.trigger for w in found if w.kpi == "repair_timeliness"] == [True]


def test_two_month_triggers_grey_previous_is_not_a_miss() -> None:
    """A grey (unjudgeable) previous month does not count as a miss."""
    names = ["repair_timeliness"]
    this = kpi_table(repairs(MAR, 10, 2), UnitKind.TECHNICIAN, "month", ["2026-03"], names=names)
    last = kpi_table(repairs(FEB, 2, 2), UnitKind.TECHNICIAN, "month", ["2026-02"], names=names)
    assert two_month_triggers(this, last) == []
    assert len(light_warnings(this)) == 1


def test_escalation_list() -> None:
    """Overdue, dissatisfied, repeat-fault and complaint orders are listed with every reason;
    good, cancelled and other-month orders are not."""
    orders = [
        order("good", done_h=2, satisfaction=5),
        order("late", done_h=30),
        order("open", done_h=None),
        order("unhappy", done_h=2, satisfaction=2, appointment_kept=False),
        order("noanswer", done_h=2, skill_satisfied=False),
        order("repeat", done_h=2, repeat_fault_within_days=7, complaint=True),
        order("repeat-late", done_h=2, repeat_fault_within_days=40),
        order("cancel", done_h=None, cancelled=True),
        order("april", created=dt.datetime(2026, 4, 2), done_h=30),
    ]
    found = {e.order_id: set(e.reasons) for e in escalations(orders, "2026-03", KpiSettings())}
    assert found == {
        "late": {EscalationReason.OVERDUE},
        "open": {EscalationReason.OVERDUE},
        "unhappy": {EscalationReason.DISSATISFIED},
        "noanswer": {EscalationReason.DISSATISFIED},
        "repeat": {EscalationReason.REPEAT_FAULT, EscalationReason.COMPLAINT},
    }
