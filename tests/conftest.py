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
from pathlib import Path

import pytest

# Import paths. Test modules are imported in pytest's "importlib" mode (see pytest_configure) so that
# two packages may both have tests/<pkg>/test_io.py. Helper modules are imported as top-level
# modules, so tests/ (factories.py) and every tests/<pkg>/ (<pkg>_factories.py) go on sys.path, and
# the repository root goes first: tests/<pkg>/ mirror the package names and have no __init__.py, so
# otherwise `import fieldcrew` could resolve to the namespace directory tests/fieldcrew.
REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
_PATHS = [str(p) for p in sorted(TESTS_DIR.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))]
for _path in [*reversed(_PATHS), str(TESTS_DIR), str(REPO_ROOT)]:
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)


from factories import API_USERS, ApiHarness, make_api  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from fieldcrew.db import dispose_engine, upgrade  # noqa: E402

POSTGRES_ENV = "FIELDCREW_TEST_POSTGRES_URL"
__all__ = ["API_USERS", "ApiHarness", "make_api"]


def pytest_configure(config: pytest.Config) -> None:
    """Import test modules by path (importlib mode), so equal basenames in two packages do not clash."""
    if config.getoption("importmode") == "prepend":
        config.option.importmode = "importlib"


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


@pytest.fixture
def api_client(db_url: str, tmp_path: Path) -> Iterator[ApiHarness]:
    """The service in-process on a fresh database with one user per role (thread job executor)."""
    from api.app import create_app

    settings, keys = make_api(db_url, "thread", tmp_path)
    app = create_app(settings, migrate=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ApiHarness(client=client, db_url=db_url, keys=keys)
