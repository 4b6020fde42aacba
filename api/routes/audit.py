"""The audit log, read-only: ``GET /audit`` (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from api.deps import DbSession, require_roles
from fieldcrew import audit
from fieldcrew.auth import AuthUser

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEntry(BaseModel):
    """Who changed what, when, with the before/after images."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any = None
    after: Any = None


@router.get("", response_model=list[AuditEntry], summary="Recent audit entries, newest first (admin)")
def list_entries(
    session: DbSession,
    _: Annotated[AuthUser, Depends(require_roles("admin"))],
    entity: str | None = None,
    entity_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Any]:
    return list(audit.entries(session, entity, entity_id, limit))
