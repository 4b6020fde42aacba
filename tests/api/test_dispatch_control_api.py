"""Process control over HTTP: every route, the roles, and bad input answered as problem+json.

Routes under ``/dispatch/control`` (``api.routes.control``): reminders, reviews and their decision,
flags, escalations (acknowledge, close), the queue and a tick. Dispatchers and admins act; a
technician may only ask for a review of his own order (another's is 404, as an unknown order).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

import pytest
from factories import ApiHarness, seed_org, store_order, work_order

from api.routes import control as control_routes
from fieldcrew.tables import WorkOrderRow
from scheduler.dispatch.control_store import ControlClockRow
from vocabulary.orders import CustomerGrade, OrderStatus, StatusEvent

PROBLEM = "application/problem+json"
DAY = "2026-06-01"


def at(hhmmss: str) -> str:
    return f"{DAY}T{hhmmss}"


def _t(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at(hhmm))


def _events(*steps: tuple[OrderStatus, str], tech: str) -> tuple[StatusEvent, ...]:
    return tuple(StatusEvent(status=s, at=_t(t), technician_id=tech) for s, t in steps)


@pytest.fixture
def api(api_client: ApiHarness) -> ApiHarness:
    """The service (its app factory mounts the control router) and three orders: VIP repair V1
    (T-001, due 14:00), suspended S1 (T-001), O2 dispatched to T-002."""
    app: Any = api_client.client.app
    assert any(path.startswith("/dispatch/control/") for path in app.openapi()["paths"])
    created = _t("10:00")
    with api_client.session() as s:
        seed_org(s)
        store_order(
            s,
            work_order(
                "V1",
                created=created,
                deadline=_t("14:00"),
                customer_grade=CustomerGrade.VIP,
                status=OrderStatus.DISPATCHED,
                technician_id="T-001",
                history=_events((OrderStatus.DISPATCHED, "10:10"), tech="T-001"),
            ),
        )
        store_order(
            s,
            work_order(
                "S1",
                created=created,
                status=OrderStatus.SUSPENDED,
                technician_id="T-001",
                history=_events(
                    (OrderStatus.DISPATCHED, "10:10"),
                    (OrderStatus.STARTED, "10:30"),
                    (OrderStatus.SUSPENDED, "11:00"),
                    tech="T-001",
                ),
            ),
        )
        store_order(
            s,
            work_order(
                "O2",
                created=created,
                status=OrderStatus.DISPATCHED,
                technician_id="T-002",
                history=_events((OrderStatus.DISPATCHED, "10:10"), tech="T-002"),
            ),
        )
    return api_client


def post(api: ApiHarness, path: str, user: str, body: dict[str, Any]) -> Any:
    return api.client.post(f"/dispatch/control{path}", headers=api.headers(user), json=body)


def test_reminder_tick_queue_acknowledge_close(api: ApiHarness) -> None:
    """A dispatcher logs reminders; the tick at 14:00:01 opens V1's overdue, VIP and reminded
    escalations; the queue lists escalations first; acknowledge and close answer the escalation,
    a second close is 409, an unknown escalation 404."""
    for t in ("11:00:00", "12:00:00"):
        res = post(api, "/reminders", "dispatcher", {"order_id": "V1", "channel": "phone", "at": at(t)})
        assert res.status_code == 201, res.text
    assert res.json()["by"] == "dispatcher" and res.json()["order_id"] == "V1"

    tick = post(api, "/tick", "dispatcher", {"branch_id": "B1", "at": at("14:00:01")})
    assert tick.status_code == 200, tick.text
    opened = {e["trigger"]: e for e in tick.json()["opened"]}
    assert set(opened) == {"overdue", "vip", "reminded"}
    assert opened["overdue"]["owner"] == "duty_dispatcher" and opened["overdue"]["since"] == at("14:00:00")
    assert post(api, "/tick", "dispatcher", {"branch_id": "B1", "at": at("14:00:01")}).json()["opened"] == []

    q = api.client.get(
        "/dispatch/control/queue",
        headers=api.headers("dispatcher"),
        params={"branch_id": "B1", "day": DAY, "at": at("14:05:00")},
    )
    assert q.status_code == 200, q.text
    items = q.json()["items"]
    kinds = [i["kind"] for i in items]
    assert kinds[:3] == ["escalation"] * 3 and "escalation" not in kinds[3:]
    assert items[0]["code"] == "escalation.vip" and items[0]["reminders"] == 2
    assert q.json()["counts"]["escalation.overdue"] == 1

    eid = opened["overdue"]["id"]
    ack = post(api, f"/escalations/{eid}/acknowledge", "dispatcher", {"at": at("14:06:00")})
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "dispatcher"
    again = post(api, f"/escalations/{eid}/acknowledge", "admin", {"at": at("14:07:00")})
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)
    close = post(
        api, f"/escalations/{eid}/close", "dispatcher", {"resolution": "visit booked", "at": at("14:10")}
    )
    assert close.status_code == 200 and close.json()["resolution"] == "visit booked"
    assert post(api, f"/escalations/{eid}/close", "dispatcher", {"resolution": "x"}).status_code == 409
    missing = post(api, "/escalations/999/acknowledge", "dispatcher", {})
    assert missing.status_code == 404 and "escalation 999" in missing.json()["detail"]


def test_reviews_roles_and_decisions(api: ApiHarness) -> None:
    """T-001's technician asks for a reschedule of his S1 (201); T-002's may not (404), nor for an
    unknown order (404); a technician may not decide (403); the dispatcher's approval moves the
    appointment; deciding again is 409; an unknown review is 404."""
    body = {
        "order_id": "S1",
        "kind": "reschedule",
        "reason": "customer away until tomorrow",
        "proposed_appointment": {"start": "2026-06-02T09:00:00", "end": "2026-06-02T11:00:00"},
        "at": at("11:05:00"),
    }
    assert post(api, "/reviews", "technician2", body).status_code == 404
    assert post(api, "/reviews", "technician", body | {"order_id": "NOPE"}).status_code == 404
    res = post(api, "/reviews", "technician", body)
    assert res.status_code == 201, res.text
    review = res.json()
    assert (
        review["technician_id"] == "T-001"
        and review["deadline"] == at("12:05:00")
        and review["decision"] is None
    )
    rid = review["id"]
    assert post(api, f"/reviews/{rid}/decision", "technician", {"decision": "approve"}).status_code == 403
    ok = post(api, f"/reviews/{rid}/decision", "dispatcher", {"decision": "approve", "at": at("11:20:00")})
    assert ok.status_code == 200 and ok.json()["decision"] == "approve", ok.text
    with api.session() as s:
        row = s.get(WorkOrderRow, "S1")
        assert (
            row is not None
            and row.appointment_start == dt.datetime(2026, 6, 2, 9)
            and row.status == "created"
        )
    twice = post(api, f"/reviews/{rid}/decision", "dispatcher", {"decision": "send_back"})
    assert twice.status_code == 409 and "already approve" in twice.json()["detail"]
    assert post(api, "/reviews/999/decision", "dispatcher", {"decision": "approve"}).status_code == 404


def test_send_back_and_suspend_review(api: ApiHarness) -> None:
    """A suspension review sent back carries the technician's deadline to act; a suspend review of an
    order not suspended is 409."""
    res = post(
        api,
        "/reviews",
        "dispatcher",
        {"order_id": "S1", "kind": "suspend", "reason": "no ladder", "at": at("11:05:00")},
    )
    assert res.status_code == 201, res.text
    back = post(
        api,
        f"/reviews/{res.json()['id']}/decision",
        "admin",
        {"decision": "send_back", "note": "borrow one", "at": at("11:10:00")},
    )
    assert back.status_code == 200 and back.json()["act_by"] == at("12:10:00")
    wrong = post(api, "/reviews", "dispatcher", {"order_id": "O2", "kind": "suspend", "reason": "x"})
    assert wrong.status_code == 409 and "suspended" in wrong.json()["detail"]


def test_flags_escalate_on_the_next_tick(api: ApiHarness) -> None:
    """A major flag escalates O2 at the next tick; flagging again is 409."""
    res = post(
        api,
        "/flags",
        "dispatcher",
        {"order_id": "O2", "kind": "major_fault", "note": "fibre cut", "at": at("10:20:00")},
    )
    assert res.status_code == 201, res.text
    assert post(api, "/flags", "dispatcher", {"order_id": "O2", "kind": "major_fault"}).status_code == 409
    tick = post(api, "/tick", "admin", {"branch_id": "B1", "at": at("10:21:00")}).json()
    major = [e for e in tick["opened"] if e["trigger"] == "major_fault"]
    assert [(e["order_id"], e["owner"]) for e in major] == [("O2", "centre_shift_lead")]


def test_bad_input_and_roles(api: ApiHarness) -> None:
    """Unknown order 404; a time in the future 422 naming ``at``; a reschedule without its window
    422 naming the field; an unknown channel 422; technicians, planners and HR may not log
    reminders, read the queue or tick (403); no key 401; an unknown branch 404."""
    unknown = post(api, "/reminders", "dispatcher", {"order_id": "NOPE"})
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(PROBLEM)
    future = post(api, "/reminders", "dispatcher", {"order_id": "V1", "at": "2999-01-01T00:00:00"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "at"
    no_window = post(
        api,
        "/reviews",
        "dispatcher",
        {"order_id": "S1", "kind": "reschedule", "reason": "x", "at": at("11:05:00")},
    )
    assert no_window.status_code == 422
    assert [e["field"] for e in no_window.json()["errors"]] == ["proposed_appointment"]
    channel = post(api, "/reminders", "dispatcher", {"order_id": "V1", "channel": "pigeon"})
    assert channel.status_code == 422 and "channel" in channel.json()["errors"][0]["field"]
    early = post(api, "/reminders", "dispatcher", {"order_id": "V1", "at": at("09:00:00")})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "at"
    assert post(api, "/reminders", "technician", {"order_id": "V1"}).status_code == 403
    for user in ("planner", "hr", "technician"):
        q = api.client.get("/dispatch/control/queue", headers=api.headers(user), params={"branch_id": "B1"})
        assert q.status_code == 403, user
    assert post(api, "/tick", "technician", {"branch_id": "B1"}).status_code == 403
    assert api.client.post("/dispatch/control/tick", json={"branch_id": "B1"}).status_code == 401
    nope = post(api, "/tick", "dispatcher", {"branch_id": "NOPE"})
    assert nope.status_code == 404 and "branch NOPE" in nope.json()["detail"]


def test_every_route_has_a_response_model(api: ApiHarness) -> None:
    """The OpenAPI document describes every answer of the control routes."""
    paths = api.client.get("/openapi.json").json()["paths"]
    mine = {p: ops for p, ops in paths.items() if p.startswith("/dispatch/control")}
    assert set(mine) == {
        "/dispatch/control/reminders",
        "/dispatch/control/queue",
        "/dispatch/control/reviews",
        "/dispatch/control/reviews/{review_id}/decision",
        "/dispatch/control/escalations/{escalation_id}/acknowledge",
        "/dispatch/control/escalations/{escalation_id}/close",
        "/dispatch/control/flags",
        "/dispatch/control/tick",
    }
    for ops in mine.values():
        for op in ops.values():
            assert op["tags"] == ["dispatch control"]
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            assert "$ref" in ok["content"]["application/json"]["schema"]


def test_control_clock_ticks_every_branch(api: ApiHarness) -> None:
    """The minute clock (run by the app's lifespan) ticks every branch until cancelled."""

    async def run() -> None:
        task = asyncio.create_task(control_routes.control_clock(api.db_url, every_s=0.05))
        await asyncio.sleep(0.5)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    with api.session() as s:
        clock = s.get(ControlClockRow, "B1")
        assert clock is not None and clock.ticks >= 1
