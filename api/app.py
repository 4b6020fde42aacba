"""The FastAPI application factory.

``create_app(settings)`` wires the one error format, the request guard (body size, NUL
characters, numbers beyond 64 bits: :mod:`api.guards`), the per-request database session, the
job executor and the router of every instrument, each imported here by name (:data:`ROUTERS`):
the app factory is the composition root of the service, and a missing or broken instrument is an
import error at start-up, never a silently smaller service.

The OpenAPI document declares every operation's problem+json answers
(:func:`api.errors.document_problems`); ``/docs`` is Swagger UI served from the service's own
static files (vendored, see ``api/static/SWAGGER-UI-NOTICE.txt``): it needs no network.

Run it with ``fieldcrew serve`` (migrates, recovers interrupted jobs, starts uvicorn) or
``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

import fieldcrew
from api.errors import document_problems, install_error_handlers
from api.guards import RequestGuard
from api.routes import audit as audit_routes
from api.routes import control as control_routes
from api.routes import data as data_routes
from api.routes import dispatch as dispatch_routes
from api.routes import health as health_routes
from api.routes import jobs as jobs_routes
from api.routes import operating as operating_routes
from api.routes import partners as partners_routes
from api.routes import payroll as payroll_routes
from api.routes import quality as quality_routes
from api.routes import reference as reference_routes
from api.routes import roster as roster_routes
from api.routes import session as session_routes
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
    ("sign-in", session_routes.router),
    ("reference", reference_routes.router),
    ("audit", audit_routes.router),
    ("data", data_routes.router),
    ("timepool", timepool_routes.router),
    ("roster", roster_routes.router),
    ("dispatch", dispatch_routes.router),
    ("dispatch control", control_routes.router),
    ("operating models", operating_routes.router),
    ("partners", partners_routes.router),
    ("quality", quality_routes.router),
    ("payroll", payroll_routes.router),
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Swagger UI's files among the static files (served at /static/…).
SWAGGER_JS, SWAGGER_CSS, SWAGGER_ICON = "swagger-ui-bundle.js", "swagger-ui.css", "swagger-favicon-32x32.png"


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
        jobs.configure(
            settings.job_executor,  # type: ignore[arg-type]
            settings.job_workers,
            max_jobs_per_user=settings.max_jobs_per_user,
            max_jobs=settings.max_jobs,
        )
        jobs.warm_up()
        with session_scope(url) as session:
            interrupted = jobs.recover_interrupted(session)
        if interrupted:
            log.warning("%d job(s) interrupted by a restart were marked failed", interrupted)
        # the dispatch centre's process control, re-evaluated on a clock (and on every event)
        clock = (
            asyncio.create_task(control_routes.control_clock(url, settings.control_clock_seconds))
            if settings.control_clock_seconds > 0
            else None
        )
        yield
        if clock is not None:
            clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clock
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
        docs_url=None,  # served below from the service's own files, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database_url = url
    app.state.session_factory = session_factory(url)
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_upload_bytes)

    for _, router in ROUTERS:
        app.include_router(router)
    app.state.route_modules = tuple(name for name, _ in ROUTERS)
    document_problems(app)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _offline_docs(app)

    if (STATIC_DIR / "index.html").is_file():

        @app.get("/", include_in_schema=False)
        def console() -> Response:
            return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    else:

        @app.get("/", include_in_schema=False)
        def root() -> Response:
            return RedirectResponse("/docs")

    return app


def _offline_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the service's own static files, so it works without any network."""
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"/static/{SWAGGER_JS}",
            swagger_css_url=f"/static/{SWAGGER_CSS}",
            swagger_favicon_url=f"/static/{SWAGGER_ICON}",
            oauth2_redirect_url=oauth2_redirect,
            swagger_ui_parameters={"validatorUrl": None},  # no call to the online validator
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    def docs_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
