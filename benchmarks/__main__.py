"""Run every benchmark and print one table per module, with ratios against goals and best-known values.

Usage::

    python -m benchmarks [--quick] [--only nrp,vrptw] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import dispatch_speed, format_table, nrp, payroll, quality, roster_demo, timepool, vrptw

#: Every benchmark module by name, in the order the data flows: pool → roster → dispatch → KPIs → pay.
BENCHMARKS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "timepool": timepool.run,
    "nrp": nrp.run,
    "roster_demo": roster_demo.run,
    "vrptw": vrptw.run,
    "dispatch_speed": dispatch_speed.run,
    "quality": quality.run,
    "payroll": payroll.run,
}
MODULES: tuple[str, ...] = tuple(BENCHMARKS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short smoke run of every benchmark")
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--json", type=Path, default=None, help="also write all rows to this file")
    args = parser.parse_args(argv)
    wanted = [m for m in args.only.split(",") if m] or list(MODULES)
    unknown = sorted(set(wanted) - set(MODULES))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {', '.join(MODULES)}")
    results: dict[str, list[dict[str, Any]]] = {}
    for name in wanted:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        rows = BENCHMARKS[name](quick=args.quick)
        results[name] = rows
        print(format_table(rows))
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
