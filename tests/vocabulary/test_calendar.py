"""China's working days: weekends, statutory holidays and make-up working days; unknown years fail."""

import datetime as dt

import pytest

from vocabulary.calendar import (
    DayKind,
    day_kind,
    is_statutory_holiday,
    is_working_day,
    month_bounds,
    statutory_holidays,
    working_days,
)
from vocabulary.errors import UnsupportedYear


def test_national_day_and_its_makeup_saturday() -> None:
    """1 Oct 2026 is a statutory holiday; Saturday 10 Oct 2026 is a make-up working day."""
    assert day_kind(dt.date(2026, 10, 1)) is DayKind.HOLIDAY
    assert is_statutory_holiday(dt.date(2026, 10, 1))
    assert day_kind(dt.date(2026, 10, 10)) is DayKind.MAKEUP_WORKDAY
    assert is_working_day(dt.date(2026, 10, 10))


def test_ordinary_week() -> None:
    """An ordinary week has five working days and two rest days."""
    week = [dt.date(2026, 6, 8) + dt.timedelta(days=i) for i in range(7)]
    kinds = [day_kind(d) for d in week]
    assert kinds.count(DayKind.WORKDAY) == 5
    assert kinds.count(DayKind.REST_DAY) == 2


def test_year_without_data_fails_loudly() -> None:
    """A year the holiday library does not know is an error, never a guess."""
    with pytest.raises(UnsupportedYear, match="2099"):
        day_kind(dt.date(2099, 1, 5))


def test_month_helpers() -> None:
    """Month bounds and working days of a month; bad month strings are rejected."""
    assert month_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert len(working_days(*month_bounds("2026-06"))) == 21  # Dragon Boat Festival on 19 June
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds("2026/06")


def test_statutory_days_are_the_legal_ones_not_the_whole_break() -> None:
    """2026 has the 13 statutory days of the 2024 revision; the other days of a break are rest days."""
    days_2026 = statutory_holidays(2026)
    assert len(days_2026) == 13
    assert {dt.date(2026, 10, d) for d in (1, 2, 3)} <= days_2026
    assert dt.date(2026, 10, 4) not in days_2026 and day_kind(dt.date(2026, 10, 4)) is DayKind.HOLIDAY
    assert dt.date(2026, 2, 16) in days_2026  # Spring Festival eve
    assert dt.date(2026, 6, 19) in days_2026  # Dragon Boat Festival
    assert dt.date(2026, 9, 25) in days_2026  # Mid-Autumn Festival
    assert dt.date(2026, 4, 5) in days_2026  # Qingming
    assert len(statutory_holidays(2019)) == 11  # 2013 revision: Spring Festival 3, Labour Day 1
    assert len(statutory_holidays(2020)) == 10  # Mid-Autumn fell on National Day (1 Oct 2020)
    with pytest.raises(UnsupportedYear):
        statutory_holidays(2005)
