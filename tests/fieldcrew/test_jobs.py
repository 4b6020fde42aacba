"""Jobs: recorded in the database, run outside the caller, cancellable, recovered after a restart."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from fieldcrew import jobs
from fieldcrew.db import session_scope
from fieldcrew.jobs import SELFTEST, JobKind, SelftestParams
from fieldcrew.tables import JobRow, utcnow

#: the informative target recorded with a self-test job
TARGET = SELFTEST.target


@pytest.fixture
def thread_jobs() -> Iterator[None]:
    """Jobs run on a thread pool of two for the test."""
    jobs.configure("thread", 2)
    yield
    jobs.shutdown(wait=True)


def _submit(url: str, **params: object) -> str:
    with session_scope(url) as session:
        return jobs.submit_job(session, SELFTEST, SelftestParams.model_validate(params), "tester")


def _wait_until(url: str, job_id: str, predicate: object, timeout: float = 30) -> JobRow:
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(url) as session:
            row = jobs.get_job(session, job_id)
            session.expunge(row)
        if predicate(row):  # type: ignore[operator]
            return row
        assert time.monotonic() < deadline, f"job {job_id} stuck in {row.status}: {row.message}"
        time.sleep(0.02)


def test_job_runs_to_success(db_url: str, thread_jobs: None) -> None:
    """A submitted job goes queued → running → succeeded with progress 1 and its result stored."""
    job_id = _submit(db_url, steps=4, sleep_s=0.01)
    row = jobs.wait_for(job_id, db_url, timeout=30)
    assert row.status == jobs.SUCCEEDED
    assert row.progress == 1.0 and row.result["count"] == 4
    assert row.started_at is not None and row.finished_at is not None and row.error is None


def test_failing_job_is_failed_with_its_error_and_best_result(db_url: str, thread_jobs: None) -> None:
    """An exception in the job marks it failed, names the error and keeps the best result so far."""
    job_id = _submit(db_url, steps=5, sleep_s=0.0, fail_at=2)
    row = jobs.wait_for(job_id, db_url, timeout=30)
    assert row.status == jobs.FAILED
    assert "self-test failure requested at step 2" in (row.error or "")
    assert row.result["count"] == 2


def test_cancel_running_job_keeps_best_result(db_url: str, thread_jobs: None) -> None:
    """Cancelling a running job stops it at its next poll; its best result so far is kept."""
    job_id = _submit(db_url, steps=2000, sleep_s=0.01)
    _wait_until(db_url, job_id, lambda r: r.status == jobs.RUNNING and r.result and r.result["count"] >= 2)
    with session_scope(db_url) as session:
        assert jobs.cancel_job(session, job_id).cancel_requested
    row = jobs.wait_for(job_id, db_url, timeout=30)
    assert row.status == jobs.CANCELLED
    assert 2 <= row.result["count"] < 2000


def test_cancel_queued_job_never_runs(db_url: str) -> None:
    """A job cancelled while queued is cancelled at once and never starts."""
    jobs.configure("thread", 1)
    try:
        first = _submit(db_url, steps=2000, sleep_s=0.01)
        second = _submit(db_url, steps=1, sleep_s=0.0)
        _wait_until(db_url, first, lambda r: r.status == jobs.RUNNING)
        with session_scope(db_url) as session:
            assert jobs.cancel_job(session, second).status == jobs.CANCELLED
            jobs.cancel_job(session, first)
        assert jobs.wait_for(first, db_url).status == jobs.CANCELLED
        time.sleep(0.1)
        with session_scope(db_url) as session:
            row = jobs.get_job(session, second)
            assert row.status == jobs.CANCELLED and row.started_at is None
    finally:
        jobs.shutdown(wait=True)


def test_rolled_back_submission_neither_records_nor_runs(db_url: str, thread_jobs: None) -> None:
    """A job submitted in a transaction that rolls back is neither stored nor started."""
    with pytest.raises(RuntimeError), session_scope(db_url) as session:
        jobs.submit_job(session, SELFTEST, SelftestParams(steps=1), "tester")
        raise RuntimeError("request failed")
    jobs.shutdown(wait=True)
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(JobRow)) == 0


def test_restart_marks_interrupted_jobs_failed(any_db_url: str) -> None:
    """Jobs left queued or running by a dead process are failed 'interrupted by a restart'; others stay."""
    with session_scope(any_db_url) as session:
        for job_id, state in (("j-q", "queued"), ("j-r", "running"), ("j-s", "succeeded")):
            session.add(
                JobRow(
                    id=job_id,
                    kind="k",
                    target=TARGET,
                    owner="o",
                    status=state,
                    progress=0.5,
                    message="",
                    cancel_requested=False,
                    created_at=utcnow(),
                )
            )
    with session_scope(any_db_url) as session:
        assert jobs.recover_interrupted(session) == 2
    with session_scope(any_db_url) as session:
        states = {r.id: (r.status, r.error) for r in session.scalars(select(JobRow))}
    assert states == {
        "j-q": ("failed", jobs.INTERRUPTED_MESSAGE),
        "j-r": ("failed", jobs.INTERRUPTED_MESSAGE),
        "j-s": ("succeeded", None),
    }


def test_process_pool_runs_job_in_another_process(db_url: str) -> None:
    """With the default process executor the job runs in a worker process, not in the caller."""
    jobs.configure("process", 1)
    try:
        job_id = _submit(db_url, steps=3, sleep_s=0.0)
        row = jobs.wait_for(job_id, db_url, timeout=120)
    finally:
        jobs.shutdown(wait=True)
    assert row.status == jobs.SUCCEEDED, row.error
    assert row.result["count"] == 3 and row.result["pid"] != os.getpid()


class _OtherParams(BaseModel):
    steps: int = 1


class _Unrecordable(BaseModel):
    tags: object = None


def _run_other(params: BaseModel, ctx: jobs.JobContext) -> None:
    return None


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (SELFTEST, _OtherParams()),  # a model of another job
        (SELFTEST, {"steps": 1}),  # a plain dict is no parameter model
        (JobKind("other", _Unrecordable, _run_other), _Unrecordable(tags=object())),  # no JSON record
    ],
)
def test_bad_submissions_are_refused(db_url: str, kind: JobKind[BaseModel], params: object) -> None:
    """Parameters of another model than the kind's, or that do not survive their JSON record, are
    refused up front: nothing is recorded."""
    with pytest.raises(jobs.InvalidJob), session_scope(db_url) as session:
        jobs.submit_job(session, kind, params, "o")  # type: ignore[arg-type]
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(JobRow)) == 0


def test_a_job_kind_needs_a_top_level_function_and_a_model() -> None:
    """A kind's function travels to the worker by reference: a nested function or lambda is refused,
    and so are parameters that are not a pydantic model."""

    def nested(params: SelftestParams, ctx: jobs.JobContext) -> None:
        return None

    with pytest.raises(TypeError, match="top-level function"):
        JobKind("nested", SelftestParams, nested)
    with pytest.raises(TypeError, match="top-level function"):
        JobKind("lambda", SelftestParams, lambda p, c: None)
    with pytest.raises(TypeError, match="pydantic model"):
        JobKind("dict", dict, _run_other)  # type: ignore[type-var]
    assert SELFTEST.target == "fieldcrew.jobs.selftest_job"


def test_recorded_params_validate_into_the_kind_model(db_url: str) -> None:
    """A job records its parameters as JSON; the record validates back into an equal model, which is
    what the worker runs (so a job is reproducible from its record)."""
    params = SelftestParams(steps=3, sleep_s=0.25, fail_at=2)
    with session_scope(db_url) as session:
        job_id = jobs.submit_job(session, SELFTEST, params, "tester")
        row = jobs.get_job(session, job_id)
        recorded = dict(row.params)
        assert (row.kind, row.target) == ("selftest", TARGET)
        jobs.cancel_job(session, job_id)  # queued: never runs
    assert recorded == {"steps": 3, "sleep_s": 0.25, "fail_at": 2}
    assert SELFTEST.parse(recorded) == params
    with session_scope(db_url) as session:
        assert jobs.JobView.of(jobs.get_job(session, job_id)).params == recorded


def test_unknown_job_is_not_found(db_url: str) -> None:
    """Reading or cancelling an unknown job raises NotFound (the API's 404)."""
    with session_scope(db_url) as session, pytest.raises(jobs.NotFound):
        jobs.cancel_job(session, "nope")


def test_progress_is_clamped_and_recorded(db_url: str) -> None:
    """Progress outside [0, 1] is clamped; the last message is stored."""
    with session_scope(db_url) as session:
        session.add(
            JobRow(
                id="j1",
                kind="k",
                target=TARGET,
                owner="o",
                status="running",
                progress=0.0,
                message="",
                cancel_requested=False,
                created_at=utcnow(),
            )
        )
    ctx = jobs.JobContext("j1", db_url, min_interval=0.0)
    ctx.progress(1.7, "almost")
    with session_scope(db_url) as session:
        row = jobs.get_job(session, "j1")
        assert (row.progress, row.message) == (1.0, "almost")
    ctx.progress(-3, "back")
    assert ctx.fraction == 0.0
    assert not ctx.cancelled()


def test_detached_context_runs_a_job_function_in_memory() -> None:
    """A detached context lets a job function run without a database and honours cancel requests."""
    ctx = jobs.JobContext.detached()
    assert jobs.selftest_job(SelftestParams(steps=3, sleep_s=0.0), ctx)["count"] == 3
    assert ctx.fraction == 1.0 and ctx.best["count"] == 3
    ctx.request_cancel()
    assert jobs.selftest_job(SelftestParams(steps=3, sleep_s=0.0), ctx)["count"] == 0


def test_submission_is_audited(db_url: str) -> None:
    """Submitting a job records who submitted what, in the submitting transaction."""
    from fieldcrew import audit

    jobs.configure("thread", 1)
    try:
        job_id = _submit(db_url, steps=1, sleep_s=0.0)
        jobs.wait_for(job_id, db_url)
    finally:
        jobs.shutdown(wait=True)
    with session_scope(db_url) as session:
        (entry,) = [e for e in audit.entries(session, "job", job_id) if e.action == "submit"]
    assert (entry.actor, entry.action, entry.after["kind"]) == ("tester", "submit", "selftest")


def test_request_stop_cancels_running_jobs_with_best_result(db_url: str, thread_jobs: None) -> None:
    """At service shutdown running jobs are asked to stop; they end cancelled with their best result."""
    job_id = _submit(db_url, steps=2000, sleep_s=0.01)
    _wait_until(db_url, job_id, lambda r: r.status == jobs.RUNNING and r.result and r.result["count"] >= 1)
    with session_scope(db_url) as session:
        assert jobs.request_stop(session) == 1
    row = jobs.wait_for(job_id, db_url)
    assert row.status == jobs.CANCELLED and 1 <= row.result["count"] < 2000


def test_orphaned_worker_stops_when_its_job_was_recovered(db_url: str) -> None:
    """A worker still running a job that restart recovery marked failed sees cancelled() and stops."""
    with session_scope(db_url) as session:
        session.add(
            JobRow(
                id="j2",
                kind="k",
                target=TARGET,
                owner="o",
                status="running",
                progress=0.0,
                message="",
                cancel_requested=False,
                created_at=utcnow(),
            )
        )
    ctx = jobs.JobContext("j2", db_url, min_interval=0.0)
    assert not ctx.cancelled()
    with session_scope(db_url) as session:
        jobs.recover_interrupted(session)
    assert ctx.cancelled()


# ------------------------------------------------------------------------------------------------
# refused at submission: parameters naming what does not exist, too many jobs


def _no_such_branch(session: object, params: SelftestParams) -> None:
    if params.steps > 100:
        raise jobs.NotFound(f"branch {params.steps!r} does not exist")


CHECKED = JobKind("checked", SelftestParams, jobs.selftest_job, validate=_no_such_branch)


def test_a_kind_validates_its_parameters_before_the_job_is_queued(db_url: str) -> None:
    """A kind's validate hook runs at submission: a job that could only fail is refused with the
    hook's error, nothing is recorded; valid parameters are queued as usual."""
    with pytest.raises(jobs.NotFound, match="branch 101"), session_scope(db_url) as session:
        jobs.submit_job(session, CHECKED, SelftestParams(steps=101), "o")
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(JobRow)) == 0
        job_id = jobs.submit_job(session, CHECKED, SelftestParams(steps=1), "o")
        jobs.cancel_job(session, job_id)
    with pytest.raises(TypeError, match="validate must be a top-level function"):
        JobKind("bad", SelftestParams, jobs.selftest_job, validate=lambda s, p: None)


def test_queued_and_running_jobs_are_limited_per_user_and_overall(db_url: str) -> None:
    """Beyond the per-user limit a submission is TooManyRequests (429, with a retry delay); so it is
    beyond the overall limit, whoever submits; finished jobs do not count."""
    from vocabulary.errors import TooManyRequests

    jobs.configure("thread", 1, max_jobs_per_user=2, max_jobs=3)
    try:
        with session_scope(db_url) as session:
            ids = [jobs.submit_job(session, SELFTEST, SelftestParams(steps=2000, sleep_s=0.01), "a")
                   for _ in range(2)]
        with pytest.raises(TooManyRequests, match="at most 2") as caught, session_scope(db_url) as session:
            jobs.submit_job(session, SELFTEST, SelftestParams(steps=1), "a")
        assert caught.value.status_code == 429 and caught.value.retry_after_s > 0
        with session_scope(db_url) as session:
            ids.append(jobs.submit_job(session, SELFTEST, SelftestParams(steps=2000, sleep_s=0.01), "b"))
        with pytest.raises(TooManyRequests, match="at most 3"), session_scope(db_url) as session:
            jobs.submit_job(session, SELFTEST, SelftestParams(steps=1), "c")
        with session_scope(db_url) as session:
            for job_id in ids:
                jobs.cancel_job(session, job_id)
        for job_id in ids:
            jobs.wait_for(job_id, db_url)
        with session_scope(db_url) as session:
            jobs.submit_job(session, SELFTEST, SelftestParams(steps=1), "a")
    finally:
        jobs.shutdown(wait=True)
        jobs.configure("thread", 1)
