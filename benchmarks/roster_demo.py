"""Roster benchmark on the demo branch: about 104 technicians in region groups of 4–6 (some of 3)
plus a support team of 4, 28 days, preset ``urban_dense``; goal: optimal or proven within 1% in
≤ 10 s with 2 workers. Rows for 10 s (the goal) and, in full mode, 60 s (for scale).

``python -m benchmarks.roster_demo [--quick]``.
"""

from __future__ import annotations

import argparse

from benchmarks.nrp import demo_row


def run(quick: bool = False) -> list[dict[str, object]]:
    """Rows: the demo branch solved in 10 s (and in 60 s unless ``quick``)."""
    rows = [demo_row(10.0)]
    if not quick:
        rows.append(demo_row(60.0))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(row)
