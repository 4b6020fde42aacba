"""Long-running dispatch work as platform jobs (``fieldcrew.jobs.submit_job`` targets)."""

from __future__ import annotations

from typing import Any


def plan_day_job(params: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Morning plan of a day input; stores it as a new plan version of the branch-day.

    ``params``: ``input`` (a :class:`~scheduler.dispatch.domain.DayInput` as JSON), ``seconds``, ``actor``.
    """
    from fieldcrew.db import session_scope
    from scheduler.dispatch.domain import DayInput
    from scheduler.dispatch.engine import SolveParams
    from scheduler.dispatch.events import start_day
    from scheduler.dispatch.store import save_state

    inp = DayInput.model_validate(params["input"])
    ctx.progress(0.05, f"planning {len(inp.orders)} orders for {len(inp.technicians)} technicians")
    state = start_day(inp, SolveParams(time_limit_s=float(params.get("seconds", 6.0))))
    with session_scope(ctx.database_url) as session:
        version = save_state(session, state.inp, state.plan, params.get("actor", "system"), "morning_plan")
    return _summary(state.plan, version)


def reoptimise_job(params: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Background re-optimisation of the plan in force (started/completed work fixed, few moves).

    The result is stored only if no event arrived meanwhile (else it would overwrite newer facts).
    """
    import datetime as dt

    from fieldcrew.db import session_scope
    from scheduler.dispatch.engine import SolveParams
    from scheduler.dispatch.events import DispatchState, reoptimise
    from scheduler.dispatch.store import load_state, save_state

    day = dt.date.fromisoformat(params["day"])
    with session_scope(ctx.database_url) as session:
        inp, plan = load_state(session, params["branch_id"], day)
    ctx.progress(0.1, f"re-optimising plan version {plan.version}")
    new = reoptimise(DispatchState(inp, plan), SolveParams(time_limit_s=float(params.get("seconds", 6.0))))
    with session_scope(ctx.database_url) as session:
        _, latest = load_state(session, params["branch_id"], day)
        if latest.version != plan.version:
            return {"stored": False, "reason": f"plan moved on to version {latest.version} meanwhile"}
        version = save_state(session, new.inp, new.plan, params.get("actor", "system"), "reoptimise")
    return _summary(new.plan, version) | {"stored": True}


def _summary(plan: Any, version: int) -> dict[str, Any]:
    return {
        "branch_id": plan.branch_id,
        "day": plan.day.isoformat(),
        "version": version,
        "planned": sum(len(r.stops) for r in plan.routes),
        "unassigned": len(plan.unassigned),
        "warnings": len(plan.warnings),
        "score": plan.score,
    }
