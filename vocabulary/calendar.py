"""Working days in China: weekends, public holidays and make-up working days (调休).

Holidays come from the maintained ``chinese_calendar`` library. A year it has no data for is an
error (:class:`~vocabulary.errors.UnsupportedYear`), never a silent guess that every weekday is a
working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum

import chinese_calendar

from vocabulary.errors import UnsupportedYear


class DayKind(StrEnum):
    """What kind of day a date is for pay and rostering."""

    WORKDAY = "workday"  # ordinary weekday
    MAKEUP_WORKDAY = "makeup_workday"  # a weekend day that is a working day (调休上班)
    REST_DAY = "rest_day"  # ordinary weekend day
    HOLIDAY = "holiday"  # statutory public holiday (法定节假日), or a day off in lieu around it


def _check(day: dt.date) -> None:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise UnsupportedYear(
            f"no public-holiday data for {day.year} in chinese_calendar "
            f"{getattr(chinese_calendar, '__version__', '?')}: upgrade the library"
        ) from exc


def day_kind(day: dt.date) -> DayKind:
    """Classify ``day``; raises :class:`UnsupportedYear` for years without holiday data."""
    _check(day)
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    weekend = day.weekday() >= 5
    if on_holiday:
        return DayKind.HOLIDAY if name is not None else DayKind.REST_DAY
    return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY


def is_statutory_holiday(day: dt.date) -> bool:
    """True on the statutory public holidays themselves (paid at 300% when worked).

    ``chinese_calendar`` marks the whole festival break as holiday; the statutory days are the
    ones listed by the State Council as legal holidays (``is_in_lieu`` days are not).
    """
    _check(day)
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return bool(on_holiday and name is not None and not chinese_calendar.is_in_lieu(day))


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day under the standard working-time system."""
    return day_kind(day) in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    for offset in range((end - start).days + 1):
        yield start + dt.timedelta(days=offset)


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of a ``YYYY-MM`` month."""
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from exc
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """The working days of a period (make-up days included, holidays excluded)."""
    return [d for d in days(start, end) if is_working_day(d)]
