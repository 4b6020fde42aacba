"""Payroll over HTTP: policy versions, month runs as jobs, runs, payslips and diffs (JSON).

The hr role uploads policy versions, runs a month (a job: ``202`` + ``Location: /jobs/{id}``),
lists runs, reads any payslip and diffs two versions. A technician reads only their own payslips.
Runs read their inputs from the database (technicians, completed work orders and outcomes, quality
grades); HR's spreadsheets go through the CLI (``fieldcrew payroll run --input DIR``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import (
    ACCEPTED,
    CurrentUser,
    DbSession,
    JobAccepted,
    ensure_self_or_roles,
    job_accepted,
    require_roles,
)
from fieldcrew import jobs
from fieldcrew.auth import AuthUser
from payroll import store
from payroll.jobs import RUN, PayrollRunParams, PayrollRunRequest, resolve_policy
from payroll.policy import PayPolicy, parse_policies

router = APIRouter(prefix="/payroll", tags=["payroll"])

HrUser = Annotated[AuthUser, Depends(require_roles("hr"))]


# --------------------------------------------------------------------------------------------------
# answers (money in integer fen, and as a yuan string for people)
# --------------------------------------------------------------------------------------------------


class PolicyStored(BaseModel):
    """A stored pay policy version."""

    version: str
    effective_from: str = Field(description="YYYY-MM-DD")


class PayrollRun(BaseModel):
    """One stored run: a version of a month's payroll."""

    id: str
    month: str
    version: int
    policy_version: str
    technicians: int
    total_fen: int
    total: str = Field(description="the total in yuan, e.g. ¥ 1,234.56")
    input_digest: str = Field(description="SHA-256 of the inputs and policy the run saw")
    created_at: str | None = None
    created_by: str


class PayLineOut(BaseModel):
    """One line of a payslip: rule, quantity × rate × coefficient × multiplier = amount."""

    rule: str
    key: str
    label: str = ""
    quantity: str = Field(description="exact decimal")
    rate: str = Field(description="exact decimal")
    coefficient: str = Field(description="exact decimal")
    multiplier: str = Field(description="exact decimal")
    amount_fen: int
    amount: str = ""
    sources: dict[str, Any] = Field(default_factory=dict, description="the records behind the line")


class PayslipOut(BaseModel):
    """A technician's payslip of one run."""

    technician_id: str
    month: str
    policy_version: str
    total_fen: int
    total: str = ""
    summary: dict[str, Any] = Field(default_factory=dict)
    lines: list[PayLineOut]


class PayslipRef(BaseModel):
    """A stored payslip of a technician: which run, and its total."""

    run_id: str
    month: str
    version: int
    total_fen: int
    total: str


class LineDiff(BaseModel):
    """A pay line that differs between two versions."""

    key: str
    rule: str
    old_fen: int
    new_fen: int
    delta_fen: int
    old: PayLineOut | None
    new: PayLineOut | None


class TechnicianDiff(BaseModel):
    """A technician's changed lines and retro correction (``pay``, ``recover``, ``waive`` or ``none``)."""

    technician_id: str
    old_total_fen: int
    new_total_fen: int
    correction_fen: int
    action: str
    lines: list[LineDiff]


class DiffTotals(BaseModel):
    """What the corrections add up to."""

    changed_technicians: int
    to_pay_fen: int
    to_recover_fen: int
    waived_fen: int


class PayrollDiff(BaseModel):
    """Per-line diff and retro corrections between two versions of a month."""

    month: str
    old: PayrollRun
    new: PayrollRun
    retro: str = Field(description="recover or waive: what happens to a negative correction")
    technicians: list[TechnicianDiff]
    totals: DiffTotals


# --------------------------------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------------------------------


@router.post(
    "/policies",
    status_code=status.HTTP_201_CREATED,
    response_model=PolicyStored,
    summary="Store a new pay policy version (hr)",
)
def create_policy(
    session: DbSession,
    user: HrUser,
    body: Annotated[dict[str, Any], Body(description="a policy: money and factors as strings, never floats")],
) -> dict[str, Any]:
    (policy,) = parse_policies(body, "request body")
    return store.save_policy(session, policy, user.username)


@router.get("/policies", response_model=list[PayPolicy], summary="Stored pay policy versions (hr)")
def list_policies(session: DbSession, user: HrUser) -> list[PayPolicy]:
    return store.stored_policies(session)


@router.post("/runs", summary="Run a month's payroll as a job (hr)", **ACCEPTED)
def start_run(
    request: PayrollRunRequest, session: DbSession, response: Response, user: HrUser
) -> JobAccepted:
    resolve_policy(session, request.month, None)  # no policy in force: 422 now, and no job
    params = PayrollRunParams(month=request.month, actor=user.username)
    return job_accepted(response, jobs.submit_job(session, RUN, params, user.username))


@router.get("/runs", response_model=list[PayrollRun], summary="Stored payroll runs, newest first (hr)")
def list_runs(
    session: DbSession, user: HrUser, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None
) -> list[dict[str, Any]]:
    return store.list_runs(session, month)


@router.get("/runs/{run_id}", response_model=PayrollRun, summary="One payroll run (hr)")
def get_run(run_id: str, session: DbSession, user: HrUser) -> dict[str, Any]:
    return store.get_run(session, run_id)


@router.get(
    "/runs/{run_id}/payslips/{technician_id}",
    response_model=PayslipOut,
    response_model_exclude_unset=True,  # a payslip stored by an older version keeps its own keys
    summary="A payslip (hr, or the technician)",
)
def get_payslip(run_id: str, technician_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    ensure_self_or_roles(user, technician_id, "hr")
    return store.get_payslip(session, run_id, technician_id)


@router.get(
    "/technicians/{technician_id}/payslips",
    response_model=list[PayslipRef],
    summary="A technician's payslips (hr, or the technician)",
)
def technician_payslips(technician_id: str, session: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    ensure_self_or_roles(user, technician_id, "hr")
    return store.payslips_of_technician(session, technician_id)


@router.get(
    "/diff",
    response_model=PayrollDiff,
    response_model_exclude_unset=True,
    summary="Per-line diff and retro corrections between two versions of a month (hr)",
)
def diff(
    session: DbSession,
    user: HrUser,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    old: Annotated[int, Query(alias="from", ge=1)],
    new: Annotated[int, Query(alias="to", ge=1)],
) -> dict[str, Any]:
    return store.diff_versions(session, month, old, new)
