"""Order forecasts per small area per day: given, or from order history.

The history model is multiplicative, per order type, branch-wide, then split over the areas:

    orders(area, type, difficulty, day) = level(type) × weekday(type, day) × trend(type, day)
                                          × uplift(type, day) × share(area, type, difficulty)

- history days inside a known uplift (rainy season, promotion) are first divided by its factor,
  so a past rainy season does not inflate the level;
- ``weekday`` is the mean of each kind of day over the overall mean: the seven weekdays, and
  (``holiday_aware``, the default) public-holiday break days and make-up working days (调休) as
  two more kinds from the Chinese calendar; a kind absent from the history borrows Sunday's
  factor (holidays) or the Monday–Friday mean (make-up days);
- ``trend`` is a least-squares line through the de-seasonalised, weekday-adjusted daily totals,
  as a ratio to their mean; used only with at least :data:`MIN_TREND_DAYS` days of history, and
  clipped to 1 ± ``trend_cap`` (default :data:`TREND_CAP`): a straight line through a month of
  history must not run away over the next weeks (an unannounced rainy season looks like a trend;
  declare it as an uplift instead), and every clip is noted;
- ``share`` is the area's (and difficulty's) share of the type's orders in the history.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from timepool.domain import Forecast, ForecastCell, HistoricOrder, Uplift
from vocabulary.calendar import DayKind, day_kind
from vocabulary.errors import UnsupportedYear
from vocabulary.orders import OrderType

MIN_TREND_DAYS = 28
#: Day classes beyond the weekdays 0..6.
HOLIDAY_CLASS = 7
MAKEUP_CLASS = 8
N_CLASSES = 9
#: Largest relative change the trend may make to the level (±25 %).
TREND_CAP = 0.25


def uplift_factor(uplifts: Sequence[Uplift], day: dt.date, order_type: OrderType) -> float:
    """Product of the factors of every uplift that applies to ``day`` and ``order_type``."""
    factor = 1.0
    for u in uplifts:
        if u.applies(day, order_type):
            factor *= u.factor
    return factor


def weekday_profile(totals: Sequence[float], days: Sequence[dt.date]) -> list[float]:
    """Mean of each weekday (Mon=0) over the overall mean; 1.0 where undefined."""
    overall = sum(totals) / len(totals) if totals else 0.0
    sums, counts = [0.0] * 7, [0] * 7
    for v, d in zip(totals, days, strict=True):
        sums[d.weekday()] += v
        counts[d.weekday()] += 1
    if overall <= 0:
        return [1.0] * 7
    return [(sums[k] / counts[k]) / overall if counts[k] else 1.0 for k in range(7)]


def day_class(day: dt.date, holiday_aware: bool = True) -> int:
    """Weekday 0..6, or :data:`HOLIDAY_CLASS` / :data:`MAKEUP_CLASS` from the Chinese calendar.

    A year without holiday data falls back to the plain weekday.
    """
    if not holiday_aware:
        return day.weekday()
    try:
        kind = day_kind(day)
    except UnsupportedYear:
        return day.weekday()
    if kind is DayKind.HOLIDAY:
        return HOLIDAY_CLASS
    if kind is DayKind.MAKEUP_WORKDAY:
        return MAKEUP_CLASS
    return day.weekday()


def class_profile(totals: Sequence[float], classes: Sequence[int]) -> list[float]:
    """Mean of each day class over the overall mean (9 values; fallbacks for classes not seen)."""
    overall = sum(totals) / len(totals) if totals else 0.0
    sums, counts = [0.0] * N_CLASSES, [0] * N_CLASSES
    for v, k in zip(totals, classes, strict=True):
        sums[k] += v
        counts[k] += 1
    if overall <= 0:
        return [1.0] * N_CLASSES
    profile = [(sums[k] / counts[k]) / overall if counts[k] else math.nan for k in range(N_CLASSES)]
    for k in range(7):
        if math.isnan(profile[k]):
            profile[k] = 1.0
    if math.isnan(profile[HOLIDAY_CLASS]):
        profile[HOLIDAY_CLASS] = profile[6]
    if math.isnan(profile[MAKEUP_CLASS]):
        profile[MAKEUP_CLASS] = sum(profile[:5]) / 5
    return profile


def linear_trend(values: Sequence[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of ``values`` against 0, 1, 2, …"""
    n = len(values)
    if n < 2:
        return (values[0] if values else 0.0), 0.0
    mx = (n - 1) / 2
    my = sum(values) / n
    sxx = sum((i - mx) ** 2 for i in range(n))
    sxy = sum((i - mx) * (v - my) for i, v in enumerate(values))
    slope = sxy / sxx
    return my - slope * mx, slope


def forecast_from_history(
    history: Sequence[HistoricOrder],
    start: dt.date,
    days: int,
    uplifts: Sequence[Uplift] = (),
    history_start: dt.date | None = None,
    history_end: dt.date | None = None,
    trend_cap: float = TREND_CAP,
    holiday_aware: bool = True,
) -> Forecast:
    """Forecast ``days`` days from ``start`` out of past orders (see the module docstring).

    Parameters
    ----------
    history : sequence of HistoricOrder
        Past orders; only those in [history_start, history_end] (default: all before ``start``).
    uplifts : sequence of Uplift
        Seasonal uplifts; they de-seasonalise the history and lift the forecast days they cover.
    trend_cap : float
        The trend factor is clipped to [1 − cap, 1 + cap] (never below 0).
    holiday_aware : bool
        Give public holidays and make-up working days their own factors.
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    past = [h for h in history if h.day < start]
    if history_start is not None:
        past = [h for h in past if h.day >= history_start]
    if history_end is not None:
        past = [h for h in past if h.day <= history_end]
    if not past:
        raise ValueError(f"no order history before {start} to forecast from")
    h0 = history_start or min(h.day for h in past)
    h1 = history_end or max(h.day for h in past)
    span = [h0 + dt.timedelta(days=i) for i in range((h1 - h0).days + 1)]
    per_day: dict[OrderType, Counter[dt.date]] = defaultdict(Counter)
    share_counts: dict[OrderType, Counter[tuple[str, int]]] = defaultdict(Counter)
    for h in past:
        per_day[h.order_type][h.day] += 1
        share_counts[h.order_type][(h.area_id, h.difficulty)] += 1
    horizon = [start + dt.timedelta(days=i) for i in range(days)]
    cells: list[ForecastCell] = []
    notes: list[str] = [f"history {h0}..{h1} ({len(span)} days, {len(past)} orders)"]
    span_class = [day_class(d, holiday_aware) for d in span]
    horizon_class = [day_class(d, holiday_aware) for d in horizon]
    for ot in sorted(per_day):
        totals = [per_day[ot][d] / uplift_factor(uplifts, d, ot) for d in span]
        profile = class_profile(totals, span_class)
        adjusted = [v / profile[k] if profile[k] > 0 else v for v, k in zip(totals, span_class, strict=True)]
        level = sum(adjusted) / len(adjusted)
        use_trend = len(span) >= MIN_TREND_DAYS and level > 0
        a, b = linear_trend(adjusted) if use_trend else (level, 0.0)
        notes.append(
            f"{ot}: level {level:.3f}/day, weekday profile "
            f"{', '.join(f'{w:.2f}' for w in profile[:7])}"
            + (
                f", holiday {profile[HOLIDAY_CLASS]:.2f}, make-up day {profile[MAKEUP_CLASS]:.2f}"
                if holiday_aware
                else ""
            )
            + f", trend {b:+.4f}/day"
            + ("" if use_trend else " (not used: short history)")
        )
        total_shares = sum(share_counts[ot].values())
        clips = 0
        for day, k in zip(horizon, horizon_class, strict=True):
            t_index = (day - h0).days
            trend = max(0.0, a + b * t_index) / level if use_trend else 1.0
            clipped = min(1 + trend_cap, max(max(0.0, 1 - trend_cap), trend))
            if clipped != trend:
                clips += 1
                trend = clipped
            expected = level * profile[k] * trend * uplift_factor(uplifts, day, ot)
            for (area, diff), count in sorted(share_counts[ot].items()):
                cells.append(
                    ForecastCell(
                        area_id=area,
                        day=day,
                        order_type=ot,
                        difficulty=diff,
                        orders=expected * count / total_shares,
                    )
                )
        if clips:
            notes.append(f"{ot}: trend clipped to ±{trend_cap:.0%} on {clips} of {days} forecast days")
    return Forecast(
        cells=cells, method="history: weekday/holiday profile × trend × seasonal uplift", notes=notes
    )


def apply_uplifts(forecast: Forecast, uplifts: Sequence[Uplift]) -> Forecast:
    """A given forecast with uplifts applied (for what-ifs on a forecast that came from outside)."""
    cells = [
        c.model_copy(update={"orders": c.orders * uplift_factor(uplifts, c.day, c.order_type)})
        for c in forecast.cells
    ]
    names = ", ".join(u.name for u in uplifts)
    return Forecast(cells=cells, method=f"{forecast.method} + uplifts ({names})", notes=list(forecast.notes))
