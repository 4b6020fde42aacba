"""Shared fixtures for every package's tests.

- ``db_url``: a fresh SQLite database migrated to every head (a copy of one migrated template per
  xdist worker, so tests never share a file and migrations run once per worker).
- ``postgres_url``: a fresh PostgreSQL database migrated to every head, created on the server in
  ``FIELDCREW_TEST_POSTGRES_URL`` and dropped afterwards; the test is skipped when that is unset.
- ``any_db_url``: parametrised over both (``[sqlite]`` and ``[postgres]``) for storage round trips.
- ``api_client``: the service in-process (``fastapi.testclient``, httpx-based) on ``db_url`` with a
  thread job executor and one user per role (``api_client.headers("hr")``); the technician users
  ``technician`` and ``technician2`` are linked to technicians ``T-001`` and ``T-002``.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

# tests/<pkg>/ mirror the packages and have no __init__.py, so without the repository root first on
# sys.path `import fieldcrew` could resolve to the namespace directory tests/fieldcrew instead.
# tests/ itself is on sys.path too, so `from factories import ...` works in any import mode.
REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
for _path in (str(TESTS_DIR), str(REPO_ROOT)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from fieldcrew.db import dispose_engine, session_scope, upgrade  # noqa: E402
from fieldcrew.settings import Settings  # noqa: E402

POSTGRES_ENV = "FIELDCREW_TEST_POSTGRES_URL"

#: username → (role, technician id) of the users the API fixture creates.
API_USERS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "dispatcher": ("dispatcher", None),
    "hr": ("hr", None),
    "planner": ("planner", None),
    "technician": ("technician", "T-001"),
    "technician2": ("technician", "T-002"),
}


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file per worker migrated to every head; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(tmp_path: Path, _sqlite_template: Path) -> Iterator[str]:
    """URL of a fresh, migrated SQLite database of this test alone."""
    path = tmp_path / "fieldcrew.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    dispose_engine(url)


def _postgres_base() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("FIELDCREW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set but FIELDCREW_REQUIRE_POSTGRES=1 (CI)")
        pytest.skip(f"{POSTGRES_ENV} is not set (no PostgreSQL server for this run)")
    return base


def _pg_admin(sql: str) -> None:
    admin = create_engine(_postgres_base(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(sql))
    finally:
        admin.dispose()


def _pg_url(name: str) -> str:
    return make_url(_postgres_base()).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """One migrated PostgreSQL database per xdist worker, the template of every test's database."""
    name = f"fieldcrew_tpl_{_worker_id()}_{os.getpid()}".lower()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        upgrade(_pg_url(name))
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh, migrated PostgreSQL database of this test alone (skips without a server)."""
    _postgres_base()
    template = request.getfixturevalue("_postgres_template")
    name = f"fieldcrew_t_{_worker_id()}_{uuid.uuid4().hex[:10]}".lower()
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _pg_url(name)
    try:
        yield url
    finally:
        dispose_engine(url)
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database on SQLite, then on PostgreSQL (skipped when not configured)."""
    return str(request.getfixturevalue("db_url" if request.param == "sqlite" else "postgres_url"))


@dataclass
class ApiHarness:
    """The in-process service with one API key per test user."""

    client: TestClient
    db_url: str
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        """``X-API-Key`` header of the user ``username`` (see ``API_USERS``)."""
        return {"X-API-Key": self.keys[username]}

    def session(self) -> AbstractContextManager[Session]:
        """A transaction on the service's database (commits on exit)."""
        return session_scope(self.db_url)


def make_api(
    db_url: str, executor: str = "thread", tmp_dir: Path | None = None
) -> tuple[Settings, dict[str, str]]:
    """Settings for an app on ``db_url`` and the users of ``API_USERS`` created there (name → key)."""
    from fieldcrew.auth import create_user

    settings = Settings(
        database_url=db_url, job_executor=executor, job_workers=2, data_dir=tmp_dir or Path("var")
    )
    keys = {}
    with session_scope(db_url) as session:
        for username, (role, technician_id) in API_USERS.items():
            _, keys[username] = create_user(session, username, role, technician_id, actor="test-setup")
    return settings, keys


@pytest.fixture
def api_client(db_url: str, tmp_path: Path) -> Iterator[ApiHarness]:
    """The service in-process on a fresh database with one user per role (thread job executor)."""
    from api.app import create_app

    settings, keys = make_api(db_url, "thread", tmp_path)
    app = create_app(settings, migrate=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ApiHarness(client=client, db_url=db_url, keys=keys)
