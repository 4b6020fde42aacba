"""A day planned from the order table, over HTTP: the roster override on the board, the stable
problem types of the loop (version conflict, day under way, a direct input naming stored orders),
the event log, and a background re-optimisation that moves the work orders with the plan."""

from __future__ import annotations

import time
from typing import Any

from factories import LOOP_DAY, plan_loop_day, seed_loop_day

from scheduler.dispatch import ledger, store
from scheduler.dispatch.synthetic import make_input, make_order, make_tech

PATH = f"/dispatch/plans/B1/{LOOP_DAY}"
NOW = f"{LOOP_DAY}T08:00:00"


def _wait(api: Any, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        job: dict[str, Any] = api.client.get(location, headers=api.headers("dispatcher")).json()
        if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def _problem(res: Any, status: int, kind: str) -> str:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["type"].endswith("/" + kind), res.json()
    return str(res.json()["detail"])


def _agrees(api: Any) -> None:
    with api.session() as s:
        inp, _ = store.load_state(s, "B1", LOOP_DAY)
        assert ledger.disagreements(s, inp) == []


def test_an_override_is_recorded_and_shown_on_the_board(api_client: Any) -> None:
    """No roster covers the day: the dispatcher's on-duty list is taken, and the board says the
    roster was overridden, by whom; a technician's board carries none of it."""
    api = api_client
    with api.session() as s:
        seed_loop_day(s)
    res = api.client.post(
        PATH, json={"on_duty": ["T-001", "T-002"], "seconds": 1}, headers=api.headers("dispatcher")
    )
    assert res.status_code == 202, res.text
    job = _wait(api, res.headers["Location"])
    assert job["status"] == "succeeded", job
    assert job["result"]["on_duty"] == "roster overridden by dispatcher"
    board = api.client.get(f"{PATH}/board", headers=api.headers("dispatcher")).json()
    assert board["intake"]["source"] == "override" and board["intake"]["overridden_by"] == "dispatcher"
    assert board["intake"]["note"] == "roster overridden by dispatcher"
    assert {r["technician_id"] for r in board["routes"]} == {"T-001", "T-002"}
    own = api.client.get(f"{PATH}/board", headers=api.headers("technician")).json()
    assert own["intake"] is None and own["control"] is None
    _agrees(api)


def test_the_board_shows_the_control_queue_first(api_client: Any) -> None:
    """The dispatcher's board carries the dispatch centre's control queue — the same items, in the
    same order, as ``GET /dispatch/control/queue`` — so the console can show them before the routes."""
    api, disp = api_client, api_client.headers("dispatcher")
    plan_loop_day(api.db_url)
    board = api.client.get(f"{PATH}/board", headers=disp).json()
    queue = api.client.get(f"/dispatch/control/queue?branch_id=B1&day={LOOP_DAY}", headers=disp)
    assert queue.status_code == 200, queue.text
    assert board["control"] is not None and board["control"]["branch_id"] == "B1"
    assert board["control"]["items"], "a planned day with open orders has warnings to show"
    assert [i["code"] for i in board["control"]["items"]] == [i["code"] for i in queue.json()["items"]]


def test_the_loops_conflicts_have_stable_types(api_client: Any) -> None:
    """A stale version (409 plan-version-conflict), a new morning plan of a day under way (409
    day-under-way), a direct input naming stored orders (409 day-planned-from-the-order-table); the
    event log lists what was applied."""
    api, disp = api_client, api_client.headers("dispatcher")
    plan_loop_day(api.db_url)
    board = api.client.get(f"{PATH}/board", headers=disp).json()
    first = board["routes"][0]["stops"][0]["order_id"]
    ok = api.client.post(
        f"{PATH}/events",
        params={"expected_version": 1},
        headers=disp,
        json={"kind": "order_started", "at": NOW, "order_id": first},
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2, ok.text
    stale = api.client.post(
        f"{PATH}/events",
        params={"expected_version": 1},
        headers=disp,
        json={"kind": "order_completed", "at": NOW, "order_id": first},
    )
    assert "version 1" in _problem(stale, 409, "plan-version-conflict")
    again = api.client.post(PATH, json={"seconds": 1}, headers=disp)
    assert first in _problem(again, 409, "day-under-way")
    direct = make_input([make_tech("T-001")], [make_order(first), make_order("NEW-1")]).model_dump(
        mode="json"
    )
    refused = api.client.post("/dispatch/plans", json={"input": direct}, headers=disp)
    assert first in _problem(refused, 409, "day-planned-from-the-order-table")
    events = api.client.get(f"{PATH}/events", headers=disp)
    assert [(e["kind"], e["plan_version"], e["actor"]) for e in events.json()] == [
        ("order_started", 2, "dispatcher")
    ]
    assert events.json()[0]["payload"]["orders_moved"] == ok.json()["work_orders"]  # the diff, as answered
    assert api.client.get(f"{PATH}/events", headers=api.headers("technician")).status_code == 403
    _agrees(api)


def test_a_reoptimisation_moves_the_work_orders_with_the_plan(api_client: Any) -> None:
    """The background re-optimisation of a day planned from the order table stores a new version
    and the order table follows it (whatever it moved)."""
    api, disp = api_client, api_client.headers("dispatcher")
    plan_loop_day(api.db_url)
    res = api.client.post(f"{PATH}/reoptimise", params={"seconds": 1}, headers=disp)
    assert res.status_code == 202, res.text
    job = _wait(api, res.headers["Location"])
    assert job["status"] == "succeeded" and job["result"]["stored"] is True, job
    assert api.client.get(f"{PATH}/board", headers=disp).json()["version"] == 2
    _agrees(api)
