"""Reading orders and staff (CSV, Excel, the platform database) and writing KPI tables (CSV, Excel).

Orders given directly as files are in the platform's order format, the files ``fieldcrew export
orders`` writes and ``fieldcrew import orders`` reads (:mod:`fieldcrew.io`, columns
:data:`ORDER_COLUMNS`): one row per order, its status history in the ``history`` cell, the
callback answers, ``repeat_of``, ``first_contact_at`` and ``contacts_recorded``. Only ``id``,
``order_type`` and ``created`` are required; ``deadline`` defaults to the service deadline of the
order type and customer grade. Two more kinds of column are read (:data:`KPI_COLUMNS`): a
``customer_line_id`` (repeat faults per line; the platform does not store one), and, as an alias
of ``history``, the event-time columns of the older KPI layout (``dispatched_at``, ``started_at``,
``completed_at``, ``cancelled_at``; a file has one or the other). Any other column is an error of
the file, as in the platform's import.

Files are read by :mod:`fieldcrew.tabular`, the reader every instrument shares (CSV in UTF-8 or
GB18030, Excel's first sheet with its typed cells; blank rows skipped; header = row 1), and every
row goes through :func:`quality.validate.validate_records`. Tables are written by the same
module's formula-safe writers (a text that a spreadsheet would run is written as inert text).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fieldcrew import tabular
from fieldcrew.io import columns, order_export_record
from fieldcrew.records import OrderFacts
from quality.domain import KpiOrder
from quality.validate import EVENT_COLUMNS, ValidatedOrders, parse_datetime, validate_records
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import WorkOrder
from vocabulary.staff import Technician

#: The platform's order format (``fieldcrew export orders``), column by column.
ORDER_COLUMNS: tuple[str, ...] = tuple(columns("orders"))
#: The older KPI layout's event times, read as an alias of the ``history`` cell.
LEGACY_EVENT_COLUMNS: tuple[str, ...] = tuple(c for c, _ in EVENT_COLUMNS)
#: Columns only the KPIs read: the customer's line (repeat faults per line) and the older layout.
KPI_COLUMNS: tuple[str, ...] = ("customer_line_id", *LEGACY_EVENT_COLUMNS)
REQUIRED_ORDER_COLUMNS: tuple[str, ...] = ("id", "order_type", "created")
TECHNICIAN_COLUMNS: tuple[str, ...] = (
    "id", "name", "branch_id", "region_group_id", "post_grade", "start_date", "home_area_id",
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
    """Orders from a CSV/Excel file in the platform's order format, validated (bad rows reported with
    file, row, field and rule, not raised).

    Raises
    ------
    InputErrors
        When the file cannot be read, or its header lacks a required column, has a column that is
        neither the order format's nor the KPIs' (:data:`KPI_COLUMNS`), or has both ``history`` and
        the older layout's event-time columns.
    """
    table = tabular.read_table(Path(path))
    problems = table.header_problems(REQUIRED_ORDER_COLUMNS, known=(*ORDER_COLUMNS, *KPI_COLUMNS))
    legacy = [c for c in LEGACY_EVENT_COLUMNS if c in table.header]
    if "history" in table.header and legacy:
        problems += [Problem(field=c, value=c, row=1, file=table.file,
                             rule="give the status history (history) or the event-time columns of the older "
                                  "KPI layout, not both") for c in legacy]
    if problems:
        raise InputErrors(problems)
    numbered = list(table.records(typed=True))
    return validate_records([cells for _, cells in numbered], known_technicians, file=table.file,
                            rows=[number for number, _ in numbered])


def read_technicians_file(path: Path | str) -> list[Technician]:
    """Technicians from a CSV/Excel file (``id``, ``branch_id``, ``region_group_id`` required;
    an empty ``region_group_id`` means the support team; an optional ``home_area_id`` places the
    orders of that small area that have no technician). Raises :class:`InputErrors` listing every
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
                    home_area_id=(str(row.get("home_area_id") or "").strip()) or None,
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


def load_cut_db(session: Session) -> dt.datetime | None:
    """The latest moment the platform's order tables record (creation or event): their data cut."""
    from fieldcrew.tables import OrderEventRow, WorkOrderRow

    times = [session.scalar(select(func.max(WorkOrderRow.created))),
             session.scalar(select(func.max(OrderEventRow.at)))]
    return max((t for t in times if t is not None), default=None)


def load_area_places_db(session: Session) -> dict[str, tuple[str, str]]:
    """Small area → (region group, branch) from the platform's organisation tables."""
    from fieldcrew.records import read_areas, read_region_groups

    branch_of = {g.id: g.branch_id for g in read_region_groups(session)}
    return {a.id: (a.region_group_id, branch_of[a.region_group_id])
            for a in read_areas(session) if a.region_group_id in branch_of}


def load_orders_db(
    session: Session,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    known_technicians: Collection[str] | None = None,
    *,
    created_before: dt.datetime | None = None,
) -> ValidatedOrders:
    """Orders and their events from the platform's ``work_orders``/``order_events`` tables, validated.

    With ``start``/``end``, every order that can count in ``[start, end)`` is read, however long
    ago it was created: those created in the window, those due in or after it, and those with
    an event (dispatch, completion, …) in or after it — a 1,057-hour install created in June and
    closed in August counts in August. ``created_before`` (default ``end``) reads orders created
    up to that moment too (later repeat faults of the window's repairs).
    """
    from fieldcrew.tables import CONTACTED, OrderEventRow, WorkOrderRow

    query = select(WorkOrderRow)
    if start is not None:
        touched = select(OrderEventRow.order_id).where(OrderEventRow.at >= start)
        query = query.where(or_(WorkOrderRow.created >= start, WorkOrderRow.deadline >= start,
                                WorkOrderRow.id.in_(touched)))
    until = created_before or end
    if until is not None:
        query = query.where(WorkOrderRow.created < until)
    orders = list(session.scalars(query.order_by(WorkOrderRow.created, WorkOrderRow.id)))
    events: dict[str, list[dict[str, Any]]] = {}
    ids = [o.id for o in orders]
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        ev_query = select(OrderEventRow).where(OrderEventRow.order_id.in_(part),
                                               OrderEventRow.status != CONTACTED)
        for ev in session.scalars(ev_query.order_by(OrderEventRow.at, OrderEventRow.id)):
            events.setdefault(ev.order_id, []).append(
                {"status": ev.status, "at": ev.at, "technician_id": ev.technician_id}
            )
    records = []
    for row in orders:
        rec = {c: getattr(row, c) for c in _DB_COLUMNS}
        rec["events"] = events.get(row.id, [])
        if not rec["events"]:
            del rec["events"]
        records.append(rec)
    return validate_records(records, known_technicians, file="work_orders", first_row=1)


#: What the database loader reads of a ``work_orders`` row (its events come from ``order_events``).
_DB_COLUMNS: tuple[str, ...] = tuple(
    c for c in ORDER_COLUMNS if c not in ("history", "required_skills", "fixed")
)


def order_record(order: WorkOrder) -> dict[str, Any]:
    """A row of the platform's order file (:func:`fieldcrew.io.order_export_record`), as ``fieldcrew
    export orders`` writes it, with ``customer_line_id`` when the order has one: what
    :func:`load_orders_file` reads back to the same order."""
    if not isinstance(order, KpiOrder):
        return order_export_record(order)
    facts = OrderFacts(repeat_of=order.repeat_of, first_contact_at=order.first_contact_at,
                       contacts_recorded=order.contacts_recorded)
    line = {"customer_line_id": order.customer_line_id} if order.customer_line_id is not None else {}
    return order_export_record(order, facts) | line


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        whole_minute = not (value.second or value.microsecond)
        return value.isoformat(sep=" ", timespec="minutes" if whole_minute else "seconds")
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def write_rows(rows: Iterable[Mapping[str, Any]], path: Path | str, sheet: str = "kpis") -> Path:
    """Write flat rows to ``.csv`` (UTF-8 with BOM, so Excel shows Chinese text) or ``.xlsx``.

    Both go through :mod:`fieldcrew.tabular`'s formula-safe writers: a text a spreadsheet would run
    (``=…``, ``+…``, ``-…``, ``@…``) is written with a leading apostrophe, and an Excel text cell
    is typed as text, never a formula; :func:`fieldcrew.tabular.read_table` reads it back as it was.
    """
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
        tabular.append_row(ws, header)
        for row in rows:
            tabular.append_row(ws, [_numeric(_cell(row.get(h))) if h in NUMERIC_COLUMNS else _cell(row.get(h))
                                    for h in header])
        ws.freeze_panes = "A2"
        wb.save(path)
    elif path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writerow(tabular.safe_record({h: h for h in header}))
            for row in rows:
                writer.writerow(tabular.safe_record({h: _cell(row.get(h)) for h in header}))
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
