"""A live demo day: open orders of the morning and a published roster of the week, from the real engines."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from cli.live import seed_live_day, week_start
from fieldcrew.db import session_scope
from fieldcrew.demo import LIVE_MORNING, live_day_orders, load_demo
from fieldcrew.records import read_areas, read_orders
from scheduler.roster import store as roster_store
from vocabulary.orders import OrderStatus, OrderType

DAY = dt.date(2026, 12, 3)  # a Thursday


@pytest.fixture(scope="module")
def live_db(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> str:
    """The demo city with the live day seeded once (shared by this module's tests)."""
    path = tmp_path_factory.mktemp("live") / "fieldcrew.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    with session_scope(url) as session:
        load_demo(session)
    first = seed_live_day(url, DAY, seconds=5.0)
    assert first.orders_written > 0 and first.roster_status == "published", first
    return url


def test_live_orders_are_open_and_due_that_morning(live_db: str) -> None:
    """Every live order is open (created, nobody assigned), created before the morning, installs and
    moves have their appointment that day, and repairs came in overnight."""
    morning = dt.datetime.combine(DAY, LIVE_MORNING)
    with session_scope(live_db) as session:
        live = [o for o in read_orders(session) if o.id.startswith(f"WO{DAY:%y%m%d}L")]
    assert live, "no live orders"
    for order in live:
        assert order.status == OrderStatus.CREATED and order.technician_id is None
        assert order.created < morning and order.created < order.deadline  # night repairs may be due already
        if order.order_type == OrderType.REPAIR:
            assert order.appointment is None
            assert order.created >= morning - dt.timedelta(hours=14)
        else:
            assert order.appointment is not None and order.appointment.start.date() == DAY


def test_live_day_has_a_published_roster_covering_it(live_db: str) -> None:
    """The week of the live day has a published roster; it passes the rest rules (validated when
    solved) and puts a plausible share of the staff on duty that day."""
    with session_scope(live_db) as session:
        rosters = roster_store.published_rosters(session, DAY, DAY)
    assert len(rosters) == 1 and rosters[0].start_date == week_start(DAY)
    on_duty = [d for d in rosters[0].technician_days() if d.day == DAY and d.shift_id is not None]
    assert 0.6 * len(rosters[0].assignment) <= len(on_duty) < len(rosters[0].assignment)


def test_seeding_again_changes_nothing(live_db: str) -> None:
    """A second start on the same day writes no orders and keeps the published roster."""
    with session_scope(live_db) as session:
        before = len(read_orders(session))
    again = seed_live_day(live_db, DAY)
    assert again.orders_written == 0 and again.roster_status == "already published"
    with session_scope(live_db) as session:
        assert len(read_orders(session)) == before


def test_live_orders_are_reproducible(live_db: str) -> None:
    """Same day and seed, same orders; another day, other ids."""
    with session_scope(live_db) as session:
        areas = read_areas(session)
    assert live_day_orders(areas, DAY, 7) == live_day_orders(areas, DAY, 7)
    other = {o.id for o in live_day_orders(areas, DAY + dt.timedelta(days=1), 7)}
    assert not other & {o.id for o in live_day_orders(areas, DAY, 7)}
