"""CSV/Excel readers and writers of the work-hour pool, with all-errors validation.

Files are read by :mod:`fieldcrew.tabular`, the reader every instrument shares (CSV in UTF-8 or
GB18030, Excel's first sheet; blank rows skipped; cells as stripped text). Every reader checks
every row and raises one :class:`~vocabulary.errors.InputErrors` listing each problem with its
row (spreadsheet row number, header = row 1), column, value and rule; a file with any problem
yields nothing.

Observation elements (travel, on-site work, paperwork, waiting) are given either in minutes
(``travel_min``) or as start/end timestamps (``travel_start``, ``travel_end``; ISO date-time, or a
clock time ``HH:MM`` on the observation's date).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fieldcrew import tabular
from timepool.domain import AreaInfo, Forecast, ForecastCell, HistoricOrder, Observation
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType

ELEMENTS: tuple[str, ...] = ("travel", "onsite", "paperwork", "waiting")
#: Elements that must be strictly positive (a job with no on-site work was not observed).
POSITIVE_ELEMENTS: frozenset[str] = frozenset({"onsite"})
#: Elements that may be left out of a file entirely (then 0).
OPTIONAL_ELEMENTS: frozenset[str] = frozenset({"waiting"})
#: Model field → input column, for problems the model itself finds.
_FIELD_COLUMN: dict[str, str] = {"id": "observation_id"}
COLUMN_ALIASES: dict[str, str] = {
    "id": "observation_id",
    "branch": "branch_id",
    "technician": "technician_id",
    "rating": "rating_pct",
}


# ---------------------------------------------------------------------------------------------
# Generic tables
# ---------------------------------------------------------------------------------------------


#: Rows of a file: (spreadsheet row number, cells by column name as stripped text).
Numbered = list[tuple[int, dict[str, str]]]


def read_rows(path: Path | str) -> list[dict[str, str]]:
    """Rows of a CSV or Excel file as the shared reader reads them (:mod:`fieldcrew.tabular`),
    cells as stripped text (a cell the row lacks is empty).

    Raises
    ------
    InputErrors
        When the file cannot be read (naming file and row).
    """
    return [cells for _, cells in _stripped(tabular.read_table(Path(path)))]


def _read_numbered(path: Path | str) -> tuple[set[str], Numbered]:
    """The header and rows of a file, column names lower-cased and aliases resolved."""
    table = tabular.read_table(Path(path))
    return {_column(h) for h in table.header if h}, _normalise_header(_stripped(table))


def _stripped(table: tabular.RawTable) -> Numbered:
    return [(number, {k: (v or "").strip() for k, v in cells.items()}) for number, cells in table.records()]


def write_rows(path: Path | str, rows: Sequence[Mapping[str, Any]], sheet: str = "data") -> Path:
    """Write rows to CSV or Excel (by the file suffix); columns in the order of the first row.

    Text a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) is written with a
    leading apostrophe and Excel text cells are typed as text (:func:`fieldcrew.tabular.safe_cell`),
    so an area or technician name never runs on the machine of whoever opens the file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0].keys()) if rows else []
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = sheet
        tabular.append_row(ws, columns)
        for r in rows:
            tabular.append_row(ws, [_excel_value(r.get(c)) for c in columns])
        wb.save(path)
        return path
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writerow(tabular.safe_record({c: c for c in columns}))
        for r in rows:
            writer.writerow(tabular.safe_record({c: "" if r.get(c) is None else r.get(c) for c in columns}))
    return path


def _excel_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str | dt.date):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Field parsers: each returns a value or records a Problem
# ---------------------------------------------------------------------------------------------


class _Row:
    """One input row being checked; collects problems instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, str], row: int, file: str | None, problems: list[Problem]):
        self.raw, self.row, self.file, self.problems = raw, row, file, problems

    def problem(self, column: str, value: Any, rule: str) -> None:
        self.problems.append(Problem(field=column, rule=rule, value=value, row=self.row, file=self.file))

    def text(self, column: str, required: bool = True) -> str | None:
        value = self.raw.get(column, "")
        if value == "" and required:
            self.problem(column, value, "required: the cell must not be empty")
            return None
        return value

    def parsed(self, column: str, parse: Callable[[str], Any], rule: str, required: bool = True) -> Any:
        value = self.text(column, required)
        if value is None or value == "":
            return None
        try:
            return parse(value)
        except (ValueError, TypeError):
            self.problem(column, value, rule)
            return None

    def number(self, column: str, rule: str, required: bool = True) -> float | None:
        value: float | None = self.parsed(column, float, f"must be a number; {rule}", required)
        return value


def _parse_datetime(value: str, day: dt.date | None) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        if day is None:
            raise
        return dt.datetime.combine(day, dt.time.fromisoformat(value))


def _column(name: str) -> str:
    return COLUMN_ALIASES.get(name.lower(), name.lower())


def _normalise_header(rows: Numbered) -> Numbered:
    return [(number, {_column(k): v for k, v in r.items()}) for number, r in rows]


# ---------------------------------------------------------------------------------------------
# Observations
# ---------------------------------------------------------------------------------------------


def validate_observations(
    rows: list[dict[str, str]], file: str | None = None, known_order_types: Iterable[str] | None = None
) -> list[Observation]:
    """Observations from raw rows (the first one on row 2); raises :class:`InputErrors` naming every
    bad cell.

    Rules: required cells are not empty; dates are ISO dates; order types are known; difficulty
    is 1, 2 or 3; area types are known; element minutes are numbers ≥ 0 (on-site work > 0); a
    timestamp element's end is not before its start; rating is a number > 0 and ≤ 200;
    observation ids are unique.
    """
    numbered = _normalise_header(list(enumerate(rows, start=2)))
    header = set(numbered[0][1]) if numbered else set()
    return _observations(header, numbered, file, known_order_types)


def _observations(
    header: set[str], rows: Numbered, file: str | None, known_order_types: Iterable[str] | None
) -> list[Observation]:
    """:func:`validate_observations` of rows numbered as their file shows them."""
    problems: list[Problem] = []
    allowed_types = sorted(known_order_types or [t.value for t in OrderType])
    if not rows:
        raise InputErrors([Problem(field="(file)", rule="no observation rows", value=None, file=file)])
    for element in ELEMENTS:
        has_min = f"{element}_min" in header
        has_ts = f"{element}_start" in header and f"{element}_end" in header
        if not has_min and not has_ts and element not in OPTIONAL_ELEMENTS:
            problems.append(
                Problem(
                    field=f"{element}_min",
                    value=None,
                    file=file,
                    rule=f"missing column: give {element}_min or {element}_start and {element}_end",
                )
            )
    if problems:
        raise InputErrors(problems)
    seen: dict[str, int] = {}
    result: list[Observation] = []
    for line, raw in rows:
        r = _Row(raw, line, file, problems)
        before = len(problems)
        oid = r.text("observation_id")
        if oid is not None:
            if oid in seen:
                r.problem("observation_id", oid, f"must be unique (also on row {seen[oid]})")
            seen.setdefault(oid, line)
        day = r.parsed("date", dt.date.fromisoformat, "must be an ISO date YYYY-MM-DD")
        branch = r.text("branch_id")
        observer = r.text("observer")
        technician = r.text("technician_id")
        otype = r.text("order_type")
        if otype is not None and otype not in allowed_types:
            r.problem("order_type", otype, f"unknown order type; allowed: {', '.join(allowed_types)}")
        diff = r.parsed("difficulty", int, "must be an integer 1, 2 or 3")
        if diff is not None and diff not in (1, 2, 3):
            r.problem("difficulty", diff, "must be 1, 2 or 3")
        atype = r.text("area_type")
        if atype is not None and atype not in {a.value for a in AreaType}:
            r.problem(
                "area_type", atype, f"unknown area type; allowed: {', '.join(a.value for a in AreaType)}"
            )
        minutes: dict[str, float | None] = {}
        for element in ELEMENTS:
            minutes[element] = _element_minutes(r, element, header, day)
        rating = r.number("rating_pct", "performance rating in percent, > 0 and ≤ 200")
        if rating is not None and not 0 < rating <= 200:
            r.problem("rating_pct", rating, "rating must be > 0 and ≤ 200 (100 = normal pace)")
        notes = r.text("notes", required=False) or ""
        if len(problems) == before:
            try:
                result.append(
                    Observation(
                        id=oid or "",
                        date=day,
                        branch_id=branch or "",
                        observer=observer or "",
                        technician_id=technician or "",
                        order_type=OrderType(otype or ""),
                        difficulty=diff or 1,
                        area_type=AreaType(atype or ""),
                        travel_min=minutes["travel"] or 0.0,
                        onsite_min=minutes["onsite"] or 0.0,
                        paperwork_min=minutes["paperwork"] or 0.0,
                        waiting_min=minutes["waiting"] or 0.0,
                        rating_pct=rating or 0.0,
                        notes=notes,
                    )
                )
            except ValidationError as exc:  # e.g. an id with forbidden characters, a duration > 24 h
                for err in exc.errors():
                    column = str(err["loc"][0]) if err["loc"] else "(row)"
                    r.problem(_FIELD_COLUMN.get(column, column), err.get("input"), err["msg"])
    if problems:
        raise InputErrors(problems)
    return result


def _element_minutes(r: _Row, element: str, header: set[str], day: dt.date | None) -> float | None:
    """Minutes of one element: from ``<element>_min``, else from ``<element>_start``/``_end``.

    A minutes cell wins when it is filled or when the file has no timestamp columns for the
    element; an element with no columns at all (only ``waiting`` may be absent) is 0.
    """
    column = f"{element}_min"
    positive = element in POSITIVE_ELEMENTS
    has_minutes = column in header
    has_stamps = f"{element}_start" in header and f"{element}_end" in header
    if has_minutes and (r.raw.get(column, "") != "" or not has_stamps):
        value = r.number(column, "minutes ≥ 0")
        if value is None:
            return None
        if value < 0:
            r.problem(column, value, "duration must not be negative")
            return None
        if positive and value == 0:
            r.problem(column, value, f"{element} duration must be > 0")
            return None
        return value
    if not has_stamps:
        return 0.0  # optional element absent from the file
    start = r.parsed(f"{element}_start", lambda v: _parse_datetime(v, day), "must be a date-time or HH:MM")
    end = r.parsed(f"{element}_end", lambda v: _parse_datetime(v, day), "must be a date-time or HH:MM")
    if start is None or end is None:
        return None
    if end < start:
        r.problem(
            f"{element}_end",
            r.raw.get(f"{element}_end"),
            f"end before start ({r.raw.get(f'{element}_start')})",
        )
        return None
    elapsed: float = (end - start).total_seconds() / 60.0
    if positive and elapsed == 0:
        r.problem(
            f"{element}_end", r.raw.get(f"{element}_end"), f"{element} duration must be > 0 (end = start)"
        )
        return None
    return elapsed


def read_observations(path: Path | str) -> list[Observation]:
    """Observations from a CSV or Excel file (all-errors validation)."""
    header, rows = _read_numbered(path)
    return _observations(header, rows, Path(path).name, None)


# ---------------------------------------------------------------------------------------------
# Areas, order history, forecasts
# ---------------------------------------------------------------------------------------------


def read_areas(path: Path | str) -> list[AreaInfo]:
    """Small areas: ``area_id, region_group_id, branch_id, area_type``."""
    (_, rows), file = _read_numbered(path), Path(path).name
    problems: list[Problem] = []
    out: list[AreaInfo] = []
    for number, raw in rows:
        r = _Row(raw, number, file, problems)
        before = len(problems)
        area, group, branch, atype = (
            r.text(c) for c in ("area_id", "region_group_id", "branch_id", "area_type")
        )
        if atype is not None and atype not in {a.value for a in AreaType}:
            r.problem("area_type", atype, "unknown area type")
        if len(problems) == before:
            out.append(
                AreaInfo(
                    area_id=area or "",
                    region_group_id=group or "",
                    branch_id=branch or "",
                    area_type=AreaType(atype or ""),
                )
            )
    if problems:
        raise InputErrors(problems)
    return out


def read_order_history(path: Path | str) -> list[HistoricOrder]:
    """Past orders: ``area_id, order_type, difficulty (optional), created`` (date or date-time)."""
    (_, rows), file = _read_numbered(path), Path(path).name
    problems: list[Problem] = []
    out: list[HistoricOrder] = []
    for number, raw in rows:
        r = _Row(raw, number, file, problems)
        before = len(problems)
        area = r.text("area_id")
        otype = r.text("order_type")
        if otype is not None and otype not in {t.value for t in OrderType}:
            r.problem("order_type", otype, "unknown order type")
        diff = r.parsed("difficulty", int, "must be an integer 1, 2 or 3", required=False) or 1
        created = r.parsed("created", lambda v: dt.datetime.fromisoformat(v).date(), "must be an ISO date")
        if len(problems) == before:
            out.append(
                HistoricOrder(
                    area_id=area or "", order_type=OrderType(otype or ""), difficulty=diff, day=created
                )
            )
    if problems:
        raise InputErrors(problems)
    return out


def read_forecast(path: Path | str) -> Forecast:
    """A given forecast: ``area_id, date, order_type, difficulty (optional), orders``."""
    (_, rows), file = _read_numbered(path), Path(path).name
    problems: list[Problem] = []
    cells: list[ForecastCell] = []
    for number, raw in rows:
        r = _Row(raw, number, file, problems)
        before = len(problems)
        area = r.text("area_id")
        day = r.parsed("date", dt.date.fromisoformat, "must be an ISO date")
        otype = r.text("order_type")
        if otype is not None and otype not in {t.value for t in OrderType}:
            r.problem("order_type", otype, "unknown order type")
        diff = r.parsed("difficulty", int, "must be an integer 1, 2 or 3", required=False) or 1
        orders = r.number("orders", "expected orders ≥ 0")
        if orders is not None and orders < 0:
            r.problem("orders", orders, "expected orders must be ≥ 0")
        if len(problems) == before:
            cells.append(
                ForecastCell(
                    area_id=area or "",
                    day=day,
                    order_type=OrderType(otype or ""),
                    difficulty=diff,
                    orders=orders or 0.0,
                )
            )
    if problems:
        raise InputErrors(problems)
    return Forecast(cells=cells, method=f"given ({file})")


# ---------------------------------------------------------------------------------------------
# Result tables as rows
# ---------------------------------------------------------------------------------------------


def model_rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Pydantic models → flat JSON-able rows (enums as values, Decimals as strings)."""
    return [item.model_dump(mode="json") for item in items]
