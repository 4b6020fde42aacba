"""The branch's day as one loop, through the real HTTP API.

publish a roster → plan the day from it → urgent order → the technicians' own started / suspended /
resumed / completed events → a re-roster after a sick call → month KPIs → payroll, asserting at
every step that the plan and the order table say the same, that nobody resting or on leave is
dispatched, that a technician sees and touches only his own orders, and that refused events change
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
import tomllib
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from factories import (
    CENTRE,
    store_order,
    store_roster_draft,
    technician,
    work_order,
)
from sqlalchemy import func, select
from timepool_factories import study

from fieldcrew import records
from fieldcrew.auth import create_user
from fieldcrew.tables import ObservationRow, OrderEventRow, TechnicianRow, WorkOrderRow
from payroll.policy import default_policy_path
from scheduler.dispatch import ledger, store
from scheduler.dispatch.validate import validate_plan
from vocabulary.orders import CustomerGrade, OrderStatus, OrderType, StatusEvent, TimeWindow

START = dt.date(2026, 6, 1)  # a Monday: the roster's first day
DAY = dt.date(2026, 6, 2)  # the day planned (roster day 1)
PATH = f"/dispatch/plans/B1/{DAY}"
ON_DUTY = {"T-001", "T-002", "T-005"}  # T-003 rests, T-004 is on leave that day


def _at(hhmm: str, day: dt.date = DAY) -> str:
    return f"{day}T{hhmm}:00"


def _seed(api: Any) -> None:
    """B1/G1 with T-001…T-004 and support member T-005; the day's orders, a backlog, appointments."""
    from factories import seed_org

    with api.session() as s:
        seed_org(s)
        support = technician("T-005", support_team=True, region_group_id=None, home_area_id=None)
        s.add(TechnicianRow(**records.technician_row(support)))
        s.flush()
        created = dt.datetime.combine(DAY, dt.time(6, 0))
        for i in range(8):  # reported this morning, due tomorrow morning
            store_order(
                s,
                work_order(
                    f"WO-D{i}", area_id=f"A{i % 4 + 1}", created=created + dt.timedelta(minutes=10 * i)
                ),
            )
        for i in range(20):  # the backlog: overdue repairs of the week before
            old = dt.datetime(2026, 5, 25, 9, 0) + dt.timedelta(hours=7 * i)
            grade = CustomerGrade.VIP if i % 7 == 0 else CustomerGrade.ORDINARY
            store_order(
                s, work_order(f"WO-B{i:02d}", area_id=f"A{i % 4 + 1}", created=old, customer_grade=grade)
            )
        for i, hour in enumerate((10, 14)):  # installs booked for the day
            window = TimeWindow(
                start=dt.datetime.combine(DAY, dt.time(hour)), end=dt.datetime.combine(DAY, dt.time(hour + 2))
            )
            store_order(
                s,
                work_order(
                    f"WO-A{i}",
                    order_type=OrderType.INSTALL,
                    area_id="A2",
                    created=dt.datetime(2026, 5, 30, 9, 0),
                    appointment=window,
                    deadline=dt.datetime(2026, 6, 3, 9, 0),
                ),
            )
        done = dt.datetime(2026, 5, 20, 10, 0)  # a repair T-003 closed in May: the fault will come back
        history = (
            StatusEvent(
                status=OrderStatus.DISPATCHED, at=done - dt.timedelta(hours=1), technician_id="T-003"
            ),
            StatusEvent(
                status=OrderStatus.STARTED, at=done - dt.timedelta(minutes=40), technician_id="T-003"
            ),
            StatusEvent(status=OrderStatus.COMPLETED, at=done, technician_id="T-003"),
        )
        store_order(
            s,
            work_order(
                "WO-OLD",
                created=done - dt.timedelta(hours=3),
                status=OrderStatus.COMPLETED,
                technician_id="T-003",
                history=history,
            ),
        )
        s.add_all(ObservationRow(**records.observation_row(o)) for o in study(120, seed=4))
        later = TimeWindow(start=dt.datetime(2026, 6, 4, 9, 0), end=dt.datetime(2026, 6, 4, 11, 0))
        store_order(
            s,
            work_order(
                "WO-LATER",
                order_type=OrderType.INSTALL,
                created=dt.datetime(2026, 6, 1, 9, 0),
                appointment=later,
                deadline=dt.datetime(2026, 6, 5, 9, 0),
            ),
        )
        missed = TimeWindow(start=dt.datetime(2026, 5, 31, 9, 0), end=dt.datetime(2026, 5, 31, 11, 0))
        store_order(
            s,
            work_order(
                "WO-MISSED",
                order_type=OrderType.INSTALL,
                created=dt.datetime(2026, 5, 29, 9, 0),
                appointment=missed,
                deadline=dt.datetime(2026, 6, 1, 9, 0),
            ),
        )


def _roster(api: Any, sick: bool = False, parent_id: str | None = None) -> str:
    """T-001, T-002 work every day but one; T-003 rests and T-004 is on leave on DAY; the support
    member T-005 works for G1 on DAY. ``sick``: T-002 is off sick on DAY (a re-roster)."""
    work = ["D"] * 7
    assignment: dict[str, list[str | None]] = {
        "T-001": [*work[:5], None, "D"],
        "T-002": [*work[:1], None if sick else "D", *work[2:6], None],
        "T-003": ["D", None, *work[2:]],
        "T-004": ["D", None, *work[2:]],
        "T-005": [None, "D", None, "D", None, "D", None],
    }
    leave = {"T-004": {1}} | ({"T-002": {1}} if sick else {})
    support = {"T-005": [None, "G1", None, "G1", None, "G1", None]}
    with api.session() as s:
        return store_roster_draft(
            s, START, assignment, leave, support, frozenset({"T-005"}), parent_id=parent_id
        )


def _wait(api: Any, location: str, user: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        job: dict[str, Any] = api.client.get(location, headers=api.headers(user)).json()
        if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def _table(api: Any) -> dict[str, tuple[str, str | None]]:
    with api.session() as s:
        return {r.id: (r.status, r.technician_id) for r in s.scalars(select(WorkOrderRow))}


def _events_count(api: Any) -> int:
    with api.session() as s:
        return int(s.scalar(select(func.count()).select_from(OrderEventRow)) or 0)


def _agrees(api: Any) -> None:
    """The plan in force and the order table hold the same status and technician for every order."""
    with api.session() as s:
        inp, plan = store.load_state(s, "B1", DAY)
        assert ledger.disagreements(s, inp) == []
        assert validate_plan(inp, plan) == []  # every plan in force passes the solver-independent checker
        for route in plan.routes:  # and nobody resting or on leave has work
            if route.technician_id not in ON_DUTY:
                assert not route.stops, route


def _problem(res: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = res.json()
    assert body["type"].endswith("/" + kind), body
    return body


def _refused(api: Any, call: Callable[[], httpx.Response], status: int, kind: str) -> dict[str, Any]:
    """``call`` is answered with a problem+json error and changes neither the plan nor the orders."""
    before = (_table(api), _events_count(api), _version(api))
    body = _problem(call(), status, kind)
    assert (_table(api), _events_count(api), _version(api)) == before
    return body


def _version(api: Any) -> int:
    res = api.client.get(f"{PATH}/board", headers=api.headers("dispatcher"))
    return int(res.json()["version"]) if res.status_code == 200 else 0


def _post(api: Any, user: str, event: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = api.client.post(f"{PATH}/events", json=event, headers=api.headers(user))
    return response


def _board(api: Any) -> dict[str, Any]:
    board: dict[str, Any] = api.client.get(f"{PATH}/board", headers=api.headers("dispatcher")).json()
    return board


def _stops_of(board: dict[str, Any], tech: str) -> list[str]:
    return [s["order_id"] for r in board["routes"] if r["technician_id"] == tech for s in r["stops"]]


def _policy() -> dict[str, Any]:
    data = tomllib.loads(default_policy_path().read_text(encoding="utf-8"))["policies"][0]
    data.update(base_workload_minutes=0)  # every completed order earns piece pay: one line each group
    return dict(json.loads(json.dumps(data, default=str)))


def test_the_branch_day_as_one_loop(api_client: Any) -> None:
    """Roster → plan → events from the technicians' own keys → re-roster → KPIs → payroll; the plan
    and the order table agree after every step; bad events are refused and change nothing."""
    api, disp = api_client, api_client.headers("dispatcher")
    _seed(api)

    # -- 1. without a published roster the day is refused, naming branch, day and rule ------------------
    body = _refused(
        api, lambda: api.client.post(PATH, json={"seconds": 1}, headers=disp), 409, "no-published-roster"
    )
    assert "B1" in body["detail"] and str(DAY) in body["detail"] and "rule" in body["detail"]
    roster_id = _roster(api)
    published = api.client.post(f"/rosters/{roster_id}/publish", headers=disp)
    assert published.status_code == 200, published.text
    assert published.json()["dispatch"] == []  # no day plan yet to move

    # an explicit on-duty list naming someone the roster has resting is refused too
    bad = _refused(
        api,
        lambda: api.client.post(PATH, json={"on_duty": ["T-001", "T-003"]}, headers=disp),
        422,
        "invalid-input",
    )
    assert any(e["value"] == "T-003" and "rests" in e["rule"] for e in bad["errors"])

    # -- 2. plan the day from the roster (order minutes: the work-hour pool's standard hours) -----------
    saved = api.client.post(
        "/timepool/standards", json={"branch_id": "B1", "save": True}, headers=api.headers("planner")
    )
    assert saved.status_code == 200, saved.text
    standard = {
        (c["order_type"], c["difficulty"], c["area_type"]): c["standard_min"]
        for c in saved.json()["tables"][0]["cells"]
    }[("repair", 1, "urban")]
    res = api.client.post(PATH, json={"seconds": 2}, headers=disp)
    assert res.status_code == 202, res.text
    job = _wait(api, res.headers["Location"], "dispatcher")
    assert job["status"] == "succeeded", job
    board = _board(api)
    assert {r["technician_id"] for r in board["routes"]} == ON_DUTY  # nobody resting or on leave
    intake = board["intake"]
    assert intake["source"] == "roster" and intake["roster_id"] == roster_id
    deferred = {d["order_id"]: d for d in intake["deferred"]}
    assert "WO-MISSED" in deferred and "appointment" in deferred["WO-MISSED"]["reason"]
    assert any(
        d["reason"].startswith("capacity") for d in deferred.values()
    )  # the backlog is cut, and says so
    assert "WO-LATER" not in deferred and "WO-LATER" not in str(board["routes"])
    planned = {s["order_id"]: r["technician_id"] for r in board["routes"] for s in r["stops"]}
    assert {"WO-A0", "WO-A1"} <= set(planned)  # the day's appointments are taken
    assert all(f"WO-B{i:02d}" in planned for i in (0, 7, 14))  # overdue VIPs are served first
    first_stop = board["routes"][0]["stops"][0]
    minutes = dt.datetime.fromisoformat(first_stop["end"]) - dt.datetime.fromisoformat(first_stop["start"])
    assert first_stop["order_id"].startswith(("WO-B", "WO-D"))  # a repair of difficulty 1 in an urban area
    assert minutes == dt.timedelta(minutes=math.ceil(standard))
    table = _table(api)
    assert all(table[o] == ("dispatched", t) for o, t in planned.items())
    assert all(table[o] == ("created", None) for o in deferred)
    _agrees(api)

    # -- 3. an urgent VIP repair during the day --------------------------------------------------------
    urgent = {
        "id": "WO-URGENT",
        "order_type": "repair",
        "area_id": "A1",
        "location": CENTRE.model_dump(),
        "customer_grade": "vip",
        "created": _at("09:00"),
        "deadline": _at("13:00"),
        "duration_min": 40,
        "required_skills": ["broadband"],
    }
    new = _post(api, "dispatcher", {"kind": "new_order", "at": _at("09:00"), "order": urgent})
    assert new.status_code == 200, new.text
    assert _table(api)["WO-URGENT"][0] == "dispatched"
    assert _refused(
        api,
        lambda: _post(api, "dispatcher", {"kind": "new_order", "at": _at("09:01"), "order": urgent}),
        409,
        "event-out-of-order",
    )
    _agrees(api)

    # -- 4. the technicians report their own work --------------------------------------------------------
    board = _board(api)
    first1 = _stops_of(board, "T-001")[0]
    mine2 = _stops_of(board, "T-002")
    first2 = mine2[0]
    # another technician's order, an unknown order: the same 404, nothing changed
    other = _refused(
        api,
        lambda: _post(api, "technician2", {"kind": "order_started", "at": _at("09:05"), "order_id": first1}),
        404,
        "not-found",
    )
    unknown = _refused(
        api,
        lambda: _post(
            api, "technician2", {"kind": "order_started", "at": _at("09:05"), "order_id": "WO-NOPE"}
        ),
        404,
        "not-found",
    )
    assert other["detail"].replace(first1, "X") == unknown["detail"].replace("WO-NOPE", "X")
    _refused(
        api,
        lambda: _post(api, "technician", {"kind": "order_cancelled", "at": _at("09:05"), "order_id": first1}),
        403,
        "event-not-allowed",
    )
    _refused(
        api,
        lambda: _post(
            api,
            "technician",
            {"kind": "order_started", "at": _at("09:05"), "order_id": first1, "technician_id": "T-002"},
        ),
        403,
        "event-not-allowed",
    )
    # out of order: completing an order never started
    _refused(
        api,
        lambda: _post(api, "technician", {"kind": "order_completed", "at": _at("09:05"), "order_id": first1}),
        409,
        "event-out-of-order",
    )

    ok = _post(api, "technician", {"kind": "order_started", "at": _at("09:10"), "order_id": first1})
    assert ok.status_code == 200, ok.text
    assert ok.json()["work_orders"][first1] == ["dispatched by T-001", "started by T-001"]
    done = _post(
        api,
        "technician",
        {
            "kind": "order_completed",
            "at": _at("09:50"),
            "order_id": first1,
            "fixed": True,
            "appointment_kept": True,
        },
    )
    assert done.status_code == 200, done.text
    _refused(
        api,
        lambda: _post(api, "technician", {"kind": "order_completed", "at": _at("09:55"), "order_id": first1}),
        409,
        "event-out-of-order",
    )
    assert (
        _post(
            api, "technician2", {"kind": "order_started", "at": _at("10:00"), "order_id": first2}
        ).status_code
        == 200
    )
    assert (
        _post(
            api,
            "technician2",
            {
                "kind": "order_suspended",
                "at": _at("10:20"),
                "order_id": first2,
                "reason": "customer not at home",
            },
        ).status_code
        == 200
    )
    mine = api.client.get("/dispatch/my-day", params={"day": str(DAY)}, headers=api.headers("technician2"))
    assert mine.status_code == 200, mine.text
    stops = mine.json()["stops"]
    assert {s["order_id"] for s in stops} == {*_stops_of(_board(api), "T-002"), first2}
    assert stops[-1]["order_id"] == first2 and stops[-1]["seq"] is None  # off the timeline, last
    assert stops[-1]["status"] == "suspended" and stops[-1]["suspend_reason"] == "customer not at home"
    assert {"area_id", "customer_grade", "appointment", "deadline", "eta"} <= set(stops[0])
    assert (
        _post(
            api, "technician2", {"kind": "order_resumed", "at": _at("10:40"), "order_id": first2}
        ).status_code
        == 200
    )
    assert (
        _post(
            api,
            "technician2",
            {
                "kind": "order_completed",
                "at": _at("11:00"),
                "order_id": first2,
                "fixed": False,
                "repeat_of": "WO-OLD",
            },
        ).status_code
        == 200
    )
    _agrees(api)
    with api.session() as s:
        row = s.get(WorkOrderRow, first2)
        assert row is not None and (row.status, row.fixed, row.repeat_of) == ("completed", False, "WO-OLD")
        old_row = s.get(WorkOrderRow, "WO-OLD")  # the earlier repair learns its fault came back, and when
        assert old_row is not None
        assert old_row.repeat_fault_within_days == (row.created.date() - dt.date(2026, 5, 20)).days
        steps = [
            (e.status, e.technician_id, e.actor, e.reason)
            for e in s.scalars(
                select(OrderEventRow).where(OrderEventRow.order_id == first2).order_by(OrderEventRow.id)
            )
        ]
        assert [st for st, *_ in steps] == ["dispatched", "started", "suspended", "started", "completed"]
        assert steps[2] == ("suspended", "T-002", "technician2", "customer not at home")
    # a technician's view holds nothing of anyone else's
    own_board = api.client.get(f"{PATH}/board", headers=api.headers("technician")).json()
    assert [r["technician_id"] for r in own_board["routes"]] == ["T-001"]
    assert own_board["intake"] is None and own_board["unassigned"] == []
    own_day = api.client.get(
        "/dispatch/my-day", params={"day": str(DAY)}, headers=api.headers("technician")
    ).json()
    assert {s["order_id"] for s in own_day["stops"]} == set(_stops_of(_board(api), "T-001"))
    assert (
        api.client.get(
            "/dispatch/my-day",
            params={"day": str(DAY), "technician_id": "T-002"},
            headers=api.headers("technician"),
        ).status_code
        == 403
    )

    # -- 5. a re-roster after a sick call: T-002 is off; his unstarted orders go to others ------------
    waiting2 = [o for o in _stops_of(_board(api), "T-002") if _table(api)[o][0] == "dispatched"]
    assert waiting2  # T-002 still has work waiting when he calls in sick
    v2 = _roster(api, sick=True, parent_id=roster_id)
    published = api.client.post(f"/rosters/{v2}/publish", headers=disp)
    assert published.status_code == 200, published.text
    [change] = published.json()["dispatch"]
    assert (
        change["day"] == str(DAY) and "T-002" in change["off_duty"] and "leave" in change["off_duty"]["T-002"]
    )
    assert set(waiting2) <= set(change["moved"])
    table = _table(api)
    assert all(table[o][1] != "T-002" for o in waiting2)
    assert not [o for o in _stops_of(_board(api), "T-002") if table[o][0] == "dispatched"]
    _refused(
        api,
        lambda: _post(
            api, "technician2", {"kind": "order_started", "at": _at("11:30"), "order_id": waiting2[0]}
        ),
        404,
        "not-found",
    )
    events = api.client.get(f"{PATH}/events", headers=disp).json()
    assert events[-1]["kind"] == "roster_changed" and events[-1]["payload"]["off_duty"] == change["off_duty"]
    _agrees(api)

    # -- 6. finish some more of T-001's work, then KPIs and pay ----------------------------------------------
    completed = {first1: "T-001", first2: "T-002"}
    clock = dt.datetime.combine(DAY, dt.time(12, 0))
    for order_id in _stops_of(_board(api), "T-001"):
        if _table(api)[order_id][0] != "dispatched" or len(completed) >= 5:
            continue
        for kind in ("order_started", "order_completed"):
            clock += dt.timedelta(minutes=20)
            res = _post(api, "technician", {"kind": kind, "at": clock.isoformat(), "order_id": order_id})
            assert res.status_code == 200, res.text
        completed[order_id] = "T-001"
    _agrees(api)
    table = _table(api)
    assert {o for o, (st, _) in table.items() if st == "completed"} == {*completed, "WO-OLD"}
    assert all(table[o][1] == t for o, t in completed.items())

    kpis = api.client.get("/quality/kpis", params={"label": "2026-06"}, headers=api.headers("hr"))
    assert kpis.status_code == 200, kpis.text
    rows = {(r["unit_id"], r["kpi"]): r for r in kpis.json()["rows"]}
    for tech in ("T-001", "T-002"):  # every completed order counts, for the technician who did it
        done_here = sum(t == tech for t in completed.values())
        assert rows[tech, "repair_timeliness"]["denominator"] == done_here
    assert (
        rows["T-001", "callback_appointment_kept"]["numerator"],
        rows["T-001", "callback_appointment_kept"]["denominator"],
    ) == ("1", 1)  # the outcome T-001 reported
    assert ("T-003", "repair_timeliness") not in rows or rows["T-003", "repair_timeliness"][
        "denominator"
    ] == 0
    grade = api.client.get("/quality/grades/2026-06/T-001", headers=api.headers("technician"))
    assert grade.status_code == 200, grade.text
    own_kpis = api.client.get(
        "/quality/kpis", params={"label": "2026-06", "unit_id": "T-002"}, headers=api.headers("technician")
    )
    assert own_kpis.status_code == 403

    hr = api.headers("hr")
    assert api.client.post("/payroll/policies", json=_policy(), headers=hr).status_code == 201
    run = api.client.post("/payroll/runs", json={"month": "2026-06"}, headers=hr)
    assert run.status_code == 202, run.text
    job = _wait(api, run.headers["Location"], "hr")
    assert job["status"] == "succeeded", job
    run_id = job["result"]["id"]
    with api.session() as s:  # a second HR user approves (four eyes), then the run is locked and released
        _, hr2_key = create_user(s, "hr2", "hr", actor="test-setup")
    approved = api.client.post(
        f"/payroll/runs/{run_id}/approve", json={"note": "checked"}, headers={"X-API-Key": hr2_key}
    )
    assert approved.status_code == 200, approved.text
    for step in ("lock", "release"):
        assert api.client.post(f"/payroll/runs/{run_id}/{step}", headers=hr).status_code == 200
    for tech, user in (("T-001", "technician"), ("T-002", "technician2")):
        slip = api.client.get(f"/payroll/runs/{run_id}/payslips/{tech}", headers=api.headers(user))
        assert slip.status_code == 200, slip.text
        lines = slip.json()["lines"]
        paid = [
            o for line in lines if line["rule"].startswith("piece_pay") for o in line["sources"]["order_ids"]
        ]
        mine_done = sorted(o for o, t in completed.items() if t == tech)
        assert sorted(paid) == mine_done  # each completed order exactly once, nobody else's
        own_grade = api.client.get(f"/quality/grades/2026-06/{tech}", headers=api.headers(user)).json()[
            "grade"
        ]
        assert all(
            line["sources"]["quality_grade"] == own_grade for line in lines if line["rule"] == "piece_pay"
        )
        whole = int(Decimal(str(standard)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert slip.json()["summary"]["done_minutes"] == whole * len(mine_done)  # the pool's standard minutes
    other_slip = api.client.get(f"/payroll/runs/{run_id}/payslips/T-002", headers=api.headers("technician"))
    assert other_slip.status_code == 403
