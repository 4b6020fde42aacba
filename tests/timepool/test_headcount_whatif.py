"""Headcount (FTE with shrinkage, overflow with cost) and what-if scenarios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from timepool_factories import areas, forecast, obs

from timepool.domain import OverflowRates, Scenario, ShrinkagePolicy, StandardParams, Uplift
from timepool.headcount import headcount, shrinkage_of
from timepool.pool import build_pool
from timepool.standards import compute_standards
from timepool.whatif import what_if
from vocabulary.organisation import AreaType

START = dt.date(2026, 6, 1)
NO_LEAVE = ShrinkagePolicy(rest_days_per_week=1, leave_days_per_year=0, training_days_per_year=0)


def _table():  # type: ignore[no-untyped-def]
    data = [obs(f"U{i}", onsite_min=50.0, paperwork_min=10.0, travel_min=15.0) for i in range(3)]
    data += [
        obs(f"R{i}", onsite_min=50.0, paperwork_min=10.0, travel_min=40.0, area_type=AreaType.RURAL)
        for i in range(3)
    ]
    return compute_standards(data, StandardParams(allowance=0.0))


def _pool(orders: float = 10.0):  # type: ignore[no-untyped-def]
    return build_pool(forecast(orders, days=7), _table(), areas())


def test_shrinkage_from_rest_days_leave_and_training() -> None:
    """1 rest day = 1/7; 2 rest days = 2/7; 10 leave + 5 training days a year add 15/365."""
    assert shrinkage_of(NO_LEAVE) == Decimal(1) / 7
    assert (
        shrinkage_of(ShrinkagePolicy(rest_days_per_week=2, leave_days_per_year=10, training_days_per_year=5))
        == Decimal(2) / 7 + Decimal(15) / 365
    )


def test_fte_formula_exact() -> None:
    """G1: 1500 min/day × 7 days = 175 h; 7 h/day × 7 days × (1 − 1/7) = 42 h per FTE → 4.17 FTE → 5 heads."""
    hc = headcount(_pool(), 420, NO_LEAVE, {"G1": 5, "G2": 3})
    g1 = next(r for r in hc.rows if r.unit == "G1")
    assert g1.workload_hours == Decimal("175.00")
    assert g1.fte == Decimal("4.17") and g1.heads_needed == 5
    assert g1.overflow_hours == 0 and g1.overflow_cost_fen == 0


def test_two_rest_days_need_more_people() -> None:
    """Two rest days a week: 175 h ÷ (49 h × 5/7) = exactly 5 FTE (no rounding up to 6)."""
    hc = headcount(_pool(), 420, NO_LEAVE.model_copy(update={"rest_days_per_week": 2}))
    g1 = next(r for r in hc.rows if r.unit == "G1")
    assert g1.fte == Decimal("5.00") and g1.heads_needed == 5


def test_overflow_to_volunteers_then_partners_in_fen() -> None:
    """4 employed give 4 × 42 = 168 h of 175: 7 h overflow.

    5 h go to volunteers at 45 and 2 h to a partner at 60: 345 yuan = 34,500 fen.
    """
    rates = OverflowRates(
        partner_yuan_per_hour=Decimal("60"),
        volunteer_yuan_per_hour=Decimal("45"),
        volunteer_hours_cap=Decimal("5"),
    )
    hc = headcount(_pool(), 420, NO_LEAVE, {"G1": 4}, rates)
    g1 = next(r for r in hc.rows if r.unit == "G1")
    assert (g1.overflow_hours, g1.volunteer_hours, g1.partner_hours) == (
        Decimal("7.00"),
        Decimal("5"),
        Decimal("2.00"),
    )
    assert g1.overflow_cost_fen == 34500 and g1.shortfall_heads == 1


def test_branch_total_sums_groups() -> None:
    """The branch row adds the groups' workload, FTE, heads, overflow and cost."""
    hc = headcount(_pool(), 420, NO_LEAVE, {"G1": 4})
    groups = [r for r in hc.rows if not r.unit.startswith("branch:")]
    (branch,) = [r for r in hc.rows if r.unit == "branch:B1"]
    assert branch.heads_needed == sum(r.heads_needed for r in groups)
    assert branch.overflow_cost_fen == sum(r.overflow_cost_fen for r in groups)
    assert branch.employed == 4


def test_coverage_minimum_raises_fte() -> None:
    """A minimum of 3 heads a day on a quiet group needs at least 3 ÷ (1 − 1/7) = 3.5 FTE."""
    hc = headcount(_pool(0.0), 420, NO_LEAVE, min_heads=3)
    g1 = next(r for r in hc.rows if r.unit == "G1")
    assert g1.fte == Decimal("3.50") and g1.heads_needed == 4


def test_whatif_rainy_season_and_rest_days() -> None:
    """+20 % orders all week and two rest days: never fewer heads than the baseline; more here."""
    rainy = Uplift(name="rainy", start=START, end=START + dt.timedelta(days=6), factor=1.2)
    rows = what_if(
        forecast(10.0, days=7),
        _table(),
        areas(),
        Scenario(name="rainy+2rest", uplifts=[rainy], rest_days_per_week=2),
        420,
        NO_LEAVE,
    )
    by = {r.unit: r for r in rows}
    # G1: 210 h ÷ 35 h per FTE = 6 FTE
    assert by["G1"].scenario_fte == Decimal("6.00") and by["G1"].scenario_heads == 6
    assert by["G1"].baseline_heads == 5 and by["G1"].delta_heads == 1
    assert all(r.delta_heads >= 0 for r in rows) and "branch:B1" in by


@pytest.mark.parametrize("factor", [1.0, 1.1, 1.5, 2.0])
def test_whatif_more_orders_never_fewer_heads(factor: float) -> None:
    """Any uplift ≥ 1 gives ≥ heads in every group."""
    up = Uplift(name="u", start=START, end=START + dt.timedelta(days=6), factor=factor)
    rows = what_if(forecast(7.0, days=7), _table(), areas(), Scenario(name="s", uplifts=[up]), 420, NO_LEAVE)
    assert all(r.scenario_heads >= r.baseline_heads for r in rows)
