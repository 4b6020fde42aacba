"""Reference data over HTTP: create, read, replace, delete, each write audited; failures write nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from factories import T0, ApiHarness, seed_org, technician, work_order
from sqlalchemy import func, select

from fieldcrew import audit
from fieldcrew.tables import AuditRow, TechnicianRow


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    data.pop("contact", None)
    return data


def test_technician_crud_is_audited(api_client: ApiHarness) -> None:
    """HR creates, replaces and deletes a technician; each write leaves who/what/before/after."""
    client, hr = api_client.client, api_client.headers("hr")
    with api_client.session() as session:
        seed_org(session, n_technicians=0)
    body = _json(technician("T-050"))
    assert client.post("/technicians", json=body, headers=hr).status_code == 201
    assert client.post("/technicians", json=body, headers=hr).status_code == 409
    assert client.get("/technicians/T-050", headers=hr).json()["post_grade"] == "T2"
    assert client.put("/technicians/T-050", json=body | {"post_grade": "T4"}, headers=hr).status_code == 200
    assert client.get("/technicians/T-050", headers=hr).json()["post_grade"] == "T4"
    assert client.delete("/technicians/T-050", headers=hr).status_code == 204
    assert client.get("/technicians/T-050", headers=hr).status_code == 404
    with api_client.session() as session:
        log = list(reversed(audit.entries(session, "technician", "T-050")))
    assert [(e.actor, e.action) for e in log] == [("hr", "create"), ("hr", "update"), ("hr", "delete")]
    assert log[0].before is None and log[0].after["post_grade"] == "T2"
    assert log[1].before["post_grade"] == "T2" and log[1].after["post_grade"] == "T4"
    assert log[2].before["post_grade"] == "T4" and log[2].after is None


def test_replace_of_unknown_is_404_and_mismatched_id_is_422(api_client: ApiHarness) -> None:
    """PUT never creates: an unknown id is 404; a body id that differs from the path is 422."""
    client, hr = api_client.client, api_client.headers("hr")
    with api_client.session() as session:
        seed_org(session, n_technicians=1)
    assert client.put("/technicians/T-404", json=_json(technician("T-404")), headers=hr).status_code == 404
    assert client.put("/technicians/T-001", json=_json(technician("T-002")), headers=hr).status_code == 422


def test_failed_request_leaves_database_unchanged(api_client: ApiHarness) -> None:
    """A write refused by the database (unknown region group) is 409 and leaves no row and no audit entry."""
    client, hr = api_client.client, api_client.headers("hr")
    with api_client.session() as session:
        seed_org(session, n_technicians=0)
    response = client.post(
        "/technicians", json=_json(technician("T-060", region_group_id="NOPE")), headers=hr
    )
    assert response.status_code == 409
    with api_client.session() as session:
        assert session.scalar(select(func.count()).select_from(TechnicianRow)) == 0
        assert (
            session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.entity == "technician"))
            == 0
        )


def test_delete_of_referenced_record_is_409(api_client: ApiHarness) -> None:
    """A small area that technicians live in cannot be deleted (409), and stays."""
    client, planner = api_client.client, api_client.headers("planner")
    with api_client.session() as session:
        seed_org(session)
    assert client.delete("/areas/A1", headers=planner).status_code == 409
    assert client.get("/areas/A1", headers=planner).status_code == 200


def test_organisation_paging(api_client: ApiHarness) -> None:
    """Lists are paged with limit/offset and report the total in X-Total-Count."""
    with api_client.session() as session:
        seed_org(session)
    response = api_client.client.get("/areas?limit=3&offset=1", headers=api_client.headers("dispatcher"))
    assert [a["id"] for a in response.json()] == ["A2", "A3", "A4"]
    assert response.headers["x-total-count"] == "4"


def test_order_lifecycle_over_http(api_client: ApiHarness) -> None:
    """A dispatcher creates an order and moves it along its life cycle; an illegal step is 409."""
    client, disp = api_client.client, api_client.headers("dispatcher")
    with api_client.session() as session:
        seed_org(session)
    order = work_order("WO-9").model_dump(mode="json")
    assert client.post("/orders", json=order, headers=disp).status_code == 201

    def step(status: str, minutes: int, **extra: Any) -> Any:
        at = (T0 + dt.timedelta(minutes=minutes)).isoformat()
        return client.post("/orders/WO-9/status", json={"status": status, "at": at, **extra}, headers=disp)

    assert step("dispatched", 1).status_code == 422  # no technician to dispatch to
    assert step("dispatched", 1, technician_id="T-001").status_code == 200
    assert step("completed", 2).status_code == 409  # never started
    assert step("started", 3).status_code == 200
    assert step("completed", 2).status_code == 422  # before the last event
    done = step("completed", 60)
    assert done.status_code == 200
    assert [h["status"] for h in done.json()["history"]] == ["dispatched", "started", "completed"]
    assert done.json()["technician_id"] == "T-001"
    with api_client.session() as session:
        actions = [e.action for e in reversed(audit.entries(session, "work_order", "WO-9"))]
    assert actions == ["create", "status", "status", "status"]


def test_order_filters(api_client: ApiHarness) -> None:
    """Orders filter by status, technician and creation time."""
    client, disp = api_client.client, api_client.headers("dispatcher")
    with api_client.session() as session:
        seed_org(session)
    for i in range(3):
        order = work_order(f"WO-{i}", created=T0 + dt.timedelta(hours=i)).model_dump(mode="json")
        assert client.post("/orders", json=order, headers=disp).status_code == 201
    later = (T0 + dt.timedelta(minutes=30)).isoformat()
    assert [o["id"] for o in client.get(f"/orders?created_from={later}", headers=disp).json()] == [
        "WO-1",
        "WO-2",
    ]
    assert client.get("/orders?status=completed", headers=disp).json() == []
    assert client.get("/orders?status=bogus", headers=disp).status_code == 422


def test_audit_log_is_readable_by_admins_only(api_client: ApiHarness) -> None:
    """GET /audit lists entries newest first, filtered by entity; other roles get 403."""
    client = api_client.client
    with api_client.session() as session:
        seed_org(session, n_technicians=0)
    assert (
        client.post(
            "/technicians", json=_json(technician("T-070")), headers=api_client.headers("hr")
        ).status_code
        == 201
    )
    entries = client.get("/audit?entity=technician", headers=api_client.headers("admin")).json()
    assert [(e["actor"], e["action"], e["entity_id"]) for e in entries] == [("hr", "create", "T-070")]
    assert entries[0]["after"]["id"] == "T-070" and entries[0]["before"] is None
    assert client.get("/audit", headers=api_client.headers("hr")).status_code == 403
