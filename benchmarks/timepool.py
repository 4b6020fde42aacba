"""Benchmark of the work-hour pool: 1,000,000 observations → standard-hour table (goal ≤ 3 s).

The observations are synthetic (seeded): 27 cells, lognormal durations with a few planted
outliers, string ids; they are built before the clock starts. The timed part is the whole
vectorised table: normal times, MAD outlier screening with reasons, standards, intervals,
sample adequacy, travel standards and the provenance digest over every observation. Peak memory
is the process's peak resident set size (``ru_maxrss``) and its growth during the timed run.

Run: ``python -m benchmarks.timepool`` (``--quick`` for 100,000 rows).
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from timepool.domain import Observation, OutlierRule, StandardParams
from timepool.erlang import size_erlang_a, size_erlang_c
from timepool.standards import (
    AREA_TYPES,
    ORDER_TYPES,
    ObservationArrays,
    compute_standards,
    compute_standards_arrays,
)

GOAL_SECONDS = 3.0


def synthetic(n: int, seed: int = 20260401) -> ObservationArrays:
    """``n`` seeded observations over all 27 cells, about 0.5 % of them planted outliers."""
    rng = np.random.default_rng(seed)
    ot = rng.integers(0, 3, n)
    diff = rng.integers(1, 4, n)
    at = rng.integers(0, 3, n)
    base = np.array([60.0, 50.0, 40.0])[ot] * (0.7 + 0.3 * diff)
    onsite = np.round(base * rng.lognormal(0, 0.25, n), 1)
    planted = rng.random(n) < 0.005
    onsite[planted] *= 6
    travel = np.round(np.array([15.0, 25.0, 40.0])[at] * rng.lognormal(0, 0.35, n), 1)
    return ObservationArrays(
        ids=np.char.add("OB", np.char.zfill(np.arange(n).astype(str), 7)),
        order_type=ot,
        difficulty=diff,
        area_type=at,
        travel_min=travel,
        onsite_min=onsite,
        paperwork_min=np.round(rng.uniform(3, 12, n), 1),
        waiting_min=np.round(rng.exponential(4, n), 1),
        rating_pct=rng.choice(np.array([80.0, 90.0, 100.0, 110.0, 120.0]), n),
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run(quick: bool = False) -> list[dict[str, object]]:
    """Time the standard-hour table on 1M (quick: 100k) observations, plus two sizing runs."""
    n = 100_000 if quick else 1_000_000
    data = synthetic(n)
    rows: list[dict[str, object]] = []
    for rule in (OutlierRule.MAD, OutlierRule.IQR):
        rss_before = _rss_mb()
        t0 = time.perf_counter()
        table = compute_standards_arrays(data, StandardParams(outlier_rule=rule), scope="bench")
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "case": f"standards {n:,} obs ({rule.value})",
                "seconds": round(seconds, 3),
                "goal_s": GOAL_SECONDS,
                "ratio_vs_goal": round(seconds / GOAL_SECONDS, 3),
                "peak_rss_mb": round(_rss_mb(), 1),
                "rss_growth_mb": round(_rss_mb() - rss_before, 1),
                "cells": len(table.cells),
                "set_aside": sum(len(g.observation_ids) for g in table.set_aside),
            }
        )
    # the pure-Python reference on a slice, to show why the vectorised path exists (and that they agree)
    small = 20_000
    sub = ObservationArrays(*(getattr(data, f)[:small] for f in data.__dataclass_fields__))

    obs = [
        Observation(
            id=str(sub.ids[i]),
            date="2026-05-06",
            branch_id="B1",
            observer="bench",
            technician_id="T",
            order_type=ORDER_TYPES[int(sub.order_type[i])],
            difficulty=int(sub.difficulty[i]),
            area_type=AREA_TYPES[int(sub.area_type[i])],
            travel_min=float(sub.travel_min[i]),
            onsite_min=float(sub.onsite_min[i]),
            paperwork_min=float(sub.paperwork_min[i]),
            waiting_min=float(sub.waiting_min[i]),
            rating_pct=float(sub.rating_pct[i]),
        )
        for i in range(small)
    ]
    t0 = time.perf_counter()
    ref = compute_standards(obs, scope="bench")
    py_seconds = time.perf_counter() - t0
    fast = compute_standards_arrays(sub, scope="bench")
    rows.append(
        {
            "case": f"pure-Python reference {small:,} obs",
            "seconds": round(py_seconds, 3),
            "goal_s": None,
            "ratio_vs_goal": None,
            "peak_rss_mb": round(_rss_mb(), 1),
            "rss_growth_mb": None,
            "cells": len(ref.cells),
            "set_aside": sum(len(g.observation_ids) for g in ref.set_aside),
            "equal_to_numpy": ref.model_dump() == fast.model_dump(),
        }
    )
    t0 = time.perf_counter()
    c = size_erlang_c(5000 * 30, 30 * 60, 60, 0.8, 1)
    rows.append(
        {
            "case": "erlang-c sizing at 5,000 Erlangs",
            "seconds": round(time.perf_counter() - t0, 3),
            "goal_s": None,
            "ratio_vs_goal": None,
            "raw_agents": c.raw_agents,
        }
    )
    t0 = time.perf_counter()
    a = size_erlang_a(2000, 60, 30, 60, 0.9, 1)
    rows.append(
        {
            "case": "erlang-a sizing at 1,000 Erlangs",
            "seconds": round(time.perf_counter() - t0, 3),
            "goal_s": None,
            "ratio_vs_goal": None,
            "raw_agents": a.raw_agents,
        }
    )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark table."""
    args = sys.argv[1:] if argv is None else argv
    rows = run(quick="--quick" in args)
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]
    print("  ".join(columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")) for c in columns))


if __name__ == "__main__":
    main()
