"""Columnar orders and attendance (payroll.tables): the same records, read without objects."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payroll_factories import MONTH, day, order, policy, tech

from payroll.compute import compute_month
from payroll.domain import AttendanceDay, DayStatus, PayInputs, PayOrder
from payroll.store import input_digest
from payroll.tables import AttendanceTable, OrderTable, OrderTableBuilder
from vocabulary.orders import OrderType


def some_orders() -> tuple[PayOrder, ...]:
    return (
        order("a", "2026-03-02T09:00", minutes=None),
        order("b", "2026-03-02T19:30:15.000250", minutes=None, complaint=True),
        order("c", "2026-03-07T10:00", tech_id="t2", kind=OrderType.INSTALL, difficulty=3, minutes=None),
        order("d", "2026-03-31T23:59:59", repeat_fault_within_days=3, repeat_of="x", appointment_kept=False),
    )


def test_an_order_table_is_the_sequence_of_its_orders() -> None:
    orders = some_orders()
    table = OrderTable.from_orders(orders)
    assert len(table) == 4
    assert tuple(table) == orders  # every field, microseconds included
    assert table[-1] == orders[-1] and table[1] == orders[1]
    assert table == orders and table == OrderTable.from_orders(list(orders))
    assert table != orders[:3]
    assert repr(table) == repr(orders)  # a run's input digest does not depend on the form
    assert table.unusual_at == [1, 3]  # "a" and "c" have every optional field at its default
    with pytest.raises(IndexError):
        table[4]
    assert OrderTable.from_orders(table) is table


def test_taking_orders_keeps_their_optional_fields() -> None:
    orders = some_orders()
    table = OrderTable.from_orders(orders)
    assert tuple(table.take([0, 3])) == (orders[0], orders[3])
    assert tuple(table[1:3]) == orders[1:3]
    assert table.take([0, 3]).unusual_at == [1]  # "d" is unusual at its new place


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        OrderTable(["a", "b"], ["t1"], [OrderType.MOVE], [1], np.zeros(1, dtype=np.int64))
    with pytest.raises(ValueError, match="ascending positions"):
        OrderTable(["a"], ["t1"], [OrderType.MOVE], [1], np.zeros(1, dtype=np.int64), [1], [(None,) * 6])
    with pytest.raises(ValueError, match="differ in length"):
        AttendanceTable(["t1"], np.zeros(2, dtype=np.int64), [DayStatus.WORK], np.zeros(1), np.zeros(1))


def test_an_attendance_table_is_the_sequence_of_its_days() -> None:
    days = (
        day("2026-03-02", 480),
        AttendanceDay("t2", dt.date(2026, 3, 3), DayStatus.PAID_LEAVE),
        AttendanceDay("t1", dt.date(2026, 3, 8), DayStatus.WORK, 300, True),
    )
    table = AttendanceTable.from_days(days)
    assert tuple(table) == days and table == days and repr(table) == repr(days)
    assert tuple(table[1:]) == days[1:]
    assert table[-1].comp_time_off is True and isinstance(table[0].worked_minutes, int)


def test_the_same_month_from_tables_or_objects_gives_the_same_payslips_and_digest() -> None:
    pol = policy(base_workload_minutes=60)
    inputs = PayInputs(
        MONTH,
        (tech("t1"), tech("t2", "L")),
        some_orders(),
        (
            day("2026-03-02", 600),
            day("2026-03-07", 480),
            AttendanceDay("t2", dt.date(2026, 3, 7), DayStatus.WORK, 480),
        ),
    )
    tabled = dataclasses.replace(
        inputs,
        orders=OrderTable.from_orders(inputs.orders),
        attendance=AttendanceTable.from_days(inputs.attendance),
    )
    assert [p.to_dict() for p in compute_month(tabled, pol)] == [
        p.to_dict() for p in compute_month(inputs, pol)
    ]
    assert input_digest(tabled, pol) == input_digest(inputs, pol)


def test_orders_of_technicians_not_employed_in_the_month_are_left_out_of_a_table_too() -> None:
    pol = policy()
    orders = some_orders()
    gone = tech("t2", end=dt.date(2026, 2, 28))
    inputs = PayInputs(MONTH, (tech("t1"), gone), orders[:2], (day("2026-03-02", 480),))
    tabled = dataclasses.replace(inputs, orders=OrderTable.from_orders(orders))  # c is t2's
    assert [p.to_dict() for p in compute_month(tabled, pol, check=False)] == [
        p.to_dict() for p in compute_month(dataclasses.replace(inputs, orders=orders), pol, check=False)
    ]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)),
            st.one_of(st.none(), st.integers(1, 500)),
            st.one_of(st.none(), st.integers(0, 60)),
            st.booleans(),
            st.one_of(st.none(), st.booleans()),
        ),
        max_size=20,
    ),
    picks=st.lists(st.integers(0, 19), max_size=10),
)
def test_tables_round_trip_any_orders(
    rows: list[tuple[dt.datetime, int | None, int | None, bool, bool | None]], picks: list[int]
) -> None:
    orders = tuple(
        PayOrder(f"o{i}", "t1", OrderType.REPAIR, 2, at, minutes, days, None, flag, not flag, kept)
        for i, (at, minutes, days, flag, kept) in enumerate(rows)
    )
    builder = OrderTableBuilder()
    for o in orders:
        builder.add_order(o)
    table = builder.build()
    assert tuple(table) == orders
    positions = sorted({p for p in picks if p < len(orders)})
    assert tuple(table.take(positions)) == tuple(orders[p] for p in positions)
