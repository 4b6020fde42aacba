"""Jobs over HTTP: submit → 202 + Location → poll → result; cancel; restart recovery; process pool."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from factories import ApiHarness, make_api
from fastapi.testclient import TestClient

from api.app import create_app
from fieldcrew.db import session_scope
from fieldcrew.jobs import INTERRUPTED_MESSAGE
from fieldcrew.tables import JobRow, utcnow


def _poll(client: TestClient, location: str, headers: dict[str, str], until: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(location, headers=headers).json()
        if until(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.02)


def _terminal(body: dict[str, Any]) -> bool:
    return body["status"] in ("succeeded", "failed", "cancelled")


def test_submit_poll_result(api_client: ApiHarness) -> None:
    """POST answers 202 with a Location; polling it shows progress and, at the end, the result."""
    client, admin = api_client.client, api_client.headers("admin")
    response = client.post("/jobs/selftest", json={"steps": 5, "sleep_s": 0.01}, headers=admin)
    assert response.status_code == 202
    location = response.headers["location"]
    assert location == f"/jobs/{response.json()['id']}"
    body = _poll(client, location, admin, _terminal)
    assert body["status"] == "succeeded" and body["progress"] == 1.0 and body["result"]["count"] == 5
    assert any(j["id"] == body["id"] for j in client.get("/jobs", headers=admin).json())


def test_delete_cancels_and_keeps_best_result(api_client: ApiHarness) -> None:
    """DELETE on a running job cancels it; the final state keeps the best result so far."""
    client, admin = api_client.client, api_client.headers("admin")
    location = client.post("/jobs/selftest", json={"steps": 5000, "sleep_s": 0.01}, headers=admin).headers[
        "location"
    ]
    _poll(
        client,
        location,
        admin,
        lambda b: b["status"] == "running" and (b["result"] or {}).get("count", 0) >= 2,
    )
    cancel = client.delete(location, headers=admin)
    assert cancel.status_code == 202 and cancel.json()["cancel_requested"]
    body = _poll(client, location, admin, _terminal)
    assert body["status"] == "cancelled"
    assert 2 <= body["result"]["count"] < 5000


def test_jobs_of_others_are_hidden_from_technicians(api_client: ApiHarness) -> None:
    """A technician cannot read or cancel another user's job (403); unknown ids are 404."""
    client = api_client.client
    location = client.post("/jobs/selftest", json={"steps": 1}, headers=api_client.headers("admin")).headers[
        "location"
    ]
    assert client.get(location, headers=api_client.headers("technician")).status_code == 403
    assert client.delete(location, headers=api_client.headers("dispatcher")).status_code == 403
    assert client.get("/jobs", headers=api_client.headers("technician")).json() == []
    assert client.delete("/jobs/nope", headers=api_client.headers("admin")).status_code == 404


def test_restart_marks_running_jobs_failed(db_url: str, tmp_path: Path) -> None:
    """A job left running by a previous process is failed 'interrupted by a restart' at service start."""
    settings, keys = make_api(db_url, "thread", tmp_path)
    with session_scope(db_url) as session:
        session.add(
            JobRow(
                id="old",
                kind="roster.solve",
                target="fieldcrew.jobs.selftest_job",
                owner="admin",
                status="running",
                progress=0.4,
                message="solving",
                cancel_requested=False,
                created_at=utcnow(),
                started_at=utcnow(),
            )
        )
    with TestClient(create_app(settings, migrate=False)) as client:
        body = client.get("/jobs/old", headers={"X-API-Key": keys["admin"]}).json()
    assert body["status"] == "failed"
    assert body["error"] == INTERRUPTED_MESSAGE and body["finished_at"] is not None


def test_process_pool_end_to_end(db_url: str, tmp_path: Path) -> None:
    """With the default process executor a job submitted over HTTP runs in a worker process; a long job
    still running when the service stops ends cancelled with its best result, and no worker outlives it."""
    settings, keys = make_api(db_url, "process", tmp_path)
    settings.job_workers = 1
    admin = {"X-API-Key": keys["admin"]}
    children_before = set(multiprocessing.active_children())
    with TestClient(create_app(settings, migrate=False)) as client:
        short = client.post("/jobs/selftest", json={"steps": 3, "sleep_s": 0.0}, headers=admin)
        body = _poll(client, short.headers["location"], admin, _terminal, timeout=120)
        long = client.post("/jobs/selftest", json={"steps": 5000, "sleep_s": 0.01}, headers=admin)
        long_location = long.headers["location"]
        _poll(client, long_location, admin, lambda b: (b["result"] or {}).get("count", 0) >= 1)
        health = client.get("/health").json()
    assert body["status"] == "succeeded", body
    assert body["result"]["count"] == 3 and body["result"]["pid"] != os.getpid()
    assert health["status"] == "ok"
    assert set(multiprocessing.active_children()) <= children_before  # workers joined at shutdown
    with TestClient(create_app(settings, migrate=False)) as client:
        stopped = client.get(long_location, headers=admin).json()
    assert stopped["status"] == "cancelled" and 1 <= stopped["result"]["count"] < 5000
