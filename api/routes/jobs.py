"""Generic job resources: list, status/progress/result, cancel; plus a self-test job.

Instruments start their own jobs (``POST /rosters`` …) with :func:`fieldcrew.jobs.submit_job` and
answer with :func:`api.deps.job_accepted` (``202`` + ``Location: /jobs/{id}``); reading and
cancelling is the same for all of them, here. A technician sees only jobs they submitted; a job's
parameters and result (a payroll run's totals, say) are shown only to its owner and admins
(others see its status, with ``restricted: true``); only the owner or an admin may cancel.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from api.deps import ACCEPTED, CurrentUser, DbSession, JobAccepted, Limit, job_accepted, require_roles
from fieldcrew import audit, jobs
from fieldcrew.auth import AuthUser
from fieldcrew.jobs import SELFTEST, JobView, SelftestParams

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _visible(user: AuthUser, row_owner: str) -> bool:
    return user.role != "technician" or row_owner == user.username


def _detail(user: AuthUser, row_owner: str) -> bool:
    """Whether ``user`` may read a job's parameters and result: its owner and admins only."""
    return user.is_admin or row_owner == user.username


@router.get("", response_model=list[JobView], summary="Recent jobs (a technician sees only own)")
def list_jobs(session: DbSession, user: CurrentUser, limit: Limit = 100) -> list[JobView]:
    owner = user.username if user.role == "technician" else None
    rows = jobs.list_jobs(session, owner=owner, limit=limit)
    return [JobView.of(row, _detail(user, row.owner)) for row in rows]


@router.get("/{job_id}", response_model=JobView, summary="Status, progress and result of a job")
def get_job(job_id: str, session: DbSession, user: CurrentUser) -> JobView:
    row = jobs.get_job(session, job_id)
    if not _visible(user, row.owner):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a technician may only see their own jobs")
    return JobView.of(row, _detail(user, row.owner))


@router.delete(
    "/{job_id}",
    response_model=JobView,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cancel a job (a running solver stops and keeps its best result so far)",
)
def cancel_job(job_id: str, session: DbSession, user: CurrentUser) -> JobView:
    row = jobs.get_job(session, job_id)
    if row.owner != user.username and not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the job's owner or an admin may cancel it")
    before = {"status": row.status, "cancel_requested": row.cancel_requested}
    row = jobs.cancel_job(session, job_id)
    audit.record(
        session, user, "cancel", "job", job_id, before, {"status": row.status, "cancel_requested": True}
    )
    return JobView.of(row)


@router.post("/selftest", summary="Start a self-test job (admin): checks the executor end to end", **ACCEPTED)
def start_selftest(
    params: SelftestParams,
    session: DbSession,
    response: Response,
    user: Annotated[AuthUser, Depends(require_roles("admin"))],
) -> JobAccepted:
    return job_accepted(response, jobs.submit_job(session, SELFTEST, params, user.username))
