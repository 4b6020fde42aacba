"""Readers and writers: the Curtois–Qu format, roster export (Excel/CSV/JSON) and a PNG heat map.

Plotting uses matplotlib's Agg backend (no display needed) and never imports the solver.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from fieldcrew import tabular
from scheduler.roster.domain import RosterProblem, RosterResult
from scheduler.roster.nrp import NrpInstance, format_nrp, nrp_to_problem, parse_nrp, read_nrp

__all__ = [
    "NrpInstance",
    "format_nrp",
    "heatmap_png",
    "nrp_to_problem",
    "parse_nrp",
    "read_nrp",
    "roster_rows",
    "write_roster",
]

REST = "休"  # shown on rest days


def _day_labels(problem: RosterProblem) -> list[str]:
    if problem.start_date:
        first = dt.date.fromisoformat(problem.start_date)
        return [(first + dt.timedelta(days=d)).isoformat() for d in range(problem.horizon)]
    return [str(d) for d in range(problem.horizon)]


def roster_rows(problem: RosterProblem, result: RosterResult) -> list[list[str]]:
    """The roster as a table: header, then one row per technician (group, id, cells, totals)."""
    header = ["group", "technician", *_day_labels(problem), "working_days", "rest_days"]
    rows = [header]
    for emp in problem.employees:
        row = result.assignment.get(emp.id, [None] * problem.horizon)
        cells = []
        for d, s in enumerate(row):
            if s is None:
                cells.append("leave" if d in problem.days_off.get(emp.id, ()) else REST)
            elif emp.support and result.support_groups.get(emp.id):
                cells.append(f"{s}@{result.support_groups[emp.id][d]}")
            else:
                cells.append(s)
        worked = sum(1 for s in row if s is not None)
        rows.append([emp.group_id or "support", emp.id, *cells, str(worked), str(problem.horizon - worked)])
    return rows


def write_roster(problem: RosterProblem, result: RosterResult, path: Path) -> Path:
    """Write the roster as ``.xlsx``, ``.csv`` or ``.json`` (by suffix).

    In the CSV and Excel files, text a spreadsheet would run as a formula (a group or technician
    id such as ``=1+1``) gets a leading apostrophe and Excel text cells are typed as text
    (:func:`fieldcrew.tabular.safe_cell`): it is shown, never run.
    """
    path = Path(path)
    rows = roster_rows(problem, result)
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(tabular.safe_row(r) for r in rows)
    elif path.suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import PatternFill

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "roster"
        rest_fill = PatternFill("solid", fgColor="C6EFCE")
        for r in rows:
            tabular.append_row(ws, r)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.value == REST:
                    cell.fill = rest_fill
        ws2 = wb.create_sheet("score")
        tabular.append_row(ws2, ["rule", "cost", "technician", "group", "day", "detail"])
        for line in result.breakdown:
            cells = [line.rule, line.cost, line.employee, line.group_id, line.day, line.detail]
            tabular.append_row(ws2, cells)
        wb.save(path)
    elif path.suffix == ".json":
        payload = {"problem": problem.model_dump(mode="json"), "result": result.model_dump(mode="json")}
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    else:
        raise ValueError(f"unknown roster format {path.suffix!r}: use .xlsx, .csv or .json")
    return path


def read_roster_json(path: Path) -> tuple[RosterProblem, RosterResult]:
    """Read a roster written by :func:`write_roster` as ``.json`` (problem and result)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return RosterProblem.model_validate(data["problem"]), RosterResult.model_validate(data["result"])


def heatmap_png(problem: RosterProblem, result: RosterResult, path: Path) -> Path:
    """Technicians × days (rest days visible) above coverage vs quota per day."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    emps = problem.employees
    grid = np.zeros((len(emps), problem.horizon))
    for i, emp in enumerate(emps):
        row = result.assignment.get(emp.id, [None] * problem.horizon)
        for d, s in enumerate(row):
            grid[i, d] = 1.0 if s is not None else (-1.0 if d in problem.days_off.get(emp.id, ()) else 0.0)
    need = np.zeros(problem.horizon)
    for c in problem.covers:
        need[c.day] += c.requirement
    have = grid.clip(min=0).sum(axis=0)
    fig, (ax1, ax2) = plt.subplots(
        2,
        1,
        figsize=(max(8, problem.horizon * 0.35), 3 + len(emps) * 0.12),
        gridspec_kw={"height_ratios": [4, 1]},
        sharex=True,
    )
    ax1.imshow(grid, aspect="auto", cmap="RdYlGn_r", vmin=-1, vmax=1, interpolation="nearest")
    ax1.set_ylabel("technicians")
    ax1.set_title(f"{problem.name}: work (red), rest (yellow), leave (green)")
    ax2.bar(range(problem.horizon), have, color="tab:blue", label="heads working")
    ax2.step(range(problem.horizon), need, where="mid", color="tab:red", label="quota")
    ax2.set_xlabel("day")
    ax2.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
