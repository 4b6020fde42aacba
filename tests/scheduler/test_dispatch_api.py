"""Dispatch over HTTP: plan a day (job) → poll → board → events → export; a technician sees only his own."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from scheduler.dispatch.synthetic import make_input, make_order, make_tech

DAY = "2026-04-01"


def _input() -> dict[str, Any]:
    techs = [make_tech("T-001", home="A1"), make_tech("T-002", home="A2", x_km=2.0)]
    orders = [make_order("O1", x_km=0.5), make_order("O2", x_km=1.0), make_order("O3", area="A2", x_km=2.5)]
    return make_input(techs, orders).model_dump(mode="json")


def _branch(api: Any, branch_id: str = "B1") -> None:
    """Store the branch a day input names (a plan is refused for a branch that does not exist)."""
    from factories import branch

    from fieldcrew import records
    from fieldcrew.tables import BranchRow

    with api.session() as s:
        s.add(BranchRow(**records.branch_row(branch(branch_id))))


def _wait(api: Any, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        state: dict[str, Any] = api.client.get(location, headers=headers).json()
        if state["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def test_plan_board_events_export(api_client: Any) -> None:
    """End to end: the job stores version 1; the board shows ETAs; events make new versions; bad
    events are refused with the record named and change nothing; a technician sees only his route."""
    _branch(api_client)
    h = api_client.headers("dispatcher")
    assert (
        api_client.client.post(
            "/dispatch/plans",
            json={"input": _input(), "seconds": 0.3},
            headers=api_client.headers("technician"),
        ).status_code
        == 403
    )
    res = api_client.client.post("/dispatch/plans", json={"input": _input(), "seconds": 0.3}, headers=h)
    assert res.status_code == 202, res.text
    job = _wait(api_client, res.headers["Location"], h)
    assert job["status"] == "succeeded", job
    board = api_client.client.get(f"/dispatch/plans/B1/{DAY}/board", headers=h).json()
    assert board["version"] == 1 and {r["technician_id"] for r in board["routes"]} == {"T-001", "T-002"}
    planned = {s["order_id"]: r["technician_id"] for r in board["routes"] for s in r["stops"]}
    assert set(planned) == {"O1", "O2", "O3"}

    bad = api_client.client.post(
        f"/dispatch/plans/B1/{DAY}/events",
        headers=h,
        json={"kind": "order_completed", "at": f"{DAY}T09:00:00", "order_id": "O1"},
    )
    assert bad.status_code == 409 and "O1" in bad.text
    unknown = api_client.client.post(
        f"/dispatch/plans/B1/{DAY}/events",
        headers=h,
        json={"kind": "order_cancelled", "at": f"{DAY}T09:00:00", "order_id": "NOPE"},
    )
    assert unknown.status_code == 404 and "NOPE" in unknown.text
    assert api_client.client.get(f"/dispatch/plans/B1/{DAY}/board", headers=h).json()["version"] == 1

    tech = planned["O1"]
    ok = api_client.client.post(
        f"/dispatch/plans/B1/{DAY}/events",
        headers=h,
        json={"kind": "order_started", "at": f"{DAY}T08:10:00", "order_id": "O1", "technician_id": tech},
    )
    assert ok.status_code == 200, ok.text and ok.json()["version"] == 2
    new = api_client.client.post(
        f"/dispatch/plans/B1/{DAY}/events",
        headers=h,
        json={
            "kind": "new_order",
            "at": f"{DAY}T08:15:00",
            "order": make_order("U1", x_km=0.6, created="08:15").model_dump(mode="json"),
        },
    )
    assert new.status_code == 200, new.text
    assert new.json()["reoptimise_job"] is None  # the morning plan is fresh: no re-optimisation yet
    board = api_client.client.get(f"/dispatch/plans/B1/{DAY}/board", headers=h).json()
    assert board["version"] == 3
    assert any(s["order_id"] == "U1" for r in board["routes"] for s in r["stops"])

    own = api_client.client.get(f"/dispatch/plans/B1/{DAY}/board", headers=api_client.headers("technician"))
    assert own.status_code == 200
    assert [r["technician_id"] for r in own.json()["routes"]] == ["T-001"]
    assert own.json()["unassigned"] == []

    csv = api_client.client.get(f"/dispatch/plans/B1/{DAY}/export?format=csv", headers=h)
    assert csv.status_code == 200 and csv.text.startswith("technician_id,seq,order_id")
    assert api_client.client.get("/dispatch/plans/B1/2026-04-02/board", headers=h).status_code == 404


def test_plan_from_stored_orders(api_client: Any) -> None:
    """A branch-day planned from the platform tables: on-duty technicians given, orders of the day
    planned; an unknown technician in the on-duty list is a 404 naming him."""
    import datetime as dt

    from factories import seed_org, store_order, work_order

    with api_client.session() as s:
        seed_org(s)
        for i in range(4):
            store_order(
                s, work_order(f"WO-{i}", area_id=f"A{i % 2 + 1}", created=dt.datetime(2026, 6, 1, 7, 0))
            )
    h = api_client.headers("dispatcher")
    bad = api_client.client.post(
        "/dispatch/plans/B1/2026-06-01", json={"on_duty": ["T-001", "T-999"]}, headers=h
    )
    assert bad.status_code == 404 and "T-999" in bad.text
    res = api_client.client.post(
        "/dispatch/plans/B1/2026-06-01", headers=h, json={"on_duty": ["T-001", "T-002"], "seconds": 0.3}
    )
    assert res.status_code == 202, res.text
    assert _wait(api_client, res.headers["Location"], h)["status"] == "succeeded"
    board = api_client.client.get("/dispatch/plans/B1/2026-06-01/board", headers=h).json()
    planned = {s["order_id"] for r in board["routes"] for s in r["stops"]}
    assert planned == {"WO-0", "WO-1", "WO-2", "WO-3"}


def test_day_from_db_uses_the_pools_standard_hours(api_client: Any) -> None:
    """With a stored standard-hour table, each order's minutes are its cell's standard (rounded up);
    without one, the default minutes by type and difficulty."""
    import datetime as dt
    import math

    from timepool_factories import seed_branch

    from scheduler.dispatch.db_day import day_from_db, default_shifts
    from scheduler.dispatch.demo_day import DEFAULT_MINUTES
    from scheduler.dispatch.domain import DayIntake, OnDutySource
    from vocabulary.orders import OrderType

    day = dt.date(2026, 6, 1)
    shifts = default_shifts(["T-001", "T-002", "T-003", "T-004"], day)
    intake = DayIntake(source=OnDutySource.OVERRIDE, note="test")
    with api_client.session() as s:
        seed_branch(s, days=1)
    with api_client.session() as s:
        plain, _ = day_from_db(s, "B1", day, shifts, intake)
    assert plain.orders and all(
        o.duration_min == DEFAULT_MINUTES[o.order_type][o.difficulty] for o in plain.orders
    )
    saved = api_client.client.post(
        "/timepool/standards", json={"branch_id": "B1", "save": True}, headers=api_client.headers("planner")
    )
    assert saved.status_code == 200, saved.text
    cells = {
        (c["order_type"], c["difficulty"], c["area_type"]): c["standard_min"]
        for c in saved.json()["tables"][0]["cells"]
    }
    with api_client.session() as s:
        inp, _ = day_from_db(s, "B1", day, shifts, intake)
    areas = {a.id: a.area_type for a in inp.areas}
    used = 0
    for o in inp.orders:
        std = cells.get((o.order_type.value, o.difficulty, areas[o.area_id].value))
        expected = math.ceil(std) if std else DEFAULT_MINUTES[OrderType(o.order_type)][o.difficulty]
        assert o.duration_min == expected
        used += std is not None
    assert used > 0


def test_events_start_a_periodic_reoptimisation(api_client: Any) -> None:
    """An event on a plan last solved longer ago than FIELDCREW_DISPATCH_REOPTIMISE_MINUTES starts
    one background re-optimisation job (not a second while it is pending); 0 turns it off."""
    from sqlalchemy import select

    from scheduler.dispatch.store import DispatchPlanRow

    _branch(api_client)
    h = api_client.headers("dispatcher")
    res = api_client.client.post("/dispatch/plans", json={"input": _input(), "seconds": 0.3}, headers=h)
    assert _wait(api_client, res.headers["Location"], h)["status"] == "succeeded"
    with api_client.session() as s:  # the morning plan was made an hour ago
        for row in s.scalars(select(DispatchPlanRow)):
            row.created_at -= dt.timedelta(hours=1)
    event = {
        "kind": "new_order",
        "at": f"{DAY}T08:15:00",
        "order": make_order("U1", x_km=0.6, created="08:15").model_dump(mode="json"),
    }
    app_settings = api_client.client.app.state.settings
    api_client.client.app.state.settings = app_settings.model_copy(update={"dispatch_reoptimise_minutes": 0})
    off = api_client.client.post(f"/dispatch/plans/B1/{DAY}/events", headers=h, json=event)
    assert off.status_code == 200, off.text
    assert off.json()["reoptimise_job"] is None
    api_client.client.app.state.settings = app_settings.model_copy(update={"dispatch_reoptimise_minutes": 15})
    event2 = {**event, "order": make_order("U2", x_km=0.7, created="08:16").model_dump(mode="json")}
    on = api_client.client.post(f"/dispatch/plans/B1/{DAY}/events", headers=h, json=event2)
    location = on.json()["reoptimise_job"]
    assert location is not None and location.startswith("/jobs/")
    job = _wait(api_client, location, h)
    assert job["status"] == "succeeded", job
    api_client.client.app.state.settings = app_settings


def test_a_plan_for_an_unknown_branch_is_refused_before_it_is_queued(api_client: Any) -> None:
    """A day input naming a branch that is not stored is a 422 naming ``input.branch_id`` and the
    rule; no job is recorded."""
    h = api_client.headers("dispatcher")
    res = api_client.client.post("/dispatch/plans", json={"input": _input(), "seconds": 0.3}, headers=h)
    assert res.status_code == 422, res.text
    (error,) = res.json()["errors"]
    assert (error["field"], error["value"]) == ("input.branch_id", "B1")
    assert error["rule"] == "must name a stored branch"
    assert api_client.client.get("/jobs", headers=h).json() == []
