"""The application factory: routers are found or skipped correctly; the real server answers over HTTP."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from factories import ApiHarness, make_api

import api.routes
from api.app import ROUTE_MODULES, create_app, import_route_module
from fieldcrew.settings import Settings


@pytest.fixture
def extra_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory searched as part of ``api.routes`` for the test's fake router modules."""
    monkeypatch.setattr(api.routes, "__path__", [*api.routes.__path__, str(tmp_path)])
    yield tmp_path
    for name in ("zz_broken", "zz_ok"):
        sys.modules.pop(f"api.routes.{name}", None)


def test_missing_router_module_is_skipped() -> None:
    """A router module that does not exist (an instrument not built yet) is skipped."""
    assert import_route_module("zz_does_not_exist") is None


def test_broken_router_module_raises(extra_routes: Path) -> None:
    """A router module that exists but fails to import raises instead of being hidden."""
    (extra_routes / "zz_broken.py").write_text("import zz_no_such_dependency\nrouter = None\n")
    with pytest.raises(ModuleNotFoundError, match="zz_no_such_dependency"):
        import_route_module("zz_broken")
    (extra_routes / "zz_ok.py").write_text("from fastapi import APIRouter\nrouter = APIRouter()\n")
    assert import_route_module("zz_ok") is not None


def test_platform_routers_are_mounted(db_url: str, tmp_path: Path) -> None:
    """health, jobs, users and reference are always mounted; the order of ROUTE_MODULES is kept."""
    settings, _ = make_api(db_url, "thread", tmp_path)
    app = create_app(settings, migrate=False)
    mounted = app.state.route_modules
    assert {"health", "jobs", "users", "reference"} <= set(mounted)
    assert list(mounted) == [m for m in ROUTE_MODULES if m in mounted]


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
    assert page.status_code == 200 and "fieldcrew console" in page.text
    script = api_client.client.get("/static/console.js")
    assert script.status_code == 200 and "X-API-Key" in script.text


def test_openapi_declares_both_credential_forms(api_client: ApiHarness) -> None:
    """The docs' Authorize dialog offers the X-API-Key header and the bearer token."""
    schemes = api_client.client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"apiKey", "http"}
