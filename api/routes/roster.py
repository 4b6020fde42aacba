"""Rosters over HTTP: solve as a job, get, publish, re-roster after an absence, score, diagnosis.

The dispatcher role plans; a technician sees only their own row of a roster. Solving and
re-rostering are jobs (``202`` + ``Location: /jobs/{id}``) that store *draft* versions; only
``POST /rosters/{id}/publish`` publishes, and a published roster is immutable.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DbSession, ensure_self_or_roles, job_accepted, require_roles
from fieldcrew import jobs
from fieldcrew.auth import AuthUser
from scheduler.roster import store
from scheduler.roster.planning import Leave

router = APIRouter(prefix="/rosters", tags=["rosters"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


class SolveRequest(BaseModel):
    """Solve the roster of a branch for a period."""

    branch_id: str
    start: dt.date
    days: int = Field(default=28, ge=1, le=62)
    preset: str = "urban_dense"
    seconds: float = Field(default=10.0, gt=0, le=600)
    #: quotas given directly (group -> {date: heads}); from the work-hour pool when omitted
    quotas: dict[str, dict[dt.date, int]] | None = None
    #: heads with a skill per group (group -> {skill: {date: heads}}), on top of the quotas
    skill_quotas: dict[str, dict[str, dict[dt.date, int]]] = Field(default_factory=dict)
    leave: list[Leave] = Field(default_factory=list)


class RerosterRequest(BaseModel):
    """Absences to re-roster around (sick calls, leave), keeping days before ``from_day``."""

    absences: list[Leave] = Field(min_length=1)
    from_day: int = Field(default=0, ge=0)
    seconds: float = Field(default=10.0, gt=0, le=600)


@router.post("", status_code=202, summary="Solve a roster for a branch and period (a job; dispatcher)")
def solve_roster(request: SolveRequest, session: DbSession, user: Dispatcher) -> JSONResponse:
    from scheduler.roster.presets import get_preset

    get_preset(request.preset)  # unknown operating model: 404 now, not a failed job later
    params: dict[str, Any] = request.model_dump(mode="json")
    params["actor"] = user.username
    job_id = jobs.submit_job(
        session, "roster.solve", "scheduler.roster.jobs:solve_job", params, user.username
    )
    return job_accepted(job_id)


@router.get("", summary="Stored rosters, newest first (any signed-in user; no assignments)")
def list_rosters(
    session: DbSession,
    user: CurrentUser,
    branch_id: str | None = None,
    status: Annotated[str | None, Query(pattern="^(draft|published)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    if user.role == "technician":
        status = "published"  # a technician's roster is the published one
    return [store.summary(row) for row in store.list_versions(session, branch_id, status, limit)]


@router.get("/{roster_id}", summary="A stored roster (dispatcher; a technician gets only their own row)")
def get_roster(roster_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    row = store.get_version(session, roster_id)
    if user.role == "technician":
        ensure_self_or_roles(user, user.technician_id, "dispatcher")
        return store.view(row, technician_id=user.technician_id)
    ensure_self_or_roles(user, None, "dispatcher", "planner", "hr")
    return store.view(row)


@router.post("/{roster_id}/publish", summary="Publish a draft roster (dispatcher)")
def publish_roster(roster_id: str, session: DbSession, user: Dispatcher) -> dict[str, Any]:
    return store.view(store.publish(session, roster_id, user.username))


@router.post(
    "/{roster_id}/reroster",
    status_code=202,
    summary="Re-roster after absences with minimal change (a job; dispatcher)",
)
def reroster(roster_id: str, request: RerosterRequest, session: DbSession, user: Dispatcher) -> JSONResponse:
    store.get_version(session, roster_id)
    params: dict[str, Any] = request.model_dump(mode="json")
    params.update(roster_id=roster_id, actor=user.username)
    job_id = jobs.submit_job(
        session, "roster.reroster", "scheduler.roster.jobs:reroster_job", params, user.username
    )
    return job_accepted(job_id)


_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}


@router.get(
    "/{roster_id}/export",
    summary="The roster as CSV or Excel (technicians × days, rest days marked) or a PNG heat map",
    response_class=Response,
)
def export_roster(
    roster_id: str,
    session: DbSession,
    user: Dispatcher,
    fmt: Annotated[str, Query(alias="format", pattern="^(csv|xlsx|png)$")] = "xlsx",
) -> Response:
    import tempfile
    from pathlib import Path

    from scheduler.roster.io import heatmap_png, write_roster

    row = store.get_version(session, roster_id)
    problem, result = store.load(row)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roster.{fmt}"
        if fmt == "png":
            heatmap_png(problem, result, path)
        else:
            write_roster(problem, result, path)
        content = path.read_bytes()
    name = f"roster-{row.branch_id}-{row.period_start.isoformat()}-v{row.version}.{fmt}"
    return Response(
        content,
        media_type=_EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{roster_id}/score", summary="Score breakdown: what each rule costs, for whom, on which day")
def score(roster_id: str, session: DbSession, user: Dispatcher) -> dict[str, Any]:
    from scheduler.roster.validate import check_roster

    problem, result = store.load(store.get_version(session, roster_id))
    report = check_roster(problem, result.assignment, result.support_groups) if result.feasible else None
    return {
        "roster_id": roster_id,
        "objective": result.objective,
        "recomputed_objective": report.objective if report else None,
        "violations": [str(v) for v in report.violations] if report else [],
        "by_rule": report.cost_by_rule() if report else {},
        "lines": [line.model_dump() for line in (report.breakdown if report else [])],
    }


@router.get("/{roster_id}/diagnosis", summary="Why groups are under-covered or the roster infeasible")
def diagnosis(roster_id: str, session: DbSession, user: Dispatcher) -> dict[str, Any]:
    from scheduler.roster.diagnose import diagnose

    problem, result = store.load(store.get_version(session, roster_id))
    findings = diagnose(problem, result, seconds=5.0)
    return {
        "roster_id": roster_id,
        "findings": [
            {
                "group_id": f.group_id,
                "message": f.message,
                "heads_short": f.heads_short,
                "days": f.days_short,
                "rules": f.rules,
                "technicians": f.employees,
            }
            for f in findings
        ],
    }
