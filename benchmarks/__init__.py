"""Speed and quality benchmarks: one module per instrument, each with ``run(quick) -> rows``.

Run them all with ``python -m benchmarks`` (or ``make bench``); ``--quick`` gives a short smoke run.
"""

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
    import argparse

    from benchmarks.__main__ import format_table

    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(format_table(run(args.quick)))  # noqa: T201 - a benchmark's output is its table
