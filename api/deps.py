"""Request dependencies as ``Annotated`` aliases: the database session, the caller, role checks.

- ``DbSession``: one SQLAlchemy session and **one transaction per request**: committed when the
  route returns, rolled back when it raises, and closed before the response is sent (so a client
  that reads right after a 2xx sees the write, and a failed request leaves the database as it was).
- ``CurrentUser``: the authenticated caller (``.username``, ``.role``, ``.technician_id``), from
  ``X-API-Key: <key>`` or ``Authorization: Bearer <key>`` (machines), or the console's session
  cookie (people, after ``POST /auth/login``); 401 without valid credentials. A key, when sent,
  wins over the cookie.
- ``request_now(request)``: the service's clock (UTC, naive): ``app.state.clock()`` when a test
  set one, else the real time.
- ``require_roles(*roles)``: dependency factory, 403 unless the caller has one of ``roles``
  (``admin`` is always allowed).
- ``ensure_self_or_roles(user, technician_id, *roles)``: a technician may only see their own
  records; other roles need to be listed.
- ``job_accepted(response, job_id)``: the :class:`JobAccepted` answer of a route that started a job
  with :func:`fieldcrew.jobs.submit_job` (declare it with ``**ACCEPTED``: status ``202``, the
  model, the ``Location: /jobs/{id}`` header).
- ``attachment(...)`` and ``file_responses(...)``: a file download and its OpenAPI description.
- ``Limit``, ``Offset``, ``Version``: bounded query parameters of lists and versioned resources
  (a number beyond what a database column holds is a 422, not a 500 in the query); use them
  for every such parameter: ``limit: Limit = 100``, ``offset: Offset = 0``,
  ``version: Version = None``.

Example::

    @router.post("/jobs/selftest", **ACCEPTED)
    def start_selftest(params: SelftestParams, session: DbSession, response: Response,
                       user: Annotated[AuthUser, Depends(require_roles("admin"))]) -> JobAccepted:
        return job_accepted(response, submit_job(session, SELFTEST, params, user.username))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Request, Response, Security, status
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from fieldcrew.auth import ROLES, SESSION_COOKIE, AuthUser, authenticate, authenticate_session
from fieldcrew.db import transaction
from fieldcrew.settings import Settings
from fieldcrew.tables import utcnow

__all__ = [
    "ACCEPTED",
    "MAX_INT32",
    "MEDIA_TYPES",
    "AppSettings",
    "CurrentUser",
    "DbSession",
    "JobAccepted",
    "Limit",
    "Offset",
    "Version",
    "attachment",
    "ensure_self_or_roles",
    "file_responses",
    "get_current_user",
    "get_session",
    "job_accepted",
    "request_now",
    "require_roles",
]


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings_dep)]

#: The largest count, offset or version a request may name (a 32-bit integer column's).
MAX_INT32 = 2**31 - 1

#: A page size: ``limit: Limit = 100``.
Limit = Annotated[int, Query(ge=1, le=1000, description="page size (1–1000)")]
#: Rows to skip: ``offset: Offset = 0``.
Offset = Annotated[int, Query(ge=0, le=MAX_INT32, description="rows to skip")]
#: A stored version, the newest when not given: ``version: Version = None``.
Version = Annotated[
    int | None, Query(ge=1, le=MAX_INT32, description="the stored version (default: the newest)")
]


def get_session(request: Request) -> Iterator[Session]:
    """One session and transaction per request (commit on success, roll back on error)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with transaction(factory) as session:
        yield session


# scope="function": commit before the response is sent, not after.
DbSession = Annotated[Session, Depends(get_session, scope="function")]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="fieldcrew", charset="UTF-8"'}


# Declared as security schemes so /docs offers "Authorize" with either form.
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key from `fieldcrew user add`"
)
_bearer = HTTPBearer(auto_error=False, description="the same API key as an OAuth2-style bearer token")
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="the console's session, from `POST /auth/login`"
)


def request_now(request: Request) -> dt.datetime:
    """The service's time (UTC, naive): ``app.state.clock()`` if set (tests), else the real time."""
    clock: Callable[[], dt.datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def get_current_user(
    request: Request,
    session: DbSession,
    api_key: Annotated[str | None, Security(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    cookie: Annotated[str | None, Security(_session_cookie)] = None,
) -> AuthUser:
    """The caller identified by an API key or a console session; 401 when none is valid."""
    key = (api_key or "").strip() or (bearer.credentials.strip() if bearer is not None else "") or None
    if key is None and cookie:
        by_cookie = authenticate_session(session, cookie, request_now(request))
        if by_cookie is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "the sign-in session has ended or is not valid; sign in again",
                headers=_UNAUTHORIZED_HEADERS,
            )
        request.state.user = by_cookie
        return by_cookie
    if key is not None and not (len(key) <= 200 and key.isascii() and key.isprintable()):
        key = ""  # no key has such characters: refuse it before it reaches the database
    if key == "":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid, revoked or inactive API key",
            headers=_UNAUTHORIZED_HEADERS,
        )
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "credentials required: send 'X-API-Key: <key>' or 'Authorization: Bearer <key>', "
            "or sign in (POST /auth/login)",
            headers=_UNAUTHORIZED_HEADERS,
        )
    user = authenticate(session, key)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid, revoked or inactive API key",
            headers=_UNAUTHORIZED_HEADERS,
        )
    request.state.user = user
    return user


CurrentUser = Annotated[AuthUser, Depends(get_current_user)]


def require_roles(*roles: str) -> Callable[[AuthUser], AuthUser]:
    """A dependency that returns the caller if their role is one of ``roles`` (or admin), else 403.

    Use as ``dependencies=[Depends(require_roles("hr"))]`` or
    ``user: Annotated[AuthUser, Depends(require_roles("hr", "planner"))]``.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}; roles are {ROLES}")
    allowed = frozenset(roles) | {"admin"}

    def check(user: CurrentUser) -> AuthUser:
        if user.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {user.role!r} may not do this; allowed: {', '.join(sorted(allowed))}",
            )
        return user

    check.__name__ = f"require_roles_{'_'.join(roles) or 'admin'}"
    return check


def ensure_self_or_roles(user: AuthUser, technician_id: str | None, *roles: str) -> None:
    """403 unless ``user`` is admin, has one of ``roles``, or is the technician ``technician_id``."""
    if user.role == "admin" or user.role in roles:
        return
    if user.role == "technician" and technician_id is not None and user.technician_id == technician_id:
        return
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        "a technician may only see their own records" if user.role == "technician"
        else f"role {user.role!r} may not see this record",
    )


# --------------------------------------------------------------------------------------------------
# answers shared by the routes
# --------------------------------------------------------------------------------------------------


class JobAccepted(BaseModel):
    """A started job: poll ``location`` (``GET /jobs/{id}``) for its progress and result."""

    id: str = Field(description="the job id")
    status: Literal["queued"] = "queued"
    location: str = Field(description="/jobs/{id}, also sent as the Location header")


#: Route options of a job-starting route: ``@router.post("/…", **ACCEPTED)``.
ACCEPTED: dict[str, Any] = {
    "status_code": status.HTTP_202_ACCEPTED,
    "response_model": JobAccepted,
    "responses": {
        status.HTTP_202_ACCEPTED: {
            "description": "accepted; poll the Location",
            "headers": {"Location": {"description": "/jobs/{id}", "schema": {"type": "string"}}},
        }
    },
}


def job_accepted(response: Response, job_id: str) -> JobAccepted:
    """The answer to a request that started a job: :class:`JobAccepted` and ``Location: /jobs/{id}``."""
    location = f"/jobs/{job_id}"
    response.headers["Location"] = location
    return JobAccepted(id=job_id, location=location)


#: Media types of file downloads, by format.
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}


def file_responses(*formats: str, description: str = "") -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route that (also) answers with files of ``formats`` (OpenAPI content)."""
    media = {MEDIA_TYPES[f]: {"schema": {"type": "string", "format": "binary"}} for f in formats}
    answer: dict[str, Any] = {"content": media}
    if description:
        answer["description"] = description
    return {status.HTTP_200_OK: answer}


def attachment(content: bytes, fmt: str, filename: str) -> Response:
    """A download of ``content`` in format ``fmt`` (a key of :data:`MEDIA_TYPES`) named ``filename``."""
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
