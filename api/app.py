"""The FastAPI application factory.

``create_app(settings)`` wires the one error format, the per-request database session, the job
executor and the router of every instrument, each imported here by name (:data:`ROUTERS`): the
app factory is the composition root of the service, and a missing or broken instrument is an
import error at start-up, never a silently smaller service.

Run it with ``fieldcrew serve`` (migrates, recovers interrupted jobs, starts uvicorn) or
``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

import fieldcrew
from api.errors import install_error_handlers
from api.routes import audit as audit_routes
from api.routes import data as data_routes
from api.routes import dispatch as dispatch_routes
from api.routes import health as health_routes
from api.routes import jobs as jobs_routes
from api.routes import payroll as payroll_routes
from api.routes import quality as quality_routes
from api.routes import reference as reference_routes
from api.routes import roster as roster_routes
from api.routes import timepool as timepool_routes
from api.routes import users as users_routes
from fieldcrew import jobs
from fieldcrew.db import session_factory, session_scope, upgrade
from fieldcrew.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Every router of the service, mounted in this order: the platform's, then the data flow's.
ROUTERS: tuple[tuple[str, APIRouter], ...] = (
    ("health", health_routes.router),
    ("jobs", jobs_routes.router),
    ("users", users_routes.router),
    ("reference", reference_routes.router),
    ("audit", audit_routes.router),
    ("data", data_routes.router),
    ("timepool", timepool_routes.router),
    ("roster", roster_routes.router),
    ("dispatch", dispatch_routes.router),
    ("quality", quality_routes.router),
    ("payroll", payroll_routes.router),
)

STATIC_DIR = Path(__file__).resolve().parent / "static"


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

    for _, router in ROUTERS:
        app.include_router(router)
    app.state.route_modules = tuple(name for name, _ in ROUTERS)

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
