"""Work-hour pool routes (planner role): standards, quotas, headcount, what-if, Erlang sizing.

Thin: each route validates its body with the pool's own models and calls :mod:`timepool`.
Standards can come from observations in the body, from an uploaded CSV/Excel file, or from the
stored ``observations`` of a branch; saving creates a new immutable version. Quotas can be
computed synchronously or as a job (202 + ``Location: /jobs/{id}``). Row results are JSON, or
CSV/Excel with ``?format=csv|xlsx``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from pydantic import BaseModel, Field

from api.deps import (
    ACCEPTED,
    DbSession,
    JobAccepted,
    Version,
    attachment,
    file_responses,
    job_accepted,
    require_roles,
)
from fieldcrew.auth import AuthUser
from fieldcrew.jobs import submit_job
from timepool import io as tio
from timepool import quotas as tq
from timepool import store
from timepool.domain import (
    AllowanceConvention,
    Assumption,
    BranchRequest,
    EmployedBasis,
    ErlangRequest,
    HeadcountRow,
    Observation,
    OutlierRule,
    OverflowRates,
    Pool,
    QuotaRequest,
    Quotas,
    Scenario,
    SetAside,
    ShrinkagePolicy,
    StandardCell,
    StandardParams,
    StandardTable,
    TravelCell,
    WhatIfRow,
)
from timepool.erlang import SizingError, SizingResult, size_erlang_a, size_erlang_c
from timepool.forecast import forecast_from_history
from timepool.headcount import assumptions, headcount
from timepool.jobs import QUOTAS, QuotaJobParams
from timepool.standards import aggregate_province, standards_by_branch
from timepool.whatif import what_if
from vocabulary.errors import FieldcrewError

router = APIRouter(prefix="/timepool", tags=["work-hour pool"])

Planner = Annotated[AuthUser, Depends(require_roles("planner"))]
Format = Literal["json", "csv", "xlsx"]
#: ``responses=`` of a route whose rows come as JSON, or as CSV or Excel with ``?format=``
ROW_FILES = file_responses("csv", "xlsx", description="the rows (as CSV or Excel with ?format=)")


class Unprocessable(FieldcrewError):
    """Parameters the pool cannot work with (422)."""

    status_code = 422
    title = "Unprocessable parameters"


# --- answers --------------------------------------------------------------------------------------


class StandardTableView(BaseModel):
    """A standard-hour table with its provenance and the observations its outlier rule set aside."""

    scope: str = Field(description="a branch id or 'province:<name>'")
    method_version: str
    params: StandardParams
    observation_count: int
    observations_sha256: str
    cells: list[StandardCell]
    travel: list[TravelCell]
    sources: list[str]
    set_aside: list[SetAside]
    observation_ids: list[str] | None = Field(default=None, description="with ?include_ids=true only")
    saved_version: int | None = Field(description="the version stored (null when not saved)")


class StandardTables(BaseModel):
    """Standard-hour tables per branch (and province)."""

    tables: list[StandardTableView]


class StandardVersion(BaseModel):
    """A stored standard-hour table version (without its cells)."""

    id: int
    scope: str
    version: int
    created_at: str
    created_by: str
    method_version: str
    observation_count: int
    observations_sha256: str
    note: str | None = None


class QuotaRow(BaseModel):
    """The pool of one region group on one day and the heads it needs."""

    region_group_id: str
    day: str = Field(description="YYYY-MM-DD")
    orders: float
    visits: float
    pool_min: float
    heads: int


class QuotaTable(BaseModel):
    """Daily quotas of a branch, row by row, with the provenance of the pool and its assumptions."""

    branch_id: str
    saved_version: int | None
    notes: list[str]
    standards_sha256: str
    assumptions: list[Assumption] = Field(default_factory=list, description="what produced the numbers")
    rows: list[QuotaRow]


class StoredQuotas(BaseModel):
    """Stored quotas of a branch."""

    branch_id: str
    quotas: Quotas = Field(description="region group → YYYY-MM-DD → heads")


class HeadcountTable(BaseModel):
    """FTE and heads per group and branch over a period, with the assumptions behind them."""

    start: str = Field(description="YYYY-MM-DD")
    days: int
    assumptions: list[Assumption] = Field(default_factory=list, description="what produced the numbers")
    rows: list[HeadcountRow]


class WhatIfTable(BaseModel):
    """Technicians per group and branch: baseline vs. scenario, with the baseline's assumptions."""

    scenario: str
    assumptions: list[Assumption] = Field(default_factory=list, description="what produced the numbers")
    rows: list[WhatIfRow]


def _rows_out(payload: dict[str, Any], rows: list[Any], fmt: Format, name: str) -> dict[str, Any] | Response:
    """The payload with its rows (JSON through the route's model), or the rows as a CSV/Excel download."""
    if fmt == "json":
        return payload | {"rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        body = tio.write_rows(Path(tmp) / f"{name}.{fmt}", rows).read_bytes()
    return attachment(body, fmt, f"{name}.{fmt}")


def _table_view(tab: StandardTable, version: int | None = None, include_ids: bool = False) -> dict[str, Any]:
    data = tab.model_dump(mode="json", exclude={"set_aside", "observation_ids"})
    data["set_aside"] = [a.model_dump(mode="json") for a in tab.set_aside_rows()]
    if include_ids:
        data["observation_ids"] = list(tab.observation_ids)
    data["saved_version"] = version
    return data


# --- standards ------------------------------------------------------------------------------------


class StandardsRequest(BaseModel):
    """Observations inline, or ``branch_id`` to use the stored ones (all branches when both are empty)."""

    observations: list[Observation] | None = None
    branch_id: str | None = None
    params: StandardParams = Field(default_factory=StandardParams)
    province: str | None = Field(default=None, description="also aggregate branches into this province")
    save: bool = False
    note: str = ""


def _compute_tables(
    observations: list[Observation], params: StandardParams, province: str | None
) -> list[StandardTable]:
    if not observations:
        raise Unprocessable("no observations to compute standards from")
    tables = list(standards_by_branch(observations, params).values())
    if province:
        tables.append(aggregate_province(tables, province))
    return tables


def _save(session: Any, tables: list[StandardTable], user: AuthUser, note: str, save: bool) -> dict[str, Any]:
    versions = (
        {t.scope: store.save_standard_table(session, t, user.username, note).version for t in tables}
        if save
        else {}
    )
    return {"tables": [_table_view(t, versions.get(t.scope)) for t in tables]}


@router.post("/standards", response_model=StandardTables, response_model_exclude_unset=True)
def post_standards(body: StandardsRequest, session: DbSession, user: Planner) -> dict[str, Any]:
    """Standard-hour tables per branch (and province) from given or stored observations."""
    if body.observations is not None:
        obs = body.observations
    else:
        obs = tq.load_observations(session, body.branch_id)
    try:
        tables = _compute_tables(obs, body.params, body.province)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    return _save(session, tables, user, body.note, body.save)


@router.post("/standards/upload", response_model=StandardTables, response_model_exclude_unset=True)
async def upload_standards(
    session: DbSession,
    user: Planner,
    file: Annotated[UploadFile, File(description="observations CSV or Excel")],
    allowance: Annotated[float, Query(ge=0, lt=1)] = 0.15,
    convention: AllowanceConvention = AllowanceConvention.ON_NORMAL_TIME,
    outlier_rule: OutlierRule = OutlierRule.MAD,
    province: str | None = None,
    save: bool = False,
) -> dict[str, Any]:
    """Standards from an uploaded observations file (all-errors validation: 422 with every problem)."""
    suffix = Path(file.filename or "obs.csv").suffix or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{Path(file.filename or 'observations').stem}{suffix}"
        path.write_bytes(await file.read())
        obs = tio.read_observations(path)
    params = StandardParams(allowance=allowance, convention=convention, outlier_rule=outlier_rule)
    return _save(session, _compute_tables(obs, params, province), user, f"upload {file.filename}", save)


@router.get("/standards", response_model=list[StandardVersion])
def list_standards(session: DbSession, _: Planner, scope: str | None = None) -> list[dict[str, Any]]:
    """Stored standard versions, newest first."""
    return store.list_standard_versions(session, scope)


@router.get("/standards/{scope}", response_model=StandardTableView, response_model_exclude_unset=True)
def get_standards(
    session: DbSession, _: Planner, scope: str, version: Version = None, include_ids: bool = False
) -> dict[str, Any]:
    """A stored standard table (latest version unless ``version``), with its provenance."""
    tab = store.load_standard_table(session, scope, version)
    return _table_view(tab, version, include_ids)


# --- quotas, headcount, what-if -------------------------------------------------------------------


def _pool(session: Any, body: BranchRequest) -> Pool:
    try:
        return tq.branch_pool(
            session,
            body.branch_id,
            body.start,
            body.days,
            body.standard_params,
            body.uplifts,
            body.remote_resolution_share,
        )
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc


@router.post("/quotas", response_model=QuotaTable, responses=ROW_FILES)
def post_quotas(
    body: QuotaRequest, session: DbSession, user: Planner, format: Format = "json"
) -> dict[str, Any] | Response:
    """Daily staffing quota per region group (heads) from the stored observations and order history."""
    pool = _pool(session, body)
    quotas = tq.daily_quotas(pool, body.productive_minutes_per_shift, body.min_heads)
    version = None
    if body.save:
        version = store.save_quotas(
            session,
            body.branch_id,
            pool,
            quotas,
            body.productive_minutes_per_shift,
            user.username,
            body.model_dump(mode="json", exclude={"save"}),
        ).version
    rows = [
        {
            "region_group_id": d.region_group_id,
            "day": d.day.isoformat(),
            "orders": round(d.orders, 3),
            "visits": round(d.visits, 3),
            "pool_min": round(d.total_min, 1),
            "heads": quotas.heads(d.region_group_id, d.day),
        }
        for d in pool.days
    ]
    basis = assumptions(body.standard_params, body.remote_resolution_share, body.productive_minutes_per_shift,
                        body.min_heads, standards_scope=pool.standards_scope, min_heads_default=1)
    return _rows_out(
        {
            "branch_id": body.branch_id,
            "saved_version": version,
            "notes": pool.notes,
            "standards_sha256": pool.standards_sha256,
            "assumptions": basis,
        },
        rows,
        format,
        f"quotas-{body.branch_id}",
    )


@router.post("/quotas/jobs", **ACCEPTED)
def post_quota_job(body: QuotaRequest, session: DbSession, response: Response, user: Planner) -> JobAccepted:
    """The same as ``POST /timepool/quotas`` as a background job (202, poll ``/jobs/{id}``)."""
    params = QuotaJobParams(**body.model_dump(), actor=user.username)
    return job_accepted(response, submit_job(session, QUOTAS, params, user.username))


@router.get("/quotas/{branch_id}", response_model=StoredQuotas)
def get_quotas(branch_id: str, session: DbSession, _: Planner, version: Version = None) -> StoredQuotas:
    """Stored quotas of a branch: group → date → heads."""
    return StoredQuotas(branch_id=branch_id, quotas=store.load_quotas(session, branch_id, version))


class HeadcountRequest(BranchRequest):
    days: int = Field(default=28, ge=1, le=366)
    min_heads: int = Field(default=0, ge=0)
    policy: ShrinkagePolicy = Field(default_factory=ShrinkagePolicy)
    rates: OverflowRates = Field(default_factory=OverflowRates)
    employed_basis: EmployedBasis = Field(
        default=EmployedBasis.POSTED,
        description="posted: own staff and partners posted to each group; own_staff: own staff only",
    )


@router.post("/headcount", response_model=HeadcountTable, responses=ROW_FILES)
def post_headcount(
    body: HeadcountRequest, session: DbSession, _: Planner, format: Format = "json"
) -> dict[str, Any] | Response:
    """FTE and heads per group and branch, the overflow hours and their cost (fen)."""
    pool = _pool(session, body)
    staff = tq.load_staff_counts(session, body.branch_id, body.start)
    employed = staff.employed(body.employed_basis)
    hc = headcount(pool, body.productive_minutes_per_shift, body.policy, employed, body.rates, body.min_heads)
    counted = staff.describe(body.employed_basis)
    basis = assumptions(body.standard_params, body.remote_resolution_share, body.productive_minutes_per_shift,
                        body.min_heads, body.policy, counted, pool.standards_scope)
    return _rows_out(
        {"start": hc.start.isoformat(), "days": hc.days, "assumptions": basis},
        tio.model_rows(hc.rows),
        format,
        f"headcount-{body.branch_id}",
    )


class WhatIfRequest(HeadcountRequest):
    scenario: Scenario


@router.post("/whatif", response_model=WhatIfTable, responses=ROW_FILES)
def post_whatif(
    body: WhatIfRequest, session: DbSession, _: Planner, format: Format = "json"
) -> dict[str, Any] | Response:
    """Technicians per group and branch: baseline vs. scenario (uplifts, rest days per week)."""
    areas = tq.load_areas(session, body.branch_id)
    if not areas:
        raise Unprocessable(f"branch {body.branch_id!r} has no small areas")
    table = tq.branch_standards(session, body.branch_id, body.standard_params)
    history = tq.load_order_history(session, [a.area_id for a in areas], body.start)
    try:
        fc = forecast_from_history(history, body.start, body.days, body.uplifts)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    rows = what_if(
        fc,
        table,
        areas,
        body.scenario,
        body.productive_minutes_per_shift,
        body.policy,
        tq.load_employed(session, body.branch_id, body.start, body.employed_basis),
        body.min_heads,
        body.remote_resolution_share,
        body.rates,
    )
    basis = assumptions(body.standard_params, body.remote_resolution_share, body.productive_minutes_per_shift,
                        body.min_heads, body.policy, body.employed_basis.value, table.scope)
    return _rows_out(
        {"scenario": body.scenario.name, "assumptions": basis}, tio.model_rows(rows), format,
        f"whatif-{body.branch_id}",
    )


# --- sizing ---------------------------------------------------------------------------------------


@router.post("/size/{model}", response_model=SizingResult)
def post_size(model: Literal["erlang-c", "erlang-a"], body: ErlangRequest, _: Planner) -> SizingResult:
    """Smallest agent count meeting the target (Erlang C, or Erlang A with patience) and positions."""
    try:
        if model == "erlang-c":
            return size_erlang_c(
                body.arrivals,
                body.interval_minutes,
                body.handle_minutes,
                body.target_service_level,
                body.target_minutes,
                body.max_occupancy,
                body.shrinkage,
            )
        if body.patience_minutes is None:
            raise Unprocessable("erlang-a needs patience_minutes")
        return size_erlang_a(
            body.arrivals,
            body.interval_minutes,
            body.handle_minutes,
            body.patience_minutes,
            body.target_service_level,
            body.target_minutes,
            body.max_occupancy,
            body.shrinkage,
        )
    except SizingError as exc:
        raise Unprocessable(str(exc)) from exc
