"""The technician's first contact over HTTP: ``customer_contacted`` on his own order is recorded
with the work order (the first one kept), refused for another's order (404) and out of the day
(409 before the plan's clock, 422 on another day), and the technician's response KPI is then
measured from the loop's own records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from factories import LOOP_DAY, plan_loop_day
from sqlalchemy import select

from fieldcrew.tables import CONTACTED, OrderEventRow, WorkOrderRow
from scheduler.dispatch import store

PATH = f"/dispatch/plans/B1/{LOOP_DAY}/events"


def _at(hhmm: str, day: dt.date = LOOP_DAY) -> str:
    return f"{day}T{hhmm}:00"


def _contact(order_id: str, at: str, channel: str = "phone") -> dict[str, Any]:
    return {"kind": "customer_contacted", "order_id": order_id, "at": at, "channel": channel}


def _routes(api: Any) -> dict[str, list[str]]:
    """Technician → his dispatched orders in the morning plan (every one dispatched at 08:00)."""
    with api.session() as s:
        _, plan = store.load_state(s, "B1", LOOP_DAY)
    return {r.technician_id: [stop.order_id for stop in r.stops] for r in plan.routes if r.stops}


def _contacts(api: Any, order_id: str) -> tuple[dt.datetime | None, list[dt.datetime]]:
    """The order's ``first_contact_at`` and the times of its contact rows."""
    with api.session() as s:
        row = s.get(WorkOrderRow, order_id)
        assert row is not None
        query = select(OrderEventRow.at).where(OrderEventRow.order_id == order_id,
                                               OrderEventRow.status == CONTACTED)
        times = list(s.scalars(query.order_by(OrderEventRow.id)))
        return row.first_contact_at, times


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = res.json()
    return body


def test_a_technician_records_his_first_contact_once(api_client: Any) -> None:
    """Feasible: T-001 phones the customer of his own order at 08:10 → 200, the plan version stays,
    one contact row, ``first_contact_at`` 08:10 (also in the answer); an SMS at 08:45 → 200, a
    second row, ``first_contact_at`` still 08:10."""
    api = api_client
    plan_loop_day(api.db_url)
    mine = _routes(api)["T-001"]
    tech = api.headers("technician")
    res = api.client.post(PATH, json=_contact(mine[0], _at("08:10")), headers=tech)
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["version"], body["moved"], body["work_orders"]) == (1, {}, {})
    assert body["first_contact_at"] == _at("08:10")
    first = dt.datetime.combine(LOOP_DAY, dt.time(8, 10))
    assert _contacts(api, mine[0]) == (first, [first])
    res = api.client.post(PATH, json=_contact(mine[0], _at("08:45"), "sms"), headers=tech)
    assert res.status_code == 200 and res.json()["first_contact_at"] == _at("08:10"), res.text
    assert _contacts(api, mine[0]) == (first, [first, first + dt.timedelta(minutes=35)])
    log = api.client.get(f"/dispatch/plans/B1/{LOOP_DAY}/events", headers=api.headers("dispatcher")).json()
    assert [(e["kind"], e["actor"], e["plan_version"], e["payload"]["channel"]) for e in log] == [
        ("customer_contacted", "technician", 1, "phone"), ("customer_contacted", "technician", 1, "sms")]


def test_a_contact_of_another_order_or_out_of_the_day_is_refused(api_client: Any) -> None:
    """Infeasible, nothing recorded: another technician's order → 404 (as an unknown one); a time
    before the plan's clock (08:00) → 409 event-out-of-order; a time on another day → 422 naming
    the field ``at``; a channel that is not phone/sms/visit → 422."""
    api = api_client
    plan_loop_day(api.db_url)
    routes = _routes(api)
    mine, theirs = routes["T-001"], routes["T-002"]
    tech = api.headers("technician")
    _problem(api.client.post(PATH, json=_contact(theirs[0], _at("08:10")), headers=tech), 404)
    _problem(api.client.post(PATH, json=_contact("WO-NOPE", _at("08:10")), headers=tech), 404)
    early = _problem(api.client.post(PATH, json=_contact(mine[0], _at("07:30")), headers=tech), 409)
    assert early["type"].endswith("/event-out-of-order") and "plan's clock" in early["detail"]
    tomorrow = LOOP_DAY + dt.timedelta(days=1)
    late = _problem(api.client.post(PATH, json=_contact(mine[0], _at("08:10", tomorrow)), headers=tech), 422)
    assert [(e["field"], e["value"]) for e in late["errors"]] == [
        (f"order {mine[0]}: at", f"{tomorrow} 08:10")]
    _problem(api.client.post(PATH, json=_contact(mine[0], _at("08:10"), "pigeon"), headers=tech), 422)
    for order_id in (mine[0], theirs[0]):
        assert _contacts(api, order_id) == (None, [])


def test_the_technicians_response_kpi_is_measured_from_the_loop(api_client: Any) -> None:
    """Exact, by hand: every order of the morning plan is dispatched at 08:00, so its response is
    due at 08:30 on the field clock (08:00–21:30). T-001 contacts his first customer at 08:10 (on
    time; again at 08:45, which changes nothing) and his second at 08:50 (late); T-002 starts his
    first order at 08:20 (a start is a response); nobody else responds. At 09:00 every other
    dispatched order is late. So technician_response is 1 / (T-001's orders) for T-001, 1 /
    (T-002's orders) for T-002 and 0 / (their orders) for the others; no order of the loop is left
    out as "no contact times". The technician reads his own figure."""
    api = api_client
    plan_loop_day(api.db_url)
    routes = _routes(api)
    mine, theirs = routes["T-001"], routes["T-002"]
    tech = api.headers("technician")
    for order_id, at in ((mine[0], "08:10"), (mine[0], "08:45"), (mine[1], "08:50")):
        assert api.client.post(PATH, json=_contact(order_id, _at(at)), headers=tech).status_code == 200
    started = {"kind": "order_started", "order_id": theirs[0], "at": _at("08:20")}
    assert api.client.post(PATH, json=started, headers=api.headers("technician2")).status_code == 200
    params = {"label": str(LOOP_DAY), "period": "day", "kpi": "technician_response",
              "as_of": _at("09:00")}
    res = api.client.get("/quality/kpis", params=params, headers=api.headers("dispatcher"))
    assert res.status_code == 200, res.text
    got = {r["unit_id"]: (r["numerator"], r["denominator"]) for r in res.json()["rows"] if r["denominator"]}
    expected = {t: ("0", len(orders)) for t, orders in routes.items()}
    expected["T-001"] = ("1", len(mine))
    expected["T-002"] = ("1", len(theirs))
    assert got == expected
    assert all("no_contact_times" not in str(r.get("excluded") or "") for r in res.json()["rows"])
    own = api.client.get("/quality/kpis", params=params, headers=tech).json()["rows"]
    assert [(r["unit_id"], r["numerator"], r["denominator"]) for r in own] == [("T-001", "1", len(mine))]
