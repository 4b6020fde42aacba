"""Forecasts from order history: weekday profile × trend × seasonal uplift, split over areas."""

from __future__ import annotations

import datetime as dt

import pytest

from timepool.domain import HistoricOrder, Uplift
from timepool.forecast import (
    HOLIDAY_CLASS,
    MAKEUP_CLASS,
    day_class,
    forecast_from_history,
    linear_trend,
    weekday_profile,
)
from vocabulary.orders import OrderType

MONDAY = dt.date(2026, 3, 2)


def _history(
    days: int, per_day: dict[int, int], area: str = "A1", order_type: OrderType = OrderType.REPAIR
) -> list[HistoricOrder]:
    out = []
    for i in range(days):
        d = MONDAY + dt.timedelta(days=i)
        out += [HistoricOrder(area_id=area, order_type=order_type, day=d)] * per_day[d.weekday()]
    return out


def _total(fc, day: dt.date) -> float:  # type: ignore[no-untyped-def]
    return sum(c.orders for c in fc.cells if c.day == day)


def test_flat_history_forecasts_its_level() -> None:
    """Ten orders every day for 8 weeks → ten a day (no weekday effect, no trend)."""
    fc = forecast_from_history(_history(56, dict.fromkeys(range(7), 10)), MONDAY + dt.timedelta(days=56), 7)
    assert [round(c.orders, 9) for c in fc.cells] == [10.0] * 7


def test_weekday_profile_is_recovered() -> None:
    """Weekdays 12, weekends 5: the profile reproduces them."""
    per_day = {0: 12, 1: 12, 2: 12, 3: 12, 4: 12, 5: 5, 6: 5}
    start = MONDAY + dt.timedelta(days=56)
    fc = forecast_from_history(_history(56, per_day), start, 7, holiday_aware=False)
    assert [round(_total(fc, start + dt.timedelta(days=i)), 6) for i in range(7)] == [
        12,
        12,
        12,
        12,
        12,
        5,
        5,
    ]
    assert weekday_profile([12, 5], [MONDAY, MONDAY + dt.timedelta(days=5)]) == pytest.approx(
        [12 / 8.5, 1, 1, 1, 1, 5 / 8.5, 1]
    )


def test_trend_extrapolates() -> None:
    """A line y = 10 + t is extrapolated; the least-squares fit is exact on a line."""
    assert linear_trend([10 + t for t in range(30)]) == pytest.approx((10.0, 1.0))
    hist = []
    for i in range(40):
        hist += [
            HistoricOrder(area_id="A1", order_type=OrderType.INSTALL, day=MONDAY + dt.timedelta(days=i))
        ] * (10 + i)
    fc = forecast_from_history(hist, MONDAY + dt.timedelta(days=40), 1, trend_cap=1.0, holiday_aware=False)
    # weekday profile absorbs a little of the line; the forecast is close to 50
    assert _total(fc, MONDAY + dt.timedelta(days=40)) == pytest.approx(50, rel=0.05)


def test_uplift_applies_inside_window_and_types_only() -> None:
    """Rainy season × 1.2 on repairs lifts repairs inside the window, not installs, not outside."""
    hist = _history(56, dict.fromkeys(range(7), 10)) + _history(
        56, dict.fromkeys(range(7), 4), order_type=OrderType.INSTALL
    )
    start = MONDAY + dt.timedelta(days=56)
    rainy = Uplift(
        name="rainy",
        start=start + dt.timedelta(days=2),
        end=start + dt.timedelta(days=3),
        factor=1.2,
        order_types=frozenset({OrderType.REPAIR}),
    )
    fc = forecast_from_history(hist, start, 5, [rainy])
    by = {(c.day, c.order_type): c.orders for c in fc.cells}
    assert by[(start, OrderType.REPAIR)] == pytest.approx(10)
    assert by[(start + dt.timedelta(days=2), OrderType.REPAIR)] == pytest.approx(12)
    assert by[(start + dt.timedelta(days=2), OrderType.INSTALL)] == pytest.approx(4)


def test_past_uplift_is_taken_out_of_the_level() -> None:
    """A past promotion that doubled orders for two weeks does not raise the base level."""
    hist = _history(56, dict.fromkeys(range(7), 10))
    promo = Uplift(name="promo", start=MONDAY, end=MONDAY + dt.timedelta(days=13), factor=2.0)
    hist += _history(14, dict.fromkeys(range(7), 10))  # the extra orders of the promotion
    fc = forecast_from_history(hist, MONDAY + dt.timedelta(days=56), 1, [promo])
    assert fc.cells[0].orders == pytest.approx(10, rel=1e-6)


def test_split_over_areas_by_share() -> None:
    """Areas get the type's forecast in proportion to their history."""
    hist = _history(28, dict.fromkeys(range(7), 3), "A1") + _history(28, dict.fromkeys(range(7), 1), "A2")
    fc = forecast_from_history(hist, MONDAY + dt.timedelta(days=28), 1)
    assert {c.area_id: round(c.orders, 9) for c in fc.cells} == {"A1": 3.0, "A2": 1.0}


def test_no_history_is_an_error() -> None:
    """Forecasting from nothing is refused with the reason."""
    with pytest.raises(ValueError, match="no order history"):
        forecast_from_history([], MONDAY, 7)


def test_runaway_trend_is_clipped_and_noted() -> None:
    """A steep month-long rise is not extrapolated beyond +25 %, and the forecast says so."""
    hist = []
    for i in range(30):
        day = MONDAY + dt.timedelta(days=i)
        hist += [HistoricOrder(area_id="A1", order_type=OrderType.REPAIR, day=day)] * (10 + 2 * i)
    fc = forecast_from_history(hist, MONDAY + dt.timedelta(days=60), 7)
    level = sum(10 + 2 * i for i in range(30)) / 30
    assert max(c.orders for c in fc.cells) <= level * 1.25 * max(weekday_profile(
        [10.0 + 2 * i for i in range(30)], [MONDAY + dt.timedelta(days=i) for i in range(30)])) + 1e-9
    assert any("trend clipped" in n for n in fc.notes)


def test_public_holidays_get_their_own_factor() -> None:
    """History with Qingming (4–6 Apr 2026) at 2 orders a day, other days 10: the Dragon Boat break
    (19–21 Jun 2026) is forecast at 2 a day, the Thursday before it at 10."""
    hist = []
    for i in range(56):
        day = MONDAY + dt.timedelta(days=i)
        count = 2 if dt.date(2026, 4, 4) <= day <= dt.date(2026, 4, 6) else 10
        hist += [HistoricOrder(area_id="A1", order_type=OrderType.REPAIR, day=day)] * count
    fc = forecast_from_history(hist, dt.date(2026, 6, 18), 4)
    by_day = {c.day: c.orders for c in fc.cells}
    assert by_day[dt.date(2026, 6, 18)] == pytest.approx(10)
    assert [by_day[dt.date(2026, 6, d)] for d in (19, 20, 21)] == pytest.approx([2, 2, 2])
    assert day_class(dt.date(2026, 6, 19)) == HOLIDAY_CLASS and day_class(dt.date(2026, 5, 9)) == MAKEUP_CLASS
