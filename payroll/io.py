"""Read a month's pay inputs from a directory of CSV or Excel files, and write payslips out.

HR lives in spreadsheets, so `fieldcrew payroll compute --month YYYY-MM --input DIR --policy FILE`
reads plain files. `DIR` holds one file per table, each either `<name>.csv` (UTF-8 or GB18030,
header row) or `<name>.xlsx` (first sheet, header row), read by `fieldcrew.tabular` as every
instrument reads its files: row numbers in errors are the spreadsheet's (the header is row 1;
blank rows are skipped), a file that cannot be read (bytes neither UTF-8 nor GB18030, no header
row, a column name twice) fails before any is checked. Every problem names file, row, field,
value and rule; all problems are reported together and nothing is computed or stored when there
is any. Yes/no columns take the words of `vocabulary.booleans` (`true`/`false`, 1/0, yes/no, 是/否…).

| file | column | required / default | meaning |
| --- | --- | --- | --- |
| technicians | `technician_id` | required | unique id (letters, digits, `_ . -`) |
| technicians | `post_grade` | required | key of the policy's `post_wages` (e.g. `T2`) |
| technicians | `start_date` | required | first day employed, `YYYY-MM-DD` |
| technicians | `end_date` | blank (still employed) | last day employed, `YYYY-MM-DD` |
| technicians | `name` | blank | display name |
| technicians | `previous_year_average_wage` | blank (floor) | yuan, base of the contributions |
| technicians | `bank_account` | blank | account the take-home pay is transferred to |
| technicians | `outdoor` | true | works outdoors (summer high-temperature allowance) |
| orders | `order_id` | required | unique id of the completed work order |
| orders | `technician_id` | required | must be in technicians |
| orders | `order_type` | required | `install`, `move` or `repair` |
| orders | `difficulty` | 1 | 1, 2 or 3 |
| orders | `completed_at` | required | `YYYY-MM-DD HH:MM[:SS]`, inside the month |
| orders | `standard_minutes` | policy table | standard work minutes (work-hour pool), > 0 |
| orders | `repeat_fault_within_days` | blank | the fault came back after this many days |
| orders | `repeat_of` | blank | id of the earlier order this one repeats |
| orders | `complaint` | false | customer complained (yes/no, see above) |
| orders | `praise` | false | customer praised |
| orders | `appointment_kept` | blank | `false` = missed the agreed appointment |
| kpi | `technician_id` | required | must be in technicians; one row each |
| kpi | `grade` | blank | quality grade given directly (e.g. `A`) |
| kpi | `<KPI name>` | blank | a KPI value (names and ranges below); graded when `grade` is blank |
| kpi | `n_<KPI name>` | blank | records behind that KPI value (small samples are not scored) |
| attendance | `technician_id` | required | must be in technicians |
| attendance | `date` | required | `YYYY-MM-DD` in the month; one row per day |
| attendance | `status` | `work` if minutes > 0, else `rest` | `work`, `rest`, `paid_leave`, `unpaid_leave` |
| attendance | `worked_minutes` | 0 | minutes worked that day, 0..1440 |
| attendance | `comp_time_off` | false | rest-day work compensated by time off in lieu |
| deductions | `technician_id` | required | (optional file) loss compensation to deduct |
| deductions | `amount` | required | yuan, exact (`"150.00"`), > 0; in Excel a text cell or a whole number |
| deductions | `reason` | required | what was lost |
| deductions | `reference` | blank | document number |
| year_to_date | `technician_id` | required | (optional file) the year's earlier months, one row each |
| year_to_date | `months` | required | months of the year already paid by this employer |
| year_to_date | `income` | required | yuan, exact: gross pay of those months |
| year_to_date | `contributions` | required | yuan: employee insurance and housing fund withheld |
| year_to_date | `additional_deductions` | required | yuan: special additional deductions declared |
| year_to_date | `tax` | required | yuan: income tax withheld |
| additional_deductions | `technician_id` | required | (optional file) special additional deductions |
| additional_deductions | `kind` | required | a kind of the jurisdiction profile (`elderly_support`, …) |
| additional_deductions | `monthly_amount` | required | yuan a month, exact |
| time_off_balance | `technician_id` | required | (optional file) time off in lieu still owed |
| time_off_balance | `earned_month` | required | `YYYY-MM`, before the month |
| time_off_balance | `minutes` | required | minutes of rest-day work not yet taken off, > 0 |

KPI columns are the names of `quality.scorecard.KPI_NAMES`; rates are in 0..1,
`complaints_per_1000` in 0..1000, `install_wait_hours` >= 0. A row without `grade` is graded with
`quality.scorecard.score_and_grade` (bands → multiplier are the pay policy's).

`technicians` and `orders` are required; without `kpi` every technician gets the policy's
`default_grade`; without `attendance` there is no overtime-hours pay and no leave.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import repeat
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from fieldcrew import tabular
from payroll.domain import (
    AdditionalDeduction,
    AttendanceDay,
    DayStatus,
    LossDeduction,
    PayInputs,
    Payslip,
    PayTechnician,
    QualityRecord,
    TimeOffLot,
    YearToDate,
    employment_rule,
)
from payroll.errors import PayInputError
from payroll.policy import PayPolicy
from payroll.tables import EPOCH, AttendanceTable, IntArray, OrderTable, OrderTableBuilder, microsecond_of
from quality.scorecard import KPI_NAMES, score_and_grade
from vocabulary.booleans import BOOLEAN_RULE, parse_bool
from vocabulary.calendar import month_bounds
from vocabulary.errors import InputErrors, Problem
from vocabulary.money import to_fen
from vocabulary.orders import DIFFICULTY_LEVELS, OrderType

TABLES: tuple[str, ...] = (
    "technicians",
    "orders",
    "kpi",
    "attendance",
    "deductions",
    "year_to_date",
    "additional_deductions",
    "time_off_balance",
)
REQUIRED_TABLES: frozenset[str] = frozenset({"technicians", "orders"})
_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_ID_CHARACTERS = re.compile(r"[A-Za-z0-9_.\-]*")

_T = TypeVar("_T")


def kpi_range(name: str) -> tuple[Decimal, Decimal]:
    """Allowed range of a KPI value in the KPI file (rates 0..1, per-1000 0..1000, hours >= 0)."""
    if name == "complaints_per_1000":
        return Decimal(0), Decimal(1000)
    if name == "install_wait_hours":
        return Decimal(0), Decimal(100000)
    return Decimal(0), Decimal(1)


@dataclass
class _Row:
    """A data row: its file, spreadsheet row number and cells by column name (CSV text, or an Excel
    cell's typed value; ``None`` where the row is shorter than the header)."""

    file: str
    row: int
    cells: dict[str, Any]


@dataclass
class _Table:
    """A file read row by row (:func:`fieldcrew.tabular.read_table`) as the row path's rows."""

    raw: tabular.RawTable
    rows: list[_Row]

    @classmethod
    def of(cls, raw: tabular.RawTable) -> _Table:
        return cls(raw, [_Row(raw.file, number, cells) for number, cells in raw.records(typed=True)])


class _Reader:
    """Collects problems while converting cells; never raises for a bad cell."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, row: _Row, field: str, value: Any, rule: str) -> None:
        self.problems.append(Problem(field=field, rule=rule, value=value, row=row.row, file=row.file))

    def text(self, row: _Row, field: str, *, required: bool = False) -> str | None:
        value = row.cells.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(row, field, value, "required")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def ident(self, row: _Row, field: str, *, required: bool = True) -> str | None:
        value = self.text(row, field, required=required)
        if value is not None and not _ID.match(value):
            self.problem(row, field, value, "an id is 1-64 letters, digits, '_', '.' or '-'")
            return None
        return value

    def integer(
        self, row: _Row, field: str, *, low: int | None = None, high: int | None = None
    ) -> int | None:
        raw = row.cells.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            self.problem(row, field, raw, "must be a whole number")
            return None
        if isinstance(raw, float):
            if not raw.is_integer():
                self.problem(row, field, raw, "must be a whole number")
                return None
            value = int(raw)
        else:
            try:
                value = int(str(raw).strip())
            except ValueError:
                self.problem(row, field, raw, "must be a whole number")
                return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem(row, field, value, f"must be in {low}..{high if high is not None else ''}")
            return None
        return value

    def decimal(self, row: _Row, field: str, *, money: bool = False) -> Decimal | None:
        raw = row.cells.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            self.problem(row, field, raw, "must be a number")
            return None
        if isinstance(raw, float):
            if money and not raw.is_integer():
                self.problem(
                    row, field, raw, "money must not be a float: format the Excel cell as text ('150.25')"
                )
                return None
            # a KPI value is not money; its shortest decimal form is what the user typed
            raw = int(raw) if raw.is_integer() else repr(raw)
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            self.problem(row, field, raw, "must be a decimal number")
            return None
        if not value.is_finite():
            self.problem(row, field, raw, "must be a finite number")
            return None
        if money and value.as_tuple().exponent < -2:  # type: ignore[operator]
            self.problem(row, field, raw, "money has at most 2 decimal places (fen)")
            return None
        return value

    def boolean(self, row: _Row, field: str) -> bool | None:
        raw = row.cells.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            return parse_bool(raw)
        except ValueError:
            self.problem(row, field, raw, BOOLEAN_RULE)
            return None

    def date(self, row: _Row, field: str, *, required: bool = False) -> dt.date | None:
        raw = row.cells.get(field)
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = self.text(row, field, required=required)
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.problem(row, field, text, "must be a date YYYY-MM-DD")
            return None

    def datetime(self, row: _Row, field: str) -> dt.datetime | None:
        raw = row.cells.get(field)
        if isinstance(raw, dt.datetime):
            return raw
        text = self.text(row, field, required=True)
        if text is None:
            return None
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            self.problem(row, field, text, "must be a date and time YYYY-MM-DD HH:MM[:SS]")
            return None
        return value.replace(tzinfo=None)


def _find(directory: Path, name: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def read_table(path: Path) -> _Table:
    """One CSV or Excel file, row by row (header row → column names; see `fieldcrew.tabular`).

    Raises
    ------
    PayInputError
        When the file cannot be read (naming the file, and the row where there is one).
    """
    with _readable():
        return _Table.of(tabular.read_table(path))


@contextmanager
def _readable() -> Iterator[None]:
    """The shared reader's problems with a file, as a pay input error."""
    try:
        yield
    except PayInputError:
        raise
    except InputErrors as error:
        raise PayInputError(error.problems) from None


#: The tables big enough to be worth the column path (see `_Columns`) when they are CSV files
BY_COLUMN: frozenset[str] = frozenset({"orders", "attendance"})


def _read(name: str, path: Path | None) -> _Table | _Columns | None:
    """The rows of table ``name`` — or its columns, for a large table in a CSV file of simple shape
    (None when the optional file is absent).

    Every file is read before any is checked, so an unreadable file fails first, as it always has.
    """
    if path is None:
        return None
    if name in BY_COLUMN and path.suffix == ".csv":
        with _readable():
            text = tabular.decode_csv(path.read_bytes(), path.name)
            columns = _split_columns(path, text)
            return columns if columns is not None else _Table.of(tabular.parse_csv(text, path.name))
    return read_table(path)


def _rows(table: _Table | _Columns | None) -> _Table | None:
    return read_table(table.path) if isinstance(table, _Columns) else table


def _by_column_or_row(
    table: _Table | _Columns | None,
    by_column: Callable[[_Columns], _T],
    by_row: Callable[[_Table | None], _T],
) -> _T:
    """A table read column by column when it is clean, else row by row (reporting its problems)."""
    if isinstance(table, _Columns):
        try:
            return by_column(table)
        except _Slow:
            pass
    return by_row(_rows(table))


def _check_columns(reader: _Reader, table: _Table, required: Sequence[str]) -> bool:
    """Whether the file has every column of ``required`` (each one missing: a problem on row 1)."""
    problems = table.raw.header_problems(required)
    reader.problems += problems
    return not problems


def load_inputs(directory: Path | str, month: str, policy: PayPolicy) -> PayInputs:
    """Read and cross-check every input file of `directory` for `month`.

    Raises
    ------
    PayInputError
        With every problem (file, row, field, value, rule); nothing is returned.
    """
    directory = Path(directory)
    reader = _Reader()
    try:
        first, last = month_bounds(month)
    except ValueError:
        raise PayInputError([Problem(field="month", rule="month must be YYYY-MM", value=month)]) from None
    if not directory.is_dir():
        raise PayInputError([Problem(field="input", rule="input must be a directory", value=str(directory))])
    paths = {name: _find(directory, name) for name in TABLES}
    for name in REQUIRED_TABLES:
        if paths[name] is None:
            reader.problems.append(
                Problem(
                    field="(file)",
                    rule=f"required file {name}.csv or {name}.xlsx is missing",
                    value=str(directory),
                    file=name,
                )
            )
    if reader.problems:
        raise PayInputError(reader.problems)
    tables = {name: _read(name, path) for name, path in paths.items()}

    technicians = _technicians(reader, _rows(tables["technicians"]), policy)
    orders = _by_column_or_row(
        tables["orders"],
        lambda table: _orders_by_column(table, technicians, first, last),
        lambda table: _orders(reader, table, technicians, policy, month, first, last),
    )
    quality = _quality(reader, _rows(tables["kpi"]), technicians, policy)
    attendance = _by_column_or_row(
        tables["attendance"],
        lambda table: _attendance_by_column(table, technicians, first, last),
        lambda table: _attendance(reader, table, technicians, first, last),
    )
    losses = _losses(reader, _rows(tables["deductions"]), technicians)
    year_to_date = _year_to_date(reader, _rows(tables["year_to_date"]), technicians)
    additional = _additional(reader, _rows(tables["additional_deductions"]), technicians)
    lots = _time_off_balance(reader, _rows(tables["time_off_balance"]), technicians, month)
    if reader.problems:
        raise PayInputError(reader.problems)
    return PayInputs(
        month,
        tuple(technicians.values()),
        orders,
        AttendanceTable.from_days(attendance),
        tuple(quality),
        tuple(losses),
        tuple(year_to_date),
        tuple(additional),
        tuple(lots),
    )


def _technicians(reader: _Reader, table: _Table | None, policy: PayPolicy) -> dict[str, PayTechnician]:
    out: dict[str, PayTechnician] = {}
    if table is None or not _check_columns(reader, table, ("technician_id", "post_grade", "start_date")):
        return out
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        grade = reader.text(row, "post_grade", required=True)
        start = reader.date(row, "start_date", required=True)
        end = reader.date(row, "end_date")
        if grade is not None and grade not in policy.post_wages:
            reader.problem(
                row,
                "post_grade",
                grade,
                f"post grade must be one of the policy's {sorted(policy.post_wages)}",
            )
            grade = None
        if start is not None and end is not None and end < start:
            reader.problem(row, "end_date", end.isoformat(), "end_date must not be before start_date")
            continue
        if tech_id is None or grade is None or start is None:
            continue
        wage = reader.decimal(row, "previous_year_average_wage", money=True)
        if wage is not None and wage < 0:
            reader.problem(row, "previous_year_average_wage", str(wage), "an average monthly wage is >= 0")
            continue
        outdoor = reader.boolean(row, "outdoor")
        if tech_id in out:
            reader.problem(row, "technician_id", tech_id, "technician ids must be unique (duplicate)")
            continue
        out[tech_id] = PayTechnician(
            tech_id,
            grade,
            start,
            end,
            reader.text(row, "name") or "",
            wage,
            reader.text(row, "bank_account") or "",
            True if outdoor is None else outdoor,
        )
    return out


def _orders(
    reader: _Reader,
    table: _Table | None,
    technicians: dict[str, PayTechnician],
    policy: PayPolicy,
    month: str,
    first: dt.date,
    last: dt.date,
) -> OrderTable:
    """The valid rows of the orders file as a columnar table (invalid rows: problems, skipped)."""
    out = OrderTableBuilder()
    required = ("order_id", "technician_id", "order_type", "completed_at")
    if table is None or not _check_columns(reader, table, required):
        return out.build()
    seen: dict[str, int] = {}
    types = {t.value for t in OrderType}
    for row in table.rows:
        order_id = reader.ident(row, "order_id")
        tech_id = reader.ident(row, "technician_id")
        type_text = reader.text(row, "order_type", required=True)
        difficulty = reader.integer(row, "difficulty")
        completed = reader.datetime(row, "completed_at")
        minutes = reader.integer(row, "standard_minutes")
        repeat_days = reader.integer(row, "repeat_fault_within_days", low=0)
        repeat_of = reader.ident(row, "repeat_of", required=False)
        complaint = reader.boolean(row, "complaint")
        praise = reader.boolean(row, "praise")
        kept = reader.boolean(row, "appointment_kept")
        ok = None not in (order_id, tech_id, type_text, completed)
        if order_id is not None:
            if order_id in seen:
                reader.problem(
                    row,
                    "order_id",
                    order_id,
                    f"order ids must be unique (first seen in row {seen[order_id]})",
                )
                ok = False
            else:
                seen[order_id] = row.row
        if _unknown_technician(reader, row, tech_id, technicians, "order"):
            ok = False
        if type_text is not None and type_text not in types:
            reader.problem(
                row, "order_type", type_text, f"unknown order type (known: {', '.join(sorted(types))})"
            )
            ok = False
        if difficulty is not None and difficulty not in DIFFICULTY_LEVELS:
            reader.problem(
                row, "difficulty", difficulty, f"difficulty must be one of {list(DIFFICULTY_LEVELS)}"
            )
            ok = False
        if minutes is not None and minutes <= 0:
            reader.problem(row, "standard_minutes", minutes, "standard minutes must be > 0")
            ok = False
        if completed is not None and not first <= completed.date() <= last:
            reader.problem(
                row, "completed_at", completed.isoformat(sep=" "), f"order must be completed in {month}"
            )
            ok = False
        elif (
            completed is not None
            and tech_id in technicians
            and not technicians[tech_id].employed_on(completed.date())
        ):
            reader.problem(
                row, "completed_at", completed.isoformat(sep=" "), employment_rule(technicians[tech_id])
            )
            ok = False
        if not ok:
            continue
        assert (
            order_id is not None and tech_id is not None and type_text is not None and completed is not None
        )
        out.add(
            order_id,
            tech_id,
            OrderType(type_text),
            difficulty or 1,
            completed,
            standard_minutes=minutes,
            repeat_fault_within_days=repeat_days,
            repeat_of=repeat_of,
            complaint=bool(complaint),
            praise=bool(praise),
            appointment_kept=kept,
        )
    return out.build()


def _scorer() -> tuple[tuple[str, ...], Callable[..., Any]]:

    return KPI_NAMES, score_and_grade


def _quality(
    reader: _Reader, table: _Table | None, technicians: dict[str, PayTechnician], policy: PayPolicy
) -> list[QualityRecord]:
    out: list[QualityRecord] = []
    if table is None or not _check_columns(reader, table, ("technician_id",)):
        return out
    kpi_names, score_and_grade = _scorer()
    seen: set[str] = set()
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        grade = reader.text(row, "grade")
        values: dict[str, Decimal | None] = {}
        sizes: dict[str, int] = {}
        bad = False
        for name in kpi_names:
            value = reader.decimal(row, name)
            if value is not None:
                low, high = kpi_range(name)
                if not low <= value <= high:
                    reader.problem(row, name, str(value), f"KPI {name} must be in {low}..{high}")
                    bad = True
                    continue
            values[name] = value
            size = reader.integer(row, f"n_{name}", low=0)
            if size is not None:
                sizes[name] = size
        unknown = [
            c
            for c in row.cells
            if c
            and c not in ("technician_id", "grade", "score", "name")
            and c not in kpi_names
            and not (c.startswith("n_") and c[2:] in kpi_names)
        ]
        for column in unknown:
            if row.cells.get(column) not in (None, ""):
                reader.problem(
                    row, column, row.cells[column], f"unknown KPI column (known: {', '.join(kpi_names)})"
                )
                bad = True
        if tech_id is None or bad:
            continue
        if _unknown_technician(reader, row, tech_id, technicians, "KPI row"):
            continue
        if tech_id in seen:
            reader.problem(row, "technician_id", tech_id, "one KPI row per technician (duplicate)")
            continue
        seen.add(tech_id)
        given = {k: v for k, v in values.items() if v is not None}
        score: Decimal | None = None
        flags: tuple[str, ...] = ()
        if grade is None:
            scored = score_and_grade(values, sample_sizes=sizes or None)
            grade, score, flags = scored.grade, scored.score, tuple(scored.flags)
        if grade not in policy.grade_multipliers:
            reader.problem(
                row, "grade", grade, f"grade must be one of the policy's grades {list(policy.grades)}"
            )
            continue
        out.append(
            QualityRecord(tech_id, grade, score, tuple((k, str(v)) for k, v in sorted(given.items())), flags)
        )
    return out


def _attendance(
    reader: _Reader,
    table: _Table | None,
    technicians: dict[str, PayTechnician],
    first: dt.date,
    last: dt.date,
) -> list[AttendanceDay]:
    out: list[AttendanceDay] = []
    if table is None or not _check_columns(reader, table, ("technician_id", "date")):
        return out
    seen: dict[tuple[str, dt.date], int] = {}
    statuses = {s.value for s in DayStatus}
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        day = reader.date(row, "date", required=True)
        status_text = reader.text(row, "status")
        worked = reader.integer(row, "worked_minutes", low=0, high=24 * 60)
        comp = reader.boolean(row, "comp_time_off")
        if status_text is not None and status_text not in statuses:
            reader.problem(row, "status", status_text, f"status must be one of {', '.join(sorted(statuses))}")
            continue
        if tech_id is None or day is None:
            continue
        if _unknown_technician(reader, row, tech_id, technicians, "attendance"):
            continue
        if not first <= day <= last:
            reader.problem(row, "date", day.isoformat(), f"date must be in the month {first:%Y-%m}")
            continue
        if (tech_id, day) in seen:
            reader.problem(
                row,
                "date",
                day.isoformat(),
                f"one attendance row per technician and day (see row {seen[tech_id, day]})",
            )
            continue
        seen[tech_id, day] = row.row
        status = _status_of(DayStatus(status_text) if status_text else None, worked)
        if status is not DayStatus.WORK and worked:
            reader.problem(row, "worked_minutes", worked, f"no minutes can be worked on a {status.value} day")
            continue
        out.append(AttendanceDay(tech_id, day, status, worked or 0, bool(comp)))
    return out


def _unknown_technician(
    reader: _Reader, row: _Row, tech_id: str | None, technicians: dict[str, PayTechnician], what: str
) -> bool:
    """Report a row (``what``: "order", "KPI row", …) of a technician the technicians file does not
    list; True when it was reported. A missing id is the reader's own problem, not this one."""
    if tech_id is None or tech_id in technicians:
        return False
    reader.problem(row, "technician_id", tech_id, f"{what} of an unknown technician (not in technicians)")
    return True


def _losses(
    reader: _Reader, table: _Table | None, technicians: dict[str, PayTechnician]
) -> list[LossDeduction]:
    out: list[LossDeduction] = []
    if table is None or not _check_columns(reader, table, ("technician_id", "amount", "reason")):
        return out
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        amount = reader.decimal(row, "amount", money=True)
        reason = reader.text(row, "reason", required=True)
        if amount is None and row.cells.get("amount") in (None, ""):
            reader.problem(row, "amount", None, "required")
            continue
        if amount is not None and amount <= 0:
            reader.problem(row, "amount", str(amount), "a loss deduction is a positive amount of yuan")
            continue
        if _unknown_technician(reader, row, tech_id, technicians, "deduction"):
            continue
        if tech_id is None or amount is None or reason is None:
            continue
        out.append(LossDeduction(tech_id, amount, reason, reader.text(row, "reference") or ""))
    return out


def _year_to_date(
    reader: _Reader, table: _Table | None, technicians: dict[str, PayTechnician]
) -> list[YearToDate]:
    out: list[YearToDate] = []
    money = ("income", "contributions", "additional_deductions", "tax")
    if table is None or not _check_columns(reader, table, ("technician_id", "months", *money)):
        return out
    seen: set[str] = set()
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        months = reader.integer(row, "months", low=0, high=11)
        amounts = []
        for name in money:
            value = reader.decimal(row, name, money=True)
            if value is None and row.cells.get(name) in (None, ""):
                reader.problem(row, name, None, "required (yuan, exact)")
            elif value is not None and value < 0:
                reader.problem(row, name, str(value), "a year-to-date amount is >= 0")
                value = None
            amounts.append(value)
        if months is None and row.cells.get("months") in (None, ""):
            reader.problem(row, "months", None, "required")
        if _unknown_technician(reader, row, tech_id, technicians, "year-to-date row"):
            continue
        if tech_id is not None and tech_id in seen:
            reader.problem(row, "technician_id", tech_id, "one year-to-date row per technician (duplicate)")
            continue
        if tech_id is None or months is None or None in amounts:
            continue
        seen.add(tech_id)
        income, contributions, additional, tax = (to_fen(a) for a in amounts if a is not None)
        out.append(YearToDate(tech_id, months, income, contributions, additional, tax))
    return out


def _additional(
    reader: _Reader, table: _Table | None, technicians: dict[str, PayTechnician]
) -> list[AdditionalDeduction]:
    out: list[AdditionalDeduction] = []
    if table is None or not _check_columns(reader, table, ("technician_id", "kind", "monthly_amount")):
        return out
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        kind = reader.text(row, "kind", required=True)
        amount = reader.decimal(row, "monthly_amount", money=True)
        if amount is None and row.cells.get("monthly_amount") in (None, ""):
            reader.problem(row, "monthly_amount", None, "required")
            continue
        if amount is not None and amount < 0:
            reader.problem(row, "monthly_amount", str(amount), "a monthly amount is >= 0 yuan")
            continue
        if _unknown_technician(reader, row, tech_id, technicians, "special additional deduction"):
            continue
        if tech_id is None or kind is None or amount is None:
            continue
        out.append(AdditionalDeduction(tech_id, kind, amount))
    return out


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _time_off_balance(
    reader: _Reader, table: _Table | None, technicians: dict[str, PayTechnician], month: str
) -> list[TimeOffLot]:
    out: list[TimeOffLot] = []
    if table is None or not _check_columns(reader, table, ("technician_id", "earned_month", "minutes")):
        return out
    for row in table.rows:
        tech_id = reader.ident(row, "technician_id")
        earned = reader.text(row, "earned_month", required=True)
        minutes = reader.integer(row, "minutes", low=1)
        if earned is not None and (not _MONTH.match(earned) or earned >= month):
            reader.problem(row, "earned_month", earned, f"a month YYYY-MM before {month}")
            continue
        if minutes is None and row.cells.get("minutes") in (None, ""):
            reader.problem(row, "minutes", None, "required")
            continue
        if _unknown_technician(reader, row, tech_id, technicians, "time-off balance"):
            continue
        if tech_id is None or earned is None or minutes is None:
            continue
        out.append(TimeOffLot(tech_id, earned, minutes))
    return out


# --------------------------------------------------------------------------- column path
#
# A month's orders and attendance files have some 300,000 rows each. Read row by row above, they
# cost ~25 µs a row in Python-level calls (a dict per row, a `_Reader` call per cell); the column
# path below reads a clean CSV file in C-level passes over whole columns instead: the file's text
# (decoded by `fieldcrew.tabular.decode_csv`, as the row path's) is split into columns
# (`_split_columns`), ids are checked by one regex over the joined column and the
# technicians' ids by a set, and every other cell is converted once per distinct value (a month
# has a few ten thousand distinct times, 31 dates, a handful of minute counts and flags) by the row
# path's own `_Reader` method, so a cell means exactly what it means there.
# The column path reports nothing: the moment any check of a table fails it raises `_Slow`, and
# that table is read again by the row path, which reports every problem exactly as it always has.


class _Slow(Exception):
    """A check of the column path failed: the table must be read row by row to report it."""


@dataclass
class _Columns:
    """A CSV file of the simple shape the column path reads (distinct header names, every row as
    long as the header), as one list of raw cells per column."""

    path: Path
    count: int
    columns: dict[str, Sequence[str]]

    def require(self, *names: str) -> None:
        """Raise `_Slow` unless every column of ``names`` is present."""
        if not all(map(self.columns.__contains__, names)):
            raise _Slow

    def stripped(self, name: str) -> list[str]:
        """The cells of required column ``name``, stripped as `_Reader.text` strips them."""
        return list(map(str.strip, self.columns[name]))

    def ids(self, name: str) -> list[str]:
        """The cells of required id column ``name``; `_Slow` unless each is an id (`_ID`)."""
        values = self.stripped(name)
        # one regex pass over the column: no cell may hold a newline, so the characters and the
        # lengths of the cells say the same as matching each cell
        if not (
            min(map(len, values)) >= 1
            and max(map(len, values)) <= 64
            and _ID_CHARACTERS.fullmatch("".join(values))
        ):
            raise _Slow
        return values

    def convert(self, name: str, cell: Callable[[str | None], _T]) -> list[_T]:
        """Column ``name`` converted by ``cell``, called once per distinct value (an absent
        column's cells are None, as in the row path)."""
        column = self.columns.get(name)
        if column is None:
            return [cell(None)] * self.count
        values = {raw: cell(raw) for raw in set(column)}
        return list(map(values.__getitem__, column))

    def read(self, method: Callable[..., _T], name: str, **options: Any) -> list[_T]:
        """Column ``name`` converted by the row path's `_Reader` method (see `_cell`)."""
        return self.convert(name, lambda raw: _cell(method, name, raw, **options))


def _read_columns(path: Path) -> _Columns | None:
    """The columns of a CSV file (see `_split_columns`).

    Raises
    ------
    fieldcrew.tabular's InputErrors
        For a file that is neither UTF-8 nor GB18030, as the row path.
    """
    return _split_columns(path, tabular.decode_csv(path.read_bytes(), path.name))


def _split_columns(path: Path, text: str) -> _Columns | None:
    """The columns of CSV text as the row path (`fieldcrew.tabular.parse_csv`) reads its cells, or
    None when the file needs the row path: an empty file, ragged rows or duplicate header names.

    A file without quotes, lone carriage returns or NULs (what spreadsheets and scripts write) is
    split by `str.split` on its line ends and commas, which then is exactly what `csv` does, ~5×
    faster and without a list per row; any other file goes through `csv.reader`.
    """
    if "\0" in text:  # the shared reader refuses NUL characters in a cell: the row path reports them
        return None
    plain = text.replace("\r\n", "\n") if "\r" in text else text
    if '"' in plain or "\r" in plain:
        return _split_csv(path, text)
    lines = plain.split("\n")
    header, body = lines[0], list(filter(None, lines[1:]))
    if not header or not body or max(map(len, lines)) > csv.field_size_limit():
        return _split_csv(path, text)
    width = header.count(",") + 1
    if set(map(str.count, body, repeat(","))) != {width - 1}:
        return None
    cells = ",".join(body).split(",")
    return _columns(path, header.split(","), _without_blank_rows([cells[at::width] for at in range(width)]))


def _without_blank_rows(columns: list[list[str]]) -> list[list[str]]:
    """The columns without the rows whose every cell is blank (the row path skips those rows)."""
    first = columns[0]
    if all(map(str.strip, first)):  # one C-level pass: no row has a blank first cell
        return columns
    blank = {
        at for at, cell in enumerate(first) if not cell.strip() and not any(c[at].strip() for c in columns)
    }
    if not blank:
        return columns
    return [[cell for at, cell in enumerate(column) if at not in blank] for column in columns]


def _split_csv(path: Path, text: str) -> _Columns | None:
    try:
        reader = csv.reader(_io.StringIO(text, newline=""))
        header = next(reader, None)
        rows = list(filter(tabular.filled, reader))  # the row path skips blank rows
    except csv.Error:
        return None  # the row path reports the error
    if not header or not rows or set(map(len, rows)) != {len(header)}:
        return None
    return _columns(path, header, list(zip(*rows, strict=True)))


def _columns(path: Path, header: list[str], columns: Sequence[Sequence[str]]) -> _Columns | None:
    """The named columns (an unnamed one is not read, as in the row path)."""
    names = [name.strip() for name in header]
    named = [name for name in names if name]
    if not named or len(set(named)) != len(named) or not columns or not columns[0]:
        return None
    return _Columns(path, len(columns[0]), {n: c for n, c in zip(names, columns, strict=True) if n})


def _cell(method: Callable[..., _T], field: str, raw: str | None, **options: Any) -> _T:
    """One cell converted by the row path's `_Reader` method; `_Slow` where it reports a problem."""
    probe = _Reader()
    value = method(probe, _Row("", 0, {field: raw}), field, **options)
    if probe.problems:
        raise _Slow
    return value


def _known(values: list[str], technicians: dict[str, PayTechnician]) -> None:
    """`_Slow` unless every stripped cell is a technician's id (so also a valid id)."""
    if not technicians.keys() >= set(values):
        raise _Slow


def _status_of(stated: DayStatus | None, worked: int | None) -> DayStatus:
    """A day's status: the one stated, else work when minutes were worked, else rest."""
    if stated is None:
        return DayStatus.WORK if worked else DayStatus.REST
    return stated


def _day_status(stated: DayStatus | None, worked: int) -> DayStatus:
    """The status of a day as `_attendance` gives it; `_Slow` where it reports a conflict."""
    status = _status_of(stated, worked)
    if status is not DayStatus.WORK and worked:
        raise _Slow
    return status


def _orders_by_column(
    table: _Columns, technicians: dict[str, PayTechnician], first: dt.date, last: dt.date
) -> OrderTable:
    """`_orders` of a clean file, column by column (`_Slow` at the first problem)."""
    table.require("order_id", "technician_id", "order_type", "completed_at")
    ids = table.ids("order_id")
    if len(set(ids)) != len(ids):
        raise _Slow
    technician_ids = table.stripped("technician_id")
    _known(technician_ids, technicians)
    types = {t.value: t for t in OrderType}

    def order_type(raw: str | None) -> OrderType:
        kind = types.get(_cell(_Reader.text, "order_type", raw, required=True) or "")
        if kind is None:
            raise _Slow
        return kind

    def difficulty(raw: str | None) -> int:
        level = _cell(_Reader.integer, "difficulty", raw)
        if level is not None and level not in DIFFICULTY_LEVELS:
            raise _Slow
        return level or 1

    def completed_us(raw: str | None) -> int:
        at = _cell(_Reader.datetime, "completed_at", raw)
        if at is None or not first <= at.date() <= last:
            raise _Slow
        return microsecond_of(at)

    def standard_minutes(raw: str | None) -> int | None:
        minutes = _cell(_Reader.integer, "standard_minutes", raw)
        if minutes is not None and minutes <= 0:
            raise _Slow
        return minutes

    def flag(name: str) -> Callable[[str | None], bool]:
        return lambda raw: bool(_cell(_Reader.boolean, name, raw))

    completed = np.array(table.convert("completed_at", completed_us), dtype=np.int64)
    _employed_when_completed(technician_ids, completed, technicians)
    return OrderTable.from_columns(
        ids,
        technician_ids,
        table.convert("order_type", order_type),
        table.convert("difficulty", difficulty),
        completed,
        [  # the columns of `payroll.tables.OPTIONAL_FIELDS`, in order
            table.convert("standard_minutes", standard_minutes),
            table.read(_Reader.integer, "repeat_fault_within_days", low=0),
            table.read(_Reader.ident, "repeat_of", required=False),
            table.convert("complaint", flag("complaint")),
            table.convert("praise", flag("praise")),
            table.read(_Reader.boolean, "appointment_kept"),
        ],
    )


def _employed_when_completed(
    technician_ids: list[str], completed_us: IntArray, technicians: dict[str, PayTechnician]
) -> None:
    """`_Slow` unless every order was completed while its technician was employed."""
    position = {tech_id: at for at, tech_id in enumerate(technicians)}
    start = np.array([t.start_date.toordinal() for t in technicians.values()], dtype=np.int64)
    end = np.array([(t.end_date or dt.date.max).toordinal() for t in technicians.values()], dtype=np.int64)
    codes = np.fromiter(map(position.__getitem__, technician_ids), np.int64, len(technician_ids))
    day = completed_us // 86_400_000_000 + EPOCH.date().toordinal()
    if not ((start[codes] <= day) & (day <= end[codes])).all():
        raise _Slow


def _attendance_by_column(
    table: _Columns, technicians: dict[str, PayTechnician], first: dt.date, last: dt.date
) -> AttendanceTable:
    """`_attendance` of a clean file, column by column (`_Slow` at the first problem)."""
    table.require("technician_id", "date")
    technician_ids = table.stripped("technician_id")
    _known(technician_ids, technicians)
    statuses = {s.value: s for s in DayStatus}

    def day(raw: str | None) -> int:
        value = _cell(_Reader.date, "date", raw, required=True)
        if value is None or not first <= value <= last:
            raise _Slow
        return value.toordinal()

    def minutes(raw: str | None) -> int:
        return _cell(_Reader.integer, "worked_minutes", raw, low=0, high=24 * 60) or 0

    def status(raw: str | None) -> DayStatus | None:
        text = _cell(_Reader.text, "status", raw)
        if text is not None and text not in statuses:
            raise _Slow
        return None if text is None else statuses[text]

    days = np.array(table.convert("date", day), dtype=np.int64)
    # one row per technician and day: count each (technician, day of the month) pair
    span = last.toordinal() - first.toordinal() + 1
    position = {tech_id: at for at, tech_id in enumerate(technicians)}
    technician_at = np.fromiter(map(position.__getitem__, technician_ids), np.int64, table.count)
    if table.count and np.bincount(technician_at * span + (days - first.toordinal())).max() > 1:
        raise _Slow
    worked = table.convert("worked_minutes", minutes)
    return AttendanceTable(
        technician_ids,
        days,
        list(map(_day_status, table.convert("status", status), worked)),
        np.array(worked, dtype=np.int64),
        np.array(list(map(bool, table.read(_Reader.boolean, "comp_time_off"))), dtype=np.bool_),
    )


# --------------------------------------------------------------------------- writers

PAYSLIP_COLUMNS: tuple[str, ...] = (
    "technician_id",
    "month",
    "policy_version",
    "rule",
    "key",
    "label",
    "quantity",
    "rate",
    "coefficient",
    "multiplier",
    "amount",
    "amount_fen",
)


def payslip_rows(payslips: Sequence[Payslip]) -> Iterator[list[str | int]]:
    """One row per pay line plus a total row per payslip (values as exact strings / int fen)."""
    for slip in payslips:
        for line in slip.lines:
            d = line.to_dict()
            yield [
                slip.technician_id,
                slip.month,
                slip.policy_version,
                line.rule,
                line.key,
                line.label,
                d["quantity"],
                d["rate"],
                d["coefficient"],
                d["multiplier"],
                d["amount"],
                line.amount_fen,
            ]
        total = slip.to_dict()
        yield [
            slip.technician_id,
            slip.month,
            slip.policy_version,
            "total",
            "total",
            "total of the lines",
            "",
            "",
            "",
            "",
            total["total"],
            total["total_fen"],
        ]


def payslips_csv(payslips: Sequence[Payslip]) -> str:
    """Payslips as CSV text (one row per line, one total row per technician)."""
    buffer = _io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PAYSLIP_COLUMNS)
    writer.writerows(map(tabular.safe_row, payslip_rows(payslips)))  # no cell runs as a formula
    return buffer.getvalue()


def write_payslips_xlsx(payslips: Sequence[Payslip], path: Path | str) -> None:
    """Payslips as an Excel workbook; amounts are written as text so no float holds money."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "payslips"
    tabular.append_row(sheet, PAYSLIP_COLUMNS)
    for row in payslip_rows(payslips):
        tabular.append_row(sheet, row)  # text as text, never a formula
    book.save(path)
