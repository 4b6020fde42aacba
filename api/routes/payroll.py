"""Payroll over HTTP: policy versions, month runs as jobs, HR's process, payslips, diffs, exports.

The hr role uploads policy versions, runs a month (a job: ``202`` + ``Location: /jobs/{id}``),
takes a run through HR's process — draft → approved (by a second HR user, not its creator) →
locked → released — lists runs, reads any payslip, diffs two versions and downloads the exports.
A technician reads only their own payslips, and only those of released runs. Runs read their
inputs from the database (technicians and the pay data HR stored for them, completed work orders
and outcomes, quality grades, the year to date from the year's locked runs); HR's spreadsheets go
through the CLI (``fieldcrew payroll run --input DIR``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import (
    ACCEPTED,
    CurrentUser,
    DbSession,
    JobAccepted,
    attachment,
    ensure_self_or_roles,
    file_responses,
    job_accepted,
    require_roles,
)
from fieldcrew import jobs
from fieldcrew.auth import AuthUser
from payroll import exports, store
from payroll.errors import RunStatusConflict
from payroll.jobs import RUN, PayrollRunParams, PayrollRunRequest, resolve_policy, validate_technician_pay
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


class RunStep(BaseModel):
    """One step of a run through HR's process."""

    status: str = Field(description="draft, approved, locked or released")
    actor: str
    at: str | None = None
    note: str = ""


class PayrollRun(BaseModel):
    """One stored run: a version of a month's payroll, and where it is in HR's process."""

    id: str
    status: str = Field(description="draft → approved → locked → released")
    history: list[RunStep] = Field(default_factory=list)
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
    """A technician's payslip of one run: the lines total the take-home pay (实发)."""

    technician_id: str
    month: str
    policy_version: str
    total_fen: int = Field(description="take-home pay (实发) in fen: the sum of the lines")
    total: str = ""
    summary: dict[str, Any] = Field(
        default_factory=dict,
        description="gross_fen (应发), deductions_fen (扣款), contributions_fen, income_tax_fen, net_fen "
        "(实发), employer_fen, year_to_date, and the figures the lines come from",
    )
    lines: list[PayLineOut]
    employer_total_fen: int | None = Field(default=None, description="the employer's contributions")
    employer_total: str | None = None
    employer_lines: list[PayLineOut] = Field(default_factory=list)


class PayslipRef(BaseModel):
    """A stored payslip of a technician: which run, its status and its take-home total."""

    run_id: str
    month: str
    version: int
    status: str = ""
    total_fen: int
    total: str


class RunStepRequest(BaseModel):
    """An optional note for a step of HR's process."""

    note: str = Field(default="", max_length=500)


class TechnicianPay(BaseModel):
    """What payroll needs of a technician (hr only: personal data).

    Money as exact decimal strings in yuan (``"8000.00"``), never floats.
    """

    previous_year_average_wage: str | None = Field(
        default=None, description="yuan; base of social insurance and housing fund (blank: the floor)"
    )
    bank_account: str = Field(default="", max_length=64)
    outdoor: bool = True
    additional_deductions: dict[str, str] = Field(
        default_factory=dict, description="special additional deductions: kind → yuan a month"
    )


class TechnicianPayOut(TechnicianPay):
    """A technician's stored pay data."""

    technician_id: str
    previous_year_average_wage_fen: int | None = None


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


def _step(run_id: str, to_status: str, body: RunStepRequest | None, session: Any, user: AuthUser) -> Any:
    return store.advance_run(session, run_id, to_status, user.username, body.note if body else "")


@router.post(
    "/runs/{run_id}/approve",
    response_model=PayrollRun,
    summary="Approve a draft run (hr; a second HR user, not the run's creator)",
)
def approve_run(
    run_id: str, session: DbSession, user: HrUser, body: RunStepRequest | None = None
) -> dict[str, Any]:
    return _step(run_id, "approved", body, session, user)  # type: ignore[no-any-return]


@router.post("/runs/{run_id}/lock", response_model=PayrollRun, summary="Lock an approved run (hr)")
def lock_run(
    run_id: str, session: DbSession, user: HrUser, body: RunStepRequest | None = None
) -> dict[str, Any]:
    return _step(run_id, "locked", body, session, user)  # type: ignore[no-any-return]


@router.post(
    "/runs/{run_id}/release",
    response_model=PayrollRun,
    summary="Release a locked run: its technicians see their payslips (hr)",
)
def release_run(
    run_id: str, session: DbSession, user: HrUser, body: RunStepRequest | None = None
) -> dict[str, Any]:
    return _step(run_id, "released", body, session, user)  # type: ignore[no-any-return]


@router.get(
    "/runs/{run_id}/payslips/{technician_id}",
    response_model=PayslipOut,
    response_model_exclude_unset=True,  # a payslip stored by an older version keeps its own keys
    summary="A payslip (hr; or the technician, once the run is released)",
)
def get_payslip(run_id: str, technician_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    ensure_self_or_roles(user, technician_id, "hr")
    return store.get_payslip(session, run_id, technician_id, released_only=user.role == "technician")


@router.get(
    "/technicians/{technician_id}/payslips",
    response_model=list[PayslipRef],
    summary="A technician's payslips (hr; the technician sees those of released runs)",
)
def technician_payslips(technician_id: str, session: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    ensure_self_or_roles(user, technician_id, "hr")
    return store.payslips_of_technician(session, technician_id, released_only=user.role == "technician")


ExportKind = Literal["bank", "register", "social-insurance", "tax"]


@router.get(
    "/runs/{run_id}/exports/{kind}",
    response_class=Response,
    responses=file_responses(
        "csv",
        "xlsx",
        description="bank: CSV account,name,amount (locked or released runs only); register: Excel; "
        "social-insurance, tax: CSV declaration summaries",
    ),
    summary="A run's bank transfer file, payroll register or declaration summaries (hr)",
)
def run_export(run_id: str, kind: ExportKind, session: DbSession, user: HrUser) -> Response:
    run = store.get_run(session, run_id)
    if kind == "bank" and run["status"] not in store.FINAL_STATUSES:
        raise RunStatusConflict(
            f"payroll run {run['month']} version {run['version']} is {run['status']}: "
            "the bank transfer file is made from locked or released runs only"
        )
    payslips = store.run_payslips(session, run_id)
    people = {
        tid: exports.Payee(name, account)
        for tid, (name, account) in store.payees(session, [p.technician_id for p in payslips]).items()
    }
    body, fmt, stem = exports.export(kind, payslips, people)
    return attachment(body, fmt, f"{stem}-{run['month']}-v{run['version']}.{fmt}")


@router.put(
    "/technicians/{technician_id}/pay",
    response_model=TechnicianPayOut,
    summary="Store a technician's pay data: contribution base, bank account, declared deductions (hr)",
)
def put_technician_pay(
    technician_id: str, body: TechnicianPay, session: DbSession, user: HrUser
) -> dict[str, Any]:
    wage, declared = validate_technician_pay(
        body.previous_year_average_wage, body.additional_deductions, body.bank_account
    )
    return store.save_technician_pay(
        session,
        technician_id,
        user.username,
        previous_year_average_wage_fen=wage,
        bank_account=body.bank_account,
        outdoor=body.outdoor,
        additional_deductions=declared,
    )


@router.get(
    "/technicians/{technician_id}/pay",
    response_model=TechnicianPayOut,
    summary="A technician's pay data (hr)",
)
def get_technician_pay(technician_id: str, session: DbSession, user: HrUser) -> dict[str, Any]:
    return store.technician_pay(session, technician_id)


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
