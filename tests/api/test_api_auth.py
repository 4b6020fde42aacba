"""Authentication and roles: 401 without credentials, 403 for the wrong role, technicians see only self."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import T0, ApiHarness, seed_org, store_order, work_order

from vocabulary.orders import OrderStatus, StatusEvent


@pytest.fixture
def seeded(api_client: ApiHarness) -> ApiHarness:
    """The API with organisation G1, technicians T-001…T-004 and orders WO-1 (T-001) and WO-2 (T-002)."""
    with api_client.session() as session:
        seed_org(session)
        for order_id, tech in (("WO-1", "T-001"), ("WO-2", "T-002")):
            event = StatusEvent(
                status=OrderStatus.DISPATCHED, at=T0 + dt.timedelta(minutes=5), technician_id=tech
            )
            store_order(
                session,
                work_order(order_id, status=OrderStatus.DISPATCHED, technician_id=tech, history=(event,)),
            )
    return api_client


def test_no_credentials_is_401(seeded: ApiHarness) -> None:
    """Without a key every protected route is 401 with a WWW-Authenticate challenge."""
    response = seeded.client.get("/technicians")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Unauthorized"


def test_bad_key_is_401(seeded: ApiHarness) -> None:
    """An unknown or malformed key is 401."""
    for key in ("fc_00000000_" + "x" * 43, "nonsense"):
        assert seeded.client.get("/technicians", headers={"X-API-Key": key}).status_code == 401


def test_api_key_header_and_bearer_both_work(seeded: ApiHarness) -> None:
    """The key is accepted as X-API-Key and as an OAuth2-style bearer token."""
    key = seeded.keys["hr"]
    assert seeded.client.get("/users/me", headers={"X-API-Key": key}).json()["username"] == "hr"
    assert seeded.client.get("/users/me", headers={"Authorization": f"Bearer {key}"}).json()["role"] == "hr"


@pytest.mark.parametrize(
    ("user", "method", "path", "status"),
    [
        ("dispatcher", "post", "/technicians", 403),  # HR's data
        ("technician", "post", "/orders", 403),
        ("planner", "post", "/orders", 403),
        ("hr", "post", "/areas", 403),
        ("dispatcher", "get", "/users", 403),
        ("technician", "post", "/jobs/selftest", 403),
    ],
)
def test_wrong_role_is_403(seeded: ApiHarness, user: str, method: str, path: str, status: int) -> None:
    """A valid key with a role not allowed for the route is 403 (checked before the body)."""
    response = getattr(seeded.client, method)(
        path, headers=seeded.headers(user), **({"json": {}} if method == "post" else {})
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_technician_sees_only_own_technician_record(seeded: ApiHarness) -> None:
    """A technician lists only themself, reads their own record and gets 403 for a colleague's."""
    client, headers = seeded.client, seeded.headers("technician")
    listed = client.get("/technicians", headers=headers)
    assert [t["id"] for t in listed.json()] == ["T-001"] and listed.headers["x-total-count"] == "1"
    assert client.get("/technicians/T-001", headers=headers).status_code == 200
    assert client.get("/technicians/T-002", headers=headers).status_code == 403
    assert len(client.get("/technicians", headers=seeded.headers("hr")).json()) == 4


def test_technician_sees_only_own_orders(seeded: ApiHarness) -> None:
    """A technician lists only the orders assigned to them; another's order is 403."""
    client = seeded.client
    assert [o["id"] for o in client.get("/orders", headers=seeded.headers("technician")).json()] == ["WO-1"]
    assert [o["id"] for o in client.get("/orders", headers=seeded.headers("technician2")).json()] == ["WO-2"]
    assert client.get("/orders/WO-2", headers=seeded.headers("technician")).status_code == 403
    assert client.get("/orders/WO-1", headers=seeded.headers("technician")).status_code == 200
    assert {o["id"] for o in client.get("/orders", headers=seeded.headers("dispatcher")).json()} == {
        "WO-1",
        "WO-2",
    }


def test_technician_may_move_only_own_order(seeded: ApiHarness) -> None:
    """A technician starts their own order; starting a colleague's is 403 and changes nothing."""
    client, at = seeded.client, (T0 + dt.timedelta(minutes=30)).isoformat()
    mine = client.post(
        "/orders/WO-1/status", json={"status": "started", "at": at}, headers=seeded.headers("technician")
    )
    assert mine.status_code == 200 and mine.json()["status"] == "started"
    theirs = client.post(
        "/orders/WO-2/status", json={"status": "started", "at": at}, headers=seeded.headers("technician")
    )
    assert theirs.status_code == 403
    assert client.get("/orders/WO-2", headers=seeded.headers("dispatcher")).json()["status"] == "dispatched"


def test_admin_is_allowed_everywhere_and_creates_working_keys(seeded: ApiHarness) -> None:
    """An admin creates a user over the API; the returned key works once the user exists, and stops
    working when the user is deactivated."""
    client = seeded.client
    created = client.post("/users", json={"username": "newhr", "role": "hr"}, headers=seeded.headers("admin"))
    assert created.status_code == 201
    key = created.json()["api_key"]
    assert client.get("/users/me", headers={"X-API-Key": key}).json()["username"] == "newhr"
    assert "api_key" not in str(client.get("/users", headers=seeded.headers("admin")).json())
    assert client.delete("/users/newhr", headers=seeded.headers("admin")).status_code == 204
    assert client.get("/users/me", headers={"X-API-Key": key}).status_code == 401
    assert (
        client.post(
            "/users", json={"username": "hr", "role": "hr"}, headers=seeded.headers("admin")
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/users", json={"username": "x", "role": "king"}, headers=seeded.headers("admin")
        ).status_code
        == 422
    )


def test_ensure_self_or_roles_rules() -> None:
    """Admins and listed roles pass; a technician passes only for their own id; everyone else is 403."""
    from fastapi import HTTPException

    from api.deps import ensure_self_or_roles
    from fieldcrew.auth import AuthUser

    ensure_self_or_roles(AuthUser("a", "admin"), "T-1")
    ensure_self_or_roles(AuthUser("h", "hr"), "T-1", "hr")
    ensure_self_or_roles(AuthUser("t", "technician", "T-1"), "T-1", "hr")
    for user, tech in (
        (AuthUser("t", "technician", "T-1"), "T-2"),
        (AuthUser("t", "technician", "T-1"), None),
        (AuthUser("d", "dispatcher"), "T-1"),
    ):
        with pytest.raises(HTTPException) as err:
            ensure_self_or_roles(user, tech, "hr")
        assert err.value.status_code == 403


def test_admin_issues_further_key(api_client: ApiHarness) -> None:
    """A further key for a user works alongside the first; issuing it is audited without the key."""
    client = api_client.client
    response = client.post("/users/planner/keys", headers=api_client.headers("admin"))
    assert response.status_code == 200
    key = response.json()["api_key"]
    assert client.get("/users/me", headers={"X-API-Key": key}).json()["username"] == "planner"
    assert client.get("/users/me", headers=api_client.headers("planner")).status_code == 200
    assert client.post("/users/nobody/keys", headers=api_client.headers("admin")).status_code == 404
    entries = client.get("/audit?entity=user&entity_id=planner", headers=api_client.headers("admin")).json()
    assert entries[0]["action"] == "issue_key" and key not in str(entries)
