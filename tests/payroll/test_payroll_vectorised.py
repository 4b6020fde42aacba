"""The month-wide fast path (payroll.vectorised) gives exactly the payslips of the order-by-order rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payroll_factories import day, policy, tech

from payroll.compute import _prepare_vectorised, assert_no_float, compute_month
from payroll.domain import (
    AdditionalDeduction,
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayInputs,
    PayLine,
    PayOrder,
    PayTechnician,
    QualityRecord,
    TimeOffLot,
    YearToDate,
    make_lines,
)
from payroll.errors import PayInputError
from payroll.policy import PayPolicy
from payroll.tables import AttendanceTable, OrderTable
from payroll.validate import check_payslips
from vocabulary.calendar import month_bounds
from vocabulary.orders import OrderType

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: March 2026: no public holiday; May 2026: the May Day holidays and an adjusted working weekend
MONTHS = ("2026-03", "2026-05")
POLICIES: dict[tuple[str, str, str], PayPolicy] = {
    (system, mode, repeat): policy(
        working_time_system=system,
        base_deduction=mode,
        base_workload_minutes=900,
        repeat_fault={"mode": repeat, "window_days": 30},
    )
    for system in ("standard", "comprehensive")
    for mode in ("pro_rata", "chronological")
    for repeat in ("claw_back", "paid_once")
}


def both_ways(inputs: PayInputs, pol: PayPolicy) -> list[dict[str, Any]]:
    """Payslips of the fast path, asserted equal to those of the order-by-order reference."""
    with mock.patch("payroll.compute._prepare_vectorised", wraps=_prepare_vectorised) as spy:
        fast = compute_month(inputs, pol)
    assert spy.called  # the month-wide path ran (not the record-by-record fallback)
    reference = compute_month(inputs, pol, vectorised=False)
    # the columnar tables the readers produce: the same payslips as from record objects
    tabled = compute_month(as_tables(inputs), pol)
    fast_json = [p.to_dict() for p in fast]
    reference_json = [p.to_dict() for p in reference]
    assert fast_json == reference_json
    # the same JSON text: keys of every sources dict in the same order too
    assert json.dumps(fast_json) == json.dumps(reference_json)
    assert json.dumps([p.to_dict() for p in tabled]) == json.dumps(reference_json)
    assert_no_float(fast)
    assert check_payslips(fast) == []
    return fast_json


def as_tables(inputs: PayInputs) -> PayInputs:
    """The same month with orders and attendance as columnar tables."""
    return dataclasses.replace(
        inputs,
        orders=OrderTable.from_orders(inputs.orders),
        attendance=AttendanceTable.from_days(inputs.attendance),
    )


def random_month(rng: random.Random, month: str, technicians: int, orders: int) -> PayInputs:
    """A random month: partial employment, leave, rest-day work, equal completion times, outcomes."""
    first, last = month_bounds(month)
    techs = []
    for i in range(technicians):
        start = dt.date(2020, 1, 1) if rng.random() < 0.8 else first + dt.timedelta(days=rng.randint(0, 20))
        end = None if rng.random() < 0.85 else first + dt.timedelta(days=rng.randint(5, 30))
        techs.append(PayTechnician(f"t{i:03d}", rng.choice(["T1", "T2", "T3", "T4", "H", "L"]), start, end))
    days = (last - first).days + 1
    employed = [t for t in techs if max(first, t.start_date) <= min(last, t.end_date or last)]
    out = []
    for i in range(orders):
        worker = rng.choice(employed)
        # completed while employed (an order outside employment is an input problem)
        low = max(first, worker.start_date)
        high = min(last, worker.end_date or last)
        at = dt.datetime.combine(
            low + dt.timedelta(days=rng.randrange((high - low).days + 1)),
            dt.time(rng.randint(7, 22), rng.choice((0, 30))),
        )
        r = rng.random()
        out.append(
            PayOrder(
                f"o{rng.randrange(10**6):06d}-{i}",
                worker.id,
                rng.choice(list(OrderType)),
                rng.randint(1, 3),
                at,
                rng.choice((None, None, rng.randint(10, 300))),
                repeat_fault_within_days=rng.randint(0, 60) if r < 0.15 else None,
                repeat_of=f"o-prev-{i}" if 0.15 < r < 0.25 else None,
                complaint=rng.random() < 0.1,
                praise=rng.random() < 0.1,
                appointment_kept=rng.choice((None, True, False)),
            )
        )
    statuses = list(DayStatus)
    attendance = [
        AttendanceDay(
            t.id, first + dt.timedelta(days=d), rng.choice(statuses), rng.randint(0, 720), rng.random() < 0.3
        )
        for t in techs
        for d in range(days)
        if rng.random() < 0.8
    ]
    rng.shuffle(out)
    rng.shuffle(attendance)
    quality = tuple(QualityRecord(t.id, rng.choice("ABCD")) for t in techs if rng.random() < 0.9)
    losses = tuple(LossDeduction(t.id, Decimal(rng.randint(1, 90000)) / 100, "lost meter") for t in techs[:3])
    return PayInputs(month, tuple(techs), tuple(out), tuple(attendance), quality, losses)


@pytest.mark.parametrize("key", sorted(POLICIES))
@pytest.mark.parametrize("month", MONTHS)
def test_fast_path_equals_reference_on_a_random_month(key: tuple[str, str, str], month: str) -> None:
    inputs = random_month(random.Random(f"{month}{key}"), month, technicians=25, orders=700)
    slips = both_ways(inputs, POLICIES[key])
    assert len(slips) == sum(
        1
        for t in inputs.technicians
        if t.start_date <= month_bounds(month)[1]
        and (t.end_date is None or t.end_date >= month_bounds(month)[0])
    )


@st.composite
def months(draw: st.DrawFn) -> PayInputs:
    """Two technicians, orders that often share a completion instant, attendance with overtime."""
    month = draw(st.sampled_from(MONTHS))
    first, last = month_bounds(month)
    day_of = st.integers(0, (last - first).days)
    n = draw(st.integers(0, 30))
    orders = []
    for i in range(n):
        at = dt.datetime.combine(
            first + dt.timedelta(days=draw(day_of)), dt.time(draw(st.sampled_from([8, 17, 18, 21])))
        )
        orders.append(
            PayOrder(
                f"o{draw(st.integers(0, 99)):02d}-{i}",
                draw(st.sampled_from(["t1", "t2"])),
                draw(st.sampled_from(list(OrderType))),
                draw(st.integers(1, 3)),
                at,
                draw(st.one_of(st.none(), st.integers(1, 400))),
                repeat_fault_within_days=draw(st.one_of(st.none(), st.integers(0, 60))),
                repeat_of=draw(st.one_of(st.none(), st.just("earlier"))),
                complaint=draw(st.booleans()),
                praise=draw(st.booleans()),
                appointment_kept=draw(st.one_of(st.none(), st.booleans())),
            )
        )
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(["t1", "t2"]), day_of, st.integers(0, 720), st.booleans()),
            max_size=40,
            unique_by=lambda r: (r[0], r[1]),
        )
    )
    attendance = tuple(
        AttendanceDay(t, first + dt.timedelta(days=d), DayStatus.WORK, m, c) for t, d, m, c in rows
    )
    techs = (tech("t1", "H"), tech("t2", "L", start=first + dt.timedelta(days=draw(st.integers(-5, 10)))))
    # an order outside employment is an input problem (tested apart): t2's start is after some
    orders = [o for o in orders if o.technician_id == "t1" or o.completed_at.date() >= techs[1].start_date]
    return PayInputs(month, techs, tuple(orders), attendance)


@SETTINGS
@given(inputs=months(), key=st.sampled_from(sorted(POLICIES)))
def test_fast_path_equals_reference(inputs: PayInputs, key: tuple[str, str, str]) -> None:
    both_ways(inputs, POLICIES[key])


def test_orders_completed_at_the_same_instant_are_taken_in_id_order() -> None:
    pol = POLICIES["standard", "chronological", "claw_back"]
    at = dt.datetime(2026, 3, 2, 10)
    orders = tuple(PayOrder(oid, "t1", OrderType.REPAIR, 1, at, 500) for oid in ("c", "a", "b"))
    slips = both_ways(PayInputs("2026-03", (tech(),), orders, (day("2026-03-02", 480),)), pol)
    base = next(li for li in slips[0]["lines"] if li["rule"] == "base_workload")
    assert base["sources"]["covering_order_ids"] == ["a", "b"]  # 900 minutes: a fills, b crosses


def test_duplicate_attendance_still_reported() -> None:
    pol = POLICIES["standard", "pro_rata", "claw_back"]
    attendance = (day("2026-03-02", 480), day("2026-03-02", 500))
    with pytest.raises(PayInputError):
        compute_month(PayInputs("2026-03", (tech(),), (), attendance), pol)


def test_unchecked_orders_of_unknown_technicians_are_ignored_like_the_reference() -> None:
    pol = POLICIES["comprehensive", "chronological", "paid_once"]
    orders = (
        PayOrder("a", "t1", OrderType.MOVE, 2, dt.datetime(2026, 3, 3, 9), None),
        PayOrder("b", "ghost", OrderType.MOVE, 2, dt.datetime(2026, 3, 3, 9), None),
    )
    inputs = PayInputs("2026-03", (tech(),), orders, (day("2026-03-03", 480),))
    fast = compute_month(inputs, pol, check=False)
    assert [p.to_dict() for p in fast] == [
        p.to_dict() for p in compute_month(inputs, pol, check=False, vectorised=False)
    ]


def test_order_ids_with_nul_characters_keep_their_exact_text() -> None:
    """Ids with NUL characters (which a numpy string round trip would cut) are copied as they are."""
    pol = POLICIES["standard", "chronological", "claw_back"]
    at = dt.datetime(2026, 3, 2, 10)
    orders = tuple(
        PayOrder(oid, "t1", OrderType.REPAIR, 1, at + dt.timedelta(hours=i), 400)
        for i, oid in enumerate(("b\x00", "a", "c\x00\x00", "d"))
    )
    slips = both_ways(PayInputs("2026-03", (tech(),), orders, (day("2026-03-02", 480),)), pol)
    base = next(li for li in slips[0]["lines"] if li["rule"] == "base_workload")
    assert base["sources"]["covering_order_ids"] == ["b\x00", "a", "c\x00\x00"]


def test_many_lines_at_once_equal_lines_one_by_one() -> None:
    """make_lines builds the same frozen lines as PayLine(...), and refuses columns of unequal length."""
    qty, rate, one, mult = Decimal("1.5"), Decimal(35), Decimal(1), Decimal("1.2")
    line = PayLine("piece_pay", "k", "label", qty, rate, one, mult, 6300, {"a": 1})
    lines = make_lines(
        ["piece_pay"] * 2,
        ["k"] * 2,
        ["label"] * 2,
        [qty] * 2,
        [rate] * 2,
        [one] * 2,
        [mult] * 2,
        [6300] * 2,
        [{"a": 1}, {"a": 1}],
    )
    assert lines == [line, line]
    with pytest.raises(ValueError, match="length"):
        make_lines(["r"], ["k"], ["l"], [qty], [rate], [one], [mult], [1], [{}, {}])


@pytest.mark.parametrize("overrides", [{"pay_overtime_hours": False}, {"items": {}}])
@pytest.mark.parametrize("system", ["standard", "comprehensive"])
def test_fast_path_equals_reference_without_overtime_hours_or_items(
    overrides: dict[str, Any], system: str
) -> None:
    """The month-wide line builders give no overtime-hours or item lines exactly when the rules give none."""
    for mode in ("pro_rata", "chronological"):
        pol = policy(working_time_system=system, base_deduction=mode, base_workload_minutes=900, **overrides)
        inputs = random_month(
            random.Random(f"{overrides}{system}{mode}"), "2026-05", technicians=20, orders=500
        )
        both_ways(inputs, pol)


@pytest.mark.parametrize("month_name", ["2026-05", "2026-07"])
@pytest.mark.parametrize("mode", ["pro_rata", "chronological"])
@pytest.mark.parametrize("system", ["standard", "comprehensive"])
def test_fast_path_equals_reference_with_take_home_pay(system: str, mode: str, month_name: str) -> None:
    """Social insurance, housing fund, cumulative income tax, allowances (night, summer), sick leave
    and time off in lieu: both paths agree to the byte."""
    rng = random.Random(f"take-home{system}{mode}{month_name}")
    month = random_month(rng, month_name, technicians=30, orders=800)
    techs = tuple(
        dataclasses.replace(
            t, previous_year_average_wage=rng.choice((None, Decimal(rng.randint(100000, 3500000)) / 100))
        )
        for t in month.technicians
    )
    ytd = tuple(
        YearToDate(t.id, 4, rng.randint(0, 8_000_000), rng.randint(0, 900_000), 0, rng.randint(0, 400_000))
        for t in techs
        if rng.random() < 0.7
    )
    additional = tuple(
        AdditionalDeduction(t.id, kind, Decimal(rng.choice(("1000.00", "2000.00", "1500.00"))))
        for t in techs
        for kind in ("children_education", "elderly_support")
        if rng.random() < 0.3
    )
    lots = tuple(
        TimeOffLot(t.id, earned, rng.randint(60, 900))
        for t in techs
        for earned in ("2026-01", "2026-03", "2026-04")
        if rng.random() < 0.3
    )
    inputs = dataclasses.replace(
        month, technicians=techs, year_to_date=ytd, additional_deductions=additional, time_off_balance=lots
    )
    pol = policy(
        working_time_system=system,
        base_deduction=mode,
        base_workload_minutes=900,
        withholding={"social_insurance": True, "housing_fund": True, "income_tax": True},
        allowances={"night": {"start": "21:00:00", "end": "07:30:00", "amount_per_order": "8.50"}},
    )
    slips = both_ways(inputs, pol)
    rules = {line["rule"] for s in slips for line in s["lines"]}
    assert any(line["rule"] == "income_tax" and line["amount_fen"] < 0 for s in slips for line in s["lines"])
    assert all(s["employer_lines"] for s in slips)
    assert {"night_allowance", "sick_leave"} <= rules
    assert ("high_temperature_allowance" in rules) == (month_name == "2026-07")
