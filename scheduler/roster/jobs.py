"""Roster jobs run by the platform's job runner (``fieldcrew.jobs.submit_job``).

Targets: ``scheduler.roster.jobs:solve_job`` and ``scheduler.roster.jobs:reroster_job``. Each
reads its inputs from the database, solves, stores a *draft* version and returns its summary;
nothing is published by a job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext
from scheduler.roster import store
from scheduler.roster.planning import Leave, build_problem, history_from, reroster_problem
from scheduler.roster.solver import SolveParams, solve, solve_roster
from scheduler.roster.validate import check_roster
from vocabulary.errors import InputErrors, Problem


def _quotas(
    params: dict[str, Any], session: Any, branch_id: str, start: dt.date, days: int
) -> dict[str, dict[dt.date, int]]:
    given = params.get("quotas")
    if given:
        try:
            return {g: {dt.date.fromisoformat(d): int(n) for d, n in per.items()} for g, per in given.items()}
        except (ValueError, AttributeError) as exc:
            raise InputErrors([Problem("quotas", "group -> {YYYY-MM-DD: heads}", str(exc))]) from exc
    from timepool.quotas import quotas_for_branch

    return quotas_for_branch(session, branch_id, start, days)


def _skill_quotas(params: dict[str, Any]) -> dict[str, dict[str, dict[dt.date, int]]]:
    given = params.get("skill_quotas") or {}
    try:
        return {
            g: {
                skill: {dt.date.fromisoformat(d): int(n) for d, n in per.items()}
                for skill, per in by_skill.items()
            }
            for g, by_skill in given.items()
        }
    except (ValueError, AttributeError) as exc:
        raise InputErrors(
            [Problem("skill_quotas", "group -> {skill: {YYYY-MM-DD: heads}}", str(exc))]
        ) from exc


def solve_job(params: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Solve the roster of a branch and period and store it as a draft version."""
    from fieldcrew.records import read_technicians

    branch_id = str(params["branch_id"])
    start = dt.date.fromisoformat(str(params["start"]))
    days = int(params.get("days", 28))
    preset = str(params.get("preset", "urban_dense"))
    actor = str(params.get("actor", "system"))
    seconds = float(params.get("seconds", 10.0))
    with session_scope(ctx.database_url) as session:
        techs = [t for t in read_technicians(session) if t.branch_id == branch_id]
        if not techs:
            raise InputErrors([Problem("branch_id", "branch has no technicians", branch_id)])
        quotas = _quotas(params, session, branch_id, start, days)
        leave = [Leave.model_validate(x) for x in params.get("leave", [])]
        history = None
        prev = store.latest_published(session, branch_id, start - dt.timedelta(days=7))
        if prev is not None and (prev.period_start + dt.timedelta(days=prev.days)) >= start:
            # rolling horizon: the previous published roster's last days are this one's history
            offset = (start - prev.period_start).days
            history = {
                k: v
                for k, v in history_from(prev.result["assignment"], offset).items()
                if k in {t.id for t in techs}
            }
        problem = build_problem(
            techs,
            quotas,
            start,
            days,
            preset,
            leave=leave,
            history=history,
            name=f"{branch_id}/{start}",
            skill_quotas=_skill_quotas(params),
        )
    ctx.progress(0.05, f"solving {len(problem.employees)} technicians × {days} days")
    result = solve_roster(
        problem,
        SolveParams(seconds=seconds, workers=int(params.get("workers", 2)), seed=int(params.get("seed", 0))),
        on_solution=lambda obj, t: ctx.progress(min(0.95, t / seconds), f"objective {obj}"),
        stop=ctx.cancelled,
    )
    report = check_roster(problem, result.assignment, result.support_groups) if result.feasible else None
    with session_scope(ctx.database_url) as session:
        row = store.save_draft(session, branch_id, start, preset, problem, result, actor)
        out = {
            "roster_id": row.id,
            "version": row.version,
            "status": result.status,
            "objective": result.objective,
            "bound": result.bound,
            "violations": [str(v) for v in report.violations] if report else [],
        }
    ctx.progress(1.0, "done")
    return out


def reroster_job(params: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Re-roster a published roster after absences (minimal change) into a new draft version."""
    roster_id = str(params["roster_id"])
    actor = str(params.get("actor", "system"))
    with session_scope(ctx.database_url) as session:
        row = store.get_version(session, roster_id)
        problem, published = store.load(row)
        meta = (row.branch_id, row.period_start, row.preset, row.id)
    first = dt.date.fromisoformat(problem.start_date) if problem.start_date else meta[1]
    absences: dict[str, list[int]] = {}
    for item in params.get("absences", []):
        lv = Leave.model_validate(item)
        days = [(lv.start - first).days + k for k in range((lv.end - lv.start).days + 1)]
        absences.setdefault(lv.technician_id, []).extend(d for d in days if 0 <= d < problem.horizon)
    from_day = int(params.get("from_day", 0))
    new_problem = reroster_problem(problem, published.assignment, absences, from_day)
    hint = {
        e: [None if d in absences.get(e, ()) else s for d, s in enumerate(r)]
        for e, r in published.assignment.items()
    }
    result = solve(
        new_problem, SolveParams(seconds=float(params.get("seconds", 10.0))), hint=hint, stop=ctx.cancelled
    )
    from scheduler.roster.planning import diff

    changes = diff(published.assignment, result.assignment) if result.feasible else []
    with session_scope(ctx.database_url) as session:
        new = store.save_draft(
            session, meta[0], meta[1], meta[2], new_problem, result, actor, parent_id=meta[3]
        )
        out = {
            "roster_id": new.id,
            "version": new.version,
            "status": result.status,
            "objective": result.objective,
            "changes": changes,
        }
    return out
