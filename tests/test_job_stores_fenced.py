"""Every instrument's job stores its result fenced: a run that no longer owns its job (restart
recovery marked it failed while an orphaned worker still ran it) stores nothing, and the job keeps
the state recovery gave it. Each test also runs the same job as its owner, so that "nothing stored"
is not merely "nothing to store"."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from factories import seed_org, store_roster_draft
from sqlalchemy import func, select
from timepool_factories import seed_branch

from fieldcrew import jobs
from fieldcrew.db import session_scope
from fieldcrew.jobs import INTERRUPTED_MESSAGE, JobContext, JobFenced
from fieldcrew.tables import AuditRow, JobRow, utcnow

START = dt.date(2026, 4, 6)


def owned_run(db_url: str) -> JobContext:
    """The context of the run that claimed a job (``running`` under its attempt)."""
    attempt = utcnow()
    job_id = uuid.uuid4().hex
    with session_scope(db_url) as session:
        session.add(JobRow(id=job_id, kind="test", target="tests", owner="tester", status=jobs.RUNNING,
                           progress=0.0, message="running", cancel_requested=False, created_at=attempt,
                           started_at=attempt))
    return JobContext(job_id, db_url, min_interval=0.0, attempt=attempt)


def orphaned_run(db_url: str) -> JobContext:
    """The context of a run whose job restart recovery has just marked failed ("interrupted by a
    restart"), and which has not polled since: an orphaned worker between two polls, which only the
    fence keeps from storing."""
    ctx = owned_run(db_url)
    with session_scope(db_url) as session:
        assert jobs.recover_interrupted(session) == 1
    ctx.min_interval = 3600.0
    ctx._last_cancel_poll = time.monotonic()  # it polled a moment ago: it does not know yet
    return ctx


def _count(db_url: str, table: Any, *where: Any) -> int:
    with session_scope(db_url) as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def _refused_then_stored(
    db_url: str, run: Callable[[JobContext], Any], stored: Callable[[], int]
) -> Any:
    """``run`` as an orphaned run raises JobFenced and stores nothing (its job stays failed); as the
    owner of a job it stores, marks that job's result stored, and returns it."""
    before = stored()
    ctx = orphaned_run(db_url)
    with pytest.raises(JobFenced):
        run(ctx)
    assert stored() == before
    with session_scope(db_url) as session:
        row = jobs.get_job(session, ctx.job_id)
        assert (row.status, row.error, row.result) == (jobs.FAILED, INTERRUPTED_MESSAGE, None)
    owner = owned_run(db_url)
    result = run(owner)
    assert stored() > before and owner.finished == jobs.SUCCEEDED
    with session_scope(db_url) as session:
        assert jobs.get_job(session, owner.job_id).result == result
    return result


# ------------------------------------------------------------------------------------------------
# rosters


def test_an_orphaned_roster_solve_stores_no_draft(db_url: str) -> None:
    """roster.solve: no draft version from a run that lost its job."""
    from scheduler.roster.jobs import SolveRosterParams, solve_job
    from scheduler.roster.store import RosterVersionRow

    with session_scope(db_url) as session:
        seed_org(session)
    quotas = {"G1": {(START + dt.timedelta(days=d)).isoformat(): 2 for d in range(7)}}
    params = SolveRosterParams.model_validate(
        {"branch_id": "B1", "start": START, "days": 7, "quotas": quotas, "seconds": 5, "workers": 1,
         "seed": 0}
    )
    out = _refused_then_stored(db_url, lambda ctx: solve_job(params, ctx),
                               lambda: _count(db_url, RosterVersionRow))
    assert out["version"] == 1


def test_an_orphaned_reroster_stores_no_draft(db_url: str) -> None:
    """roster.reroster: no new draft version from a run that lost its job."""
    from scheduler.roster.jobs import RerosterParams, reroster_job
    from scheduler.roster.planning import Leave
    from scheduler.roster.store import RosterVersionRow

    with session_scope(db_url) as session:
        seed_org(session)
        roster_id = store_roster_draft(session, START, {f"T-00{i}": ["D"] * 7 for i in range(1, 5)})
    sick = Leave(technician_id="T-001", start=START + dt.timedelta(days=2), end=START + dt.timedelta(days=2))
    params = RerosterParams(roster_id=roster_id, absences=[sick], seconds=5, workers=1, seed=0)
    out = _refused_then_stored(db_url, lambda ctx: reroster_job(params, ctx),
                               lambda: _count(db_url, RosterVersionRow))
    assert out["version"] == 2


# ------------------------------------------------------------------------------------------------
# dispatch


def test_an_orphaned_morning_plan_stores_no_plan(db_url: str) -> None:
    """dispatch.plan: no plan version from a run that lost its job."""
    from scheduler.dispatch.jobs import PlanDayParams, plan_day_job
    from scheduler.dispatch.store import DispatchPlanRow
    from scheduler.dispatch.synthetic import make_input, make_order, make_tech

    inp = make_input([make_tech("T1")], [make_order("O1"), make_order("O2", x_km=2.0)])
    params = PlanDayParams(input=inp, seconds=0.2)
    out = _refused_then_stored(db_url, lambda ctx: plan_day_job(params, ctx),
                               lambda: _count(db_url, DispatchPlanRow))
    assert out["version"] == 1


def test_an_orphaned_reoptimisation_stores_no_plan(db_url: str) -> None:
    """dispatch.reoptimise: no new plan version from a run that lost its job."""
    from scheduler.dispatch.engine import SolveParams, plan_day
    from scheduler.dispatch.jobs import ReoptimiseParams, reoptimise_job
    from scheduler.dispatch.store import DispatchPlanRow, save_state
    from scheduler.dispatch.synthetic import make_input, make_order, make_tech

    inp = make_input([make_tech("T1"), make_tech("T2", x_km=3.0)], [make_order("O1"), make_order("O2")])
    with session_scope(db_url) as session:
        save_state(session, inp, plan_day(inp, SolveParams(time_limit_s=0.2)), "tester", "morning_plan")
    params = ReoptimiseParams(branch_id=inp.branch_id, day=inp.day, seconds=0.2)
    out = _refused_then_stored(db_url, lambda ctx: reoptimise_job(params, ctx),
                               lambda: _count(db_url, DispatchPlanRow))
    assert out["stored"] is True and out["version"] == 2


# ------------------------------------------------------------------------------------------------
# work-hour pool, quality


def test_an_orphaned_quota_job_saves_no_quotas(db_url: str) -> None:
    """timepool.quotas with save: no quota version from a run that lost its job."""
    from timepool.jobs import QuotaJobParams, quota_job
    from timepool.store import QuotaVersionRow

    with session_scope(db_url) as session:
        seed_branch(session)
    params = QuotaJobParams(branch_id="B1", start=dt.date(2026, 6, 29), days=7, save=True)
    out = _refused_then_stored(db_url, lambda ctx: quota_job(params, ctx),
                               lambda: _count(db_url, QuotaVersionRow))
    assert out["saved_version"] == 1


def test_an_orphaned_month_stores_no_snapshot_grades_or_audit(db_url: str) -> None:
    """quality.save_month: neither KPI snapshot, grades nor its audit entry from a run that lost its job."""
    from quality.service import SaveMonthParams, save_month_job
    from quality.store import GradeRow, KpiSnapshotRow

    with session_scope(db_url) as session:
        seed_org(session)

    def stored() -> int:
        audit = _count(db_url, AuditRow, AuditRow.entity == "quality_month")
        return _count(db_url, KpiSnapshotRow) + _count(db_url, GradeRow) + audit

    params = SaveMonthParams(month="2026-03")
    out = _refused_then_stored(db_url, lambda ctx: save_month_job(params, ctx), stored)
    assert out["month"] == "2026-03"
