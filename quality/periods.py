"""Reporting periods: day ``2026-03-02``, ISO week ``2026-W10``, month ``2026-03`` → time windows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from quality.domain import PeriodKind, Window

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def month_window(month: str) -> Window:
    """The window of a calendar month given as ``YYYY-MM``."""
    m = _MONTH.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month {month!r} is not of the form YYYY-MM")
    year, mon = int(m.group(1)), int(m.group(2))
    start = dt.datetime(year, mon, 1)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1)
    return Window(label=month, start=start, end=end)


def week_window(week: str) -> Window:
    """The window of an ISO week given as ``YYYY-Www`` (Monday 00:00 to the next Monday)."""
    m = _WEEK.match(week)
    if not m:
        raise ValueError(f"week {week!r} is not of the form YYYY-Www")
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ValueError(f"week {week!r} does not exist: {exc}") from exc
    start = dt.datetime.combine(monday, dt.time())
    return Window(label=week, start=start, end=start + dt.timedelta(days=7))


def day_window(day: str) -> Window:
    """The window of one day given as ``YYYY-MM-DD``."""
    try:
        d = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise ValueError(f"day {day!r} is not of the form YYYY-MM-DD") from exc
    start = dt.datetime.combine(d, dt.time())
    return Window(label=day, start=start, end=start + dt.timedelta(days=1))


def window_for(kind: PeriodKind | str, label: str) -> Window:
    """The window of a period of ``kind`` (day/week/month) named ``label``."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.MONTH:
        return month_window(label)
    if kind == PeriodKind.WEEK:
        return week_window(label)
    return day_window(label)


def label_of(kind: PeriodKind | str, at: dt.datetime) -> str:
    """The label of the period of ``kind`` containing ``at``."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.MONTH:
        return f"{at.year:04d}-{at.month:02d}"
    if kind == PeriodKind.WEEK:
        iso = at.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    return at.date().isoformat()


def labeler(kind: PeriodKind | str) -> Callable[[dt.datetime], str]:
    """A fast ``at → label`` function for one period kind (for bucketing many orders)."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.MONTH:
        return lambda at: f"{at.year:04d}-{at.month:02d}"
    if kind == PeriodKind.WEEK:
        return lambda at: "{:04d}-W{:02d}".format(*at.isocalendar()[:2])
    return lambda at: at.date().isoformat()


def windows_between(kind: PeriodKind | str, start: dt.datetime, end: dt.datetime) -> list[Window]:
    """Consecutive windows of ``kind`` covering ``[start, end)``."""
    out: list[Window] = []
    at = start
    while at < end:
        w = window_for(kind, label_of(kind, at))
        out.append(w)
        at = w.end
    return out


def previous_month(month: str) -> str:
    """``2026-03`` → ``2026-02``; ``2026-01`` → ``2025-12``."""
    w = month_window(month)
    return label_of(PeriodKind.MONTH, w.start - dt.timedelta(days=1))


def labels(windows: Iterable[Window]) -> list[str]:
    """Labels of windows, in order."""
    return [w.label for w in windows]
