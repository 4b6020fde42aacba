"""Tiny builders for the work-hour pool tests: observations, areas, forecasts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from timepool.domain import AreaInfo, Forecast, ForecastCell, Observation
from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType

DAY0 = dt.date(2026, 5, 6)
#: Mean on-site minutes per order type and difficulty used by the synthetic study.
ONSITE = {OrderType.INSTALL: (60, 85, 120), OrderType.MOVE: (50, 70, 95), OrderType.REPAIR: (40, 60, 90)}
TRAVEL = {AreaType.URBAN: 15.0, AreaType.SUBURBAN: 25.0, AreaType.RURAL: 40.0}


def obs(id: str = "OB1", **kw: Any) -> Observation:
    """One observation with sensible defaults (install, difficulty 1, urban, 100 % rating)."""
    data: dict[str, Any] = {
        "id": id,
        "date": DAY0,
        "branch_id": "B1",
        "observer": "Obs A",
        "technician_id": "T-001",
        "order_type": OrderType.INSTALL,
        "difficulty": 1,
        "area_type": AreaType.URBAN,
        "travel_min": 15.0,
        "onsite_min": 60.0,
        "paperwork_min": 10.0,
        "waiting_min": 0.0,
        "rating_pct": 100.0,
    }
    return Observation.model_validate(data | kw)


def study(
    n: int, seed: int = 0, branches: tuple[str, ...] = ("B1",), cells: int | None = None
) -> list[Observation]:
    """A synthetic work study: lognormal durations, ratings 80–120 %, rounded to 0.1 min like a stopwatch."""
    rng = np.random.default_rng(seed)
    out = []
    types, areas = list(OrderType), list(AreaType)
    for i in range(n):
        ot = types[int(rng.integers(3))] if cells is None else types[i % min(cells, 3)]
        d = int(rng.integers(1, 4)) if cells is None else 1
        at = areas[int(rng.integers(3))] if cells is None else AreaType.URBAN
        out.append(
            obs(
                f"OB{i:05d}",
                branch_id=branches[i % len(branches)],
                order_type=ot,
                difficulty=d,
                area_type=at,
                onsite_min=round(ONSITE[ot][d - 1] * float(rng.lognormal(0, 0.25)), 1),
                paperwork_min=round(float(rng.uniform(3, 12)), 1),
                travel_min=round(TRAVEL[at] * float(rng.lognormal(0, 0.35)), 1),
                waiting_min=round(float(rng.exponential(4)), 1),
                rating_pct=float(rng.choice([80, 90, 100, 110, 120])),
            )
        )
    return out


def seed_branch(session: Any, days: int = 28) -> None:
    """Store the small organisation of ``tests/factories.py`` (B1/G1/A1–A4, T-001…T-004), 120 observations
    and ``days`` days of history: 6 orders a day (4 repairs, 2 installs) from 2026-06-01."""
    from factories import T0, seed_org, store_order, work_order

    from fieldcrew import records
    from fieldcrew.tables import ObservationRow

    seed_org(session)
    session.add_all(ObservationRow(**records.observation_row(o)) for o in study(120, seed=4))
    n = 0
    for day in range(days):
        created = T0 + dt.timedelta(days=day)
        for k in range(6):
            n += 1
            store_order(session, work_order(f"WO-{n}", area_id=f"A{k % 4 + 1}", created=created,
                                            order_type=OrderType.REPAIR if k < 4 else OrderType.INSTALL))


def areas() -> list[AreaInfo]:
    """Two groups of one branch: G1 (urban A1, A2), G2 (rural A3)."""
    return [
        AreaInfo(area_id="A1", region_group_id="G1", branch_id="B1", area_type=AreaType.URBAN),
        AreaInfo(area_id="A2", region_group_id="G1", branch_id="B1", area_type=AreaType.URBAN),
        AreaInfo(area_id="A3", region_group_id="G2", branch_id="B1", area_type=AreaType.RURAL),
    ]


def forecast(orders: float = 10.0, days: int = 7, start: dt.date = dt.date(2026, 6, 1)) -> Forecast:
    """``orders`` install/1 orders per area per day."""
    return Forecast(
        cells=[
            ForecastCell(
                area_id=a,
                day=start + dt.timedelta(days=i),
                order_type=OrderType.INSTALL,
                difficulty=1,
                orders=orders,
            )
            for a in ("A1", "A2", "A3")
            for i in range(days)
        ]
    )
