"""Liveness and readiness: ``GET /health`` (no authentication)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

import fieldcrew
from fieldcrew.db import session_scope

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health(request: Request) -> JSONResponse:
    """``200 {"status": "ok"}`` when the database answers, ``503`` otherwise."""
    body: dict[str, Any] = {"status": "ok", "version": fieldcrew.__version__, "database": "ok"}
    try:
        with session_scope(request.app.state.database_url) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't raise: health must answer even when the database is down
        body.update(status="degraded", database=f"unavailable: {type(exc).__name__}")
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
