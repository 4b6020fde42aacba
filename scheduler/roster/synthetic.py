"""A demo-like branch for tests and benchmarks when the demo city is not at hand.

About 104 technicians in region groups of 4–6 plus a support team of 4, and daily quotas that
ask for most of each group every day (more on weekdays than at weekends), as the plan's numbers
suggest: quotas often exceed what the rest guarantee leaves, and the support team fills in.
"""

from __future__ import annotations

import datetime as dt
import random

from timepool.domain import Quotas
from vocabulary.staff import Technician


def synthetic_branch(
    seed: int = 0,
    technicians: int = 100,
    support: int = 4,
    start: dt.date = dt.date(2025, 3, 3),
    days: int = 28,
) -> tuple[list[Technician], Quotas]:
    """Technicians and the daily quotas of their groups in a synthetic branch (deterministic per seed)."""
    rng = random.Random(seed)
    techs: list[Technician] = []
    sizes: list[int] = []
    left = technicians
    while left > 0:
        size = min(left, rng.choice((4, 5, 5, 6)))
        if 0 < left - size < 4:
            size = left
        sizes.append(size)
        left -= size
    quotas: dict[str, dict[dt.date, int]] = {}
    n = 0
    for g, size in enumerate(sizes, start=1):
        gid = f"G{g:02d}"
        for _ in range(size):
            n += 1
            techs.append(
                Technician(
                    id=f"T{n:03d}",
                    name=f"Tech {n}",
                    branch_id="B1",
                    region_group_id=gid,
                    post_grade="T2",
                    start_date=dt.date(2020, 1, 1),
                )
            )
        quotas[gid] = {}
        for d in range(days):
            day = start + dt.timedelta(days=d)
            base = size - 1 if day.weekday() < 5 else size - 2
            quotas[gid][day] = max(1, base + (1 if rng.random() < 0.15 else 0))
    for k in range(support):
        techs.append(
            Technician(
                id=f"S{k + 1:02d}",
                name=f"Support {k + 1}",
                branch_id="B1",
                region_group_id=None,
                support_team=True,
                post_grade="T3",
                start_date=dt.date(2020, 1, 1),
            )
        )
    return techs, Quotas(quotas)


def synthetic_quotas(technicians: list[Technician], start: dt.date, days: int, seed: int = 0) -> Quotas:
    """Quotas for real technicians (e.g. the demo city's) when the work-hour pool is not at hand:
    group size − 1 on weekdays, − 2 at weekends, one more on about 15% of days."""
    rng = random.Random(seed)
    sizes: dict[str, int] = {}
    for t in technicians:
        if not t.support_team and t.region_group_id:
            sizes[t.region_group_id] = sizes.get(t.region_group_id, 0) + 1
    quotas: dict[str, dict[dt.date, int]] = {}
    for g, size in sizes.items():
        quotas[g] = {}
        for d in range(days):
            day = start + dt.timedelta(days=d)
            base = size - 1 if day.weekday() < 5 else size - 2
            quotas[g][day] = max(1, base + (1 if rng.random() < 0.15 else 0))
    return Quotas(quotas)
