"""Speed and quality benchmarks: one module per instrument, each with ``run(quick) -> rows``.

Run them all with ``python -m benchmarks`` (or ``make bench``); ``--quick`` gives a short smoke run.
"""

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def shared_data_dir(family: str, marker: str) -> Path | None:
    """``shared/data/<family>`` (``FIELDCREW_SHARED_DIR`` or ``<repo>/../shared``) when it holds
    ``marker``; None when the shared benchmark data is absent (benchmarks then skip cleanly)."""
    env = os.environ.get("FIELDCREW_SHARED_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared"
    folder = base / "data" / family
    return folder if (folder / marker).exists() else None


def run_cli(run: Callable[[bool], list[dict[str, Any]]], doc: str | None) -> None:
    """Command-line entry of a benchmark module: ``--quick``, then print its table."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(format_table(run(args.quick)))  # noqa: T201 - a benchmark's output is its table


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain fixed-width table of the rows (columns in first-seen order)."""
    if not rows:
        return "(no rows)"
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, rule, *body])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)
