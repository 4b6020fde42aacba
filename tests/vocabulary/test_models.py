"""The shared vocabulary validates what it is given and names the rule that was broken."""

import datetime as dt

import pytest
from pydantic import ValidationError

from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import (
    CustomerGrade,
    IllegalTransition,
    OrderStatus,
    OrderType,
    ServiceDeadlines,
    StatusEvent,
    TimeWindow,
    WorkOrder,
    check_transition,
)
from vocabulary.organisation import Branch, Location, haversine_km
from vocabulary.staff import ContactData, Technician

T0 = dt.datetime(2026, 6, 1, 9, 0)


def _order(**kw: object) -> WorkOrder:
    base: dict[str, object] = dict(
        id="WO1", order_type=OrderType.REPAIR, area_id="A1", location=Location(lat=31.8, lon=117.2),
        created=T0, deadline=T0 + dt.timedelta(hours=24),
    )
    base.update(kw)
    return WorkOrder.model_validate(base)


def test_order_life_cycle_accepts_the_normal_path() -> None:
    """created → dispatched → started → suspended → started → completed is a valid history."""
    steps = ["dispatched", "started", "suspended", "started", "completed"]
    history = tuple(StatusEvent(status=OrderStatus(s), at=T0 + dt.timedelta(minutes=10 * i))
                    for i, s in enumerate(steps, 1))
    order = _order(history=history, status=OrderStatus.COMPLETED)
    assert order.time_of(OrderStatus.STARTED) == T0 + dt.timedelta(minutes=20)
    assert order.last_time_of(OrderStatus.STARTED) == T0 + dt.timedelta(minutes=40)


def test_completing_an_order_never_started_is_refused() -> None:
    """An event out of order names the order, both states and what is allowed."""
    with pytest.raises(IllegalTransition, match="WO9: cannot go from dispatched to completed"):
        check_transition("WO9", OrderStatus.DISPATCHED, OrderStatus.COMPLETED)
    with pytest.raises(ValidationError, match="cannot go from created to completed"):
        _order(history=(StatusEvent(status=OrderStatus.COMPLETED, at=T0),), status=OrderStatus.COMPLETED)


def test_deadline_and_window_rules() -> None:
    """A deadline before creation and a window ending before it starts are both refused."""
    with pytest.raises(ValidationError, match="deadline must be after"):
        _order(deadline=T0)
    with pytest.raises(ValidationError, match="window end must be after"):
        TimeWindow(start=T0, end=T0)


def test_service_deadlines_are_configurable_and_complete() -> None:
    """Default deadlines exist for every type and grade; a missing or non-positive one is refused."""
    deadlines = ServiceDeadlines()
    assert deadlines.deadline(OrderType.REPAIR, CustomerGrade.VIP, T0) == T0 + dt.timedelta(hours=4)
    assert CustomerGrade.VIP.rank < CustomerGrade.GOLD.rank < CustomerGrade.ORDINARY.rank
    with pytest.raises(ValidationError, match="missing deadline"):
        ServiceDeadlines(minutes={OrderType.REPAIR: {CustomerGrade.VIP: 60}})


def test_technician_personal_data_never_in_repr() -> None:
    """Contact data and names stay out of reprs, and so out of logs and tracebacks."""
    tech = Technician(
        id="T001", name="Zhang San", branch_id="B1", region_group_id="G01", post_grade="T2",
        start_date=dt.date(2020, 1, 1), contact=ContactData(phone="13800000000"),  # type: ignore[arg-type]
    )
    assert "13800000000" not in repr(tech) and "Zhang" not in repr(tech)
    assert "13800000000" not in tech.model_dump_json()
    assert tech.employed_on(dt.date(2026, 6, 1))


def test_technician_rules() -> None:
    """Employment must not end before it starts; a non-support technician needs a region group."""
    with pytest.raises(ValidationError, match="end_date"):
        Technician(id="T1", name="x", branch_id="B", region_group_id="G", post_grade="T1",
                   start_date=dt.date(2026, 1, 2), end_date=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="region_group_id"):
        Technician(id="T1", name="x", branch_id="B", post_grade="T1", start_date=dt.date(2026, 1, 2))
    Technician(id="S1", name="x", branch_id="B", post_grade="T1", support_team=True,
               start_date=dt.date(2026, 1, 2))


def test_geography() -> None:
    """Haversine distance is right to a few metres; a bbox contains what lies inside it only."""
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)
    branch = Branch(id="B", name="b", bbox=(31.7, 117.1, 31.95, 117.4))
    assert branch.contains(Location(lat=31.8, lon=117.2))
    assert not branch.contains(Location(lat=30.0, lon=117.2))
    with pytest.raises(ValidationError, match="bbox"):
        Branch(id="B", name="b", bbox=(32, 117, 31, 118))


def test_input_errors_name_every_problem() -> None:
    """An InputErrors lists each problem with file, row, field, value and rule."""
    err = InputErrors([Problem(field="rating_pct", rule="must be > 0", value=0, row=3, file="obs.csv"),
                       Problem(field="order_type", rule="one of install/move/repair", value="fix", row=5)])
    text = str(err)
    assert "2 problem(s)" in text and "nothing was written" in text
    assert "file obs.csv, row 3, field 'rating_pct': value 0 breaks rule: must be > 0" in text
    assert err.problems[1].as_dict()["value"] == "fix"


def test_order_times_with_a_utc_offset_become_local_naive_time() -> None:
    """A creation time, deadline, appointment or status time given with a UTC offset is converted to
    Asia/Shanghai local time without a zone (01:00Z is 09:00; +08:00 stays as written); times
    without one are local already. A mix of both compares on one clock instead of failing."""
    utc = dt.UTC
    order = _order(
        created=dt.datetime(2026, 6, 1, 1, 0, tzinfo=utc),
        deadline=dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        appointment={"start": "2026-06-01T02:00:00Z", "end": "2026-06-01T12:00:00"},
        history=[{"status": "dispatched", "at": "2026-06-01T01:30:00+00:00"}],
        status=OrderStatus.DISPATCHED,
    )
    assert order.created == T0 and order.created.tzinfo is None
    assert order.deadline == dt.datetime(2026, 6, 2, 9, 0) and order.deadline.tzinfo is None
    assert order.appointment == TimeWindow(start=dt.datetime(2026, 6, 1, 10), end=dt.datetime(2026, 6, 1, 12))
    assert order.history[0].at == dt.datetime(2026, 6, 1, 9, 30)
    with pytest.raises(ValidationError, match="deadline must be after the creation time"):
        _order(created="2026-06-01T09:00:00", deadline="2026-06-01T00:30:00Z")  # 08:30 local


def test_dispatch_input_times_with_a_utc_offset_become_local_naive_time() -> None:
    """The dispatch day input takes times with an offset the same way: orders, shifts, the clock."""
    from scheduler.dispatch.domain import DispatchOrder, OnDutyShift, OnDutyTechnician

    order = DispatchOrder(id="O1", area_id="A1", location=Location(lat=31.8, lon=117.2), duration_min=30,
                          created=dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC),
                          deadline=dt.datetime(2026, 6, 1, 18, 0),
                          started_at=dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC))
    assert (order.created, order.started_at) == (dt.datetime(2026, 6, 1, 8), dt.datetime(2026, 6, 1, 9))
    tech = OnDutyTechnician.model_validate({
        "id": "T1", "region_group_id": "G1", "start_location": {"lat": 31.8, "lon": 117.2},
        "shift_start": "2026-06-01T00:00:00Z", "shift_end": "2026-06-01T17:00:00"})
    assert tech.shift_start == dt.datetime(2026, 6, 1, 8) and tech.shift_start.tzinfo is None
    shift = OnDutyShift(technician_id="T1", start="2026-06-01T00:00:00Z", end="2026-06-01T17:00:00")
    assert shift.start == dt.datetime(2026, 6, 1, 8)


def test_outcome_repeat_fault_window_is_bounded() -> None:
    """A repeat fault is recorded within at most a year (366 days) of completion."""
    from vocabulary.orders import MAX_REPEAT_FAULT_DAYS, Outcome

    assert Outcome(repeat_fault_within_days=MAX_REPEAT_FAULT_DAYS).repeat_fault_within_days == 366
    with pytest.raises(ValidationError, match="repeat_fault_within_days"):
        Outcome(repeat_fault_within_days=367)
    with pytest.raises(ValidationError, match="repeat_fault_within_days"):
        Outcome(repeat_fault_within_days=2**63)


def test_branch_name_and_territory_are_bounded() -> None:
    """A branch name holds at most 200 characters; its bounding box is (south, west, north, east) in
    WGS-84 degrees (latitudes −90..90, longitudes −180..180), south below north and west of east."""
    Branch(id="B1", name="分" * 200, bbox=(-90, -180, 90, 180))
    with pytest.raises(ValidationError, match="name"):
        Branch(id="B1", name="分" * 201)
    for bad in [(-91, 117.0, 32.0, 117.5), (31.6, -181, 32.0, 117.5), (31.6, 117.0, 91, 117.5),
                (31.6, 117.0, 32.0, 1e308), (31.6, 117.0, float("nan"), 117.5)]:
        with pytest.raises(ValidationError, match="bbox"):
            Branch(id="B1", name="x", bbox=bad)
    with pytest.raises(ValidationError, match="south<north"):
        Branch(id="B1", name="x", bbox=(32.1, 117.0, 31.6, 117.5))
    with pytest.raises(ValidationError, match="west<east"):
        Branch(id="B1", name="x", bbox=(31.6, 117.5, 32.1, 117.0))
