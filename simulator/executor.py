"""Where replications run: a local process pool (default) or Ray (``FIELDCREW_EXECUTOR=ray``).

Both map one picklable function over picklable items and return the results in item order. Ray is
the optional extra ``sim`` (``pip install fieldcrew[sim]``); it is imported only when chosen, so a
machine without it runs the local pool and a missing Ray is an import error naming the extra.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Environment variable choosing the executor: ``local`` (default) or ``ray``.
EXECUTOR_ENV = "FIELDCREW_EXECUTOR"


class Executor(Protocol):
    """Maps a function over items, in parallel, keeping the order."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]: ...


class LocalExecutor:
    """A local process pool; one worker (or one item) runs in this process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, (os.cpu_count() or 1))

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(x) for x in items]``, spread over the pool."""
        if self.workers == 1 or len(items) <= 1:
            return [fn(x) for x in items]
        with ProcessPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))


class RayExecutor:
    """Ray tasks on a local (or already started) Ray cluster."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(x) for x in items]`` as Ray tasks."""
        import ray  # the optional extra "sim": imported only when Ray is chosen

        if not ray.is_initialized():
            ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        task = ray.remote(fn)
        return list(ray.get([task.remote(x) for x in items]))


def get_executor(name: str | None = None, workers: int | None = None) -> Executor:
    """The executor called ``name`` (default: ``$FIELDCREW_EXECUTOR``, else ``local``)."""
    name = (name or os.environ.get(EXECUTOR_ENV) or "local").lower()
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(workers)
    raise ValueError(f"{EXECUTOR_ENV}={name!r} not understood; rule: one of local, ray")
