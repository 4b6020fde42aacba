"""Reading orders and staff (CSV, Excel, the platform database) and writing KPI tables (CSV, Excel).

Orders given directly as files have one row per order with the columns of :data:`ORDER_COLUMNS`
(only ``id``, ``order_type`` and ``created`` are required; ``deadline`` defaults to the service
deadline of the order type and customer grade; events come from ``dispatched_at``, ``started_at``,
``completed_at``, ``cancelled_at``). Every row goes through :func:`quality.validate.validate_records`.
Files are read by :mod:`fieldcrew.tabular`, the reader every instrument shares (CSV in UTF-8 or
GB18030, Excel's first sheet with its typed cells; blank rows skipped; header = row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew import tabular
from quality.kpis import completed_at
from quality.validate import ValidatedOrders, parse_datetime, validate_records
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import OrderStatus, WorkOrder
from vocabulary.staff import Technician

ORDER_COLUMNS: tuple[str, ...] = (
    "id", "order_type", "difficulty", "area_id", "lat", "lon", "customer_grade", "line_type",
    "created", "deadline", "appointment_start", "appointment_end", "status", "technician_id",
    "dispatched_at", "started_at", "completed_at", "cancelled_at",
    "satisfaction", "contact_timely", "appointment_kept", "skill_satisfied", "attitude_satisfied",
    "repeat_fault_within_days", "complaint", "praise",
)
REQUIRED_ORDER_COLUMNS: tuple[str, ...] = ("id", "order_type", "created")
TECHNICIAN_COLUMNS: tuple[str, ...] = (
    "id", "name", "branch_id", "region_group_id", "post_grade", "start_date",
)


def read_table(path: Path | str) -> list[dict[str, Any]]:
    """Rows of a CSV or Excel file keyed by the header (:func:`fieldcrew.tabular.read_table`; an
    Excel cell keeps its type, a CSV cell is text, a cell the row lacks is None).

    Raises
    ------
    InputErrors
        When the file is missing or cannot be read (naming file and row).
    """
    return [cells for _, cells in _read(path, ()).records(typed=True)]


def _read(path: Path | str, required: Sequence[str]) -> tabular.RawTable:
    """The file, checked to have the ``required`` columns."""
    table = tabular.read_table(Path(path))
    table.check_header(required)
    return table


def load_orders_file(path: Path | str, known_technicians: Collection[str] | None = None) -> ValidatedOrders:
    """Orders from a CSV/Excel file, validated (bad rows reported with row and rule, not raised)."""
    table = _read(path, REQUIRED_ORDER_COLUMNS)
    # validate_records numbers the records from the first one on: right unless blank rows lie
    # between data rows (they are skipped)
    first_row = table.rows[0].number if table.rows else 2
    return validate_records([cells for _, cells in table.records(typed=True)], known_technicians,
                            file=table.file, first_row=first_row)


def read_technicians_file(path: Path | str) -> list[Technician]:
    """Technicians from a CSV/Excel file (``id``, ``branch_id``, ``region_group_id`` required;
    an empty ``region_group_id`` means the support team). Raises :class:`InputErrors` listing every
    bad row."""
    table = _read(path, ("id", "branch_id", "region_group_id"))
    techs: list[Technician] = []
    problems: list[Problem] = []
    for i, row in table.records(typed=True):
        group = (str(row.get("region_group_id") or "").strip()) or None
        try:
            start = parse_datetime(row.get("start_date"))
            techs.append(
                Technician(
                    id=str(row.get("id") or "").strip(),
                    name=str(row.get("name") or row.get("id") or "?"),
                    branch_id=str(row.get("branch_id") or "").strip(),
                    region_group_id=group,
                    post_grade=str(row.get("post_grade") or "T1"),
                    start_date=start.date() if start else dt.date(2000, 1, 1),
                    support_team=group is None,
                )
            )
        except ValueError as exc:
            problems.append(Problem(field="row", rule=str(exc).replace("\n", " ")[:300], value=row.get("id"),
                                    row=i, file=table.file))
    if problems:
        raise InputErrors(problems)
    return techs


def load_technicians_db(session: Session) -> list[Technician]:
    """Every technician of the platform's ``technicians`` table."""
    from fieldcrew.records import read_technicians

    return read_technicians(session)


def load_orders_db(
    session: Session,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    known_technicians: Collection[str] | None = None,
) -> ValidatedOrders:
    """Orders and their events from the platform's ``work_orders``/``order_events`` tables, validated.

    With ``start``/``end``, only orders created in ``[start - 31 days, end)`` are read: an order
    completed in the window was created at most a month before it (longer ones are rare and would
    be missed; widen ``start`` when reporting on very old backlogs).
    """
    from fieldcrew.tables import OrderEventRow, WorkOrderRow

    query = select(WorkOrderRow)
    if start is not None:
        query = query.where(WorkOrderRow.created >= start - dt.timedelta(days=31))
    if end is not None:
        query = query.where(WorkOrderRow.created < end)
    orders = list(session.scalars(query.order_by(WorkOrderRow.created, WorkOrderRow.id)))
    events: dict[str, list[dict[str, Any]]] = {}
    ids = [o.id for o in orders]
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        ev_query = select(OrderEventRow).where(OrderEventRow.order_id.in_(part))
        for ev in session.scalars(ev_query.order_by(OrderEventRow.at, OrderEventRow.id)):
            events.setdefault(ev.order_id, []).append(
                {"status": ev.status, "at": ev.at, "technician_id": ev.technician_id}
            )
    records = []
    for row in orders:
        rec = {c: getattr(row, c, None) for c in ORDER_COLUMNS if hasattr(row, c)}
        rec["events"] = events.get(row.id, [])
        if not rec["events"]:
            del rec["events"]
        records.append(rec)
    return validate_records(records, known_technicians, file="work_orders", first_row=1)


def order_record(order: WorkOrder) -> dict[str, Any]:
    """A flat record of an order with the columns of :data:`ORDER_COLUMNS` (round-trips through files)."""
    out = order.outcome
    return {
        "id": order.id, "order_type": order.order_type.value, "difficulty": order.difficulty,
        "area_id": order.area_id, "lat": order.location.lat, "lon": order.location.lon,
        "customer_grade": order.customer_grade.value, "line_type": order.line_type.value,
        "created": order.created, "deadline": order.deadline,
        "appointment_start": order.appointment.start if order.appointment else None,
        "appointment_end": order.appointment.end if order.appointment else None,
        "status": order.status.value, "technician_id": order.technician_id,
        "dispatched_at": order.time_of(OrderStatus.DISPATCHED),
        "started_at": order.time_of(OrderStatus.STARTED),
        "completed_at": completed_at(order), "cancelled_at": order.time_of(OrderStatus.CANCELLED),
        "satisfaction": out.satisfaction if out else None,
        "contact_timely": out.contact_timely if out else None,
        "appointment_kept": out.appointment_kept if out else None,
        "skill_satisfied": out.skill_satisfied if out else None,
        "attitude_satisfied": out.attitude_satisfied if out else None,
        "repeat_fault_within_days": out.repeat_fault_within_days if out else None,
        "complaint": out.complaint if out else False, "praise": out.praise if out else False,
    }


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def write_rows(rows: Iterable[Mapping[str, Any]], path: Path | str, sheet: str = "kpis") -> Path:
    """Write flat rows to ``.csv`` (UTF-8 with BOM, so Excel shows Chinese text) or ``.xlsx``."""
    path = Path(path)
    rows = list(rows)
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = sheet[:31]
        ws.append(header)
        for row in rows:
            ws.append([_numeric(_cell(row.get(h))) if h in NUMERIC_COLUMNS else _cell(row.get(h))
                       for h in header])
        ws.freeze_panes = "A2"
        wb.save(path)
    elif path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            for row in rows:
                writer.writerow({h: _cell(row.get(h)) for h in header})
    else:
        raise ValueError(f"cannot write {path}: use a .csv or .xlsx file")
    return path


#: Columns whose Decimal strings become Excel numbers (display only; the CSV keeps exact text).
NUMERIC_COLUMNS = frozenset({"numerator", "denominator", "value", "ci_low", "ci_high", "target", "score"})


def _numeric(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value
