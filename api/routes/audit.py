"""The audit log, read-only: ``GET /audit`` (admin); times in UTC with their offset."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.deps import DbSession, Limit, require_roles
from fieldcrew import audit
from fieldcrew.auth import AuthUser
from fieldcrew.jobs import as_utc

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEntry(BaseModel):
    """Who changed what, when, with the before/after images."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: Annotated[dt.datetime, AfterValidator(as_utc)] = Field(description="when, in UTC with its offset")
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
    limit: Limit = 100,
) -> list[Any]:
    return list(audit.entries(session, entity, entity_id, limit))
