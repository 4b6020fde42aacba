"""A live day for the demo city: open orders waiting this morning and a published roster covering them.

The demo month (June 2026) is history: every order in it is closed or a stale backlog. So that a new
user has a day to dispatch right after ``make run``, the composition root seeds, for "today" (or a
given day):

1. the open orders of that morning (:func:`fieldcrew.demo.load_live_day`: installs and moves booked
   for the day, the repair reports of the night);
2. a **published** rest roster of the week containing the day, solved by the real roster job from
   the work-hour pool's quotas (:data:`scheduler.roster.jobs.SOLVE`'s function, run here in-process
   with the service's solver settings) and published under the actor ``demo``.

Both steps are idempotent: a day that already has its orders, or a week that already has a
published roster, is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fieldcrew.db import session_scope
from fieldcrew.demo import load_live_day
from fieldcrew.jobs import JobContext
from fieldcrew.settings import get_settings
from scheduler.roster import store as roster_store
from scheduler.roster.jobs import SolveRosterParams, solve_job
from vocabulary.orders import LOCAL_TIME

#: The demo city's branch (a database holding it gets a live day on every ``serve --load-demo-if-empty``).
DEMO_BRANCH = "HF"
#: Who the seeded roster is published by (audit log).
DEMO_ACTOR = "demo"
#: Roster period seeded around the live day: the whole week (Monday to Sunday).
ROSTER_DAYS = 7


@dataclass(frozen=True)
class LiveDay:
    """What seeding a live day did."""

    day: dt.date
    orders_written: int
    roster_id: str | None
    roster_status: str

    def describe(self) -> str:
        """One line for the console."""
        roster = (
            f"roster {self.roster_id} ({self.roster_status})" if self.roster_id else self.roster_status
        )
        return f"live day {self.day}: {self.orders_written} open orders written; {roster}"


def today() -> dt.date:
    """Today at the branch (Asia/Shanghai): the live day of a start."""
    return dt.datetime.now(LOCAL_TIME).date()


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week containing ``day``."""
    return day - dt.timedelta(days=day.weekday())


def seed_live_day(
    url: str, day: dt.date, branch_id: str = DEMO_BRANCH, seconds: float = 5.0, seed: int | None = None
) -> LiveDay:
    """Seed ``day`` of the demo branch: its open orders and a published roster of its week.

    Parameters
    ----------
    url
        Database URL (already migrated, demo city loaded).
    day
        The live day (usually today).
    branch_id
        The branch (the demo city's is ``HF``).
    seconds
        Roster solve budget (CP-SAT deterministic time derived from it).
    seed
        Seed of the orders (default: the settings' demo seed).

    Returns
    -------
    LiveDay
        How many orders were written and the roster published (or why none was).
    """
    settings = get_settings()
    with session_scope(url) as session:
        written = load_live_day(session, day, settings.demo_seed if seed is None else seed)
    start = week_start(day)
    with session_scope(url) as session:
        existing = roster_store.latest_published(session, branch_id, start)
        if existing is not None:
            return LiveDay(day, written, existing.id, "already published")
    params = SolveRosterParams(
        branch_id=branch_id,
        start=start,
        days=ROSTER_DAYS,
        seconds=seconds,
        workers=settings.solver_workers,
        seed=settings.solver_seed,
        actor=DEMO_ACTOR,
    )
    summary = solve_job(params, JobContext("", url))
    roster_id = str(summary["roster_id"])
    if summary["status"] not in ("OPTIMAL", "FEASIBLE"):
        return LiveDay(day, written, roster_id, f"draft only: solver status {summary['status']}")
    with session_scope(url) as session:
        roster_store.publish(session, roster_id, DEMO_ACTOR)
    return LiveDay(day, written, roster_id, "published")
