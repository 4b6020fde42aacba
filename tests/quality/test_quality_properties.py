"""Invariants under random orders and scores (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from quality_factories import order

from quality.domain import KpiSettings
from quality.kpis import KPI_FUNCTIONS, RATE_KPIS, install_timeliness, repair_timeliness
from quality.periods import month_window
from quality.scorecard import KPI_NAMES, default_scheme, score_and_grade
from vocabulary.orders import CustomerGrade, LineType, OrderType

MARCH = month_window("2026-03")
START = dt.datetime(2026, 2, 25)
maybe_bool = st.none() | st.booleans()


@st.composite
def work_orders(draw: st.DrawFn, oid: str) -> object:
    created = START + dt.timedelta(minutes=draw(st.integers(0, 40 * 24 * 60)))
    respond = draw(st.none() | st.integers(0, 180))
    done = draw(st.none() | st.floats(0.5, 120, allow_nan=False)) if respond is not None else None
    if done is not None and respond is not None and done * 60 < respond:
        done = respond / 60 + 0.5
    outcome = {}
    if draw(st.booleans()):
        outcome = {
            "satisfaction": draw(st.none() | st.integers(1, 5)),
            "contact_timely": draw(maybe_bool), "appointment_kept": draw(maybe_bool),
            "skill_satisfied": draw(maybe_bool), "attitude_satisfied": draw(maybe_bool),
            "repeat_fault_within_days": draw(st.none() | st.integers(0, 90)),
            "complaint": draw(st.booleans()),
        }
    return order(
        oid,
        draw(st.sampled_from(list(OrderType))),
        created=created,
        deadline_h=draw(st.sampled_from([4, 12, 24, 48, 72])),
        respond_min=respond,
        done_h=done,
        cancelled=draw(st.booleans()) if done is None and respond is not None else False,
        tech=draw(st.sampled_from(["t1", "t2"])),
        grade=draw(st.sampled_from(list(CustomerGrade))),
        line=draw(st.sampled_from(list(LineType))),
        **outcome,
    )


order_lists = st.integers(0, 14).flatmap(
    lambda n: st.tuples(*[work_orders(f"o{i}") for i in range(n)]).map(list)
)


@settings(max_examples=60, deadline=None)
@given(order_lists, st.integers(1, 60))
def test_kpis_within_bounds(orders: list, repeat_days: int) -> None:
    """Every rate KPI is within [0, 1] (complaints within [0, 1000]), its numerator never exceeds its
    denominator, the value is None exactly when the denominator is 0, and the Wilson interval
    contains the value."""
    s = KpiSettings(repeat_days=repeat_days)
    for name, fn in KPI_FUNCTIONS.items():
        r = fn(orders, MARCH, s)
        assert (r.value is None) == (r.denominator == 0), name
        assert set(r.numerator_ids) <= set(r.order_ids), name
        if name == "install_wait_hours":
            assert r.value is None or r.value >= 0
            continue
        assert 0 <= r.numerator <= r.denominator, name
        scale = 1000 if name == "complaints_per_1000" else 1
        assert name in RATE_KPIS or scale == 1000
        if r.value is not None:
            assert 0 <= r.value <= scale, name
            assert r.ci_low is not None and r.ci_high is not None
            slack = Decimal("0.001") * scale
            assert r.ci_low <= r.value + slack and r.value <= r.ci_high + slack


@settings(max_examples=60, deadline=None)
@given(order_lists, st.integers(0, 40 * 24 * 60), st.sampled_from([4, 12, 24]), st.floats(0.2, 1.0),
       st.sampled_from(list(OrderType)))
def test_adding_an_on_time_order_never_lowers_timeliness(
    orders: list, offset: int, deadline_h: int, fraction: float, kind: OrderType
) -> None:
    """One more order finished by its deadline inside the month never lowers its timeliness
    (repair timeliness for a repair, install timeliness for an install or move)."""
    kpi = repair_timeliness if kind == OrderType.REPAIR else install_timeliness
    before = kpi(orders, MARCH, KpiSettings())
    created = dt.datetime(2026, 3, 1) + dt.timedelta(minutes=offset % (29 * 24 * 60))
    extra = order("extra", kind, created=created, deadline_h=deadline_h, respond_min=5,
                  done_h=max(0.1, deadline_h * fraction))
    after = kpi([*orders, extra], MARCH, KpiSettings())
    assert after.denominator == before.denominator + 1
    assert before.value is None or after.value is not None and after.value >= before.value


@settings(max_examples=200, deadline=None)
@given(st.decimals(0, 100, places=2), st.decimals(0, 100, places=2))
def test_grades_monotone_in_score(a: Decimal, b: Decimal) -> None:
    """A higher score never earns a worse grade."""
    scheme = default_scheme()
    order_of = [band.grade for band in scheme.bands]  # best first
    low, high = sorted((a, b))
    assert order_of.index(scheme.grade_for(high)) <= order_of.index(scheme.grade_for(low))


kpi_values = st.fixed_dictionaries(
    {name: st.none() | st.decimals(0, 1, places=3) for name in KPI_NAMES if name != "complaints_per_1000"}
    | {"complaints_per_1000": st.none() | st.decimals(0, 60, places=1)}
)


@settings(max_examples=150, deadline=None)
@given(kpi_values, st.sampled_from(KPI_NAMES[:10]), st.decimals(0, 1, places=3))
def test_score_within_0_100_and_improving_a_kpi_never_lowers_it(
    values: dict, name: str, step: Decimal
) -> None:
    """The score is within [0, 100], its grade is the band of the score, and moving one KPI in its
    better direction never lowers the score."""
    scheme = default_scheme()
    card = score_and_grade(values, scheme)
    assert 0 <= card.score <= 100 and card.grade == scheme.grade_for(card.score)
    if values[name] is None:
        return
    rule = scheme.rules[name]
    delta = step * (50 if name == "complaints_per_1000" else 1)
    better = values[name] + delta if rule.direction == "higher" else max(Decimal(0), values[name] - delta)
    improved = score_and_grade(values | {name: better}, scheme)
    assert improved.score >= card.score
