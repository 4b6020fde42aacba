"""Roster benchmark: Curtois–Qu gap table vs best known (the demo branch is ``benchmarks.roster_demo``).

``python -m benchmarks.nrp [--quick] [--only Instance5,Instance7]``; ``run(quick)`` returns the rows.
Full mode: instances 1–11 at 60 s with 2 workers, larger ones at 300 s; quick mode: 1, 3, 5 at 10 s.
Every objective is recomputed by the solver-independent validator (a mismatch raises). ``method``
says which engine :func:`scheduler.roster.nrp_bench.solve_nrp` chose (column generation or the
LNS alone, by the instance's structure), ``stopped_by`` what ended the search.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from benchmarks import shared_data_dir
from scheduler.roster.nrp import read_nrp
from scheduler.roster.solver import solve_nrp
from scheduler.roster.validate import check_nrp

WORKERS = 2


def shared_nrp_dir() -> Path | None:
    """The shared Curtois–Qu folder, None if absent."""
    return shared_data_dir("nrp", "best_known.csv")


def best_known(folder: Path) -> dict[str, int]:
    with (folder / "best_known.csv").open() as fh:
        return {row["instance"]: int(row["best_known"]) for row in csv.DictReader(fh)}


def nrp_rows(quick: bool = False, only: list[str] | None = None) -> list[dict[str, object]]:
    folder = shared_nrp_dir()
    if folder is None:
        return [{"instance": "(shared/data/nrp absent)", "objective": None}]
    best = best_known(folder)
    files = sorted(folder.glob("Instance*.txt"), key=lambda p: int(p.stem[8:]))
    rows: list[dict[str, object]] = []
    for path in files:
        number = int(path.stem[8:])
        if only and path.stem not in only:
            continue
        if quick and number not in (1, 3, 5):
            continue
        seconds = 10.0 if quick else (60.0 if number <= 11 else 300.0)
        inst = read_nrp(path)
        t0 = time.monotonic()
        result = solve_nrp(inst, seconds=seconds, workers=WORKERS, seed=0)
        wall = time.monotonic() - t0
        rep = check_nrp(inst, result.assignment) if result.feasible else None
        if rep is not None and (rep.violations or rep.objective != result.objective):
            raise AssertionError(f"{path.stem}: validator {rep.objective} vs solver {result.objective}")
        ref = best.get(path.stem)
        gap = None if result.objective is None or not ref else 100.0 * (result.objective - ref) / ref
        rows.append(
            {
                "instance": path.stem,
                "limit_s": seconds,
                "workers": WORKERS,
                "status": result.status,
                "objective": result.objective,
                "bound": result.bound,
                "best_known": ref,
                "gap_pct": None if gap is None else round(gap, 2),
                "feasible": rep is not None and rep.feasible,
                "seconds": round(wall, 1),
                "method": result.info.get("method"),
                "stopped_by": result.info.get("stopped_by"),
            }
        )
    small = [r for r in rows if isinstance(r.get("gap_pct"), float) and int(str(r["instance"])[8:]) <= 11]
    if small:
        mean = sum(float(str(r["gap_pct"])) for r in small) / len(small)
        rows.append(
            {
                "instance": "mean 1-11",
                "gap_pct": round(mean, 2),
                "goal": "<= 1%",
                "feasible": all(bool(r["feasible"]) for r in small),
            }
        )
    return rows


def run(quick: bool = False, only: list[str] | None = None) -> list[dict[str, object]]:
    """Rows of the Curtois–Qu gap table (the demo branch is ``benchmarks.roster_demo``)."""
    return nrp_rows(quick, only)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated instance names")
    args = parser.parse_args()
    rows = run(args.quick, [s for s in args.only.split(",") if s] or None)
    keys = [
        "instance",
        "limit_s",
        "status",
        "objective",
        "bound",
        "best_known",
        "gap_pct",
        "feasible",
        "seconds",
        "method",
        "stopped_by",
        "goal",
    ]
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join("" if row.get(k) is None else str(row.get(k)) for k in keys))


if __name__ == "__main__":
    main()
