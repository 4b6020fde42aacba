"""Long work as job resources: submitted, recorded in the database, run outside the event loop.

A job is a row in ``jobs`` plus a :class:`JobKind`: its name (``"roster.solve"``), its parameter
model (a pydantic model) and a top-level function ``run(params, ctx: JobContext) -> result``.
Each instrument defines its kinds next to their functions and submits them with
:func:`submit_job`; nothing is looked up by a string. The job records its parameters as JSON
(``params.model_dump(mode="json")``) and the worker validates that record into the model again
before it calls ``run``, so a job is reproducible from its record alone.

:func:`submit_job` records the job as ``queued`` in the caller's transaction and hands it to the
executor only **after that transaction commits** (a rolled-back request leaves neither a row nor
a running job). The executor is a process pool by default (``FIELDCREW_JOB_EXECUTOR=process``;
``thread`` for tests and small machines); the kind travels to the worker by reference (its
function and model are importable top-level names), the worker opens its own connection to
``ctx.database_url`` and records progress, the best result so far and the final state there, so
any process can read a job's state from the database.

Life cycle: ``queued → running → succeeded | failed | cancelled``. Cancelling a queued job
cancels it at once; cancelling a running job sets ``cancel_requested``, which the function polls
through :meth:`JobContext.cancelled` and answers by returning its best result so far (kept as
the job's result). A job left ``queued``/``running`` when its process died is marked ``failed``
("interrupted by a restart") by :func:`recover_interrupted` when the service starts; the service
therefore runs as **one** process per database (uvicorn ``--workers 1``).

A job's recorded state always matches what it stored:

- **Workers die with the service.** Each worker process watches the service process that
  started it and exits at once when it is gone (``kill -9`` included), so no orphan keeps
  computing, and no write of a worker happens once its service is gone.
- **Results are fenced.** The run that starts a job claims it (``queued → running``) and stamps
  it with its *attempt* (the claim's ``started_at``, to the microsecond). Every write of the
  run (progress, best result, final state) only applies while the job is still ``running``
  under that attempt. A job function that stores something besides the job's own result (a
  roster, a plan, a payroll run) calls :meth:`JobContext.fenced` in the transaction of that
  store: it records in the same transaction that the job's result is stored (``finished_at``
  set; the job ends ``succeeded`` when the run records its returned value, or at the next
  start should the service die first), or raises :class:`JobFenced` (rolling the store back)
  when the run no longer owns the job, e.g. because restart recovery marked it failed. A job
  that stored its result never ends "failed", and one that did not never ends "succeeded".

Limits: at most :data:`limits` ``.per_user`` queued or running jobs per user and ``.total``
overall (:class:`~vocabulary.errors.TooManyRequests`, HTTP 429 with ``Retry-After``), and a
kind's ``validate(session, params)`` hook checks what the parameters refer to at submission,
so a job that could only fail (an unknown branch) is refused at once instead of queued.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from fieldcrew import audit
from fieldcrew.audit import jsonable
from fieldcrew.db import session_scope
from fieldcrew.settings import get_settings
from fieldcrew.tables import JobRow, utcnow
from vocabulary.errors import FieldcrewError, NotFound, TooManyRequests

log = logging.getLogger(__name__)

__all__ = [
    "SELFTEST",
    "InvalidJob",
    "JobContext",
    "JobFenced",
    "JobKind",
    "JobView",
    "NotFound",
    "SelftestParams",
    "cancel_job",
    "get_job",
    "pending_params",
    "recover_interrupted",
    "submit_job",
]

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
#: States a job never leaves.
TERMINAL: frozenset[str] = frozenset({SUCCEEDED, FAILED, CANCELLED})
INTERRUPTED_MESSAGE = "interrupted by a restart"

ExecutorKind = Literal["process", "thread"]

P = TypeVar("P", bound=BaseModel)


class InvalidJob(FieldcrewError):
    """A job that cannot be submitted: parameters of another model, or not recordable as JSON."""

    status_code = 500
    title = "Invalid job"


class JobFenced(FieldcrewError):
    """This run no longer owns its job (restart recovery failed it, or its service is gone): what it
    was about to store must not be stored. Raised by :meth:`JobContext.fenced`."""

    status_code = 409
    title = "Job no longer owned by this run"


@dataclass(frozen=True)
class JobLimits:
    """How many jobs may be queued or running at once: per user and in all."""

    per_user: int = 8
    total: int = 32
    retry_after_s: int = 30


#: The limits in force (set by :func:`configure`; the service takes them from its settings).
limits = JobLimits()


@dataclass(frozen=True)
class JobKind(Generic[P]):
    """One kind of job: its name, its parameter model and the function that runs it.

    Parameters
    ----------
    name
        Short name of the work, recorded with every job (``"roster.solve"``, ``"payroll.run"``).
    params
        The pydantic model of the job's parameters, shared by the route that submits the job and
        the function that runs it.
    run
        A **top-level** function ``run(params, ctx) -> result`` (JSON-able, or ``None`` to keep
        the best result so far): it travels to a worker process by reference.
    validate
        Optional top-level function ``validate(session, params)`` run by :func:`submit_job`
        before the job is recorded: it raises a domain error (``NotFound``, ``InputErrors`` …,
        answered 404/422 by the API) for parameters that refer to what does not exist, so such
        a job is refused at submission instead of failing later in a worker.

    Examples
    --------
    Next to the function, in the instrument::

        SOLVE = JobKind("roster.solve", SolveRosterParams, solve_job)

    and in the route: ``submit_job(session, SOLVE, SolveRosterParams(...), user.username)``.
    """

    name: str
    params: type[P]
    run: Callable[[P, JobContext], Any]
    validate: Callable[[Session, P], None] | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a job kind needs a name, got an empty one")
        if not (isinstance(self.params, type) and issubclass(self.params, BaseModel)):
            raise TypeError(
                f"job kind {self.name!r}: params must be a pydantic model class, got {self.params!r}"
            )
        for role, function in (("run", self.run), ("validate", self.validate)):
            if role == "validate" and function is None:
                continue
            qualname = getattr(function, "__qualname__", "")
            if not callable(function) or not qualname or "." in qualname or "<" in qualname:
                raise TypeError(
                    f"job kind {self.name!r}: {role} must be a top-level function (it is pickled by "
                    f"reference into the worker process), got {qualname or function!r}"
                )

    @property
    def target(self) -> str:
        """``module.function`` of :attr:`run` (recorded with the job, for people reading the table)."""
        return f"{self.run.__module__}.{self.run.__qualname__}"

    def parse(self, recorded: Mapping[str, Any] | None) -> P:
        """The parameters recorded with a job (JSON), validated into :attr:`params` again."""
        return self.params.model_validate(dict(recorded or {}))


# --------------------------------------------------------------------------------------------------
# context handed to the job function
# --------------------------------------------------------------------------------------------------


class JobContext:
    """What a running job function gets besides its parameters.

    Parameters
    ----------
    job_id
        The job's id.
    database_url
        URL of the database the job is recorded in (open your own sessions with
        ``fieldcrew.db.session_scope(ctx.database_url)``).
    min_interval
        Seconds between database writes of progress / best results and between cancel polls,
        so a solver callback may call these methods as often as it likes.
    attempt
        The run's claim on the job (its ``started_at``); every write of the run applies only while
        the job is ``running`` under this attempt. ``None``: any running state (tests).

    Examples
    --------
    A job function that stores its result in a table of its own fences that store, so the job's
    state and the stored result commit together (or neither does)::

        def solve_job(params: SolveParams, ctx: JobContext) -> dict[str, Any]:
            roster = solve(...)
            with session_scope(ctx.database_url) as session:
                roster_id = store.save(session, roster)
                ctx.fenced(session)  # raises JobFenced (and the store rolls back) if no longer owner
            return {"roster_id": roster_id}
    """

    def __init__(
        self, job_id: str, database_url: str, min_interval: float = 0.2, attempt: dt.datetime | None = None
    ) -> None:
        self.job_id = job_id
        self.database_url = database_url
        self.min_interval = min_interval
        self.attempt = attempt
        self._last_progress_write = 0.0
        self._last_cancel_poll = 0.0
        self._cancelled = False
        self._best: Any = None
        self._best_dirty = False
        self._last_best_write = 0.0
        #: the final state a committed :meth:`fenced` store gave the job (None: not yet)
        self.finished: str | None = None
        # a fenced store holds the job's row (locked on PostgreSQL) until it commits: no progress
        # write of this run may wait for that lock meanwhile
        self._fence_pending = False
        self.fraction = 0.0
        self.message = ""

    @classmethod
    def detached(cls) -> JobContext:
        """A context recorded nowhere (CLI runs and unit tests of job functions).

        Progress and best results are kept in memory (``.fraction``, ``.message``, ``.best``);
        :meth:`request_cancel` makes :meth:`cancelled` return True; :meth:`fenced` always passes.
        """
        return cls("", "", min_interval=0.0)

    def request_cancel(self) -> None:
        """Ask the job to stop (what ``DELETE /jobs/{id}`` does for a recorded job)."""
        self._cancelled = True

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress: ``fraction`` in [0, 1] (clamped) and a short human-readable message."""
        self.fraction = min(1.0, max(0.0, float(fraction)))
        self.message = message
        now = time.monotonic()
        if now - self._last_progress_write >= self.min_interval or self.fraction >= 1.0:
            self._last_progress_write = now
            values: dict[str, Any] = {"progress": self.fraction, "message": message}
            if self._best_dirty:
                values["result"] = self._best
                self._best_dirty = False
                self._last_best_write = now
            self._write(values)

    def cancelled(self) -> bool:
        """Whether the job should stop (poll it; on True return the best result so far).

        True after ``DELETE /jobs/{id}``, at service shutdown, and when this run no longer owns
        the job (restart recovery marked it failed while an orphaned worker still ran it).
        """
        if self._cancelled:
            return True
        now = time.monotonic()
        if now - self._last_cancel_poll >= self.min_interval:
            self._last_cancel_poll = now
            self._cancelled = self._poll_cancel()
        return self._cancelled

    def keep_best(self, result: dict[str, Any]) -> None:
        """Remember ``result`` as the best so far: it becomes the job's result if the job is cancelled,
        fails or returns ``None``, and is visible in ``GET /jobs/{id}`` while the job runs."""
        self._best = jsonable(result)
        self._best_dirty = True
        now = time.monotonic()
        if now - self._last_best_write >= self.min_interval:
            self._last_best_write = now
            self._best_dirty = False
            self._write({"result": self._best})

    @property
    def best(self) -> Any:
        """The last result passed to :meth:`keep_best` (``None`` if none)."""
        return self._best

    def _owned(self, stored: bool = False) -> list[Any]:
        """The WHERE clause of "this run still owns the job" (``stored``: and has stored its result)."""
        clause = [JobRow.id == self.job_id, JobRow.status == RUNNING,
                  JobRow.finished_at.is_not(None) if stored else JobRow.finished_at.is_(None)]
        if self.attempt is not None:
            clause.append(JobRow.started_at == self.attempt)
        return clause

    def still_owner(self, session: Session) -> bool:
        """Whether this run still owns the job, read in ``session``'s transaction (the row is locked
        on PostgreSQL until that transaction ends). A detached context always owns its job."""
        if not self.job_id:
            return True
        if not service_alive():
            return False
        query = select(JobRow.id).where(*self._owned()).with_for_update()
        return session.execute(query).first() is not None

    def fenced(self, session: Session, result: Any = None) -> str:
        """Claim the job's end in ``session``'s transaction, before it commits what the job stored.

        In the same transaction as the caller's store, records that this run (still the owner of
        the job: ``running`` under its attempt) stored its result: the job's ``finished_at`` is
        set while it stays ``running`` until the run records its returned value, which ends it
        ``succeeded`` (``cancelled`` when a cancel was requested: a cancelled job keeps what it
        stored). Should the service die in between, restart recovery ends such a job the same
        way, never "failed": the store and the job's fate commit together, or neither does. Call
        it last, right before the transaction commits.

        Parameters
        ----------
        session
            The session of the store.
        result
            The job's result, if already known (recorded in the same transaction, so it is there
            even if the run dies before it returns).

        Returns
        -------
        str
            The state the job will end in.

        Raises
        ------
        JobFenced
            This run no longer owns the job (recovered as failed after a restart, or its service
            is gone): let it propagate, so the caller's transaction rolls back.
        """
        if not self.job_id:
            return SUCCEEDED
        if not service_alive():
            raise JobFenced(f"job {self.job_id}: the service that started this run is gone")
        row = session.execute(
            select(JobRow.cancel_requested).where(*self._owned()).with_for_update()
        ).first()
        if row is None:
            raise JobFenced(f"job {self.job_id}: this run no longer owns the job; its result is not stored")
        final = CANCELLED if row.cancel_requested else SUCCEEDED
        values: dict[str, Any] = {"finished_at": utcnow(), "message": "result stored"}
        if result is not None:
            values["result"] = jsonable(result)
        done = session.execute(update(JobRow).where(*self._owned()).values(**values))
        if getattr(done, "rowcount", 1) != 1:  # e.g. recovery won the race on SQLite
            raise JobFenced(f"job {self.job_id}: this run no longer owns the job; its result is not stored")

        def committed(_: Session) -> None:
            self.finished, self._fence_pending = final, False

        def rolled_back(_: Session) -> None:
            self._fence_pending = False

        self._fence_pending = True
        event.listen(session, "after_commit", committed, once=True)
        event.listen(session, "after_rollback", rolled_back, once=True)
        return final

    def _poll_cancel(self) -> bool:
        if not self.job_id:
            return self._cancelled
        if not service_alive():
            return True
        with session_scope(self.database_url) as session:
            row = session.execute(
                select(JobRow.cancel_requested, JobRow.status, JobRow.started_at)
                .where(JobRow.id == self.job_id)
            ).first()
        # a job no longer 'running' under this attempt (e.g. failed by restart recovery) has nobody
        # waiting for it: stop too
        return (
            row is None or bool(row.cancel_requested) or row.status != RUNNING
            or (self.attempt is not None and row.started_at != self.attempt)
        )

    def _write(self, values: dict[str, Any]) -> None:
        if not self.job_id or self.finished is not None or self._fence_pending:
            return
        try:
            with session_scope(self.database_url) as session:
                if service_alive():  # checked inside the transaction, right before it commits
                    session.execute(update(JobRow).where(*self._owned()).values(**values))
        except Exception:  # progress is best effort: never kill a solve because a write failed
            log.warning("job %s: could not record progress", self.job_id, exc_info=True)


# --------------------------------------------------------------------------------------------------
# worker processes die with the service
# --------------------------------------------------------------------------------------------------

#: In a worker process: the pid of the service process that started it (None in the service itself).
_service_pid: int | None = None
#: How often a worker checks that its service is still there (seconds).
PARENT_POLL_S = 0.2


def service_alive() -> bool:
    """Whether the service that runs this code is alive: always in the service's own process; in a
    worker, whether the process that started it is still its parent (it is not once killed)."""
    return _service_pid is None or os.getppid() == _service_pid


def _watch_service(service_pid: int) -> None:
    """Worker initializer: remember the service's pid and exit the moment it is gone.

    A polling thread rather than ``PR_SET_PDEATHSIG``: that signal fires when the *thread* that
    started the worker ends, and the executor starts workers from short-lived threads.
    """
    global _service_pid
    _service_pid = service_pid

    def watch() -> None:
        while os.getppid() == service_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(70)  # no cleanup that could write: the job is recovered by the next service start

    threading.Thread(target=watch, name="fieldcrew-watch-service", daemon=True).start()


# --------------------------------------------------------------------------------------------------
# executor
# --------------------------------------------------------------------------------------------------

_lock = threading.Lock()
_executor: Executor | None = None
_executor_kind: ExecutorKind | None = None
_executor_workers: int | None = None


def configure(
    kind: ExecutorKind | None = None,
    workers: int | None = None,
    max_jobs_per_user: int | None = None,
    max_jobs: int | None = None,
) -> None:
    """Choose the executor (``"process"`` or ``"thread"``), its size and the job limits; default:
    the settings.

    An executor of another kind or size is shut down (without waiting) and replaced lazily.
    """
    global _executor_kind, _executor_workers, limits
    settings = get_settings()
    limits = JobLimits(
        per_user=max_jobs_per_user or settings.max_jobs_per_user, total=max_jobs or settings.max_jobs
    )
    new_kind = kind or settings.job_executor
    if new_kind not in ("process", "thread"):
        raise ValueError(f"job executor must be 'process' or 'thread', got {new_kind!r}")
    new_workers = workers or settings.job_workers
    with _lock:
        if (new_kind, new_workers) != (_executor_kind, _executor_workers):
            _shutdown_locked(wait=False)
        _executor_kind, _executor_workers = new_kind, new_workers  # type: ignore[assignment]


def _shutdown_locked(wait: bool) -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=wait, cancel_futures=not wait)
        _executor = None


def shutdown(wait: bool = True, grace_s: float | None = None) -> None:
    """Stop the executor.

    Parameters
    ----------
    wait
        Let running jobs finish first (queued ones too, unless ``grace_s`` is given).
    grace_s
        Service shutdown: cancel queued jobs, give running ones ``grace_s`` seconds to stop (they
        were asked to by :func:`request_stop`), then terminate worker processes still alive, so no
        orphaned worker outlives the service.
    """
    global _executor
    with _lock:
        if grace_s is None:
            _shutdown_locked(wait)
            return
        executor, _executor = _executor, None
    if executor is None:
        return
    processes: list[Any] = []
    if isinstance(executor, ProcessPoolExecutor):
        # `_processes` is private but stable since Python 3.2: the only handle on the worker processes
        processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.warning("job worker %s did not stop within %.0f s: terminating it", process.pid, grace_s)
            process.terminate()
            process.join(5)


def _noop() -> int:
    return 0


def warm_up() -> None:
    """Start the worker processes now (without waiting), so the first job does not pay their start-up.

    A spawned worker imports the service's main module and the libraries the jobs use, which
    takes seconds; the service calls this at startup.
    """
    executor = _get_executor()
    if isinstance(executor, ProcessPoolExecutor):
        for _ in range(_executor_workers or 1):
            executor.submit(_noop)


def executor_kind() -> ExecutorKind:
    """The kind of executor new jobs run on."""
    if _executor_kind is None:
        configure()
    assert _executor_kind is not None
    return _executor_kind


def _get_executor() -> Executor:
    global _executor
    kind = executor_kind()
    with _lock:
        broken = isinstance(_executor, ProcessPoolExecutor) and getattr(_executor, "_broken", False)
        if _executor is None or broken:
            workers = _executor_workers or get_settings().job_workers
            if kind == "process":
                # spawn, not fork: the service process has threads (event loop, pools) that a fork
                # would copy in an undefined state.
                _executor = ProcessPoolExecutor(
                    max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_watch_service, initargs=(os.getpid(),),
                )
            else:
                _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fieldcrew-job")
        return _executor


# --------------------------------------------------------------------------------------------------
# submitting, reading, cancelling
# --------------------------------------------------------------------------------------------------


def _url_of(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def submit_job(session: Session, kind: JobKind[P], params: P, owner: str) -> str:
    """Record a job as ``queued`` in ``session`` and run it once the session's transaction commits.

    Parameters
    ----------
    session
        The caller's session (the API request's ``DbSession``); nothing runs if it rolls back.
    kind
        What to run (:class:`JobKind`), e.g. ``scheduler.roster.jobs.SOLVE``.
    params
        An instance of ``kind.params``: recorded with the job as JSON and validated into the
        model again by the worker.
    owner
        Username of the submitter.

    Returns
    -------
    str
        The job id (``GET /jobs/{id}``). The submission is audited (actor ``owner``).

    Raises
    ------
    InvalidJob
        ``params`` is not an instance of ``kind.params``, or its JSON does not validate back into
        the model (a job must be reproducible from its record).
    TooManyRequests
        ``owner`` already has :data:`limits` ``.per_user`` jobs queued or running, or all users
        together ``.total`` (HTTP 429 with ``Retry-After``).
    FieldcrewError
        Whatever ``kind.validate`` raises for parameters referring to what does not exist.
    """
    if not isinstance(params, kind.params):
        raise InvalidJob(
            f"job {kind.name!r} takes {kind.params.__name__} parameters, got {type(params).__name__}"
        )
    _check_limits(session, owner)
    if kind.validate is not None:
        kind.validate(session, params)
    try:
        recorded = params.model_dump(mode="json")
        json.dumps(recorded)
        kind.parse(recorded)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise InvalidJob(f"job {kind.name!r}: parameters do not survive their JSON record: {exc}") from exc
    job_id = uuid.uuid4().hex
    session.add(
        JobRow(
            id=job_id, kind=kind.name, target=kind.target, owner=owner, status=QUEUED, progress=0.0,
            message="queued", params=recorded, cancel_requested=False, created_at=utcnow(),
        )
    )
    session.flush()
    submitted = {"kind": kind.name, "target": kind.target, "params": recorded}
    audit.record(session, owner, "submit", "job", job_id, None, submitted)
    pending: list[tuple[str, JobKind[Any], str]] = session.info.setdefault("fieldcrew_pending_jobs", [])
    pending.append((job_id, kind, _url_of(session)))
    if not session.info.get("fieldcrew_job_hooks"):
        session.info["fieldcrew_job_hooks"] = True
        event.listen(session, "after_commit", _dispatch_pending)
        event.listen(session, "after_rollback", _forget_pending)
    return job_id


def _check_limits(session: Session, owner: str) -> None:
    active = JobRow.status.in_((QUEUED, RUNNING))
    total = session.scalar(select(func.count()).select_from(JobRow).where(active)) or 0
    if total >= limits.total:
        raise TooManyRequests(
            f"{total} jobs are queued or running (at most {limits.total}); retry in a while",
            limits.retry_after_s,
        )
    mine = session.scalar(select(func.count()).select_from(JobRow).where(active, JobRow.owner == owner)) or 0
    if mine >= limits.per_user:
        raise TooManyRequests(
            f"user {owner!r} has {mine} jobs queued or running (at most {limits.per_user}); wait for one "
            "to finish or cancel one",
            limits.retry_after_s,
        )


def _dispatch_pending(session: Session) -> None:
    pending = session.info.pop("fieldcrew_pending_jobs", [])
    for job_id, kind, url in pending:
        _dispatch(job_id, kind, url)


def _forget_pending(session: Session) -> None:
    session.info.pop("fieldcrew_pending_jobs", None)


def _dispatch(job_id: str, kind: JobKind[Any], url: str) -> None:
    try:
        future = _get_executor().submit(_run_job, job_id, kind, url)
    except Exception as exc:  # e.g. executor shut down: record it rather than lose the job
        log.exception("job %s could not be started", job_id)
        _mark_failed(job_id, url, f"could not start: {type(exc).__name__}: {exc}")
        return
    future.add_done_callback(lambda f: _on_done(f, job_id, url))


def _on_done(future: Future[None], job_id: str, url: str) -> None:
    if future.cancelled():
        _mark_failed(job_id, url, "the executor shut down before the job ran")
        return
    exc = future.exception()
    if exc is not None:  # the worker itself died (e.g. killed process): the job row says nothing yet
        _mark_failed(job_id, url, f"worker crashed: {type(exc).__name__}: {exc}")


def _mark_failed(job_id: str, url: str, error: str) -> None:
    try:
        with session_scope(url) as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_((QUEUED, RUNNING)))
                .values(status=FAILED, error=error, message=error, finished_at=utcnow())
            )
    except Exception:
        log.exception("job %s: could not record failure %r", job_id, error)


def get_job(session: Session, job_id: str) -> JobRow:
    """The job ``job_id``; :class:`~vocabulary.errors.NotFound` if there is none."""
    row = session.get(JobRow, job_id)
    if row is None:
        raise NotFound(f"job {job_id!r} does not exist")
    return row


def list_jobs(session: Session, owner: str | None = None, limit: int = 100) -> list[JobRow]:
    """Most recent jobs first (optionally of one owner)."""
    query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id).limit(limit)
    if owner is not None:
        query = query.where(JobRow.owner == owner)
    return list(session.scalars(query))


def pending_params(session: Session, kind: JobKind[P]) -> list[P]:
    """The parameters of every ``queued`` or ``running`` job of ``kind`` (validated into its model).

    For a route that starts a job only when no equal one is under way. A record that no longer
    validates (written by an older version of the model) is skipped.
    """
    recorded = session.scalars(
        select(JobRow.params).where(JobRow.kind == kind.name, JobRow.status.in_((QUEUED, RUNNING)))
    )
    out: list[P] = []
    for params in recorded:
        try:
            out.append(kind.parse(params))
        except ValidationError:
            log.warning("a %s job's recorded parameters no longer validate; ignored", kind.name)
    return out


def cancel_job(session: Session, job_id: str) -> JobRow:
    """Cancel a job: a queued one at once, a running one by request (it stops at its next poll).

    Cancelling a finished job changes nothing (idempotent). Raises
    :class:`~vocabulary.errors.NotFound` for an unknown id.
    """
    row = get_job(session, job_id)
    if row.status == QUEUED:
        row.status, row.cancel_requested = CANCELLED, True
        row.message, row.finished_at = "cancelled before it started", utcnow()
    elif row.status == RUNNING:
        row.cancel_requested = True
        row.message = "cancellation requested"
    session.flush()
    return row


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time (naive UTC, see :func:`fieldcrew.tables.utcnow`) as an aware UTC time, so
    that answers carry their offset (``2026-06-01T09:00:00Z``)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class JobView(BaseModel):
    """The public representation of a job (``GET /jobs/{id}``); times are UTC with their offset."""

    id: str
    kind: str
    owner: str
    status: str = Field(description="queued, running, succeeded, failed or cancelled")
    progress: float = Field(ge=0, le=1)
    message: str
    cancel_requested: bool
    params: dict[str, Any] | None = Field(
        default=None, description="the parameters recorded with the job (its owner and admins only)"
    )
    result: Any = Field(
        default=None, description="the result, or the best result so far (its owner and admins only)"
    )
    restricted: bool = Field(
        default=False, description="true when params and result are withheld: the caller is neither the "
        "job's owner nor an admin"
    )
    error: str | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    location: str = Field(description="where to poll the job: /jobs/{id}")

    @classmethod
    def of(cls, row: JobRow, detail: bool = True) -> JobView:
        """The view of a job row; without ``detail`` its params and result are withheld."""
        created = as_utc(row.created_at)
        assert created is not None
        return cls(
            id=row.id,
            kind=row.kind,
            owner=row.owner,
            status=row.status,
            progress=row.progress,
            message=row.message,
            cancel_requested=row.cancel_requested,
            params=row.params if detail else None,
            result=row.result if detail else None,
            restricted=not detail,
            error=row.error,
            created_at=created,
            started_at=as_utc(row.started_at),
            finished_at=as_utc(row.finished_at),
            location=f"/jobs/{row.id}",
        )


#: The message of a job whose run stored its result but died before recording its end.
STORED_BEFORE_RESTART = "result stored; the service stopped before the job recorded its end"


def recover_interrupted(session: Session) -> int:
    """Mark every job left ``queued``/``running`` by a previous process as failed; return how many.

    Called once when the service starts (before it accepts jobs), so a job whose process died is
    reported as failed ("interrupted by a restart") instead of looking alive forever. A job
    whose run had already stored its result (:meth:`JobContext.fenced`: ``finished_at`` set) ends
    as that store decided instead: ``succeeded``, or ``cancelled`` if a cancel was requested.
    """
    stored = (JobRow.status == RUNNING, JobRow.finished_at.is_not(None))
    ended = 0
    for final, cancel in ((CANCELLED, True), (SUCCEEDED, False)):
        result = session.execute(
            update(JobRow).where(*stored, JobRow.cancel_requested.is_(cancel))
            .values(status=final, message=STORED_BEFORE_RESTART)
        )
        ended += int(getattr(result, "rowcount", 0) or 0)
    result = session.execute(
        update(JobRow)
        .where(JobRow.status.in_((QUEUED, RUNNING)))
        .values(status=FAILED, error=INTERRUPTED_MESSAGE, message=INTERRUPTED_MESSAGE, finished_at=utcnow())
    )
    return ended + int(getattr(result, "rowcount", 0) or 0)


def request_stop(session: Session) -> int:
    """Ask every running job to stop (service shutdown); return how many were asked.

    The jobs return their best result so far at their next poll and end ``cancelled``, so stopping
    the service neither waits for a long solve nor loses its progress.
    """
    result = session.execute(
        update(JobRow)
        .where(JobRow.status == RUNNING, JobRow.cancel_requested.is_(False))
        .values(cancel_requested=True, message="stopping: the service is shutting down")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def wait_for(job_id: str, database_url: str, timeout: float = 60.0, interval: float = 0.05) -> JobRow:
    """Block until the job is in a terminal state (CLI and tests); ``TimeoutError`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(database_url) as session:
            row = get_job(session, job_id)
            if row.status in TERMINAL:
                session.expunge(row)
                return row
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {row.status} after {timeout} s")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------------
# the worker side
# --------------------------------------------------------------------------------------------------


def _run_job(job_id: str, kind: JobKind[Any], database_url: str) -> None:
    """Run one job in a worker (process or thread) and record its outcome in the database."""
    attempt = utcnow()
    with session_scope(database_url) as session:
        row = session.get(JobRow, job_id)
        if row is None or row.status != QUEUED or not service_alive():
            return  # cancelled before it started, or recovered as failed
        if row.cancel_requested:
            row.status, row.finished_at, row.message = CANCELLED, utcnow(), "cancelled before it started"
            return
        claimed = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == QUEUED)
            .values(status=RUNNING, started_at=attempt, message="running")
        )
        if getattr(claimed, "rowcount", 1) != 1:
            return
        recorded = dict(row.params or {})
    ctx = JobContext(job_id, database_url, attempt=attempt)
    final: dict[str, Any]
    try:
        result = kind.run(kind.parse(recorded), ctx)
    except JobFenced:
        log.warning("job %s (%s): no longer owned by this run; nothing stored", job_id, kind.name)
        return
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, kind.name)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if ctx.finished is not None:  # it stored its result, then failed: the store stands
            _record_end(ctx, {"message": f"stored its result, then failed: {detail}"[:500]})
            return
        final = {"status": FAILED, "error": detail, "message": f"failed: {detail}"[:500], "result": ctx.best}
    else:
        value = jsonable(result) if result is not None else ctx.best
        if ctx.finished is not None:
            _record_end(ctx, {"result": value, **({"message": ctx.message} if ctx.message else {})})
            return
        if ctx._poll_cancel():
            final = {"status": CANCELLED, "message": "cancelled; best result so far kept", "result": value}
        else:
            final = {"status": SUCCEEDED, "message": ctx.message or "done", "progress": 1.0, "result": value}
    final["finished_at"] = utcnow()
    with session_scope(database_url) as session:
        if service_alive():
            session.execute(update(JobRow).where(*ctx._owned()).values(**final))


def _record_end(ctx: JobContext, values: dict[str, Any]) -> None:
    """After a committed :meth:`JobContext.fenced` store: end the job as that store decided, with
    the returned value."""
    assert ctx.finished is not None
    values = {"status": ctx.finished, **values, **({"progress": 1.0} if ctx.finished == SUCCEEDED else {})}
    with session_scope(ctx.database_url) as session:
        if service_alive():
            session.execute(update(JobRow).where(*ctx._owned(stored=True)).values(**values))


# --------------------------------------------------------------------------------------------------
# the self-test job
# --------------------------------------------------------------------------------------------------


class SelftestParams(BaseModel):
    """Parameters of the self-test job (counts steps, sleeping between them)."""

    steps: int = Field(default=10, ge=1, le=10_000)
    sleep_s: float = Field(default=0.05, ge=0, le=5)
    fail_at: int | None = Field(default=None, ge=0, description="raise at this step (tests failure)")


def selftest_job(params: SelftestParams, ctx: JobContext) -> dict[str, Any]:
    """A job that counts ``steps`` steps, sleeping ``sleep_s`` between them (checks the executor).

    It behaves like a solver: it keeps the best (largest) count so far (with the wall-clock time
    it was reached, ``at``), stops at a cancel request returning that count, and raises at step
    ``fail_at`` if given. Like an instrument's job it stores its outcome outside the job row, as
    an audit entry (action ``selftest``), fenced by :meth:`JobContext.fenced`: an entry exists
    exactly when the job ended succeeded or cancelled by this run.
    """
    done = 0
    for i in range(params.steps):
        if ctx.cancelled():
            break
        if params.fail_at is not None and i == params.fail_at:
            raise RuntimeError(f"self-test failure requested at step {i}")
        time.sleep(params.sleep_s)
        done = i + 1
        ctx.keep_best({"count": done, "pid": os.getpid(), "at": time.time()})
        ctx.progress(done / params.steps, f"step {done}/{params.steps}")
    result = {"count": done, "pid": os.getpid(), "steps": params.steps, "at": time.time()}
    if ctx.job_id:
        with session_scope(ctx.database_url) as session:
            audit.record(session, "selftest", "selftest", "job", ctx.job_id, None, result)
            ctx.fenced(session)
    return result


#: The self-test job (``POST /jobs/selftest``).
SELFTEST = JobKind("selftest", SelftestParams, selftest_job)
