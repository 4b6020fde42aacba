"""Checks every request passes before any route runs: its size, and what no route can take.

:class:`RequestGuard` is an ASGI middleware (``create_app`` installs it around everything):

- a body larger than ``max_body_bytes`` (``FIELDCREW_MAX_UPLOAD_BYTES``) is refused with ``413``
  before it is read: at once when ``Content-Length`` says so, else as soon as the bytes that
  arrived exceed it (never more than the limit is held);
- a NUL character in the path or the query, and in a JSON body a NUL character in a string, a
  number that is not finite (``NaN``, ``Infinity``, ``1e999``) or an integer beyond 64 bits, is
  refused with ``422``, naming the field: no database column stores them (PostgreSQL refuses a
  NUL in text outright), so they would otherwise fail deep inside a route as a 500.

Every refusal is ``application/problem+json`` like any other error of the service.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

from api.errors import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The largest integer a request may hold: a signed 64-bit integer, the widest database column.
MAX_INT = 2**63 - 1


class _NotFinite:
    """Stands for NaN / Infinity read from JSON (the parser's ``parse_constant``)."""


_NOT_FINITE = _NotFinite()


class RequestGuard:
    """ASGI middleware: the size limit and the character and number checks of every request.

    Parameters
    ----------
    app
        The application to guard.
    max_body_bytes
        The largest request body read, in bytes.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = url_problems(scope)
        if errors:
            await _refuse(422, "Invalid request", errors, scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media == "application/json" or media.endswith("+json"):
            try:
                body = await _read_all(receive, self.max_body_bytes)
            except _TooLarge:
                await self._too_large(scope, receive, send)
                return
            errors = json_problems(body)
            if errors:
                await _refuse(422, "Invalid request", errors, scope, receive, send)
                return
            receive = _replay(body, receive)
        else:
            receive = _limited(receive, self.max_body_bytes)
        await self.app(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Content too large", _too_large_detail(self.max_body_bytes),
                           headers={"Connection": "close"})
        await response(scope, receive, send)


def _too_large_detail(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes, the most the service reads"


async def _refuse(
    status: int, title: str, errors: list[dict[str, Any]], scope: Scope, receive: Receive, send: Send
) -> None:
    response = problem(status, title, f"{len(errors)} invalid field(s) in the request", errors)
    await response(scope, receive, send)


class _TooLarge(Exception):
    pass


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing more comes
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` once, then whatever the connection sends (disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _limited(receive: Receive, limit: int) -> Receive:
    """A ``receive`` that stops the request with 413 once more than ``limit`` bytes arrived."""
    size = 0

    async def limited() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                # FastAPI passes an HTTPException raised while reading the body through to the
                # problem+json handler (api.errors)
                raise HTTPException(413, _too_large_detail(limit))
        return message

    return limited


def url_problems(scope: Scope) -> list[dict[str, Any]]:
    """A NUL character in the path or in a query parameter's name or value."""
    errors = []
    if "\x00" in scope.get("path", ""):
        errors.append(_error("path", "must not hold a NUL character (\\x00)", scope["path"]))
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                errors.append(_error(f"query.{name}", "must not hold a NUL character (\\x00)", value))
    return errors


def json_problems(body: bytes) -> list[dict[str, Any]]:
    """Strings with NUL characters, non-finite numbers and integers beyond 64 bits in a JSON body.

    A body that is not JSON at all is left to the route (which answers 422 for it as for any
    other invalid body).
    """
    if not body:
        return []
    try:
        document = json.loads(body, parse_constant=lambda _: _NOT_FINITE)
    except json.JSONDecodeError:
        return []
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, deep nesting
        return [_error("body", f"a readable JSON document ({exc})", None)]
    errors: list[dict[str, Any]] = []
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:  # iterative: a deeply nested body cannot exhaust the stack here
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    errors.append(_error(f"{path}.{key}", "a name must not hold a NUL character", key))
                stack.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{at}", item) for at, item in enumerate(value))
        elif isinstance(value, str):
            if "\x00" in value:
                errors.append(_error(path, "must not hold a NUL character (\\x00)", value))
        elif value is _NOT_FINITE or (isinstance(value, float) and not math.isfinite(value)):
            shown = None if value is _NOT_FINITE else str(value)
            errors.append(_error(path, "must be a finite number", shown))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            errors.append(_error(path, f"a whole number must lie within ±{MAX_INT}", str(value)))
        if len(errors) >= 100:
            break
    return sorted(errors, key=lambda e: str(e["field"]))


def _error(field: str, rule: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = value.replace("\x00", "\\x00")
        value = value if len(value) <= 200 else value[:200] + "…"
    return {"field": field, "rule": rule, "value": value, "row": None}
