"""Jobs under faults: the real service (``fieldcrew serve``) killed with SIGKILL leaves no worker
behind, writes nothing after the kill, and its restart reports the job "interrupted by a restart";
and a run that lost its job (restart recovery) cannot store a result."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import select

from fieldcrew import audit, jobs
from fieldcrew.auth import create_user
from fieldcrew.db import dispose_engine, session_scope, upgrade
from fieldcrew.jobs import INTERRUPTED_MESSAGE, SELFTEST, JobContext, JobFenced, SelftestParams
from fieldcrew.tables import AuditRow, JobRow

FIELDCREW = Path(sys.executable).with_name("fieldcrew")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    """``fieldcrew serve`` in a subprocess on a free loopback port, with the process executor."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "FIELDCREW_DATABASE_URL": db_url,
            "FIELDCREW_DATA_DIR": str(data_dir),
            "FIELDCREW_JOB_EXECUTOR": "process",
            "FIELDCREW_JOB_WORKERS": "1",
            "FIELDCREW_LOG_LEVEL": "WARNING",
        }
        self.log = (data_dir / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [str(FIELDCREW), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while True:
            assert self.process.poll() is None, self.logged()
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not answer /health:\n" + self.logged()
            time.sleep(0.2)

    def logged(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def tree(self) -> list[psutil.Process]:
        """The service process and every process it started (job workers, the resource tracker)."""
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of ``processes`` still running (a zombie waiting to be reaped has stopped)."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture
def served_db(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A migrated SQLite database with an admin user: (URL, the admin's API key)."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    upgrade(url)
    with session_scope(url) as session:
        _, key = create_user(session, "admin", "admin", actor="test-setup")
    yield url, key
    dispose_engine(url)


def _job(url: str, job_id: str) -> JobRow:
    with session_scope(url) as session:
        row = jobs.get_job(session, job_id)
        session.expunge(row)
        return row


def _selftest_entries(url: str, job_id: str) -> list[AuditRow]:
    with session_scope(url) as session:
        return list(session.scalars(select(AuditRow).where(
            AuditRow.entity == "job", AuditRow.entity_id == job_id, AuditRow.action == "selftest")))


def test_killed_service_leaves_no_worker_and_no_write_after_the_kill(
    served_db: tuple[str, str], tmp_path: Path
) -> None:
    """SIGKILL of the service: within a few seconds no process it started is left, the job row holds
    nothing produced after the kill, and the restarted service reports the job interrupted by a
    restart, with no stored outcome (the self-test's fenced audit entry) ever written."""
    url, key = served_db
    headers = {"X-API-Key": key}
    service = Service(url, tmp_path)
    try:
        answer = httpx.post(f"{service.base}/jobs/selftest", json={"steps": 10_000, "sleep_s": 0.02},
                            headers=headers, timeout=10)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        deadline = time.monotonic() + 60
        while (_job(url, job_id).result or {}).get("count", 0) < 5:  # a worker process is computing
            assert time.monotonic() < deadline, service.logged()
            time.sleep(0.05)
        processes = service.tree()
        workers = [p for p in processes[1:] if p.pid != service.process.pid]
        assert _job(url, job_id).result["pid"] in {p.pid for p in workers}

        service.process.send_signal(signal.SIGKILL)
        killed_at = time.time()
        service.process.wait(10)
        deadline = time.monotonic() + 5
        while _alive(processes):
            assert time.monotonic() < deadline, f"left running after the kill: {_alive(processes)}"
            time.sleep(0.05)
        left = _job(url, job_id)
        assert left.status == jobs.RUNNING
        assert left.result["at"] <= killed_at, "the job recorded work done after its service was killed"
        time.sleep(1.0)
        assert _job(url, job_id).result == left.result and _job(url, job_id).progress == left.progress
    finally:
        service.stop()

    restarted = Service(url, tmp_path)
    try:
        body = httpx.get(f"{restarted.base}/jobs/{job_id}", headers=headers, timeout=10).json()
        processes = restarted.tree()
    finally:
        restarted.stop()
    assert body["status"] == "failed" and body["error"] == INTERRUPTED_MESSAGE
    assert body["result"] == left.result
    assert _selftest_entries(url, job_id) == []
    deadline = time.monotonic() + 10
    while _alive(processes):  # a clean stop leaves nothing either
        assert time.monotonic() < deadline, f"left running after a clean stop: {_alive(processes)}"
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------------
# fencing: the run that lost its job stores nothing


def _running_job(url: str, job_id: str = "j1") -> JobContext:
    """A job claimed by a run (``running`` under an attempt) and that run's context."""
    attempt = jobs.utcnow()
    with session_scope(url) as session:
        session.add(JobRow(id=job_id, kind="selftest", target=SELFTEST.target, owner="o", status="running",
                           progress=0.0, message="running", cancel_requested=False, created_at=attempt,
                           started_at=attempt))
    return JobContext(job_id, url, min_interval=0.0, attempt=attempt)


def test_fenced_store_commits_with_the_jobs_fate(any_db_url: str) -> None:
    """A store fenced by the run that owns the job commits together with the mark that it is stored;
    should the run die before it records its end, restart recovery ends the job succeeded (with the
    result given to the fence), never failed."""
    ctx = _running_job(any_db_url)
    with session_scope(any_db_url) as session:
        audit.record(session, "selftest", "selftest", "job", "j1", None, {"count": 1})
        assert ctx.fenced(session, result={"count": 1}) == jobs.SUCCEEDED
        assert ctx.finished is None  # not before the transaction commits
    assert ctx.finished == jobs.SUCCEEDED
    row = _job(any_db_url, "j1")
    assert (row.status, row.result) == (jobs.RUNNING, {"count": 1}) and row.finished_at is not None
    assert len(_selftest_entries(any_db_url, "j1")) == 1
    with session_scope(any_db_url) as session:  # the service died here: the next start
        assert jobs.recover_interrupted(session) == 1
    row = _job(any_db_url, "j1")
    assert (row.status, row.message, row.error) == (jobs.SUCCEEDED, jobs.STORED_BEFORE_RESTART, None)


def test_progress_after_the_fence_does_not_wait_for_the_store(any_db_url: str) -> None:
    """Between the fence and its commit the run's own progress writes are skipped: on PostgreSQL they
    would wait for the row the store has locked, for ever."""
    ctx = _running_job(any_db_url)
    started = time.monotonic()
    with session_scope(any_db_url) as session:
        ctx.fenced(session)
        ctx.progress(0.9, "after the fence")
        ctx.keep_best({"count": 9})
    assert time.monotonic() - started < 5
    row = _job(any_db_url, "j1")
    assert (row.status, row.progress, row.result) == (jobs.RUNNING, 0.0, None)
    assert row.finished_at is not None


def test_a_store_that_rolls_back_leaves_the_job_running(any_db_url: str) -> None:
    """When the transaction of a fenced store rolls back, neither the store nor the final state stays."""
    ctx = _running_job(any_db_url)
    with pytest.raises(RuntimeError), session_scope(any_db_url) as session:
        audit.record(session, "selftest", "selftest", "job", "j1", None, {"count": 1})
        ctx.fenced(session)
        raise RuntimeError("the store failed after the fence")
    assert ctx.finished is None
    assert _job(any_db_url, "j1").status == jobs.RUNNING and _selftest_entries(any_db_url, "j1") == []


def test_a_run_whose_job_was_recovered_cannot_store(any_db_url: str) -> None:
    """After restart recovery marked the job failed, the old run's fenced store raises JobFenced and
    rolls back: the job stays 'interrupted by a restart' and nothing is stored."""
    ctx = _running_job(any_db_url)
    with session_scope(any_db_url) as session:
        assert jobs.recover_interrupted(session) == 1
    with pytest.raises(JobFenced), session_scope(any_db_url) as session:
        audit.record(session, "selftest", "selftest", "job", "j1", None, {"count": 1})
        ctx.fenced(session)
    ctx.progress(0.5, "late progress")
    row = _job(any_db_url, "j1")
    assert (row.status, row.error, row.progress) == (jobs.FAILED, INTERRUPTED_MESSAGE, 0.0)
    assert _selftest_entries(any_db_url, "j1") == []


def test_another_attempt_does_not_own_the_job(any_db_url: str) -> None:
    """A context of another attempt (an earlier claim) neither writes progress nor stores."""
    ctx = _running_job(any_db_url)
    stale = JobContext("j1", any_db_url, min_interval=0.0, attempt=ctx.attempt.replace(year=2000))  # type: ignore[union-attr]
    stale.progress(0.9, "stale")
    assert _job(any_db_url, "j1").progress == 0.0 and stale.cancelled()
    with pytest.raises(JobFenced), session_scope(any_db_url) as session:
        stale.fenced(session)
    with session_scope(any_db_url) as session:
        assert ctx.still_owner(session) and not stale.still_owner(session)


def test_selftest_recovered_mid_run_stores_nothing(db_url: str) -> None:
    """A self-test running on the thread executor whose job is recovered mid-run stops, and its fenced
    outcome is never stored; the job keeps the state recovery gave it."""
    jobs.configure("thread", 1)
    try:
        with session_scope(db_url) as session:
            job_id = jobs.submit_job(session, SELFTEST, SelftestParams(steps=2000, sleep_s=0.01), "tester")
        deadline = time.monotonic() + 30
        while (_job(db_url, job_id).result or {}).get("count", 0) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        with session_scope(db_url) as session:
            assert jobs.recover_interrupted(session) == 1
    finally:
        jobs.shutdown(wait=True)
    row = _job(db_url, job_id)
    assert (row.status, row.error) == (jobs.FAILED, INTERRUPTED_MESSAGE)
    assert _selftest_entries(db_url, job_id) == []


def test_selftest_stores_its_outcome_when_it_owns_the_job(db_url: str) -> None:
    """The normal path: the self-test's fenced audit entry and 'succeeded' with the returned result."""
    jobs.configure("thread", 1)
    try:
        with session_scope(db_url) as session:
            job_id = jobs.submit_job(session, SELFTEST, SelftestParams(steps=3, sleep_s=0.0), "tester")
        row = jobs.wait_for(job_id, db_url, timeout=30)
    finally:
        jobs.shutdown(wait=True)
    assert row.status == jobs.SUCCEEDED and row.result["count"] == 3 and row.result["steps"] == 3
    (entry,) = _selftest_entries(db_url, job_id)
    assert entry.after["count"] == 3
