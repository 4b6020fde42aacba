"""One error format for every error: ``application/problem+json`` (RFC 9457).

Every response body has ``type``, ``title``, ``status`` and ``detail``; validation errors add
``errors: [{"field": "body.name", "rule": "...", "value": ..., "row": null}]`` naming the field
path, the broken rule and the offending value; at most :data:`MAX_LISTED_ERRORS` are listed,
and ``error_count`` says how many there are. Domain errors
(:class:`vocabulary.errors.FieldcrewError` subclasses) carry their own status; unknown resources
are 404, a value no database column takes is 422, too many jobs is 429 with ``Retry-After``, and
anything unexpected is a 500 whose body reveals nothing internal (the traceback goes to the log).

:func:`document_problems` declares these answers in the OpenAPI document, operation by
operation (:class:`ProblemDetails`), as the service gives them.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vocabulary.errors import FieldcrewError, InputErrors, TooManyRequests
from vocabulary.orders import IllegalTransition

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://fieldcrew.example/problems/"
#: Errors listed in one answer; an all-bad file of a million rows is reported by its first ones
#: and ``error_count``.
MAX_LISTED_ERRORS = 1000


class ProblemItem(BaseModel):
    """One bad field or cell."""

    field: str = Field(description="the field path (body.items.0.qty) or the file's column")
    rule: str = Field(description="the rule the value breaks")
    value: Any = Field(default=None, description="the value found (long values shortened)")
    row: int | None = Field(default=None, description="the row of a file (header = row 1), or a list index")
    file: str | None = Field(default=None, description="the file, for an upload")


class ProblemDetails(BaseModel):
    """An error answer (RFC 9457 ``application/problem+json``)."""

    type: str = Field(description="URI naming the kind of problem")
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status")
    detail: str = Field(description="what happened in this case")
    errors: list[ProblemItem] | None = Field(
        default=None, description=f"bad fields or cells (the first {MAX_LISTED_ERRORS})"
    )
    error_count: int | None = Field(default=None, description="how many bad fields or cells there are")


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-").replace("'", "")


def problem(
    status: int,
    title: str | None = None,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    type_: str | None = None,
    error_count: int | None = None,
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
        Validation errors, each with ``field``, ``rule``, ``value`` and optionally ``row``/``file``;
        only the first :data:`MAX_LISTED_ERRORS` are listed.
    headers
        Extra headers (e.g. ``WWW-Authenticate``).
    type_
        Problem type URI (default derived from the title).
    error_count
        How many errors there are when ``errors`` lists only some (default: ``len(errors)``).
    """
    title = title or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": type_ or (TYPE_BASE + _slug(title)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors[:MAX_LISTED_ERRORS]
        body["error_count"] = max(error_count or 0, len(errors))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _jsonable_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
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
        count = exc.count
        listed = min(count, len(exc.problems), MAX_LISTED_ERRORS)
        more = f"; the first {listed} are listed" if listed < count else ""
        return problem(
            exc.status_code,
            exc.title,
            f"{count} problem(s) in the input; nothing was written{more}",
            [p.as_dict() for p in exc.problems[:MAX_LISTED_ERRORS]],
            error_count=count,
        )
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequests) else None
    return problem(exc.status_code, exc.title, str(exc), headers=headers)


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


async def _data_error(_: Request, exc: Exception) -> JSONResponse:
    # the database refused a value (too long for its column, a number out of its range, a NUL
    # character): the request's, since every stored value comes from one
    log.info("data error: %s", exc)
    return problem(422, "Invalid value", "a value does not fit the database: too long, out of range or "
                   "holding a character that cannot be stored")


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
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)


# --------------------------------------------------------------------------------------------------
# the problem answers in the OpenAPI document
# --------------------------------------------------------------------------------------------------

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
_WHY: dict[int, str] = {
    400: "Bad request: a body that cannot be read, or a value breaking a domain rule",
    401: "No valid API key (problem+json, with a WWW-Authenticate challenge)",
    403: "The caller's role may not do this, or the record is someone else's",
    404: "A resource named in the request does not exist",
    409: "The request conflicts with stored data (duplicate, still referenced, wrong state)",
    413: "The request body is larger than the service reads",
    422: "Invalid request: every bad field, parameter or cell is listed in `errors`",
    429: "Too many jobs queued or running; retry after `Retry-After` seconds",
}


def problem_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The problem statuses an operation can answer, from what it takes.

    Every operation may answer 422 (a NUL character or an out-of-range number in its query is
    refused before any route runs); one that authenticates 401 and 403; one with parameters or a
    body 400 (a domain rule broken by them) and 404 (what they name may not exist); one with a
    body 413; every write 409; a route starting a job (202) 429.
    """
    statuses = {422}
    if operation.get("security"):
        statuses |= {401, 403}
    if operation.get("parameters") or operation.get("requestBody"):
        statuses |= {400, 404}
    if operation.get("requestBody"):
        statuses.add(413)
    if method != "get":
        statuses.add(409)
    if method == "post" and "202" in operation.get("responses", {}):
        statuses.add(429)
    return sorted(statuses)


def _answer(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": _WHY[status],
                              "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
    header = {429: ("Retry-After", "seconds to wait", "integer"),
              401: ("WWW-Authenticate", "the challenge", "string")}.get(status)
    if header is not None:
        name, description, kind = header
        answer["headers"] = {name: {"description": description, "schema": {"type": kind}}}
    return answer


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the problem+json answers of every operation
    (:func:`problem_statuses`) with the :class:`ProblemDetails` schema, in place of FastAPI's own
    422 model (which the service never sends)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = build()
        for ops in doc.get("paths", {}).values():
            for method, operation in ops.items():
                if method not in _METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                for status in problem_statuses(method, operation):
                    responses[str(status)] = _answer(status)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["ProblemDetails"] = problem_schema
        text = repr(doc["paths"])
        for unused in ("HTTPValidationError", "ValidationError"):
            if f"#/components/schemas/{unused}'" not in text:
                schemas.pop(unused, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
