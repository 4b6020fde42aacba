"""The files a replication writes: its event log and its roster (CSV, UTF-8)."""

from __future__ import annotations

import csv
from pathlib import Path

from simulator.domain import ReplicationResult

EVENT_COLUMNS = ("time", "order", "technician", "event")
ROSTER_COLUMNS = ("technician", "date", "shift", "group")


def write_replication(result: ReplicationResult, root: Path) -> Path:
    """Write ``root/<model>/<replication>/events.csv`` and ``roster.csv``; returns the folder."""
    folder = root / result.model.value / str(result.replication)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "events.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(EVENT_COLUMNS)
        for at, order, tech, event in result.events:
            w.writerow((at.strftime("%Y-%m-%d %H:%M:%S"), order, tech, event))
    with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ROSTER_COLUMNS)
        for tech, day, cell, group in result.roster:
            w.writerow((tech, day.isoformat(), cell, group))
    return folder
