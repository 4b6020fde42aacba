"""Dispatch routes: plan a day (job), post rolling events, the dispatch board, a technician's day.

Dispatchers see and change everything of a branch-day; a technician sees only his own day and
posts only the progress of his own orders (started, resumed, suspended, completed) and his contacts
with their customers (``customer_contacted``). A day planned
from the order table (``POST /dispatch/plans/{branch}/{day}``) takes its on-duty technicians from
the published roster (``scheduler.day``) and moves the work orders with every change, in the same
transaction. Thin: bodies are the dispatch package's own models; errors are its domain errors
(problem+json by the app's handler: unknown order 404, not allowed 403, event out of order or
version conflict 409, bad input 422).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import (
    ACCEPTED,
    MAX_INT32,
    AppSettings,
    CurrentUser,
    DbSession,
    JobAccepted,
    Version,
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
from scheduler import day as branch_day
from scheduler.dispatch import control_store, service, store
from scheduler.dispatch.control import ControlQueue
from scheduler.dispatch.domain import DayBoard, TechnicianDay
from scheduler.dispatch.events import Event
from scheduler.dispatch.io import plan_to_csv, plan_to_excel
from scheduler.dispatch.jobs import PLAN, REOPTIMISE, PlanDayParams, PlanRequest, ReoptimiseParams
from scheduler.dispatch.model import validate_input

router = APIRouter(prefix="/dispatch", tags=["dispatch"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


class PlanFromDbRequest(BaseModel):
    """Plan a branch-day from the stored orders and its published roster, within a time budget."""

    on_duty: list[str] | None = Field(
        default=None,
        description="technician ids instead of the published roster's shifts (recorded as a roster "
        "override by you); default: the roster's on-duty technicians",
    )
    seconds: float = Field(default=6.0, gt=0, le=120)


class EventApplied(BaseModel):
    """The re-plan an event caused: its version, the orders that moved, what is left over."""

    version: int
    moved: dict[str, list[str | None]] = Field(description="order id → [technician before, technician after]")
    work_orders: dict[str, list[str]] = Field(
        default_factory=dict,
        description="order id → [before, after] (status and technician) in the order table, for a day "
        "planned from it",
    )
    unassigned: int = Field(description="orders without a technician after the event")
    warnings: int
    reoptimise_job: str | None = Field(description="location of a background re-optimisation it started")
    control_warnings: int = Field(
        default=0,
        description="process-control warnings on the orders the event touched (first response, timeouts)",
    )
    escalations_opened: list[str] = Field(
        default_factory=list,
        description="escalations the event opened (trigger: subject), in the same transaction",
    )
    first_contact_at: dt.datetime | None = Field(
        default=None,
        description="customer_contacted on a day planned from the order table: the order's first contact "
        "as recorded (the first contact sets it, a later one leaves it)",
    )


class DispatchEventView(BaseModel):
    """One applied event of a branch-day: what, when, by whom, the version it made, what it moved."""

    kind: str
    at: dt.datetime
    actor: str
    plan_version: int
    payload: dict[str, Any]


@router.post("/plans", **ACCEPTED)
def plan_day(body: PlanRequest, session: DbSession, response: Response, user: Dispatcher) -> JobAccepted:
    """Plan a day input given directly as a job: 202 + ``Location: /jobs/{id}``; the result is stored
    as a new version. Its orders must not be in the order table (409: plan such a day from the table)."""
    service.check_direct_input(session, body.input)
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
    """Plan a day from the stored work orders with the technicians its published roster has on duty
    (a job, as ``POST /dispatch/plans``); 409 ``no-published-roster`` when no roster covers the day
    and no ``on_duty`` list is given, 409 ``day-under-way`` once its work has begun."""
    inp, linked = branch_day.plan_input(session, branch_id, day, body.on_duty, user.username)
    validate_input(inp)  # 422 now, naming the records, rather than a failed job
    params = PlanDayParams(input=inp, seconds=body.seconds, actor=user.username, linked=linked)
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
    user: CurrentUser,
    settings: AppSettings,
    expected_version: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_INT32,
            description="the plan version you saw; 409 plan-version-conflict when the day moved on",
        ),
    ] = None,
) -> EventApplied:
    """Apply one rolling event and store the re-plan (and, for a day planned from the order table,
    the work orders it moves) in one transaction; a refused event changes nothing.

    Dispatchers post every kind; a technician posts ``order_started``, ``order_resumed``,
    ``order_suspended``, ``order_completed`` and ``customer_contacted`` for his own orders only (403
    for other kinds, 404 for an order that is not his). Events of one day are applied one at a
    time, in arrival order. A ``customer_contacted`` (channel ``phone``, ``sms`` or ``visit``)
    changes no plan (the version stays) and records the contact with the work order: 409 for an
    order completed, cancelled or not dispatched, or a time before the plan's clock; 422 for a time
    on another day.
    """
    technician_id: str | None = None
    if user.role == "technician":
        if user.technician_id is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this technician user names no technician")
        technician_id = user.technician_id
    else:
        ensure_self_or_roles(user, None, "dispatcher")
    applied = service.post_event(
        session, branch_id, day, event, user.username, expected_version, technician_id
    )
    moved = applied.moved()
    touched = {*moved, *(c.order_id for c in applied.changes)}
    order_id = getattr(event, "order_id", None) or getattr(getattr(event, "order", None), "id", None)
    if order_id:
        touched.add(str(order_id))
    control = control_store.on_event(session, branch_id, sorted(touched), at=event.at, actor=user.username)
    audit.record(
        session,
        user,
        f"dispatch.{event.kind}",
        "dispatch_plan",
        f"{branch_id}/{day}/{applied.version}",
        {"version": applied.before.version},
        {
            "version": applied.version,
            "moved": moved,
            "work_orders": {c.order_id: [str(c.before), str(c.after)] for c in applied.changes},
        },
    )
    return EventApplied(
        version=applied.version,
        moved=moved,
        work_orders={c.order_id: [str(c.before), str(c.after)] for c in applied.changes},
        unassigned=len(applied.after.unassigned),
        warnings=len(applied.after.warnings),
        reoptimise_job=_periodic_reoptimise(session, settings, branch_id, day, user.username),
        control_warnings=len(control.warnings),
        escalations_opened=[f"{e.trigger}: {e.subject}" for e in control.opened],
        first_contact_at=applied.first_contact_at,
    )


@router.get("/plans/{branch_id}/{day}/events", response_model=list[DispatchEventView])
def list_events(
    branch_id: str, day: dt.date, session: DbSession, user: CurrentUser
) -> list[DispatchEventView]:
    """The day's applied events, oldest first, each with the version it made and what it moved
    (dispatcher, planner)."""
    ensure_self_or_roles(user, None, "dispatcher", "planner")
    store.load_state(session, branch_id, day)  # 404 for a day never planned
    return [
        DispatchEventView(
            kind=e.kind, at=e.at, actor=e.actor, plan_version=e.plan_version, payload=dict(e.payload)
        )
        for e in store.list_events(session, branch_id, day)
    ]


@router.get("/my-day", response_model=TechnicianDay)
def my_day(
    session: DbSession,
    user: CurrentUser,
    day: dt.date,
    technician_id: str | None = None,
) -> TechnicianDay:
    """A technician's day: his stops in order (address area, customer grade, appointment window,
    deadline, ETA, status; suspended orders last with their reason), from the plan in force of his
    branch. A technician gets his own; a dispatcher names ``technician_id``."""
    if user.role == "technician":
        if user.technician_id is None or technician_id not in (None, user.technician_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a technician may only see their own day")
        technician_id = user.technician_id
    else:
        ensure_self_or_roles(user, None, "dispatcher")
        if technician_id is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "technician_id is required")
    return service.technician_day(session, technician_id, day)


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


class BoardView(DayBoard):
    """The dispatch board with the dispatch centre's control queue (escalations, then warnings, each
    with its reason in words) that the board shows first; none for a technician's own view."""

    control: ControlQueue | None = None


@router.get("/plans/{branch_id}/{day}/board", response_model=BoardView)
def board(
    branch_id: str,
    day: dt.date,
    session: DbSession,
    user: CurrentUser,
    technician_id: str | None = None,
    version: Version = None,
) -> BoardView:
    """The dispatch board: the control queue first (open escalations, then warnings: first response,
    timeouts, reviews, each with its reason), per-technician timelines with ETAs, warnings,
    unassigned orders with reasons, and how the day was made (on duty from roster … or "roster
    overridden by …", the backlog left for later). A technician gets only his own timeline and
    warnings."""
    if user.role == "technician":
        technician_id = user.technician_id
        ensure_self_or_roles(user, technician_id, "dispatcher")
    else:
        ensure_self_or_roles(user, None, "dispatcher", "planner")
    inp, plan = store.load_state(session, branch_id, day, version)
    if technician_id is None:
        control = control_store.queue(session, branch_id, day)
        return BoardView(**dict(plan), intake=inp.intake, control=control)
    full = BoardView(**dict(plan), intake=inp.intake)
    mine: dict[str, object] = {
        "routes": tuple(r for r in plan.routes if r.technician_id == technician_id),
        "warnings": tuple(w for w in plan.warnings if w.technician_id == technician_id),
    }
    if user.role == "technician":  # a technician sees neither the orders left over nor the score
        mine.update(unassigned=(), score={}, intake=None)
    return full.model_copy(update=mine)


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
