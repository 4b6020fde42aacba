"""The branch's day as one record: roster → on-duty shifts → plan → work orders.

Through the real store and service code on real databases: the plan in force and the order table
hold the same status and technician for every order after any sequence of valid and invalid
events (hypothesis), a refused event changes nothing, concurrent events of one day are all applied
one after the other, a stale version is refused, a re-roster moves the technicians who are off.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from factories import (
    CENTRE,
    LOOP_DAY,
    loop_roster,
    plan_loop_day,
    seed_loop_day,
    seed_org,
    store_order,
    work_order,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldcrew import records
from fieldcrew.db import dispose_engine, session_scope
from fieldcrew.tables import CONTACTED, OrderEventRow, WorkOrderRow
from scheduler.day import plan_input, roster_published
from scheduler.dispatch import ledger, service, store
from scheduler.dispatch.domain import DayInput, DispatchOrder, DispatchPolicy, OnDutySource
from scheduler.dispatch.errors import (
    DayUnderWay,
    EventNotAllowed,
    EventOutOfOrder,
    NoRosterForDay,
    NotYourOrder,
    OrderTableConflict,
    OrderTableDay,
    PlanVersionConflict,
    UnknownOrder,
)
from scheduler.dispatch.events import (
    AnyEvent,
    AppointmentRescheduled,
    ContactChannel,
    CustomerContacted,
    NewOrder,
    OrderAssigned,
    OrderCancelled,
    OrderCompleted,
    OrderResumed,
    OrderStarted,
    OrderSuspended,
    TechnicianUnavailable,
)
from scheduler.dispatch.intake import choose_orders
from scheduler.dispatch.ledger import OrderMark
from scheduler.dispatch.synthetic import make_input, make_order, make_tech
from scheduler.dispatch.validate import validate_plan
from scheduler.roster import store as roster_store
from vocabulary.errors import FieldcrewError, InputErrors
from vocabulary.orders import CustomerGrade, OrderStatus, TimeWindow

DAY = LOOP_DAY
ON_DUTY = ("T-001", "T-002", "T-005")


def _snapshot(url: str) -> tuple[Any, ...]:
    """Everything an event may change: the orders' rows, their history, the plan and event log."""
    with session_scope(url) as s:
        orders = sorted(
            (
                r.id,
                r.status,
                r.technician_id,
                r.fixed,
                r.repeat_of,
                r.appointment_start,
                r.repeat_fault_within_days,
                r.first_contact_at,
                r.contacts_recorded,
            )
            for r in s.scalars(select(WorkOrderRow))
        )
        events = s.scalar(select(func.count()).select_from(OrderEventRow))
        _, plan = store.load_state(s, "B1", DAY)
        log = len(store.list_events(s, "B1", DAY))
    return orders, events, plan.version, log


def _assert_one_record(url: str) -> None:
    """Plan in force and order table agree; nobody off duty has work; the plan validates."""
    with session_scope(url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
        assert ledger.disagreements(s, inp) == []
    off = {t.id for t in inp.technicians if not t.available} | {"T-003", "T-004"}
    for route in plan.routes:
        if route.technician_id in off:
            assert all(stop.status != "planned" for stop in route.stops), route
    assert validate_plan(inp, plan) == []


# --------------------------------------------------------------------------------------------------
# the hypothesis property
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned_day(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Path:
    """A migrated SQLite file with the loop day seeded, its roster published and its morning plan
    stored (a template: each example works on a copy)."""
    path = tmp_path_factory.mktemp("loop") / "day.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    plan_loop_day(url)
    dispose_engine(url)
    return path


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    return tmp_path


_ACTORS = [
    ("dispatcher", None),
    ("dispatcher", None),
    ("tech1", "T-001"),
    ("tech2", "T-002"),
    ("tech5", "T-005"),
]
_KINDS = [  # the technicians' progress more often than the rest
    "order_started",
    "order_started",
    "order_resumed",
    "order_suspended",
    "order_completed",
    "order_completed",
    "order_cancelled",
    "order_assigned",
    "appointment_rescheduled",
    "technician_unavailable",
    "new_order",
    "customer_contacted",
]


#: the status an order needs for each kind of event to be valid
_NEEDS = {
    "customer_contacted": OrderStatus.DISPATCHED,
    "order_started": OrderStatus.DISPATCHED,
    "order_resumed": OrderStatus.SUSPENDED,
    "order_suspended": OrderStatus.STARTED,
    "order_completed": OrderStatus.STARTED,
}


def _draw_event(draw: st.DrawFn, inp: DayInput, technician_id: str | None, k: int) -> AnyEvent:
    """A random event, mostly a plausible one (an order in the right state, the actor's own), often not."""
    # hypothesis leans to the first choices: plausible ones first, the invalid last
    at = inp.now + dt.timedelta(minutes=draw(st.sampled_from([5, 0, 20, 45, -10])))  # -10: before the clock

    def fits(kind: str) -> list[str]:
        return [
            o.id
            for o in inp.orders
            if (kind not in _NEEDS or o.status == _NEEDS[kind])
            and (technician_id is None or o.technician_id == technician_id)
        ]

    possible = [k for k in _KINDS if fits(k)]
    kind = draw(st.sampled_from(possible if possible and draw(st.integers(0, 3)) < 3 else _KINDS))
    fitting = fits(kind)
    anything = [o.id for o in inp.orders] + ["WO-NOPE"]
    plausible = bool(fitting) and draw(st.integers(0, 3)) < 3
    order_id = draw(st.sampled_from(fitting if plausible else anything))
    tech = draw(st.sampled_from([*ON_DUTY, "T-003", "T-999"]))
    if kind == "order_started":
        return OrderStarted(at=at, order_id=order_id, technician_id=draw(st.sampled_from([None, None, tech])))
    if kind == "order_resumed":
        return OrderResumed(at=at, order_id=order_id, technician_id=draw(st.sampled_from([None, None, tech])))
    if kind == "order_suspended":
        reason = draw(st.sampled_from(["customer absent", "no cable"]))
        return OrderSuspended(at=at, order_id=order_id, reason=reason)
    if kind == "order_completed":
        return OrderCompleted(
            at=at,
            order_id=order_id,
            fixed=draw(st.sampled_from([None, True, False])),
            appointment_kept=draw(st.sampled_from([None, True, False])),
            repeat_of=draw(st.sampled_from([None, None, "WO-00", "WO-NOPE"])),
        )
    if kind == "order_cancelled":
        return OrderCancelled(at=at, order_id=order_id, reason="customer withdrew")
    if kind == "order_assigned":
        return OrderAssigned(at=at, order_id=order_id, technician_id=tech)
    if kind == "appointment_rescheduled":
        start = at + dt.timedelta(hours=draw(st.sampled_from([1, 3, 24])))
        return AppointmentRescheduled(
            at=at, order_id=order_id, appointment=TimeWindow(start=start, end=start + dt.timedelta(hours=2))
        )
    if kind == "technician_unavailable":
        return TechnicianUnavailable(at=at, technician_id=tech, reason="vehicle broke down")
    if kind == "customer_contacted":
        channel = draw(st.sampled_from(list(ContactChannel)))
        return CustomerContacted(at=at, order_id=order_id, channel=channel)
    new_id = draw(st.sampled_from([f"WO-N{k}", f"WO-N{k}", "WO-01"]))  # sometimes an id already taken
    return NewOrder(
        at=at,
        order=DispatchOrder(
            id=new_id,
            area_id=draw(st.sampled_from(["A1", "A2", "A3", "A4"])),
            location=CENTRE,
            customer_grade=draw(st.sampled_from(list(CustomerGrade))),
            created=at,
            deadline=at + dt.timedelta(hours=4),
            duration_min=draw(st.integers(20, 90)),
        ),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_plan_and_order_table_are_one_record(
    planned_day: Path, example_dir: Path, data: st.DataObject
) -> None:
    """After every valid event the order table holds each plan order's status and technician; an
    invalid one (unknown order or technician, out of the life cycle, before the clock, someone
    else's order, an event a technician may not post, a taken id, a bad repeat_of, a contact of an
    order not dispatched) is refused and changes nothing; every plan passes the validator."""
    path = example_dir / f"ex-{threading.get_ident()}-{data.draw(st.integers(0, 10**9))}.db"
    shutil.copyfile(planned_day, path)
    url = f"sqlite:///{path}"
    try:
        _assert_one_record(url)
        accepted = refused = 0
        for k in range(data.draw(st.integers(4, 16))):
            with session_scope(url) as s:
                inp, _ = store.load_state(s, "B1", DAY)
            actor, technician_id = data.draw(st.sampled_from(_ACTORS))
            change = _draw_event(data.draw, inp, technician_id, k)
            before = _snapshot(url)
            try:
                with session_scope(url) as s:
                    service.post_event(s, "B1", DAY, change, actor, technician_id=technician_id)
            except FieldcrewError as exc:
                refused += 1
                event(f"{change.kind} by {actor}: refused ({type(exc).__name__})")
                assert _snapshot(url) == before, change
            else:
                accepted += 1
                event(f"{change.kind} by {actor}: applied")
                # a contact with the customer changes no plan: the version in force stays
                assert _snapshot(url)[2] == before[2] + (change.kind != "customer_contacted")
            _assert_one_record(url)
        assert accepted + refused > 0
    finally:
        dispose_engine(url)
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------
# the roster → dispatch seam
# --------------------------------------------------------------------------------------------------


def test_rostered_day_gives_shifts_rest_leave_and_support_deployment(db_url: str) -> None:
    """The roster store's day: shift clock times from the shift definition, rest and leave apart,
    the support member with the group the roster deployed him to; the newest published version wins."""
    with session_scope(db_url) as s:
        seed_loop_day(s)
        first = loop_roster(s, DAY - dt.timedelta(days=1))
        assert roster_store.rostered_day(s, "B1", DAY) is None  # a draft does not count
        roster_store.publish(s, first, "disp")
        day = roster_store.rostered_day(s, "B1", DAY)
        assert day is not None and day.roster_id == first
        assert [x.technician_id for x in day.shifts] == ["T-001", "T-002", "T-005"]
        assert day.resting == ("T-003",) and day.on_leave == ("T-004",)
        t5 = day.shift_of("T-005")
        assert t5 is not None and t5.support and t5.region_group_id == "G1"
        assert (t5.start, t5.end) == (
            dt.datetime.combine(DAY, dt.time(8)),
            dt.datetime.combine(DAY, dt.time(16)),
        )
        second = loop_roster(s, DAY - dt.timedelta(days=1), sick="T-002")
        roster_store.publish(s, second, "disp")
        day = roster_store.rostered_day(s, "B1", DAY)
        assert day is not None and day.roster_id == second and day.on_leave == ("T-002", "T-004")
        assert roster_store.rostered_day(s, "B1", DAY + dt.timedelta(days=30)) is None


def test_a_day_without_roster_is_refused_unless_overridden(db_url: str) -> None:
    """No published roster: refused naming branch, day and rule; an explicit on-duty list is taken
    and recorded as "roster overridden by <user>"; with a roster, the list may not name anyone
    resting or on leave."""
    with session_scope(db_url) as s:
        seed_loop_day(s)
        with pytest.raises(NoRosterForDay, match=f"B1 on {DAY}.*rule"):
            plan_input(s, "B1", DAY, None, "disp")
        inp, linked = plan_input(s, "B1", DAY, ["T-001", "T-003"], "disp")
        assert inp.intake is not None and inp.intake.source == OnDutySource.OVERRIDE
        assert inp.intake.note == "roster overridden by disp" and inp.intake.roster_id is None
        assert [t.id for t in inp.technicians] == ["T-001", "T-003"] and linked.base_version == 0
        roster_store.publish(s, loop_roster(s, DAY - dt.timedelta(days=1)), "disp")
        with pytest.raises(InputErrors) as refused:
            plan_input(s, "B1", DAY, ["T-001", "T-003", "T-004"], "disp")
        assert [p.value for p in refused.value.problems] == ["T-003", "T-004"]
        inp, _ = plan_input(s, "B1", DAY, None, "disp")
        assert [t.id for t in inp.technicians] == list(ON_DUTY)
        support = next(t for t in inp.technicians if t.id == "T-005")
        assert support.region_group_id == "G1" and not support.support_team  # works for G1 today
        assert inp.intake is not None and inp.intake.source == OnDutySource.ROSTER


def test_a_republished_roster_moves_who_is_off(db_url: str) -> None:
    """A re-roster published after a sick call: the sick technician leaves the stored day, his
    started order is suspended, his waiting orders go to others; recorded as an event with the diff;
    the order table follows."""
    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
    mine = [stop.order_id for stop in (plan.route_of("T-002") or plan.routes[0]).stops]
    assert len(mine) >= 2, plan
    with session_scope(db_url) as s:
        service.post_event(
            s, "B1", DAY, OrderStarted(at=inp.now, order_id=mine[0]), "tech2", technician_id="T-002"
        )
    with session_scope(db_url) as s:
        sick = loop_roster(s, DAY - dt.timedelta(days=1), sick="T-002")
        roster_store.publish(s, sick, "disp")
        [change] = roster_published(s, sick, "disp")
    assert change.off_duty == {"T-002": f"on leave on {DAY} (roster {sick} v2)"} and change.on_duty == []
    assert set(mine[1:]) <= set(change.moved)
    with session_scope(db_url) as s:
        rows = {r.id: r for r in s.scalars(select(WorkOrderRow).where(WorkOrderRow.id.in_(mine)))}
        assert (rows[mine[0]].status, rows[mine[0]].technician_id) == ("suspended", None)
        assert all(rows[o].technician_id != "T-002" for o in mine[1:])
        [logged] = [e for e in store.list_events(s, "B1", DAY) if e.kind == "roster_changed"]
        assert logged.payload["off_duty"] == change.off_duty and set(logged.payload["orders_moved"]) >= set(
            mine
        )
        assert roster_published(s, sick, "disp") == []  # nothing more to change
    _assert_one_record(db_url)


def test_a_day_under_way_is_not_planned_again(db_url: str) -> None:
    """A second morning plan is allowed while nothing started (it re-dispatches), refused after."""
    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, linked = plan_input(s, "B1", DAY, None, "disp")
        assert linked.base_version == 1
        _, plan = store.load_state(s, "B1", DAY)
    first = plan.routes[0].stops[0].order_id
    with session_scope(db_url) as s:
        service.post_event(s, "B1", DAY, OrderStarted(at=inp.now, order_id=first), "disp")
    with session_scope(db_url) as s, pytest.raises(DayUnderWay, match=first):
        plan_input(s, "B1", DAY, None, "disp")


# --------------------------------------------------------------------------------------------------
# serialising one day's events
# --------------------------------------------------------------------------------------------------


def test_concurrent_events_are_all_applied_in_turn(any_db_url: str) -> None:
    """Six new orders posted at once from six threads: all applied, each to the version the one
    before stored (versions 2…7, no gap, no lost update), the order table has all six."""
    plan_loop_day(any_db_url)
    with session_scope(any_db_url) as s:
        inp, _ = store.load_state(s, "B1", DAY)
    at = inp.now + dt.timedelta(minutes=30)
    errors: list[BaseException] = []
    versions: list[int] = []
    barrier = threading.Barrier(6)

    def post(i: int) -> None:
        order = DispatchOrder(
            id=f"WO-C{i}",
            area_id="A1",
            location=CENTRE,
            created=at,
            deadline=at + dt.timedelta(hours=8),
            duration_min=30,
        )
        try:
            barrier.wait()
            with session_scope(any_db_url) as s:
                versions.append(
                    service.post_event(s, "B1", DAY, NewOrder(at=at, order=order), f"d{i}").version
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(versions) == [2, 3, 4, 5, 6, 7]
    with session_scope(any_db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
        assert plan.version == 7 and {f"WO-C{i}" for i in range(6)} <= {o.id for o in inp.orders}
        assert [e.plan_version for e in store.list_events(s, "B1", DAY)] == [2, 3, 4, 5, 6, 7]
    _assert_one_record_on(any_db_url)


def _assert_one_record_on(url: str) -> None:
    with session_scope(url) as s:
        inp, _ = store.load_state(s, "B1", DAY)
        assert ledger.disagreements(s, inp) == []


def test_a_stale_version_is_a_conflict_and_changes_nothing(db_url: str) -> None:
    """An event sent against a version that is no longer in force: 409 naming both versions."""
    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
    first = plan.routes[0].stops[0].order_id
    with session_scope(db_url) as s:
        service.post_event(s, "B1", DAY, OrderStarted(at=inp.now, order_id=first), "disp", expected_version=1)
    before = _snapshot(db_url)
    with pytest.raises(PlanVersionConflict, match="version 1.*version 2"), session_scope(db_url) as s:
        service.post_event(
            s, "B1", DAY, OrderCompleted(at=inp.now, order_id=first), "disp", expected_version=1
        )
    assert _snapshot(db_url) == before


# --------------------------------------------------------------------------------------------------
# the order table's side
# --------------------------------------------------------------------------------------------------


def test_an_order_changed_outside_dispatch_blocks_its_events(db_url: str) -> None:
    """The table no longer says what the plan says (someone changed it directly): the event that
    would move the order is refused naming it, and nothing is written."""
    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
        first = plan.routes[0].stops[0].order_id
        row = s.get(WorkOrderRow, first)
        assert row is not None
        row.status, row.technician_id = "cancelled", None
    before = _snapshot(db_url)
    with pytest.raises(OrderTableConflict, match=f"order {first}"), session_scope(db_url) as s:
        service.post_event(s, "B1", DAY, OrderStarted(at=inp.now, order_id=first), "disp")
    assert _snapshot(db_url) == before


def test_a_move_is_an_undispatch_and_a_dispatch(db_url: str) -> None:
    """An order assigned by hand to another technician: its history reads dispatched → created →
    dispatched (a valid life cycle for the KPIs), stamped with who did it."""
    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
    order, owner = next((stop.order_id, r.technician_id) for r in plan.routes for stop in r.stops)
    other = next(t for t in ON_DUTY if t != owner)
    at = inp.now + dt.timedelta(minutes=1)
    with session_scope(db_url) as s:
        applied = service.post_event(
            s, "B1", DAY, OrderAssigned(at=at, order_id=order, technician_id=other), "disp"
        )
    change = next(c for c in applied.changes if c.order_id == order)
    assert change.steps == (OrderStatus.CREATED, OrderStatus.DISPATCHED)
    assert change.after == OrderMark(OrderStatus.DISPATCHED, other)
    with session_scope(db_url) as s:
        history = [
            (e.status, e.technician_id, e.actor)
            for e in s.scalars(
                select(OrderEventRow).where(OrderEventRow.order_id == order).order_by(OrderEventRow.id)
            )
        ]
    assert history == [
        ("dispatched", owner, "dispatcher"),
        ("created", None, "disp"),
        ("dispatched", other, "disp"),
    ]


def test_technicians_post_only_their_own_progress(db_url: str) -> None:
    """A technician: other kinds → EventNotAllowed (403); another's or an unknown order → the same
    NotYourOrder (404); starting as someone else → EventNotAllowed."""
    plan_loop_day(db_url)
    with session_scope(db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
    route = plan.route_of("T-001")
    assert route is not None and route.stops
    mine = route.stops[0].order_id
    theirs = next(stop.order_id for r in plan.routes if r.technician_id != "T-001" for stop in r.stops)
    cases: list[tuple[AnyEvent, type[Exception]]] = [
        (OrderCancelled(at=inp.now, order_id=mine), EventNotAllowed),
        (OrderStarted(at=inp.now, order_id=theirs), NotYourOrder),
        (OrderStarted(at=inp.now, order_id="WO-NOPE"), NotYourOrder),
        (OrderStarted(at=inp.now, order_id=mine, technician_id="T-002"), EventNotAllowed),
    ]
    for bad, error in cases:
        with pytest.raises(error), session_scope(db_url) as s:
            service.post_event(s, "B1", DAY, bad, "tech1", technician_id="T-001")
    with session_scope(db_url) as s:
        service.post_event(
            s, "B1", DAY, OrderStarted(at=inp.now, order_id=mine), "tech1", technician_id="T-001"
        )
        day = service.technician_day(s, "T-001", DAY)
    assert day.stops[0].order_id == mine and day.stops[0].status == OrderStatus.STARTED
    assert {x.order_id for x in day.stops} == {stop.order_id for stop in route.stops}


def test_a_direct_input_may_not_name_stored_orders(db_url: str) -> None:
    """A day input given directly that names orders of the order table, or replaces a day planned
    from it, is refused: its changes would never reach the work orders."""
    with session_scope(db_url) as s:
        seed_org(s)
        store_order(s, work_order("O1"))
        direct = make_input([make_tech("T-001", home="A1")], [make_order("O1"), make_order("O9")])
        with pytest.raises(OrderTableDay, match="O1"):
            service.check_direct_input(s, direct)


# --------------------------------------------------------------------------------------------------
# the technician's first contact with the customer
# --------------------------------------------------------------------------------------------------


def _contacts(url: str, order_id: str) -> list[tuple[dt.datetime, str | None, str | None, str | None]]:
    """(time, technician, who recorded it, why) of every contact row of an order, oldest first."""
    with session_scope(url) as s:
        rows = s.scalars(
            select(OrderEventRow)
            .where(OrderEventRow.order_id == order_id, OrderEventRow.status == CONTACTED)
            .order_by(OrderEventRow.id)
        )
        return [(r.at, r.technician_id, r.actor, r.reason) for r in rows]


def _mine(url: str, technician_id: str) -> list[str]:
    with session_scope(url) as s:
        _, plan = store.load_state(s, "B1", DAY)
    route = plan.route_of(technician_id)
    assert route is not None and len(route.stops) >= 2, plan
    return [stop.order_id for stop in route.stops]


def test_a_contact_is_recorded_and_the_first_one_kept(db_url: str) -> None:
    """T-001 phones the customer of his first order at 08:10: one contact row (time, technician,
    who recorded it, channel), ``first_contact_at`` 08:10; the plan keeps its version, routes and
    statuses, the event log holds the contact under the version in force. An SMS at 08:40 is
    recorded too and leaves ``first_contact_at`` at 08:10; the order's status history holds no
    contact. Every order the morning plan dispatched records contacts from then on."""
    plan_loop_day(db_url)
    first = _mine(db_url, "T-001")[0]
    with session_scope(db_url) as s:
        inp, plan = store.load_state(s, "B1", DAY)
        dispatched = [o.id for o in inp.orders if o.status == OrderStatus.DISPATCHED]
        assert dispatched and all(
            s.get(WorkOrderRow, oid).contacts_recorded for oid in dispatched  # type: ignore[union-attr]
        )
    at = dt.datetime.combine(DAY, dt.time(8, 10))
    before = _snapshot(db_url)
    with session_scope(db_url) as s:
        applied = service.post_event(
            s, "B1", DAY, CustomerContacted(at=at, order_id=first, channel=ContactChannel.PHONE), "tech1",
            technician_id="T-001",
        )
    assert (applied.version, applied.changes, applied.first_contact_at) == (1, (), at)
    assert _contacts(db_url, first) == [(at, "T-001", "tech1", "customer_contacted: phone")]
    later = at + dt.timedelta(minutes=30)
    with session_scope(db_url) as s:
        again = service.post_event(
            s, "B1", DAY, CustomerContacted(at=later, order_id=first, channel=ContactChannel.SMS), "tech1",
            technician_id="T-001",
        )
    assert again.first_contact_at == at
    assert [c[0] for c in _contacts(db_url, first)] == [at, later]
    after = _snapshot(db_url)
    assert after[2:] == (1, before[3] + 2) and after[1] == before[1] + 2  # same version, two log entries
    with session_scope(db_url) as s:
        row = s.get(WorkOrderRow, first)
        assert row is not None and (row.status, row.first_contact_at) == ("dispatched", at)
        assert [e.status for e in records.read_orders(s) if e.id == first][0] == OrderStatus.DISPATCHED
        assert all(e.status != CONTACTED for o in records.read_orders(s) for e in o.history)
        _, plan_after = store.load_state(s, "B1", DAY)
        logged = store.list_events(s, "B1", DAY)
    assert plan_after == plan
    assert [(e.kind, e.plan_version, e.payload["first_contact_at"]) for e in logged] == [
        ("customer_contacted", 1, at.isoformat()),
        ("customer_contacted", 1, at.isoformat()),
    ]
    _assert_one_record(db_url)


def test_a_contact_that_breaks_a_rule_changes_nothing(db_url: str) -> None:
    """Each refused, naming the rule, with the order table, the plan and the log as they were:
    another technician's order and an unknown one (404 for a technician), an unknown order from a
    dispatcher, a time before the plan's clock or before a contact already recorded (409), a time
    on another day (422, field ``at``), a completed order (409), an order changed outside dispatch
    (409)."""
    plan_loop_day(db_url)
    mine, theirs = _mine(db_url, "T-001"), _mine(db_url, "T-002")
    eight = dt.datetime.combine(DAY, dt.time(8, 0))

    def contact(order_id: str, minutes: int, **kw: Any) -> CustomerContacted:
        return CustomerContacted(at=eight + dt.timedelta(minutes=minutes), order_id=order_id,
                                 channel=ContactChannel.VISIT, **kw)

    with session_scope(db_url) as s:  # a contact at 08:30, then the second order started and done
        service.post_event(s, "B1", DAY, contact(mine[0], 30), "tech1", technician_id="T-001")
        five = eight + dt.timedelta(minutes=5)
        for kind in (OrderStarted, OrderCompleted):
            service.post_event(s, "B1", DAY, kind(at=five, order_id=mine[1]), "disp")
    cases: list[tuple[CustomerContacted, str | None, type[Exception], str]] = [
        (contact(theirs[0], 10), "T-001", NotYourOrder, theirs[0]),
        (contact("WO-NOPE", 10), "T-001", NotYourOrder, "WO-NOPE"),
        (contact("WO-NOPE", 10), None, UnknownOrder, "rule: events must name an order"),
        (contact(mine[0], -10), "T-001", EventOutOfOrder, "rule: events are applied in time order"),
        (contact(mine[0], 20), "T-001", EventOutOfOrder, "contacts of an order are recorded in time order"),
        (contact(mine[0], 24 * 60), "T-001", InputErrors, "happens on that day"),
        (contact(mine[1], 10), "T-001", EventOutOfOrder, "status completed"),
    ]
    for bad, technician_id, error, rule in cases:
        before = _snapshot(db_url)
        with pytest.raises(error, match=rule), session_scope(db_url) as s:
            service.post_event(s, "B1", DAY, bad, "tech1", technician_id=technician_id)
        assert _snapshot(db_url) == before, bad
    with session_scope(db_url) as s:
        row = s.get(WorkOrderRow, mine[2] if len(mine) > 2 else theirs[1])
        assert row is not None
        row.status = "cancelled"
        changed = row.id
    before = _snapshot(db_url)
    with pytest.raises(OrderTableConflict, match=f"order {changed}"), session_scope(db_url) as s:
        service.post_event(s, "B1", DAY, contact(changed, 40), "disp")
    assert _snapshot(db_url) == before


# --------------------------------------------------------------------------------------------------
# the day's intake
# --------------------------------------------------------------------------------------------------


def _order(oid: str, **kw: Any) -> DispatchOrder:
    created = kw.pop("created", dt.datetime(2026, 6, 1, 9, 0))
    base: dict[str, Any] = {
        "id": oid,
        "area_id": "A1",
        "location": CENTRE,
        "created": created,
        "deadline": created + dt.timedelta(hours=24),
        "duration_min": 60,
    }
    return DispatchOrder.model_validate(base | kw)


def test_intake_takes_appointments_then_the_most_urgent_up_to_capacity() -> None:
    """Appointments of the day always; later appointments wait silently; past appointments and
    skills nobody has are deferred with their reason; the rest by due-today, grade, deadline until
    the capacity (work share × shift minutes) is used: the first that does not fit ends the intake."""
    day = dt.date(2026, 6, 2)
    tech = make_tech("T1").model_copy(  # 08:00–12:00: 240 shift minutes, 192 at a work share of 0.8
        update={"shift_start": dt.datetime(2026, 6, 2, 8), "shift_end": dt.datetime(2026, 6, 2, 12)}
    )
    today = TimeWindow(start=dt.datetime(2026, 6, 2, 9), end=dt.datetime(2026, 6, 2, 11))
    later = TimeWindow(start=dt.datetime(2026, 6, 3, 9), end=dt.datetime(2026, 6, 3, 11))
    past = TimeWindow(start=dt.datetime(2026, 5, 30, 9), end=dt.datetime(2026, 5, 30, 11))
    orders = [
        _order("APPT", appointment=today),
        _order("LATER", appointment=later),
        _order("PAST", appointment=past),
        _order("SPLICE", required_skills={"fibre_splicing"}),
        _order("DUE-ORD", created=dt.datetime(2026, 6, 1, 7), duration_min=80),  # due 06-02 07:00
        _order("DUE-VIP", created=dt.datetime(2026, 6, 1, 8), customer_grade=CustomerGrade.VIP),
        _order(
            "NEXT-VIP", created=dt.datetime(2026, 6, 2, 7), customer_grade=CustomerGrade.VIP, duration_min=10
        ),
    ]
    intake = choose_orders(orders, [tech], day, DispatchPolicy())
    assert intake.capacity_min == 192
    # 60 + 60 = 120; DUE-ORD would make 200 > 192: the intake ends there, even though NEXT-VIP's 10
    # minutes would still fit (no lower-ranked order jumps ahead)
    assert [o.id for o in intake.taken] == ["APPT", "DUE-VIP"] and intake.taken_min == 120
    deferred = {d.order_id: d for d in intake.deferred}
    assert set(deferred) == {"PAST", "SPLICE", "DUE-ORD", "NEXT-VIP"}  # LATER waits for its own day
    assert "has passed" in deferred["PAST"].reason and "skills" in deferred["SPLICE"].reason
    assert deferred["DUE-ORD"].reason.startswith("capacity: 120 of 192") and deferred["DUE-ORD"].overdue
    assert not deferred["NEXT-VIP"].overdue


def test_a_rescheduled_order_is_retimed_in_place() -> None:
    """An order rescheduled to a later window that stays at its place in the same route is re-timed
    (no stale ETA from the previous version): the plan validates and the visit starts in the window."""
    from scheduler.dispatch.engine import SolveParams
    from scheduler.dispatch.events import apply_event, start_day
    from scheduler.dispatch.synthetic import at

    state = start_day(
        make_input([make_tech("T1")], [make_order("O1", x_km=0.5)]), SolveParams(time_limit_s=0.2)
    )
    window = TimeWindow(start=at("10:00"), end=at("12:00"))
    new = apply_event(state, AppointmentRescheduled(at=at("08:00"), order_id="O1", appointment=window))
    route = new.plan.route_of("T1")
    assert route is not None and [s.order_id for s in route.stops] == ["O1"]
    assert route.stops[0].start >= window.start
    assert validate_plan(new.inp, new.plan, previous=state.plan) == []
