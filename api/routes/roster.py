"""Rosters over HTTP: solve as a job, get, publish, re-roster after an absence, score, diagnosis.

The dispatcher role plans; a technician sees only their own row of a roster. Solving and
re-rostering are jobs (``202`` + ``Location: /jobs/{id}``) that store *draft* versions; only
``POST /rosters/{id}/publish`` publishes, and a published roster is immutable. A solve's search
settings (CP-SAT workers and seed) default to the service's settings and are recorded with the job.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.deps import (
    ACCEPTED,
    AppSettings,
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
from fieldcrew.settings import Settings
from scheduler.day import DayReplan, roster_published
from scheduler.roster import store
from scheduler.roster.diagnose import diagnose
from scheduler.roster.domain import PenaltyLine
from scheduler.roster.io import heatmap_png, write_roster
from scheduler.roster.jobs import (
    REROSTER,
    SOLVE,
    RerosterParams,
    RerosterRequest,
    SearchRequest,
    SolveRosterParams,
    SolveRosterRequest,
)
from scheduler.roster.presets import get_preset
from scheduler.roster.validate import check_roster

router = APIRouter(prefix="/rosters", tags=["rosters"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


# --------------------------------------------------------------------------------------------------
# answers
# --------------------------------------------------------------------------------------------------


class RosterSummary(BaseModel):
    """A stored roster version without its assignment (listings)."""

    id: str
    branch_id: str
    period_start: str = Field(description="YYYY-MM-DD")
    days: int
    version: int
    status: str = Field(description="draft or published")
    preset: str
    objective: int | None = None
    bound: int | None = None
    published_at: str | None = None


class RosterView(RosterSummary):
    """A stored roster: who works which day, support assignments, quotas and leave."""

    parent_id: str | None = Field(default=None, description="the roster this one re-rosters")
    solver_status: str | None = None
    start_date: str | None = None
    assignment: dict[str, list[str | None] | None] = Field(
        description="technician → shift id per day (null = rest)"
    )
    support_groups: dict[str, list[str | None]] = Field(
        description="support-team member → region group served per day"
    )
    quotas: dict[str, dict[str, int]] = Field(description="region group → YYYY-MM-DD → heads asked")
    leave: dict[str, list[int]] = Field(description="technician → day indexes off")
    created_by: str


class RosterScore(BaseModel):
    """What each rule costs in a roster, for whom and on which day, recomputed by the validator."""

    roster_id: str
    objective: int | None
    recomputed_objective: int | None
    violations: list[str]
    by_rule: dict[str, int]
    lines: list[PenaltyLine]


class Finding(BaseModel):
    """One explanation of under-cover or infeasibility."""

    group_id: str | None
    message: str
    heads_short: int
    days: list[int] = Field(description="day indexes short of heads")
    rules: list[str]
    technicians: list[str]


class Diagnosis(BaseModel):
    """Why groups are under-covered or the roster infeasible."""

    roster_id: str
    findings: list[Finding]


# --------------------------------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------------------------------


def _search(request: SearchRequest, settings: Settings) -> dict[str, Any]:
    """The request's search settings, the service's where it names none (recorded with the job)."""
    return {
        "seconds": request.seconds,
        "workers": request.workers if request.workers is not None else settings.solver_workers,
        "seed": request.seed if request.seed is not None else settings.solver_seed,
    }


@router.post("", summary="Solve a roster for a branch and period (a job; dispatcher)", **ACCEPTED)
def solve_roster(
    request: SolveRosterRequest,
    session: DbSession,
    response: Response,
    user: Dispatcher,
    settings: AppSettings,
) -> JobAccepted:
    get_preset(request.preset)  # unknown operating model: 404 now, not a failed job later
    params = SolveRosterParams(
        **request.model_dump(exclude=set(SearchRequest.model_fields)),
        **_search(request, settings),
        actor=user.username,
    )
    return job_accepted(response, jobs.submit_job(session, SOLVE, params, user.username))


@router.get(
    "",
    response_model=list[RosterSummary],
    summary="Stored rosters, newest first (any signed-in user; no assignments)",
)
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


@router.get(
    "/{roster_id}",
    response_model=RosterView,
    summary="A stored roster (dispatcher; a technician gets only their own row)",
)
def get_roster(roster_id: str, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    row = store.get_version(session, roster_id)
    if user.role == "technician":
        ensure_self_or_roles(user, user.technician_id, "dispatcher")
        return store.view(row, technician_id=user.technician_id)
    ensure_self_or_roles(user, None, "dispatcher", "planner", "hr")
    return store.view(row)


class PublishedView(RosterView):
    """A roster just published, and what it changed in the day plans it covers."""

    dispatch: list[DayReplan] = Field(
        default_factory=list,
        description="stored day plans the new on-duty list changed: who left or joined, which orders moved",
    )


@router.post(
    "/{roster_id}/publish",
    response_model=PublishedView,
    summary="Publish a draft roster (dispatcher); day plans it covers follow its on-duty list",
)
def publish_roster(roster_id: str, session: DbSession, user: Dispatcher) -> dict[str, Any]:
    row = store.publish(session, roster_id, user.username)
    # the same transaction: a day plan never keeps a technician the published roster has off
    changed = roster_published(session, roster_id, user.username)
    return store.view(row) | {"dispatch": changed}


@router.post(
    "/{roster_id}/reroster",
    summary="Re-roster after absences with minimal change (a job; dispatcher)",
    **ACCEPTED,
)
def reroster(
    roster_id: str,
    request: RerosterRequest,
    session: DbSession,
    response: Response,
    user: Dispatcher,
    settings: AppSettings,
) -> JobAccepted:
    store.get_version(session, roster_id)
    params = RerosterParams(
        **request.model_dump(exclude=set(SearchRequest.model_fields)),
        **_search(request, settings),
        roster_id=roster_id,
        actor=user.username,
    )
    return job_accepted(response, jobs.submit_job(session, REROSTER, params, user.username))


@router.get(
    "/{roster_id}/export",
    summary="The roster as CSV or Excel (technicians × days, rest days marked) or a PNG heat map",
    response_class=Response,
    responses=file_responses("csv", "xlsx", "png"),
)
def export_roster(
    roster_id: str,
    session: DbSession,
    user: Dispatcher,
    fmt: Annotated[str, Query(alias="format", pattern="^(csv|xlsx|png)$")] = "xlsx",
) -> Response:
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
    return attachment(content, fmt, name)


@router.get(
    "/{roster_id}/score",
    response_model=RosterScore,
    summary="Score breakdown: what each rule costs, for whom, on which day",
)
def score(roster_id: str, session: DbSession, user: Dispatcher) -> RosterScore:
    problem, result = store.load(store.get_version(session, roster_id))
    report = check_roster(problem, result.assignment, result.support_groups) if result.feasible else None
    return RosterScore(
        roster_id=roster_id,
        objective=result.objective,
        recomputed_objective=report.objective if report else None,
        violations=[str(v) for v in report.violations] if report else [],
        by_rule=report.cost_by_rule() if report else {},
        lines=list(report.breakdown) if report else [],
    )


@router.get(
    "/{roster_id}/diagnosis",
    response_model=Diagnosis,
    summary="Why groups are under-covered or the roster infeasible",
)
def diagnosis(roster_id: str, session: DbSession, user: Dispatcher) -> Diagnosis:
    problem, result = store.load(store.get_version(session, roster_id))
    findings = diagnose(problem, result, seconds=5.0)
    return Diagnosis(
        roster_id=roster_id,
        findings=[
            Finding(
                group_id=f.group_id,
                message=f.message,
                heads_short=f.heads_short,
                days=f.days_short,
                rules=f.rules,
                technicians=f.employees,
            )
            for f in findings
        ],
    )
