"""Sign-in over HTTP: the cookie session works where an API key does, and the lockout is answered
as problem+json naming its rule. The app's clock is moved through ``app.state.clock``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from factories import ApiHarness

from fieldcrew import auth
from fieldcrew.auth import SESSION_COOKIE

NOW = dt.datetime(2026, 6, 1, 1, 0)
PASSWORD = "tech password 1"


class Clock:
    """A settable clock for the app (UTC, naive)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def site(api_client: ApiHarness) -> Iterator[tuple[ApiHarness, Clock]]:
    """The service (its app factory mounts the sign-in routes) and a clock."""
    app = api_client.client.app
    assert "/auth/login" in app.openapi()["paths"]
    clock = Clock(NOW)
    app.state.clock = clock
    reset = api_client.client.post(
        "/users/technician/password", json={"password": PASSWORD}, headers=api_client.headers("admin")
    )
    assert reset.status_code == 204, reset.text
    yield api_client, clock
    api_client.client.cookies.clear()


def _login(h: ApiHarness, password: str = PASSWORD) -> httpx.Response:
    response: httpx.Response = h.client.post(
        "/auth/login", json={"username": "technician", "password": password}
    )
    return response


def test_login_sets_a_strict_httponly_cookie_that_authenticates(site: tuple[ApiHarness, Clock]) -> None:
    """Sign-in answers with the user and an HttpOnly, SameSite=Strict cookie with an expiry; with
    only that cookie a route that needs a user works, as the technician."""
    h, _ = site
    r = h.client.post("/auth/login", json={"username": "technician", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "technician" and r.json()["technician_id"] == "T-001"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=strict", "Max-Age=28800", "Path=/", "expires="):
        assert attribute.lower() in cookie.lower(), attribute
    me = h.client.get("/users/me")
    assert me.status_code == 200 and me.json()["username"] == "technician"
    assert h.client.get("/users").status_code == 403  # the cookie carries the technician's role only
    assert h.client.get("/users/me", headers=h.headers("hr")).json()["username"] == "hr"  # a key wins


def test_logout_ends_the_session(site: tuple[ApiHarness, Clock]) -> None:
    """After sign-out the old cookie is refused (401) even if a client keeps sending it."""
    h, _ = site
    _login(h)
    token = h.client.cookies[SESSION_COOKIE]
    assert h.client.post("/auth/logout").status_code == 204
    h.client.cookies.set(SESSION_COOKIE, token)
    r = h.client.get("/users/me")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


def test_wrong_password_is_401_sign_in_failed(site: tuple[ApiHarness, Clock]) -> None:
    """A wrong password: 401 problem+json with the stable type ``sign-in-failed`` and no cookie."""
    h, _ = site
    r = _login(h, "not my password")
    assert r.status_code == 401
    body = r.json()
    assert body["type"].endswith("/sign-in-failed") and "set-cookie" not in r.headers


def test_expired_cookie_is_refused(site: tuple[ApiHarness, Clock]) -> None:
    """The session works 1 s before its 8 hours end and is refused (401) from then on."""
    h, clock = site
    _login(h)
    clock.now = NOW + dt.timedelta(hours=8, seconds=-1)
    assert h.client.get("/users/me").status_code == 200
    clock.now = NOW + dt.timedelta(hours=8)
    r = h.client.get("/users/me")
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]


def test_fifth_failure_locks_with_429_until_15_minutes_later(site: tuple[ApiHarness, Clock]) -> None:
    """Four wrong passwords: 401; the fifth: 429 ``account-locked`` naming the rule, with Retry-After;
    the right password is refused until 15 minutes after the fifth failure; the lock is audited."""
    h, clock = site
    for i in range(4):
        clock.now = NOW + dt.timedelta(minutes=i)
        assert _login(h, "guess guess").status_code == 401
    clock.now = NOW + dt.timedelta(minutes=4)
    fifth = h.client.post("/auth/login", json={"username": "technician", "password": "guess guess"})
    assert fifth.status_code == 429
    assert fifth.json()["type"].endswith("/account-locked")
    assert "5 wrong passwords within 15 minutes" in fifth.json()["detail"]
    assert fifth.headers["retry-after"] == "900"
    clock.now = NOW + dt.timedelta(minutes=4 + 15, seconds=-1)
    assert _login(h).status_code == 429
    clock.now = NOW + dt.timedelta(minutes=4 + 15)
    assert _login(h).status_code == 200
    audit = h.client.get("/audit", params={"entity": "user"}, headers=h.headers("admin")).json()
    assert any(e["action"] == "lock" and e["entity_id"] == "technician" for e in audit)


def test_change_own_password_and_admin_only_reset(site: tuple[ApiHarness, Clock]) -> None:
    """Changing one's password needs the current one (403 ``wrong-password``); a short new one is 422
    ``invalid-password``; only an admin resets another user's password (403 otherwise)."""
    h, _ = site
    _login(h)
    better = "a better one 9"
    wrong = h.client.post("/auth/password", json={"old_password": "nope nope", "new_password": better})
    assert wrong.status_code == 403 and wrong.json()["type"].endswith("/wrong-password")
    short = h.client.post("/auth/password", json={"old_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and short.json()["type"].endswith("/invalid-password")
    ok = h.client.post("/auth/password", json={"old_password": PASSWORD, "new_password": "a better one 9"})
    assert ok.status_code == 204 and h.client.get("/users/me").status_code == 200
    assert h.client.post("/users/hr/password", json={"password": "whatever 123"}).status_code == 403
    h.client.cookies.clear()
    assert _login(h, "a better one 9").status_code == 200
    with h.session() as session:
        assert auth.get_user(session, "technician").password_hash is not None
