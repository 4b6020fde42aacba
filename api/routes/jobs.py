"""Generic job resources: list, status/progress/result, cancel; plus a self-test job.

Instruments start their own jobs (``POST /roster/solve`` …) with
:func:`fieldcrew.jobs.submit_job` and answer with :func:`api.deps.job_accepted`
(``202`` + ``Location: /jobs/{id}``); reading and cancelling is the same for all of them, here.
A technician sees only jobs they submitted; only the owner or an admin may cancel.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DbSession, job_accepted, require_roles
from fieldcrew import audit, jobs
from fieldcrew.auth import AuthUser

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobOut(BaseModel):
    """A job's state."""

    id: str
    kind: str
    owner: str
    status: str = Field(description="queued, running, succeeded, failed or cancelled")
    progress: float = Field(ge=0, le=1)
    message: str
    cancel_requested: bool
    params: Any = None
    result: Any = Field(default=None, description="the result, or the best result so far")
    error: str | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    location: str


class SelftestParams(BaseModel):
    """Parameters of the self-test job (counts steps, sleeping between them)."""

    steps: int = Field(default=10, ge=1, le=10_000)
    sleep_s: float = Field(default=0.05, ge=0, le=5)
    fail_at: int | None = Field(default=None, ge=0, description="raise at this step (tests failure)")


def _visible(user: AuthUser, row_owner: str) -> bool:
    return user.role != "technician" or row_owner == user.username


@router.get("", response_model=list[JobOut], summary="Recent jobs (a technician sees only own)")
def list_jobs(
    session: DbSession, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    owner = user.username if user.role == "technician" else None
    return [jobs.job_view(row) for row in jobs.list_jobs(session, owner=owner, limit=limit)]


@router.get("/{job_id}", response_model=JobOut, summary="Status, progress and result of a job")
def get_job(job_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    row = jobs.get_job(session, job_id)
    if not _visible(user, row.owner):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a technician may only see their own jobs")
    return jobs.job_view(row)


@router.delete(
    "/{job_id}",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cancel a job (a running solver stops and keeps its best result so far)",
)
def cancel_job(job_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    row = jobs.get_job(session, job_id)
    if row.owner != user.username and not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the job's owner or an admin may cancel it")
    before = {"status": row.status, "cancel_requested": row.cancel_requested}
    row = jobs.cancel_job(session, job_id)
    audit.record(
        session, user, "cancel", "job", job_id, before, {"status": row.status, "cancel_requested": True}
    )
    return jobs.job_view(row)


@router.post(
    "/selftest",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a self-test job (admin): checks the executor end to end",
    responses={202: {"description": "accepted; poll the Location"}},
)
def start_selftest(
    params: SelftestParams,
    session: DbSession,
    user: Annotated[AuthUser, Depends(require_roles("admin"))],
) -> JSONResponse:
    job_id = jobs.submit_job(
        session, "selftest", "fieldcrew.jobs:selftest_job", params.model_dump(), user.username
    )
    return job_accepted(job_id)
