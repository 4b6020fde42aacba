"""Answers of 0 and "no" are answers: outcomes survive reading (files, database) into every KPI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from quality_factories import order, technician

from quality import io
from quality.domain import KpiSettings
from quality.kpis import KPI_FUNCTIONS, completed_at
from quality.periods import month_window
from quality.validate import has_outcome, validate_records
from vocabulary.orders import OrderType, WorkOrder

MARCH = month_window("2026-03")
CALLBACK = {
    "callback_contact_timely": "contact_timely",
    "callback_appointment_kept": "appointment_kept",
    "callback_skill": "skill_satisfied",
    "callback_attitude": "attitude_satisfied",
}


def rec(oid: str, **over: Any) -> dict[str, Any]:
    """A completed ordinary repair of t1 on 2 March, as text cells, without any outcome."""
    base = {
        "id": oid, "order_type": "repair", "created": "2026-03-02 08:00",
        "deadline": "2026-03-03 08:00", "technician_id": "t1", "dispatched_at": "2026-03-02 08:10",
        "started_at": "2026-03-02 09:00", "completed_at": "2026-03-02 10:00",
    }
    return base | over


def test_has_outcome_reads_zero_and_no_as_answers() -> None:
    """0 days and "no" are answers; blank is not; complaint/praise tell only when true."""
    assert has_outcome({"repeat_fault_within_days": 0, "complaint": False, "praise": False})
    assert has_outcome({"contact_timely": False, "complaint": False})
    assert not has_outcome({"satisfaction": None, "contact_timely": None, "complaint": False,
                            "praise": False})
    assert has_outcome({"satisfaction": None, "complaint": True})


def test_same_day_repeat_counts_in_the_repeat_rate() -> None:
    """Two repairs; one came back the same day (0 days): repeat-report rate 1/2, numerator = it."""
    data = validate_records([rec("a", repeat_fault_within_days="0"), rec("b")])
    assert not data.problems
    result = KPI_FUNCTIONS["repeat_report_rate"](data.orders, MARCH, KpiSettings())
    assert (result.numerator, result.denominator, result.value) == (Decimal(1), 2, Decimal("0.5"))
    assert result.numerator_ids == ("a",)


def test_callback_answered_no_to_all_four_counts_in_all_four() -> None:
    """A callback answering no to all four questions: 0/1 in each of the four callback KPIs (it used to
    vanish: value None), and it is in each denominator."""
    data = validate_records([rec("a", contact_timely="no", appointment_kept="0", skill_satisfied="否",
                                 attitude_satisfied="false")])
    for name in CALLBACK:
        result = KPI_FUNCTIONS[name](data.orders, MARCH, KpiSettings())
        assert (result.numerator, result.denominator, result.value) == (Decimal(0), 1, Decimal(0)), name
        assert result.order_ids == ("a",)


def test_negative_repeat_days_names_row_field_and_rule() -> None:
    """-1 days cannot be: reported with row 3, field and rule; left out of the repeat rate only."""
    data = validate_records([rec("a"), rec("b", repeat_fault_within_days="-1")], file="o.csv")
    (problem,) = data.problems
    assert (problem.file, problem.row, problem.field) == ("o.csv", 3, "repeat_fault_within_days")
    assert problem.rule.startswith("bad_repeat_fault")
    assert KPI_FUNCTIONS["repeat_report_rate"](data.orders, MARCH, KpiSettings()).denominator == 1
    assert KPI_FUNCTIONS["repair_timeliness"](data.orders, MARCH, KpiSettings()).denominator == 2


def test_database_keeps_zero_and_no(db_url: str) -> None:
    """The same answers stored in work_orders and read back: still counted."""
    from sqlalchemy import insert

    from fieldcrew import records
    from fieldcrew.db import Base, session_scope

    orders = [order("z", repeat_fault_within_days=0), order("n", contact_timely=False,
                                                             appointment_kept=False,
                                                             skill_satisfied=False,
                                                             attitude_satisfied=False)]
    with session_scope(db_url) as session:
        tables = Base.metadata.tables
        branch = {"id": "b1", "name": "B1", "province": "", "bbox": None}
        session.execute(insert(tables["branches"]), [branch])
        session.execute(insert(tables["districts"]), [{"id": "d1", "branch_id": "b1", "name": "D1"}])
        session.execute(insert(tables["region_groups"]), [{"id": "g1", "branch_id": "b1", "district_id": "d1",
                                                           "name": "G1", "operating_model": "urban_dense"}])
        session.execute(insert(tables["small_areas"]), [{"id": "a1", "region_group_id": "g1", "name": "A1",
                                                         "area_type": "urban", "lat": 30.0, "lon": 120.0}])
        session.execute(insert(tables["technicians"]), [records.technician_row(technician("t1"))])
        session.execute(insert(tables["work_orders"]), [records.order_row(o) for o in orders])
        session.execute(insert(tables["order_events"]), [e for o in orders for e in records.event_rows(o)])
    with session_scope(db_url) as session:
        data = io.load_orders_db(session, MARCH.start, MARCH.end)
    repeat = KPI_FUNCTIONS["repeat_report_rate"](data.orders, MARCH, KpiSettings())
    assert (repeat.numerator, repeat.denominator) == (Decimal(1), 2)
    for name in CALLBACK:
        assert KPI_FUNCTIONS[name](data.orders, MARCH, KpiSettings()).order_ids == ("n",)


maybe_bool = st.none() | st.booleans()


@st.composite
def completed_orders(draw: st.DrawFn, oid: str) -> WorkOrder:
    created = dt.datetime(2026, 3, 1) + dt.timedelta(minutes=draw(st.integers(0, 28 * 24 * 60)))
    outcome: dict[str, Any] = {}
    if draw(st.booleans()):
        outcome = {
            "satisfaction": draw(st.none() | st.integers(1, 5)),
            "contact_timely": draw(maybe_bool), "appointment_kept": draw(maybe_bool),
            "skill_satisfied": draw(maybe_bool), "attitude_satisfied": draw(maybe_bool),
            "repeat_fault_within_days": draw(st.none() | st.sampled_from([0, 0, 1, 29, 30, 31])),
            "complaint": draw(st.booleans()), "praise": draw(st.booleans()),
        }
    return order(oid, draw(st.sampled_from(list(OrderType))), created=created, respond_min=5,
                 done_h=draw(st.sampled_from([1, 3, 30])), **outcome)


def covers(name: str, o: WorkOrder) -> bool:
    """Whether the definition of KPI ``name`` covers the completed order ``o`` (written out here,
    independently of quality.kpis)."""
    out = o.outcome
    if name in ("repair_timeliness", "repeat_report_rate"):
        return o.order_type == OrderType.REPAIR
    if name in ("install_timeliness", "install_wait_hours"):
        return o.order_type != OrderType.REPAIR
    if name in CALLBACK:
        return out is not None and getattr(out, CALLBACK[name]) is not None
    if name == "overall_satisfaction":
        return out is not None and out.satisfaction is not None
    return name == "complaints_per_1000"


COMPLETION_KPIS = (
    "repair_timeliness", "install_timeliness", "install_wait_hours", "repeat_report_rate",
    *CALLBACK, "overall_satisfaction", "complaints_per_1000",
)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 10).flatmap(lambda n: st.tuples(*[completed_orders(f"o{i}") for i in range(n)])))
def test_every_outcome_counted_wherever_its_definition_covers_it(orders: tuple[WorkOrder, ...]) -> None:
    """Read back from its flat record (as files and the database give it), every completed order with
    an outcome is in the denominator of exactly the completion KPIs whose definitions cover it, and
    every KPI equals the one computed from the orders themselves."""
    data = validate_records([io.order_record(o) for o in orders])
    assert not data.problems and len(data.orders) == len(orders)
    for back, original in zip(data.orders, orders, strict=True):
        if original.outcome is not None and has_outcome(original.outcome.model_dump()):
            assert back.outcome == original.outcome
    for name in COMPLETION_KPIS:
        read = KPI_FUNCTIONS[name](data.orders, MARCH, KpiSettings())
        direct = KPI_FUNCTIONS[name](orders, MARCH, KpiSettings())
        expected = {o.id for o in orders if MARCH.contains(completed_at(o)) and covers(name, o)}
        assert set(read.order_ids) == expected, name
        assert (read.numerator, read.denominator) == (direct.numerator, direct.denominator), name
