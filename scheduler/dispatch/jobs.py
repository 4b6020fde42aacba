"""Long-running dispatch work as platform jobs: :data:`PLAN` and :data:`REOPTIMISE`.

OR-Tools routing is single-threaded and deterministic for a given model, so the parameters carry
a time budget but no solver seed or worker count. A plan is stored fenced
(:meth:`JobContext.fenced`): only by the run that still owns the job, together with its result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext, JobKind
from fieldcrew.tables import BranchRow
from scheduler.dispatch.domain import DayInput, DayPlan
from scheduler.dispatch.engine import SolveParams
from scheduler.dispatch.events import DispatchState, reoptimise, start_day
from scheduler.dispatch.service import LinkedPlan, store_morning_plan, store_reoptimised
from scheduler.dispatch.store import load_state
from vocabulary.errors import InputErrors, Problem


class PlanRequest(BaseModel):
    """A day to plan: the day input (technicians on duty, orders, areas, policy) and a time budget."""

    input: DayInput
    seconds: float = Field(default=6.0, gt=0, le=120)


class PlanDayParams(PlanRequest):
    """Parameters of a ``dispatch.plan`` job: the day to plan and who asked; for a day planned from
    the order table, what it was read against (the plan moves those work orders when stored)."""

    actor: str = "system"
    linked: LinkedPlan | None = None


class ReoptimiseParams(BaseModel):
    """Parameters of a ``dispatch.reoptimise`` job: the branch-day whose plan in force to improve."""

    branch_id: str
    day: dt.date
    seconds: float = Field(default=6.0, gt=0, le=120)
    actor: str = "system"


def plan_day_job(params: PlanDayParams, ctx: JobContext) -> dict[str, Any]:
    """Morning plan of a day input; stores it as a new plan version of the branch-day (and, for a
    day planned from the order table, dispatches its work orders in the same transaction)."""
    inp = params.input
    ctx.progress(0.05, f"planning {len(inp.orders)} orders for {len(inp.technicians)} technicians")
    state = start_day(inp, SolveParams(time_limit_s=params.seconds))
    with session_scope(ctx.database_url) as session:
        version = store_morning_plan(session, state, params.actor, params.linked)
        summary = _summary(state.plan, version)
        if inp.intake is not None:
            summary["on_duty"] = inp.intake.note
            summary["left_for_later"] = len(inp.intake.deferred)
        ctx.fenced(session, summary)  # last: a run that lost its job stores no plan
    return summary


def reoptimise_job(params: ReoptimiseParams, ctx: JobContext) -> dict[str, Any]:
    """Background re-optimisation of the plan in force (started/completed work fixed, few moves).

    The result is stored only if no event arrived meanwhile (else it would overwrite newer facts).
    """
    with session_scope(ctx.database_url) as session:
        inp, plan = load_state(session, params.branch_id, params.day)
    ctx.progress(0.1, f"re-optimising plan version {plan.version}")
    new = reoptimise(DispatchState(inp, plan), SolveParams(time_limit_s=params.seconds))
    with session_scope(ctx.database_url) as session:
        version = store_reoptimised(session, plan.version, new, params.actor)
        if version is None:
            return {"stored": False, "reason": f"plan moved on from version {plan.version} meanwhile"}
        summary = _summary(new.plan, version) | {"stored": True}
        ctx.fenced(session, summary)  # last: a run that lost its job stores no plan
    return summary


def _summary(plan: DayPlan, version: int) -> dict[str, Any]:
    return {
        "branch_id": plan.branch_id,
        "day": plan.day.isoformat(),
        "version": version,
        "planned": sum(len(r.stops) for r in plan.routes),
        "unassigned": len(plan.unassigned),
        "warnings": len(plan.warnings),
        "score": plan.score,
    }


def check_plan(session: Session, params: PlanDayParams) -> None:
    """Refuse at submission the plan of a day of a branch that does not exist (the plan would be
    stored under a branch nobody can see).

    Raises
    ------
    InputErrors
        Naming ``input.branch_id`` and the rule (HTTP 422).
    """
    branch_id = params.input.branch_id
    if session.get(BranchRow, branch_id) is None:
        raise InputErrors([Problem("input.branch_id", "must name a stored branch", branch_id)])


#: Plan a day from scratch and store it as the branch-day's next version (``POST /dispatch/plans``).
PLAN = JobKind("dispatch.plan", PlanDayParams, plan_day_job, validate=check_plan)
#: Re-optimise the plan in force of a branch-day (``POST /dispatch/plans/{branch}/{day}/reoptimise``).
REOPTIMISE = JobKind("dispatch.reoptimise", ReoptimiseParams, reoptimise_job)
