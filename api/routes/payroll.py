"""Payroll over HTTP: policy versions, month runs as jobs, runs, payslips and diffs (JSON).

The hr role uploads policy versions, runs a month (a job: ``202`` + ``Location: /jobs/{id}``),
lists runs, reads any payslip and diffs two versions. A technician reads only their own payslips.
Runs read their inputs from the database (technicians, completed work orders and outcomes, quality
grades); HR's spreadsheets go through the CLI (``fieldcrew payroll run --input DIR``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from api.deps import CurrentUser, DbSession, ensure_self_or_roles, job_accepted, require_roles
from fieldcrew import jobs
from fieldcrew.auth import AuthUser
from payroll import store
from payroll.jobs import resolve_policy
from payroll.policy import parse_policies

router = APIRouter(prefix="/payroll", tags=["payroll"])

HrUser = Annotated[AuthUser, Depends(require_roles("hr"))]
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class RunRequest(BaseModel):
    """Run a month's payroll (a new immutable version of the month)."""

    month: str = Field(description="YYYY-MM", examples=["2026-03"])

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not _MONTH.match(value):
            raise ValueError("month must be YYYY-MM")
        return value


@router.post("/policies", status_code=status.HTTP_201_CREATED, summary="Store a new pay policy version (hr)")
def create_policy(
    session: DbSession,
    user: HrUser,
    body: Annotated[dict[str, Any], Body(description="a policy: money and factors as strings, never floats")],
) -> dict[str, Any]:
    (policy,) = parse_policies(body, "request body")
    return store.save_policy(session, policy, user.username)


@router.get("/policies", summary="Stored pay policy versions (hr)")
def list_policies(session: DbSession, user: HrUser) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in store.stored_policies(session)]


@router.post(
    "/runs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run a month's payroll as a job (hr)",
    responses={202: {"description": "accepted; poll the Location"}},
)
def start_run(request: RunRequest, session: DbSession, user: HrUser) -> JSONResponse:
    resolve_policy(session, request.month, None)  # no policy in force: 422 now, and no job
    job_id = jobs.submit_job(
        session,
        "payroll_run",
        "payroll.jobs:run_month_job",
        {"month": request.month, "actor": user.username},
        user.username,
    )
    return job_accepted(job_id)


@router.get("/runs", summary="Stored payroll runs, newest first (hr)")
def list_runs(
    session: DbSession, user: HrUser, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None
) -> list[dict[str, Any]]:
    return store.list_runs(session, month)


@router.get("/runs/{run_id}", summary="One payroll run (hr)")
def get_run(run_id: str, session: DbSession, user: HrUser) -> dict[str, Any]:
    return store.get_run(session, run_id)


@router.get("/runs/{run_id}/payslips/{technician_id}", summary="A payslip (hr, or the technician)")
def get_payslip(run_id: str, technician_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    ensure_self_or_roles(user, technician_id, "hr")
    return store.get_payslip(session, run_id, technician_id)


@router.get(
    "/technicians/{technician_id}/payslips", summary="A technician's payslips (hr, or the technician)"
)
def technician_payslips(technician_id: str, session: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    ensure_self_or_roles(user, technician_id, "hr")
    return store.payslips_of_technician(session, technician_id)


@router.get("/diff", summary="Per-line diff and retro corrections between two versions of a month (hr)")
def diff(
    session: DbSession,
    user: HrUser,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    old: Annotated[int, Query(alias="from", ge=1)],
    new: Annotated[int, Query(alias="to", ge=1)],
) -> dict[str, Any]:
    return store.diff_versions(session, month, old, new)
