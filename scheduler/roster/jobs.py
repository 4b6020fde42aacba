"""Roster jobs run by the platform's job runner: :data:`SOLVE` and :data:`REROSTER`.

Each reads its inputs from the database, solves, stores a *draft* version and returns its summary;
nothing is published by a job. The draft is stored fenced (:meth:`JobContext.fenced`): only by
the run that still owns the job, together with the job's result. Their parameter models are the
requests of ``POST /rosters`` and ``POST /rosters/{id}/reroster`` plus what the route decides (the
solver's workers and seed, from the settings when the request names none, and the actor), so a
job's record reproduces it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext, JobKind
from fieldcrew.records import read_technicians
from fieldcrew.tables import BranchRow, RegionGroupRow, TechnicianRow
from scheduler.roster import store
from scheduler.roster.planning import Leave, build_problem, diff, history_from, reroster_problem
from scheduler.roster.solver import SolveParams, solve, solve_roster
from scheduler.roster.validate import check_roster
from timepool.domain import Quotas, SkillQuotas
from timepool.quotas import quotas_for_branch
from vocabulary.errors import InputErrors, Problem
from vocabulary.organisation import GroupOperation

# --------------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------------


class SearchRequest(BaseModel):
    """How long and how to search (workers and seed: the service's settings when omitted)."""

    seconds: float = Field(default=10.0, gt=0, le=600)
    workers: int | None = Field(
        default=None, ge=1, le=64, description="CP-SAT search workers (default: FIELDCREW_SOLVER_WORKERS)"
    )
    seed: int | None = Field(default=None, description="CP-SAT random seed (default: FIELDCREW_SOLVER_SEED)")


class SolveRosterRequest(SearchRequest):
    """Solve the roster of a branch for a period (the body of ``POST /rosters``)."""

    branch_id: str
    start: dt.date
    days: int = Field(default=28, ge=1, le=62)
    preset: str = "urban_dense"
    quotas: Quotas | None = Field(
        default=None,
        description="heads per group and date, given directly; from the work-hour pool when omitted",
    )
    skill_quotas: SkillQuotas = Field(
        default_factory=SkillQuotas, description="heads with a skill per group and date, within the quotas"
    )
    leave: list[Leave] = Field(default_factory=list)


class RerosterRequest(SearchRequest):
    """Absences to re-roster around (sick calls, leave), keeping days before ``from_day``."""

    absences: list[Leave] = Field(min_length=1)
    from_day: int = Field(default=0, ge=0)


class SolveRosterParams(SolveRosterRequest):
    """Parameters of a ``roster.solve`` job: the request with its search settings decided."""

    workers: int = Field(ge=1, le=64)
    seed: int
    actor: str = "system"


class RerosterParams(RerosterRequest):
    """Parameters of a ``roster.reroster`` job: the roster, the request, its search settings decided."""

    roster_id: str
    workers: int = Field(ge=1, le=64)
    seed: int
    actor: str = "system"


# --------------------------------------------------------------------------------------------------
# jobs
# --------------------------------------------------------------------------------------------------


def _quotas(params: SolveRosterParams, session: Session) -> Quotas:
    """The quotas given with the request, else the work-hour pool's for the branch and period."""
    if params.quotas:
        return params.quotas
    return quotas_for_branch(session, params.branch_id, params.start, params.days)


def group_presets(session: Session, branch_id: str) -> dict[str, str]:
    """Each region group's own roster preset: the one its operating model names
    (``region_groups.operating_model``, read as :class:`~vocabulary.organisation.GroupOperation`)."""
    rows = session.execute(
        select(RegionGroupRow.id, RegionGroupRow.operating_model).where(RegionGroupRow.branch_id == branch_id)
    )
    return {group: GroupOperation.parse(stored).preset for group, stored in rows}


def solve_job(params: SolveRosterParams, ctx: JobContext) -> dict[str, Any]:
    """Solve the roster of a branch and period and store it as a draft version."""
    branch_id, start, days = params.branch_id, params.start, params.days
    with session_scope(ctx.database_url) as session:
        techs = [t for t in read_technicians(session) if t.branch_id == branch_id]
        if not techs:
            raise InputErrors([Problem("branch_id", "branch has no technicians", branch_id)])
        quotas = _quotas(params, session)
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
            params.preset,
            group_presets=group_presets(session, branch_id),
            leave=params.leave,
            history=history,
            name=f"{branch_id}/{start}",
            skill_quotas=params.skill_quotas,
        )
    ctx.progress(0.05, f"solving {len(problem.employees)} technicians × {days} days")
    result = solve_roster(
        problem,
        SolveParams(seconds=params.seconds, workers=params.workers, seed=params.seed),
        on_solution=lambda obj, t: ctx.progress(min(0.95, t / params.seconds), f"objective {obj}"),
        stop=ctx.cancelled,
    )
    report = check_roster(problem, result.assignment, result.support_groups) if result.feasible else None
    with session_scope(ctx.database_url) as session:
        row = store.save_draft(session, branch_id, start, params.preset, problem, result, params.actor)
        out = {
            "roster_id": row.id,
            "version": row.version,
            "status": result.status,
            "objective": result.objective,
            "bound": result.bound,
            "violations": [str(v) for v in report.violations] if report else [],
        }
        ctx.fenced(session, out)  # last: a run that lost its job stores no draft
    ctx.progress(1.0, "done")
    return out


def reroster_job(params: RerosterParams, ctx: JobContext) -> dict[str, Any]:
    """Re-roster a published roster after absences (minimal change) into a new draft version."""
    with session_scope(ctx.database_url) as session:
        row = store.get_version(session, params.roster_id)
        problem, published = store.load(row)
        branch_id, period_start, preset, parent_id = row.branch_id, row.period_start, row.preset, row.id
    first = dt.date.fromisoformat(problem.start_date) if problem.start_date else period_start
    absences: dict[str, list[int]] = {}
    for lv in params.absences:
        days = [(lv.start - first).days + k for k in range((lv.end - lv.start).days + 1)]
        absences.setdefault(lv.technician_id, []).extend(d for d in days if 0 <= d < problem.horizon)
    new_problem = reroster_problem(problem, published.assignment, absences, params.from_day)
    hint = {
        e: [None if d in absences.get(e, ()) else s for d, s in enumerate(r)]
        for e, r in published.assignment.items()
    }
    result = solve(
        new_problem,
        SolveParams(seconds=params.seconds, workers=params.workers, seed=params.seed),
        hint=hint,
        stop=ctx.cancelled,
    )
    changes = diff(published.assignment, result.assignment) if result.feasible else []
    with session_scope(ctx.database_url) as session:
        new = store.save_draft(
            session, branch_id, period_start, preset, new_problem, result, params.actor, parent_id=parent_id
        )
        out = {
            "roster_id": new.id,
            "version": new.version,
            "status": result.status,
            "objective": result.objective,
            "changes": changes,
        }
        ctx.fenced(session, out)  # last: a run that lost its job stores no draft
    return out


# --------------------------------------------------------------------------------------------------
# checked at submission: a job that could only fail is refused before it is queued
# --------------------------------------------------------------------------------------------------


def check_solve(session: Session, params: SolveRosterParams) -> None:
    """Refuse a solve whose branch does not exist or has no technicians (it could only fail).

    Raises
    ------
    InputErrors
        Naming ``branch_id`` and the rule it breaks (HTTP 422).
    """
    branch_id = params.branch_id
    if session.get(BranchRow, branch_id) is None:
        raise InputErrors([Problem("branch_id", "must name a stored branch", branch_id)])
    if not session.scalar(select(exists().where(TechnicianRow.branch_id == branch_id))):
        raise InputErrors([Problem("branch_id", "branch has no technicians to roster", branch_id)])


def check_reroster(session: Session, params: RerosterParams) -> None:
    """Refuse a re-roster of a roster that does not exist, or around absences it cannot apply:
    of a technician not in the roster, ending before they start, or outside the roster's period.

    Raises
    ------
    NotFound
        No roster version ``roster_id`` (HTTP 404, as for every other route naming it).
    InputErrors
        Naming each bad absence (``absences[i].technician_id``, ``absences[i].end``, …) and the
        rule it breaks (HTTP 422).
    """
    row = store.get_version(session, params.roster_id)
    problem, _ = store.load(row)
    first = dt.date.fromisoformat(problem.start_date) if problem.start_date else row.period_start
    last = first + dt.timedelta(days=problem.horizon - 1)
    staff = {e.id for e in problem.employees}
    problems: list[Problem] = []
    for i, absence in enumerate(params.absences):
        at = f"absences[{i}]"
        if absence.technician_id not in staff:
            rule = f"must be a technician of roster {params.roster_id}"
            problems.append(Problem(f"{at}.technician_id", rule, absence.technician_id))
        if absence.end < absence.start:
            problems.append(Problem(f"{at}.end", "must not be before start", absence.end.isoformat()))
        elif absence.end < first or absence.start > last:
            rule = f"must overlap the roster's period {first} to {last}"
            problems.append(Problem(at, rule, f"{absence.start} to {absence.end}"))
    if params.from_day >= problem.horizon:
        problems.append(Problem("from_day", f"must be a day of the roster (0 to {problem.horizon - 1})",
                                params.from_day))
    if problems:
        raise InputErrors(problems)


#: Solve a branch's roster for a period into a draft version (``POST /rosters``).
SOLVE = JobKind("roster.solve", SolveRosterParams, solve_job, validate=check_solve)
#: Re-roster a stored roster around absences into a new draft version (``POST /rosters/{id}/reroster``).
REROSTER = JobKind("roster.reroster", RerosterParams, reroster_job, validate=check_reroster)
