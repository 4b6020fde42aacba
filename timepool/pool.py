"""The work-hour pool: forecast orders × standard hours (+ travel by area type) per region group per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from timepool.domain import DEFAULT_REMOTE_SHARE, AreaInfo, Forecast, Pool, PoolDay, StandardTable
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import OrderType


def _weighted(cells: Sequence[tuple[int, float]]) -> float:
    n = sum(w for w, _ in cells)
    return sum(w * v for w, v in cells) / n


def standard_minutes(
    table: StandardTable, order_type: OrderType, difficulty: int, area_type: str, notes: set[str]
) -> float | None:
    """Standard minutes of a cell, falling back (and noting it) when the cell has no observations.

    Fallbacks, in order: the same order type and difficulty over all area types, then the same
    order type over all difficulties and area types; each weighted by observations used.
    """
    cell = table.cell(order_type, difficulty, area_type)
    if cell is not None and cell.n_used:
        return cell.standard_min
    same = [
        (c.n_used, c.standard_min)
        for c in table.cells
        if c.order_type == order_type and c.difficulty == difficulty and c.n_used
    ]
    if same:
        notes.add(
            f"no observations for {order_type}/{difficulty}/{area_type}: used {order_type}/{difficulty} "
            "over all area types"
        )
        return _weighted(same)
    same = [(c.n_used, c.standard_min) for c in table.cells if c.order_type == order_type and c.n_used]
    if same:
        notes.add(f"no observations for {order_type}/{difficulty}: used {order_type} over all difficulties")
        return _weighted(same)
    return None


def build_pool(
    forecast: Forecast,
    standards: StandardTable,
    areas: Sequence[AreaInfo],
    remote_resolution_share: float = DEFAULT_REMOTE_SHARE,
    travel_minutes: Mapping[str, float] | None = None,
) -> Pool:
    """Work-hour pool per region group per day.

    Parameters
    ----------
    forecast : Forecast
        Expected orders per area per day per type.
    standards : StandardTable
        Standard minutes per (order type, difficulty, area type) and travel per area type.
    areas : sequence of AreaInfo
        Which group, branch and area type each small area has; every group appears in the pool
        on every forecast day, with zero work when nothing is forecast.
    remote_resolution_share : float
        Share of repair orders resolved remotely (line test, guided fix) that need no visit
        (default :data:`~timepool.domain.DEFAULT_REMOTE_SHARE`: none).
    travel_minutes : mapping, optional
        Travel minutes per visit by area type, overriding the observed travel standard.
    """
    if not 0 <= remote_resolution_share < 1:
        raise ValueError(f"remote_resolution_share must be in [0, 1), got {remote_resolution_share}")
    by_area = {a.area_id: a for a in areas}
    notes: set[str] = set()
    problems: list[Problem] = []
    acc: dict[tuple[str, dt.date], list[float]] = {}
    std_cache: dict[tuple[OrderType, int, str], float | None] = {}
    travel_cache: dict[str, float] = {}
    all_days = sorted({c.day for c in forecast.cells})
    for a in areas:
        for d in all_days:
            acc[(a.region_group_id, d)] = [0.0, 0.0, 0.0, 0.0]
    for i, c in enumerate(forecast.cells):
        area = by_area.get(c.area_id)
        if area is None:
            problems.append(Problem(field="area_id", value=c.area_id, row=i + 2, rule="unknown small area"))
            continue
        key = (c.order_type, c.difficulty, str(area.area_type))
        if key not in std_cache:
            std_cache[key] = standard_minutes(standards, c.order_type, c.difficulty, area.area_type, notes)
        std = std_cache[key]
        if std is None:
            problems.append(
                Problem(
                    field="order_type",
                    value=str(c.order_type),
                    row=i + 2,
                    rule="no standard hours for this order type in the table",
                )
            )
            continue
        if travel_minutes is not None and str(area.area_type) in travel_minutes:
            trav = travel_minutes[str(area.area_type)]
        else:
            if area.area_type not in travel_cache:
                tc = standards.travel_for(area.area_type)
                travel_cache[area.area_type] = tc.travel_min if tc is not None else 0.0
                if tc is None:
                    notes.add(f"no travel standard for area type {area.area_type}: travel 0")
            trav = travel_cache[area.area_type]
        visits = c.orders * (1 - remote_resolution_share) if c.order_type is OrderType.REPAIR else c.orders
        slot = acc[(area.region_group_id, c.day)]
        slot[0] += c.orders
        slot[1] += visits
        slot[2] += visits * std
        slot[3] += visits * trav
    if problems:
        raise InputErrors(problems)
    branch_of = {a.region_group_id: a.branch_id for a in areas}
    days = [
        PoolDay(
            region_group_id=g,
            branch_id=branch_of[g],
            day=d,
            orders=v[0],
            visits=v[1],
            work_min=v[2],
            travel_min=v[3],
        )
        for (g, d), v in sorted(acc.items())
    ]
    if remote_resolution_share:
        notes.add(f"{remote_resolution_share:.0%} of repair orders resolved remotely (no visit)")
    return Pool(
        days=days,
        standards_scope=standards.scope,
        standards_sha256=standards.observations_sha256,
        notes=sorted(notes),
    )
