"""Working days in China: weekends, public holidays and make-up working days (调休).

Holidays come from the maintained ``chinese_calendar`` library. A year it has no data for is an
error (:class:`~vocabulary.errors.UnsupportedYear`), never a silent guess that every weekday is a
working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from functools import lru_cache

import chinese_calendar
from lunardate import LunarDate

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


#: Spring Festival statutory days as offsets from lunar New Year's Day, per State Council revision.
_SPRING_FESTIVAL_OFFSETS: tuple[tuple[int, tuple[int, ...]], ...] = (
    (2025, (-1, 0, 1, 2)),  # 2024 revision (in force 2025): eve + first three days
    (2014, (0, 1, 2)),  # 2013 revision: first three days
    (2008, (-1, 0, 1)),  # 2007 revision: eve + first two days
)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The statutory public holidays (法定节假日) of ``year``: the days paid at 300% when worked.

    These are the days the State Council's *Regulations on Public Holidays* name, not the whole
    festival break: the break's other days are weekends moved by make-up working days (调休), which
    are rest days (200% when worked without time off). The 2024 revision (in force from 2025) has
    13 days: New Year's Day 1, Spring Festival 4 (eve + 1st–3rd of the first lunar month),
    Qingming 1, Labour Day 2, Dragon Boat 1, Mid-Autumn 1, National Day 3. Lunar dates come from
    ``lunardate``, Qingming from ``chinese_calendar``'s solar terms. Years before the 2007 revision
    (in force 2008) are refused.
    """
    if year < 2008:
        raise UnsupportedYear(f"statutory holidays before 2008 follow older rules; {year} not supported")
    _check(dt.date(year, 1, 1))
    result = {dt.date(year, 1, 1), dt.date(year, 5, 1), *(dt.date(year, 10, d) for d in (1, 2, 3))}
    if year >= 2025:
        result.add(dt.date(year, 5, 2))
    new_year = LunarDate(year, 1, 1).to_solar_date()
    offsets = next(o for since, o in _SPRING_FESTIVAL_OFFSETS if year >= since)
    result.update(new_year + dt.timedelta(days=k) for k in offsets)
    result.update(d for d, name in chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30))
                  if name == "清明")
    result.add(LunarDate(year, 5, 5).to_solar_date())
    result.add(LunarDate(year, 8, 15).to_solar_date())
    return frozenset(result)


def is_statutory_holiday(day: dt.date) -> bool:
    """True on the statutory public holidays themselves (see :func:`statutory_holidays`)."""
    return day in statutory_holidays(day.year)


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
