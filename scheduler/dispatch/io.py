"""Readers and writers: the Solomon VRPTW format and the day-plan export (CSV / Excel)."""

from __future__ import annotations

import csv
import io as _io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from fieldcrew import tabular
from scheduler.dispatch.errors import InvalidSolomonFile, InvalidStateFile
from scheduler.dispatch.solomon import SolomonCustomer, SolomonInstance

if TYPE_CHECKING:
    from scheduler.dispatch.domain import DayInput, DayPlan

#: Columns of the day-plan export, one row per stop (unassigned orders have no technician).
PLAN_COLUMNS: tuple[str, ...] = (
    "technician_id",
    "seq",
    "order_id",
    "status",
    "arrival",
    "start",
    "end",
    "travel_min",
    "deadline",
    "late_min",
    "locked",
    "reason",
)


def read_solomon(path: str | Path) -> SolomonInstance:
    """Read a Solomon VRPTW instance (``VEHICLE`` block, then the ``CUSTOMER`` table).

    Parameters
    ----------
    path
        The instance file (CRLF or LF line endings).

    Returns
    -------
    SolomonInstance
        Customer 0 is the depot.

    Raises
    ------
    InvalidSolomonFile
        Naming the file, the line and the rule broken.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    return parse_solomon(lines, source=str(path))


def parse_solomon(lines: list[str], source: str = "<text>") -> SolomonInstance:
    """Parse the lines of a Solomon file; see :func:`read_solomon`."""
    stripped = [ln.strip() for ln in lines]
    name = next((ln for ln in stripped if ln), "")
    if not name:
        raise InvalidSolomonFile(f"file {source}: empty file; rule: the first line is the instance name")
    try:
        v_at = next(i for i, ln in enumerate(stripped) if ln.upper().startswith("VEHICLE"))
        c_at = next(i for i, ln in enumerate(stripped) if ln.upper().startswith("CUSTOMER"))
    except StopIteration:
        raise InvalidSolomonFile(
            f"file {source}: missing VEHICLE or CUSTOMER section; rule: Solomon format has both"
        ) from None
    vehicles = capacity = None
    for i in range(v_at + 1, c_at):
        parts = stripped[i].split()
        if len(parts) == 2 and all(p.lstrip("-").isdigit() for p in parts):
            vehicles, capacity = int(parts[0]), int(parts[1])
            break
    if vehicles is None or capacity is None or vehicles <= 0 or capacity <= 0:
        raise InvalidSolomonFile(
            f"file {source}: VEHICLE block has no line 'NUMBER CAPACITY' with two positive integers"
        )
    customers: list[SolomonCustomer] = []
    for i in range(c_at + 1, len(stripped)):
        parts = stripped[i].split()
        if not parts or not parts[0].lstrip("-").replace(".", "").isdigit():
            continue  # header or blank line
        if len(parts) != 7:
            raise InvalidSolomonFile(
                f"file {source}, line {i + 1}: value {stripped[i]!r} breaks rule: a customer row has 7 "
                "columns (no, x, y, demand, ready, due, service)"
            )
        try:
            no, demand, ready, due, service = (int(float(parts[k])) for k in (0, 3, 4, 5, 6))
            x, y = float(parts[1]), float(parts[2])
        except ValueError:
            raise InvalidSolomonFile(
                f"file {source}, line {i + 1}: value {stripped[i]!r} breaks rule: columns are numbers"
            ) from None
        if no != len(customers):
            raise InvalidSolomonFile(
                f"file {source}, line {i + 1}: customer number {no} breaks rule: numbers run 0, 1, 2, … "
                f"(expected {len(customers)})"
            )
        if due < ready or demand < 0 or service < 0:
            raise InvalidSolomonFile(
                f"file {source}, line {i + 1}: customer {no} breaks rule: "
                "ready ≤ due, demand ≥ 0, service ≥ 0"
            )
        customers.append(SolomonCustomer(no, x, y, demand, ready, due, service))
    if len(customers) < 2:
        raise InvalidSolomonFile(f"file {source}: rule: need the depot (0) and at least one customer")
    return SolomonInstance(name=name, vehicles=vehicles, capacity=capacity, customers=tuple(customers))


def plan_rows(plan: DayPlan) -> list[dict[str, object]]:
    """The day plan as flat rows (one per stop, then one per unassigned order).

    Columns are :data:`PLAN_COLUMNS`.
    """
    rows: list[dict[str, object]] = []
    for route in plan.routes:
        for seq, stop in enumerate(route.stops, start=1):
            rows.append(
                {
                    "technician_id": route.technician_id,
                    "seq": seq,
                    "order_id": stop.order_id,
                    "status": stop.status.value,
                    "arrival": stop.arrival.isoformat(sep=" "),
                    "start": stop.start.isoformat(sep=" "),
                    "end": stop.end.isoformat(sep=" "),
                    "travel_min": stop.travel_min,
                    "deadline": stop.deadline.isoformat(sep=" "),
                    "late_min": stop.late_min,
                    "locked": stop.locked,
                    "reason": "",
                }
            )
    for un in plan.unassigned:
        row: dict[str, object] = {c: "" for c in PLAN_COLUMNS}
        row.update({"order_id": un.order_id, "status": "unassigned", "reason": f"{un.rule}: {un.reason}"})
        rows.append(row)
    return rows


def plan_to_csv(plan: DayPlan) -> str:
    """The day plan as CSV text (UTF-8, header row :data:`PLAN_COLUMNS`); text a spreadsheet would
    run as a formula gets a leading apostrophe (:func:`fieldcrew.tabular.safe_cell`)."""
    buf = _io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PLAN_COLUMNS))
    writer.writeheader()
    writer.writerows(tabular.safe_record(row) for row in plan_rows(plan))
    return buf.getvalue()


def plan_to_excel(plan: DayPlan, path: str | Path) -> Path:
    """Write the day plan to an Excel workbook: sheet ``plan`` (stops) and ``warnings``; text cells
    are typed as text and formula-leading text is guarded (:func:`fieldcrew.tabular.append_row`)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "plan"
    tabular.append_row(ws, PLAN_COLUMNS)
    for row in plan_rows(plan):
        tabular.append_row(ws, [row[c] for c in PLAN_COLUMNS])
    ws2 = wb.create_sheet("warnings")
    tabular.append_row(ws2, ["kind", "order_id", "technician_id", "message"])
    for w in plan.warnings:
        tabular.append_row(ws2, [w.kind.value, w.order_id, w.technician_id or "", w.message])
    path = Path(path)
    wb.save(path)
    return path


def state_to_json(inp: DayInput, plan: DayPlan) -> str:
    """A dispatch state (input + plan in force) as JSON text."""
    return json.dumps(
        {"input": inp.model_dump(mode="json"), "plan": plan.model_dump(mode="json")},
        ensure_ascii=False,
        indent=1,
    )


def state_from_json(text: str, source: str = "<state>") -> tuple[DayInput, DayPlan]:
    """Read a dispatch state written by :func:`state_to_json`."""
    from scheduler.dispatch.domain import DayInput, DayPlan

    try:
        data = json.loads(text)
        return DayInput.model_validate(data["input"]), DayPlan.model_validate(data["plan"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidStateFile(
            f"file {source}: not a dispatch state ({exc.__class__.__name__}: {exc}); "
            "rule: a JSON object with 'input' and 'plan'"
        ) from None
