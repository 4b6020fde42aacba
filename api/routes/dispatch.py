"""Dispatch routes: plan a day (job), post rolling events, the dispatch board, export.

Dispatchers see and change everything of a branch-day; a technician sees only his own timeline.
Thin: bodies are the dispatch package's own models; errors are its domain errors (problem+json by
the app's handler: unknown order 404, event out of order 409, bad input 422).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AppSettings, CurrentUser, DbSession, ensure_self_or_roles, job_accepted, require_roles
from fieldcrew.auth import AuthUser
from fieldcrew.settings import Settings
from scheduler.dispatch import store
from scheduler.dispatch.domain import DayInput
from scheduler.dispatch.events import DispatchState, Event, apply_event
from scheduler.dispatch.io import plan_to_csv, plan_to_excel

router = APIRouter(prefix="/dispatch", tags=["dispatch"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


class PlanRequest(BaseModel):
    """A day to plan: the day input (technicians on duty, orders, areas, policy) and a time budget."""

    input: DayInput
    seconds: float = Field(default=6.0, gt=0, le=120)


@router.post("/plans", status_code=202)
def plan_day(body: PlanRequest, session: DbSession, user: Dispatcher) -> JSONResponse:
    """Plan a day as a job: 202 + ``Location: /jobs/{id}``; the result is stored as a new version."""
    from fieldcrew.jobs import submit_job

    params = {"input": body.input.model_dump(mode="json"), "seconds": body.seconds, "actor": user.username}
    return job_accepted(
        submit_job(session, "dispatch.plan", "scheduler.dispatch.jobs:plan_day_job", params, user.username)
    )


class PlanFromDbRequest(BaseModel):
    """Plan a branch-day from the stored orders: on-duty technicians (the roster's day) and a budget."""

    on_duty: list[str] | None = Field(default=None, description="technician ids; default: every employed one")
    seconds: float = Field(default=6.0, gt=0, le=120)


@router.post("/plans/{branch_id}/{day}", status_code=202)
def plan_day_from_db(
    branch_id: str, day: dt.date, body: PlanFromDbRequest, session: DbSession, user: Dispatcher
) -> JSONResponse:
    """Plan a day from the stored work orders and technicians (a job, as ``POST /dispatch/plans``)."""
    from fieldcrew.jobs import submit_job
    from scheduler.dispatch.db_day import day_from_db
    from scheduler.dispatch.model import validate_input

    inp = day_from_db(session, branch_id, day, body.on_duty)
    validate_input(inp)  # 422 now, naming the records, rather than a failed job
    params = {"input": inp.model_dump(mode="json"), "seconds": body.seconds, "actor": user.username}
    return job_accepted(
        submit_job(session, "dispatch.plan", "scheduler.dispatch.jobs:plan_day_job", params, user.username)
    )


@router.post("/plans/{branch_id}/{day}/reoptimise", status_code=202)
def reoptimise(
    branch_id: str,
    day: dt.date,
    session: DbSession,
    user: Dispatcher,
    seconds: float = Query(default=6.0, gt=0, le=120),
) -> JSONResponse:
    """Background re-optimisation of the plan in force (a job)."""
    from fieldcrew.jobs import submit_job

    store.load_state(session, branch_id, day)  # 404 now rather than in the job
    params = {"branch_id": branch_id, "day": day.isoformat(), "seconds": seconds, "actor": user.username}
    return job_accepted(
        submit_job(
            session, "dispatch.reoptimise", "scheduler.dispatch.jobs:reoptimise_job", params, user.username
        )
    )


@router.post("/plans/{branch_id}/{day}/events")
def post_event(
    branch_id: str,
    day: dt.date,
    event: Annotated[Event, Body()],
    session: DbSession,
    user: Dispatcher,
    settings: AppSettings,
) -> dict[str, Any]:
    """Apply one rolling event (new order, started, completed, suspended, cancelled, technician
    unavailable) and store the re-plan; a refused event changes nothing."""
    from fieldcrew import audit

    inp, plan = store.load_state(session, branch_id, day)
    new = apply_event(DispatchState(inp, plan), event)
    version = store.save_state(session, new.inp, new.plan, user.username, event.kind)
    store.record_event(
        session, branch_id, day, event.kind, event.at, event.model_dump(mode="json"), version, user.username
    )
    before = plan.assignment()
    after = new.plan.assignment()
    moved = {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }
    audit.record(
        session,
        user,
        f"dispatch.{event.kind}",
        "dispatch_plan",
        f"{branch_id}/{day}/{version}",
        {"version": plan.version},
        {"version": version, "moved": moved},
    )
    return {
        "version": version,
        "moved": moved,
        "unassigned": len(new.plan.unassigned),
        "warnings": len(new.plan.warnings),
        "reoptimise_job": _periodic_reoptimise(session, settings, branch_id, day, user.username),
    }


def _periodic_reoptimise(
    session: Session, settings: Settings, branch_id: str, day: dt.date, actor: str
) -> str | None:
    """Start a background re-optimisation when the plan was last solved more than
    ``FIELDCREW_DISPATCH_REOPTIMISE_MINUTES`` ago and none is queued or running for the day.

    Events re-plan by cheap insertion; this keeps the day close to what a full solve would give
    without the dispatcher asking. Returns the job's location, or None when none was started.
    """
    from fieldcrew.jobs import submit_job
    from fieldcrew.tables import JobRow, utcnow

    every = settings.dispatch_reoptimise_minutes
    last = store.last_solved_at(session, branch_id, day)
    if every <= 0 or last is None or utcnow() - last < dt.timedelta(minutes=every):
        return None
    pending = session.scalars(
        select(JobRow.params).where(
            JobRow.kind == "dispatch.reoptimise", JobRow.status.in_(("queued", "running"))
        )
    )
    if any(p and p.get("branch_id") == branch_id and p.get("day") == day.isoformat() for p in pending):
        return None
    params = {"branch_id": branch_id, "day": day.isoformat(), "seconds": 6.0, "actor": actor}
    target = "scheduler.dispatch.jobs:reoptimise_job"
    job_id = submit_job(session, "dispatch.reoptimise", target, params, actor)
    return f"/jobs/{job_id}"


@router.get("/plans/{branch_id}/{day}/board")
def board(
    branch_id: str,
    day: dt.date,
    session: DbSession,
    user: CurrentUser,
    technician_id: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """The dispatch board: per-technician timelines with ETAs, warnings, unassigned orders with
    reasons. A technician gets only his own timeline and warnings."""
    if user.role == "technician":
        technician_id = user.technician_id
        ensure_self_or_roles(user, technician_id, "dispatcher")
    else:
        ensure_self_or_roles(user, None, "dispatcher", "planner")
    _, plan = store.load_state(session, branch_id, day, version)
    data = plan.model_dump(mode="json")
    if technician_id is not None:
        data["routes"] = [r for r in data["routes"] if r["technician_id"] == technician_id]
        data["warnings"] = [w for w in data["warnings"] if w.get("technician_id") == technician_id]
        if user.role == "technician":
            data["unassigned"] = []
            data["score"] = {}
    return data


@router.get("/plans/{branch_id}/{day}/export")
def export(
    branch_id: str, day: dt.date, session: DbSession, user: Dispatcher, format: Literal["csv", "xlsx"] = "csv"
) -> Response:  # noqa: A002
    """The day's plan as CSV or Excel (one row per stop, then the unassigned orders)."""
    _, plan = store.load_state(session, branch_id, day)
    name = f"dispatch_{branch_id}_{day}_v{plan.version}.{format}"
    if format == "csv":
        body = plan_to_csv(plan).encode("utf-8")
        media = "text/csv; charset=utf-8"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            body = plan_to_excel(plan, Path(tmp) / name).read_bytes()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
