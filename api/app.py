"""The FastAPI application factory.

``create_app(settings)`` wires the one error format, the per-request database session, the job
executor and every router found in :data:`ROUTE_MODULES` (``api/routes/<name>.py`` exposing
``router``). A router module that does not exist yet is skipped; one that exists but fails to
import raises, so a broken instrument is never silently missing from the service.

Run it with ``fieldcrew serve`` (migrates, recovers interrupted jobs, starts uvicorn) or
``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

import fieldcrew
from api.errors import install_error_handlers
from fieldcrew import jobs
from fieldcrew.db import session_factory, session_scope, upgrade
from fieldcrew.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Router modules under ``api/routes/``, mounted in this order when they exist.
ROUTE_MODULES: tuple[str, ...] = (
    "health",
    "jobs",
    "users",
    "reference",
    "audit",
    "data",
    "timepool",
    "roster",
    "dispatch",
    "quality",
    "payroll",
)

STATIC_DIR = Path(__file__).resolve().parent / "static"


def import_route_module(name: str) -> ModuleType | None:
    """Import ``api.routes.<name>``; ``None`` only when that module itself does not exist."""
    module_name = f"api.routes.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise  # the module exists but imports something missing: a real error


def create_app(settings: Settings | None = None, migrate: bool = True) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        Settings to use (default: :func:`fieldcrew.settings.get_settings`).
    migrate
        Upgrade the database to the newest schema (all heads) at startup.

    Returns
    -------
    FastAPI
        The application; its startup migrates (optionally), configures the job executor and
        marks jobs interrupted by a previous process as failed.
    """
    settings = settings or get_settings()
    url = settings.resolved_database_url()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if migrate:
            upgrade(url)
        jobs.configure(settings.job_executor, settings.job_workers)  # type: ignore[arg-type]
        jobs.warm_up()
        with session_scope(url) as session:
            interrupted = jobs.recover_interrupted(session)
        if interrupted:
            log.warning("%d job(s) interrupted by a restart were marked failed", interrupted)
        yield
        with session_scope(url) as session:
            jobs.request_stop(session)
        jobs.shutdown(wait=False, grace_s=10.0)

    app = FastAPI(
        title="fieldcrew",
        version=fieldcrew.__version__,
        description=(
            "Workforce scheduling and piece-rate pay for install/repair technicians. "
            "Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <key>` "
            "(create keys with `fieldcrew user add`). Errors are `application/problem+json`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database_url = url
    app.state.session_factory = session_factory(url)
    install_error_handlers(app)

    mounted = []
    for name in ROUTE_MODULES:
        module = import_route_module(name)
        if module is None:
            continue
        app.include_router(module.router)
        mounted.append(name)
    app.state.route_modules = tuple(mounted)

    if (STATIC_DIR / "index.html").is_file():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

        @app.get("/", include_in_schema=False)
        def console() -> Response:
            return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    else:

        @app.get("/", include_in_schema=False)
        def root() -> Response:
            return RedirectResponse("/docs")

    return app
