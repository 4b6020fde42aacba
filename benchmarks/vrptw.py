"""Solomon VRPTW benchmark: distance gap to best-known (DIMACS) at a fixed time per instance, one core.

Goal (issue 5): mean gap ≤ 1.5 % at 5 s per instance. ``python -m benchmarks.vrptw [--quick]
[--engine ortools] [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from benchmarks import format_table, shared_data_dir
from scheduler.dispatch.io import read_solomon
from scheduler.dispatch.validate import validate_solomon
from scheduler.dispatch.vrptw import Engine, solve_vrptw

GOAL_GAP_PCT = 1.5
QUICK_INSTANCES = ("C101", "R103", "RC105", "R207")


def solomon_dir() -> Path | None:
    """The shared Solomon folder (``FIELDCREW_SHARED_DIR`` or ``<repo>/../shared``), None if absent."""
    return shared_data_dir("solomon", "best_known_distance.csv")


def best_known(folder: Path) -> dict[str, float]:
    """Best-known DIMACS distances by instance name."""
    with (folder / "best_known_distance.csv").open(encoding="utf-8") as fh:
        return {row["instance"]: float(row["distance"]) for row in csv.DictReader(fh)}


def run(
    quick: bool = False, seconds: float | None = None, engine: Engine = "pyvrp", seed: int = 1
) -> list[dict[str, Any]]:
    """One row per instance plus a ``MEAN`` row: distance, best-known, gap %, vehicles, seconds, feasible."""
    folder = solomon_dir()
    if folder is None:
        return [{"instance": "(skipped)", "note": "shared Solomon data not found"}]
    bk = best_known(folder)
    names = QUICK_INSTANCES if quick else tuple(sorted(bk))
    limit = seconds if seconds is not None else (1.0 if quick else 5.0)
    rows: list[dict[str, Any]] = []
    for name in names:
        inst = read_solomon(folder / f"{name}.txt")
        res = solve_vrptw(inst, limit, seed, engine)
        check = validate_solomon(inst, res.routes)
        gap = 100 * (check.distance - bk[name]) / bk[name]
        rows.append(
            {
                "instance": name,
                "engine": engine,
                "seconds": res.seconds,
                "vehicles": check.vehicles,
                "distance": check.distance,
                "best_known": bk[name],
                "gap_pct": round(gap, 2),
                "feasible": check.ok,
            }
        )
    mean = sum(r["gap_pct"] for r in rows) / len(rows)
    rows.append(
        {
            "instance": "MEAN",
            "engine": engine,
            "seconds": limit,
            "gap_pct": round(mean, 3),
            "goal_gap_pct": GOAL_GAP_PCT,
            "ratio_to_goal": round(mean / GOAL_GAP_PCT, 3),
            "feasible": all(r["feasible"] for r in rows),
        }
    )
    return rows


def main() -> None:
    """Command-line entry: print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--engine", default="pyvrp", choices=["pyvrp", "ortools"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(format_table(run(args.quick, args.seconds, args.engine, args.seed)))


if __name__ == "__main__":
    main()
