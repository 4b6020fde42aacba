"""Speed and quality benchmarks: one module per instrument, each with ``run(quick) -> rows``.

Run them all with ``python -m benchmarks`` (or ``make bench``); ``--quick`` gives a short smoke run.
"""

import os
from pathlib import Path


def shared_data_dir(family: str, marker: str) -> Path | None:
    """``shared/data/<family>`` (``FIELDCREW_SHARED_DIR`` or ``<repo>/../shared``) when it holds
    ``marker``; None when the shared benchmark data is absent (benchmarks then skip cleanly)."""
    env = os.environ.get("FIELDCREW_SHARED_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared"
    folder = base / "data" / family
    return folder if (folder / marker).exists() else None
