"""What-if: technicians per group and branch under a scenario, next to the baseline.

Examples: "+20% orders in the rainy season" (an :class:`~timepool.domain.Uplift` of 1.2 on the
season's days) and "two rest days a week instead of one" (``rest_days_per_week=2``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from timepool.domain import (
    DEFAULT_PRODUCTIVE_MINUTES,
    DEFAULT_REMOTE_SHARE,
    AreaInfo,
    Forecast,
    OverflowRates,
    Scenario,
    ShrinkagePolicy,
    StandardTable,
    WhatIfRow,
)
from timepool.forecast import apply_uplifts
from timepool.headcount import headcount
from timepool.pool import build_pool


def what_if(
    forecast: Forecast,
    standards: StandardTable,
    areas: Sequence[AreaInfo],
    scenario: Scenario,
    productive_minutes_per_shift: int = DEFAULT_PRODUCTIVE_MINUTES,
    policy: ShrinkagePolicy | None = None,
    employed: Mapping[str, int] | None = None,
    min_heads: int | Mapping[str, int] = 0,
    remote_resolution_share: float = DEFAULT_REMOTE_SHARE,
    rates: OverflowRates | None = None,
) -> list[WhatIfRow]:
    """Baseline and scenario FTE and heads per region group and per branch.

    The scenario lifts the forecast by its uplifts and replaces the rest-day policy when it sets
    ``rest_days_per_week``; everything else is the same as the baseline.
    """
    policy = policy or ShrinkagePolicy()
    base_pool = build_pool(forecast, standards, areas, remote_resolution_share)
    scen_forecast = apply_uplifts(forecast, scenario.uplifts) if scenario.uplifts else forecast
    scen_pool = build_pool(scen_forecast, standards, areas, remote_resolution_share)
    scen_policy = policy
    if scenario.rest_days_per_week is not None:
        scen_policy = policy.model_copy(update={"rest_days_per_week": scenario.rest_days_per_week})
    base = headcount(base_pool, productive_minutes_per_shift, policy, employed, rates, min_heads)
    scen = headcount(scen_pool, productive_minutes_per_shift, scen_policy, employed, rates, min_heads)
    scen_by_unit = {r.unit: r for r in scen.rows}
    rows = []
    for b in base.rows:
        s = scen_by_unit[b.unit]
        rows.append(
            WhatIfRow(
                unit=b.unit,
                branch_id=b.branch_id,
                baseline_fte=b.fte,
                baseline_heads=b.heads_needed,
                scenario_fte=s.fte,
                scenario_heads=s.heads_needed,
                delta_heads=s.heads_needed - b.heads_needed,
            )
        )
    return rows
