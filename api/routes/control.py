"""Process-control routes: reminders, reviews, flags, escalations, the control queue and its clock.

Dispatchers (and admins) act on everything; a technician may only ask for a suspend or reschedule
review of his own order (another's is answered 404, as an order that does not exist). Thin: the
rules are :mod:`scheduler.dispatch.control`, the records :mod:`scheduler.dispatch.control_store`;
errors are problem+json (unknown record 404, a second decision or closure 409, bad input 422).
Times are Asia/Shanghai local; ``at`` defaults to now and may not lie in the future.

:func:`control_clock` is the service's minute clock (the app's lifespan runs it as a task).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import DbSession, require_roles
from fieldcrew.auth import AuthUser
from scheduler.dispatch import control_store
from scheduler.dispatch.control import (
    ControlQueue,
    ControlReport,
    Decision,
    Escalation,
    Flag,
    FlagKind,
    Reminder,
    ReminderChannel,
    Review,
    ReviewKind,
)
from scheduler.dispatch.control_store import local_now
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import TimeWindow, local_naive

log = logging.getLogger(__name__)

router = APIRouter(prefix="/dispatch/control", tags=["dispatch control"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]
Requester = Annotated[AuthUser, Depends(require_roles("dispatcher", "technician"))]

#: Clock skew tolerated between a client and the service before an ``at`` counts as "in the future".
SKEW = dt.timedelta(minutes=1)

_AT = Field(
    default=None, description="when it happened, Asia/Shanghai local time; default now; not in the future"
)


def when(at: dt.datetime | None, field: str = "at") -> dt.datetime:
    """``at`` as local naive time (an aware time is converted), or now; 422 when it lies in the future."""
    now = local_now()
    if at is None:
        return now
    at = local_naive(at)
    if at > now + SKEW:
        raise InputErrors(
            [
                Problem(
                    field,
                    f"a record is made of what happened by now ({now:%Y-%m-%d %H:%M:%S})",
                    at.isoformat(),
                )
            ]
        )
    return at


class ReminderRequest(BaseModel):
    """A reminder (催单) to log."""

    order_id: str = Field(min_length=1, max_length=64)
    channel: ReminderChannel = ReminderChannel.PHONE
    note: str = Field(default="", max_length=2000)
    at: dt.datetime | None = _AT


class ReviewRequest(BaseModel):
    """A suspend or reschedule review to open."""

    order_id: str = Field(min_length=1, max_length=64)
    kind: ReviewKind
    reason: str = Field(min_length=1, max_length=2000)
    proposed_appointment: TimeWindow | None = Field(default=None, description="required for a reschedule")
    at: dt.datetime | None = _AT


class DecisionRequest(BaseModel):
    """The centre's answer to a review."""

    decision: Decision
    note: str = Field(default="", max_length=2000)
    at: dt.datetime | None = _AT


class AcknowledgeRequest(BaseModel):
    """Taking an escalation."""

    at: dt.datetime | None = _AT


class CloseRequest(BaseModel):
    """Closing an escalation."""

    resolution: str = Field(min_length=1, max_length=2000)
    at: dt.datetime | None = _AT


class FlagRequest(BaseModel):
    """Marking an order as a major or a repeat fault."""

    order_id: str = Field(min_length=1, max_length=64)
    kind: FlagKind
    note: str = Field(default="", max_length=2000)
    repeat_of: str | None = Field(default=None, max_length=64, description="repeat fault: the earlier order")
    at: dt.datetime | None = _AT


class TickRequest(BaseModel):
    """Evaluate a branch's control now (or at an earlier moment: the clock never runs backwards)."""

    branch_id: str = Field(min_length=1, max_length=64)
    at: dt.datetime | None = _AT


@router.post("/reminders", response_model=Reminder, status_code=status.HTTP_201_CREATED)
def post_reminder(body: ReminderRequest, session: DbSession, user: Dispatcher) -> Reminder:
    """Log a reminder (催单) against an open order; reminded often enough, the order is escalated."""
    return control_store.record_reminder(
        session, body.order_id, when(body.at), user.username, body.channel, body.note
    )


@router.get("/queue", response_model=ControlQueue)
def get_queue(
    session: DbSession,
    user: Dispatcher,
    branch_id: str = Query(min_length=1, max_length=64),
    day: dt.date | None = Query(default=None, description="default: today (Asia/Shanghai)"),
    at: dt.datetime | None = Query(default=None, description="evaluate at this time (default now)"),
) -> ControlQueue:
    """The control queue the board shows first: open escalations (highest level first), then
    warnings by severity, each with its reason in words."""
    now = when(at)
    return control_store.queue(session, branch_id, day or now.date(), now)


@router.post("/reviews", response_model=Review, status_code=status.HTTP_201_CREATED)
def post_review(body: ReviewRequest, session: DbSession, user: Requester) -> Review:
    """Ask for a suspend (挂起审核) or reschedule (改约审核) review; a technician only of his own order."""
    technician_id = None
    if user.role == "technician":
        if user.technician_id is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this technician user is linked to no technician")
        technician_id = user.technician_id
    return control_store.open_review(
        session,
        body.order_id,
        body.kind,
        user.username,
        when(body.at),
        body.reason,
        body.proposed_appointment,
        technician_id,
    )


@router.post("/reviews/{review_id}/decision", response_model=Review)
def post_decision(review_id: int, body: DecisionRequest, session: DbSession, user: Dispatcher) -> Review:
    """Approve a review or send it back (once: a second decision is 409). Approving a reschedule
    gives the order its new appointment; sending back starts the technician's clock to act."""
    return control_store.decide_review(
        session, review_id, body.decision, user.username, when(body.at), body.note
    )


@router.post("/escalations/{escalation_id}/acknowledge", response_model=Escalation)
def post_acknowledge(
    escalation_id: int, body: AcknowledgeRequest, session: DbSession, user: Dispatcher
) -> Escalation:
    """Take an escalation: it stops climbing its ladder (409 when already taken or closed)."""
    return control_store.acknowledge(session, escalation_id, user.username, when(body.at))


@router.post("/escalations/{escalation_id}/close", response_model=Escalation)
def post_close(escalation_id: int, body: CloseRequest, session: DbSession, user: Dispatcher) -> Escalation:
    """Close an escalation with its resolution (409 when already closed)."""
    return control_store.close_escalation(
        session, escalation_id, user.username, when(body.at), body.resolution
    )


@router.post("/flags", response_model=Flag, status_code=status.HTTP_201_CREATED)
def post_flag(body: FlagRequest, session: DbSession, user: Dispatcher) -> Flag:
    """Mark an open order as a major fault or a repeat fault; the next tick escalates it."""
    return control_store.flag_order(
        session, body.order_id, body.kind, user.username, when(body.at), body.note, body.repeat_of
    )


@router.post("/tick", response_model=ControlReport)
def post_tick(body: TickRequest, session: DbSession, user: Dispatcher) -> ControlReport:
    """Evaluate the branch's control now: record new escalations and level-ups, return the warnings."""
    return control_store.tick(session, body.branch_id, when(body.at), actor=user.username)


async def control_clock(url: str, every_s: float = 60.0) -> None:
    """Tick every branch every ``every_s`` seconds until cancelled (the service's minute clock).

    Each round runs in a worker thread (the database work is synchronous); a failing round is
    logged and the clock goes on.
    """
    while True:
        try:
            await asyncio.to_thread(control_store.tick_all, url, local_now())
        except Exception:  # the clock must outlive one bad round; the failure is in the log
            log.exception("control clock round failed")
        await asyncio.sleep(every_s)
