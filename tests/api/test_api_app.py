"""The application factory: every router is mounted explicitly; the real server answers over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from factories import ApiHarness, make_api

import api.app
from api.app import ROUTERS, create_app
from fieldcrew.settings import Settings


def test_every_router_is_mounted_in_order(db_url: str, tmp_path: Path) -> None:
    """Every router the composition root names is mounted, in the order of ROUTERS, and each one's
    routes are in the OpenAPI document."""
    settings, _ = make_api(db_url, "thread", tmp_path)
    app = create_app(settings, migrate=False)
    assert list(app.state.route_modules) == [name for name, _ in ROUTERS]
    assert {"health", "jobs", "users", "reference", "timepool", "roster", "dispatch", "quality",
            "payroll"} <= set(app.state.route_modules)
    paths = set(app.openapi()["paths"])
    for _, router in ROUTERS:
        for route in router.routes:
            if getattr(route, "include_in_schema", True):
                assert getattr(route, "path", None) in paths


def test_app_factory_finds_no_module_by_a_string() -> None:
    """The app factory imports its routers explicitly: no importlib lookup that could skip one."""
    source = Path(api.app.__file__).read_text()
    assert "importlib" not in source and "import_module" not in source


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """The real service (uvicorn) in a thread on a free loopback port, migrating its own database."""
    settings = Settings(database_url="", data_dir=tmp_path / "var", job_executor="thread", job_workers=1)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_real_server_serves_health_and_docs(live_server: str) -> None:
    """Over real HTTP: /health is ok (after migrating an empty SQLite file), /docs and the OpenAPI load."""
    health = httpx.get(f"{live_server}/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    docs = httpx.get(f"{live_server}/docs", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = httpx.get(f"{live_server}/openapi.json", timeout=10).json()
    assert "/jobs/{job_id}" in spec["paths"] and "/technicians" in spec["paths"]
    assert httpx.get(f"{live_server}/technicians", timeout=10).status_code == 401


def test_console_is_served(api_client: ApiHarness) -> None:
    """The web console (static HTML + JS) is served at / and its assets under /static."""
    page = api_client.client.get("/")
    assert page.status_code == 200 and "fieldcrew 控制台" in page.text  # Chinese first
    script = api_client.client.get("/static/console.js")
    assert script.status_code == 200 and "X-API-Key" in script.text


def test_openapi_declares_both_credential_forms(api_client: ApiHarness) -> None:
    """The docs' Authorize dialog offers the X-API-Key header and the bearer token."""
    schemes = api_client.client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"apiKey", "http"}
