"""Working-hours clocks: when a norm of N minutes "on the clock" of a party runs out.

The dispatch centre and the field crews each answer for their part of an order against their own
working hours (:class:`~quality.domain.WorkingHours`, configurable in
:class:`~quality.domain.KpiSettings`): an order created at 02:00 starts the centre's clock when the
centre opens, so its 30 minutes run until 08:00 when the centre opens at 07:30. The hours apply to
every day of the week (install and repair crews work weekends and holidays in shifts).
"""

from __future__ import annotations

import datetime as dt
import functools

from quality.domain import WorkingHours

_DAY = dt.timedelta(days=1)


def _bounds(day: dt.date, hours: WorkingHours) -> tuple[dt.datetime, dt.datetime]:
    return _day_bounds(day, hours.opens, hours.closes)


@functools.lru_cache(maxsize=4096)
def _day_bounds(day: dt.date, opens: int, closes: int) -> tuple[dt.datetime, dt.datetime]:
    """Opening and closing moments of ``day`` (cached: a month's reports ask for the same days often)."""
    midnight = dt.datetime.combine(day, dt.time())
    return midnight + dt.timedelta(minutes=opens), midnight + dt.timedelta(minutes=closes)


def clock_start(at: dt.datetime, hours: WorkingHours) -> dt.datetime:
    """The first moment at or after ``at`` at which the clock runs (``at`` itself during the hours)."""
    opens, closes = _bounds(at.date(), hours)
    if at < opens:
        return opens
    if at < closes:
        return at
    return _bounds(at.date() + _DAY, hours)[0]


def due_after(start: dt.datetime, minutes: int, hours: WorkingHours) -> dt.datetime:
    """The moment at which ``minutes`` working minutes have run on the clock since ``start``.

    A response at exactly this moment is on time. Around the clock (00:00–24:00) it is
    ``start + minutes``.
    """
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    at = clock_start(start, hours)
    remaining = dt.timedelta(minutes=minutes)
    while True:
        closes = _bounds(at.date(), hours)[1]
        if at + remaining <= closes:
            return at + remaining
        remaining -= closes - at
        at = _bounds(at.date() + _DAY, hours)[0]


def working_minutes(start: dt.datetime, end: dt.datetime, hours: WorkingHours) -> float:
    """Minutes the clock ran between ``start`` and ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    total = dt.timedelta()
    day = start.date()
    while dt.datetime.combine(day, dt.time()) < end:
        opens, closes = _bounds(day, hours)
        low, high = max(start, opens), min(end, closes)
        if high > low:
            total += high - low
        day += _DAY
    return total.total_seconds() / 60
