"""Dispatch routes: plan a day (job), post rolling events, the dispatch board, export.

Dispatchers see and change everything of a branch-day; a technician sees only his own timeline.
Thin: bodies are the dispatch package's own models; errors are its domain errors (problem+json by
the app's handler: unknown order 404, event out of order 409, bad input 422).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

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
from fieldcrew import audit
from fieldcrew.auth import AuthUser
from fieldcrew.jobs import pending_params, submit_job
from fieldcrew.settings import Settings
from fieldcrew.tables import utcnow
from scheduler.dispatch import store
from scheduler.dispatch.db_day import day_from_db
from scheduler.dispatch.domain import DayPlan
from scheduler.dispatch.events import DispatchState, Event, apply_event
from scheduler.dispatch.io import plan_to_csv, plan_to_excel
from scheduler.dispatch.jobs import PLAN, REOPTIMISE, PlanDayParams, PlanRequest, ReoptimiseParams
from scheduler.dispatch.model import validate_input

router = APIRouter(prefix="/dispatch", tags=["dispatch"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


class PlanFromDbRequest(BaseModel):
    """Plan a branch-day from the stored orders: on-duty technicians (the roster's day) and a budget."""

    on_duty: list[str] | None = Field(default=None, description="technician ids; default: every employed one")
    seconds: float = Field(default=6.0, gt=0, le=120)


class EventApplied(BaseModel):
    """The re-plan an event caused: its version, the orders that moved, what is left over."""

    version: int
    moved: dict[str, list[str | None]] = Field(description="order id → [technician before, technician after]")
    unassigned: int = Field(description="orders without a technician after the event")
    warnings: int
    reoptimise_job: str | None = Field(description="location of a background re-optimisation it started")


@router.post("/plans", **ACCEPTED)
def plan_day(body: PlanRequest, session: DbSession, response: Response, user: Dispatcher) -> JobAccepted:
    """Plan a day as a job: 202 + ``Location: /jobs/{id}``; the result is stored as a new version."""
    params = PlanDayParams(input=body.input, seconds=body.seconds, actor=user.username)
    return job_accepted(response, submit_job(session, PLAN, params, user.username))


@router.post("/plans/{branch_id}/{day}", **ACCEPTED)
def plan_day_from_db(
    branch_id: str,
    day: dt.date,
    body: PlanFromDbRequest,
    session: DbSession,
    response: Response,
    user: Dispatcher,
) -> JobAccepted:
    """Plan a day from the stored work orders and technicians (a job, as ``POST /dispatch/plans``)."""
    inp = day_from_db(session, branch_id, day, body.on_duty)
    validate_input(inp)  # 422 now, naming the records, rather than a failed job
    params = PlanDayParams(input=inp, seconds=body.seconds, actor=user.username)
    return job_accepted(response, submit_job(session, PLAN, params, user.username))


@router.post("/plans/{branch_id}/{day}/reoptimise", **ACCEPTED)
def reoptimise(
    branch_id: str,
    day: dt.date,
    session: DbSession,
    response: Response,
    user: Dispatcher,
    seconds: float = Query(default=6.0, gt=0, le=120),
) -> JobAccepted:
    """Background re-optimisation of the plan in force (a job)."""
    store.load_state(session, branch_id, day)  # 404 now rather than in the job
    params = ReoptimiseParams(branch_id=branch_id, day=day, seconds=seconds, actor=user.username)
    return job_accepted(response, submit_job(session, REOPTIMISE, params, user.username))


@router.post("/plans/{branch_id}/{day}/events", response_model=EventApplied)
def post_event(
    branch_id: str,
    day: dt.date,
    event: Annotated[Event, Body()],
    session: DbSession,
    user: Dispatcher,
    settings: AppSettings,
) -> EventApplied:
    """Apply one rolling event (new order, started, completed, suspended, cancelled, technician
    unavailable) and store the re-plan; a refused event changes nothing."""
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
    return EventApplied(
        version=version,
        moved=moved,
        unassigned=len(new.plan.unassigned),
        warnings=len(new.plan.warnings),
        reoptimise_job=_periodic_reoptimise(session, settings, branch_id, day, user.username),
    )


def _periodic_reoptimise(
    session: Session, settings: Settings, branch_id: str, day: dt.date, actor: str
) -> str | None:
    """Start a background re-optimisation when the plan was last solved more than
    ``FIELDCREW_DISPATCH_REOPTIMISE_MINUTES`` ago and none is queued or running for the day.

    Events re-plan by cheap insertion; this keeps the day close to what a full solve would give
    without the dispatcher asking. Returns the job's location, or None when none was started.
    """
    every = settings.dispatch_reoptimise_minutes
    last = store.last_solved_at(session, branch_id, day)
    if every <= 0 or last is None or utcnow() - last < dt.timedelta(minutes=every):
        return None
    if any(p.branch_id == branch_id and p.day == day for p in pending_params(session, REOPTIMISE)):
        return None
    params = ReoptimiseParams(branch_id=branch_id, day=day, seconds=6.0, actor=actor)
    return f"/jobs/{submit_job(session, REOPTIMISE, params, actor)}"


@router.get("/plans/{branch_id}/{day}/board", response_model=DayPlan)
def board(
    branch_id: str,
    day: dt.date,
    session: DbSession,
    user: CurrentUser,
    technician_id: str | None = None,
    version: int | None = None,
) -> DayPlan:
    """The dispatch board: per-technician timelines with ETAs, warnings, unassigned orders with
    reasons. A technician gets only his own timeline and warnings."""
    if user.role == "technician":
        technician_id = user.technician_id
        ensure_self_or_roles(user, technician_id, "dispatcher")
    else:
        ensure_self_or_roles(user, None, "dispatcher", "planner")
    _, plan = store.load_state(session, branch_id, day, version)
    if technician_id is None:
        return plan
    mine: dict[str, object] = {
        "routes": tuple(r for r in plan.routes if r.technician_id == technician_id),
        "warnings": tuple(w for w in plan.warnings if w.technician_id == technician_id),
    }
    if user.role == "technician":  # a technician sees neither the orders left over nor the score
        mine.update(unassigned=(), score={})
    return plan.model_copy(update=mine)


@router.get(
    "/plans/{branch_id}/{day}/export", response_class=Response, responses=file_responses("csv", "xlsx")
)
def export(
    branch_id: str, day: dt.date, session: DbSession, user: Dispatcher, format: Literal["csv", "xlsx"] = "csv"
) -> Response:  # noqa: A002
    """The day's plan as CSV or Excel (one row per stop, then the unassigned orders)."""
    _, plan = store.load_state(session, branch_id, day)
    name = f"dispatch_{branch_id}_{day}_v{plan.version}.{format}"
    if format == "csv":
        body = plan_to_csv(plan).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            body = plan_to_excel(plan, Path(tmp) / name).read_bytes()
    return attachment(body, format, name)
