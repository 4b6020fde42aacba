"""One error format for every error: ``application/problem+json`` (RFC 9457).

Every response body has ``type``, ``title``, ``status`` and ``detail``; validation errors add
``errors: [{"field": "body.name", "rule": "...", "value": ..., "row": null}]`` naming the field
path, the broken rule and the offending value. Domain errors
(:class:`vocabulary.errors.FieldcrewError` subclasses) carry their own status; unknown resources
are 404 and anything unexpected is a 500 whose body reveals nothing internal (the traceback goes
to the log).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vocabulary.errors import FieldcrewError, InputErrors
from vocabulary.orders import IllegalTransition

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://fieldcrew.example/problems/"


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-").replace("'", "")


def problem(
    status: int,
    title: str | None = None,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    type_: str | None = None,
) -> JSONResponse:
    """A problem+json response.

    Parameters
    ----------
    status
        HTTP status code.
    title
        Short summary of the problem kind (default: the status phrase).
    detail
        What happened in this case.
    errors
        Validation errors, each with ``field``, ``rule``, ``value`` and optionally ``row``/``file``.
    headers
        Extra headers (e.g. ``WWW-Authenticate``).
    type_
        Problem type URI (default derived from the title).
    """
    title = title or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": type_ or (TYPE_BASE + _slug(title)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _jsonable_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable_value(v) for v in value][:20]
    if isinstance(value, dict):
        return {str(k): _jsonable_value(v) for k, v in list(value.items())[:20]}
    return str(value)


def pydantic_errors(errors: Any, prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Pydantic/FastAPI error dicts → ``[{field, rule, value, row}]`` (``row`` from a list index)."""
    out = []
    for err in errors:
        loc = tuple(prefix) + tuple(err.get("loc", ()))
        row = next((p for p in loc if isinstance(p, int)), None)
        out.append(
            {
                "field": ".".join(str(p) for p in loc) or "body",
                "rule": f"{err.get('type', 'invalid')}: {err.get('msg', '')}",
                "value": _jsonable_value(err.get("input")),
                "row": row,
            }
        )
    return out


async def _fieldcrew_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FieldcrewError)
    if isinstance(exc, InputErrors):
        return problem(
            exc.status_code,
            exc.title,
            f"{len(exc.problems)} problem(s) in the input; nothing was written",
            [p.as_dict() for p in exc.problems],
        )
    return problem(exc.status_code, exc.title, str(exc))


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = pydantic_errors(exc.errors())
    return problem(422, "Invalid request", f"{len(errors)} invalid field(s) in the request", errors)


async def _pydantic_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    errors = pydantic_errors(exc.errors())
    return problem(422, "Invalid input", f"{len(errors)} invalid field(s): {exc.title}", errors)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem(exc.status_code, None, detail, headers=headers)


async def _illegal_transition(_: Request, exc: Exception) -> JSONResponse:
    return problem(409, "Illegal status transition", str(exc))


async def _integrity(_: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error: %s", exc)
    return problem(
        409, "Conflict", "the change conflicts with existing data (duplicate id or missing reference)"
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal error", "an unexpected error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(FieldcrewError, _fieldcrew_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ValidationError, _pydantic_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IllegalTransition, _illegal_transition)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(Exception, _unexpected)
