"""Partners over HTTP: CRUD, a day's capacity, the hand-off as a dispatch event (409 naming the
capacity when used up), the partner's completion (409 for an order not handed to it), the rating."""

from __future__ import annotations

from typing import Any

from factories import LOOP_DAY, plan_overflow_day

EVENTS = f"/dispatch/plans/B1/{LOOP_DAY}/events"
AT = f"{LOOP_DAY}T08:30:00"


def _mounted(api: Any) -> Any:
    assert "/partners/{partner_id}/rating" in api.client.app.openapi()["paths"]  # mounted by the app
    plan_overflow_day(api.db_url)
    return api


def _hand(api: Any, order_id: str, partner: str = "P1", who: str = "dispatcher") -> Any:
    body = {"kind": "handed_to_partner", "at": AT, "order_id": order_id, "partner_id": partner}
    return api.client.post(EVENTS, json=body, headers=api.headers(who))


def test_partner_walk_through(api_client: Any) -> None:
    """Create P1 (A1), capacity 1 in A1; hand WO-A1-00 over (200), the next is 409 naming the
    capacity; the capacity shows used 1; complete it (200, completed); the June rating counts it."""
    api = _mounted(api_client)
    disp = api.headers("dispatcher")
    res = api.client.post(
        "/partners", json={"id": "P1", "branch_id": "B1", "name": "代维一", "areas": ["A1"]}, headers=disp
    )
    assert res.status_code == 201, res.text
    assert api.client.post("/partners", json=res.json(), headers=disp).status_code == 409
    cap = api.client.put(
        "/partners/P1/capacity", json={"day": str(LOOP_DAY), "area_id": "A1", "orders": 1}, headers=disp
    )
    assert cap.status_code == 200 and cap.json()["left"] == 1, cap.text
    ok = _hand(api, "WO-A1-00")
    assert ok.status_code == 200, ok.text
    assert ok.json()["work_orders"] == {"WO-A1-00": ["created", "dispatched"]}
    full = _hand(api, "WO-A1-01")
    assert full.status_code == 409 and "capacity 1 order(s)" in full.json()["detail"], full.text
    assert _hand(api, "WO-A1-01", who="technician").status_code == 403
    used = api.client.get("/partners/P1/capacity", params={"day": str(LOOP_DAY)}, headers=disp).json()
    assert [(u["area_id"], u["used"], u["left"]) for u in used] == [("A1", 1, 0)]
    done = api.client.post(
        "/partners/P1/orders/WO-A1-00/complete",
        json={"outcome": "fixed", "at": f"{LOOP_DAY}T11:00:00"},
        headers=disp,
    )
    assert done.status_code == 200 and done.json()["outcome"] == "fixed", done.text
    rating = api.client.get("/partners/P1/rating", params={"month": "2026-06"}, headers=disp).json()
    assert (rating["completed"], rating["drop"]) == (1, False)


def test_partner_refusals(api_client: Any) -> None:
    """Unknown partner 404 (route and hand-off); completing an order not handed to it 409; a bad
    month 422; a technician may not read partners (403)."""
    api = _mounted(api_client)
    disp = api.headers("dispatcher")
    assert api.client.get("/partners/NOPE", headers=disp).status_code == 404
    assert _hand(api, "WO-A1-00", partner="NOPE").status_code == 404
    api.client.post(
        "/partners", json={"id": "P1", "branch_id": "B1", "name": "x", "areas": ["A1"]}, headers=disp
    )
    res = api.client.post("/partners/P1/orders/WO-A1-02/complete", json={"outcome": "fixed"}, headers=disp)
    assert res.status_code == 409, res.text
    assert api.client.get("/partners/P1/rating", params={"month": "June"}, headers=disp).status_code == 422
    assert api.client.get("/partners", headers=api.headers("technician")).status_code == 403
