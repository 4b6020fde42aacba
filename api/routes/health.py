"""Liveness and readiness: ``GET /health`` (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

import fieldcrew
from fieldcrew.db import session_scope

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Whether the service and its database answer."""

    status: str = Field(description="ok, or degraded when the database does not answer")
    version: str
    database: str = Field(description="ok, or unavailable: <error kind>")


@router.get(
    "/health",
    response_model=Health,
    summary="Service and database health",
    responses={503: {"model": Health, "description": "the database does not answer"}},
)
def health(request: Request) -> Health | JSONResponse:
    """``200 {"status": "ok"}`` when the database answers, ``503`` otherwise."""
    body = Health(status="ok", version=fieldcrew.__version__, database="ok")
    try:
        with session_scope(request.app.state.database_url) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't raise: health must answer even when the database is down
        down = Health(status="degraded", version=body.version, database=f"unavailable: {type(exc).__name__}")
        return JSONResponse(down.model_dump(), status_code=503)
    return body
