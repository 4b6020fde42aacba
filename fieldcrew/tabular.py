"""The one reader of tabular files (CSV and Excel) that every instrument's import uses.

Branch data, pay inputs, work-study observations and order files all come from spreadsheets, so
they are all read by the same rules, here; what a column means stays with each instrument.

Files
    ``.csv`` or ``.xlsx``/``.xlsm`` (by the name's suffix unless the format is given).
Encodings
    CSV bytes are UTF-8, with or without BOM; bytes that are not UTF-8 are read as GB18030 (what
    Excel on Chinese Windows saves as "CSV"). Bytes that are neither are an error naming the
    file, the row and (below the header) the column, never replaced: a name must not change on
    its way into the database. A file that reads as UTF-8, Chinese text included, up to a bad
    byte is a damaged UTF-8 file, not GB18030 (read as GB18030 it would give wrong characters).
Excel
    openpyxl in read-only mode, the cells' values (not their formulas); the first sheet unless
    one is named.
Rows
    Numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2; a
    quoted CSV cell spanning lines is still one row. Rows whose cells are all empty or spaces
    are skipped (the rows after them keep their numbers).
Header
    Names are stripped and empty names at the end dropped; a file without a header row (an
    empty file) and a name given twice are errors of the file (:func:`read_table` raises them).
    Missing and unknown columns depend on what the file is: :meth:`RawTable.header_problems`.
Cells
    Text, as the user typed it (readers strip it). An Excel cell's text is that of its value:
    whole numbers without ``.0``, other numbers in their shortest exact form, ``true``/``false``,
    dates ``YYYY-MM-DD``, date-times ``YYYY-MM-DD HH:MM:SS`` (rounded to the second; a date-time
    at midnight as its date), times ``HH:MM:SS``. The typed values stay beside the text
    (:attr:`RawRow.typed`) for rules that depend on the kind of cell (payroll: money must not be
    a floating-point number). A cell holds at most :data:`MAX_CELL_CHARS` characters and no NUL
    character (no database column takes one); either is a problem naming the row and column.
    A text cell the writers below guarded against formula injection (``'=…``) reads back as
    the text it was (``=…``): see :func:`safe_cell`.

Writing
    :func:`write_csv`, :func:`write_xlsx` and :func:`write_table` write every export, and
    :func:`append_row` fills a sheet an exporter styles itself. Text that a spreadsheet would
    run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
    is written with a leading apostrophe, and Excel text cells are typed as text, never as a
    formula: a name like ``=HYPERLINK(…)`` in the database is shown, never run, on the machine
    of whoever opens the export (CSV injection). Numbers, dates and booleans stay typed.

Every problem is a :class:`vocabulary.errors.Problem` (file, row, field, value, rule) inside one
:class:`vocabulary.errors.InputErrors`; nothing of a file that fails here reaches any reader.
Yes/no cells are read with :func:`vocabulary.booleans.parse_bool` (one set of words for all).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import enum
import io
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from vocabulary.errors import InputErrors, Problem

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
_SUFFIXES: dict[str, Format] = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
#: Bytes beyond one per character that a file's valid UTF-8 start must hold (a few Chinese
#: characters) for a bad byte after it to mean a damaged UTF-8 file rather than GB18030; GB18030
#: text is valid UTF-8 this far only by a rare accident.
_UTF8_EVIDENCE_BYTES = 8
#: Appended to the text read before a bad byte, so that the CSV reader's last cell is the one the
#: bad byte is in, even when that text ends with a comma or a line end.
_END = "\uffff"
#: The most characters one cell may hold (128 KiB of text; the CSV module's own default limit).
MAX_CELL_CHARS = 128 * 1024
#: What a spreadsheet runs as a formula when a text cell starts with it.
FORMULA_LEADERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Guarded text: one apostrophe, then (more apostrophes and) a formula leader; a line feed too,
#: since an Excel file gives a carriage return back as a line feed.
_GUARDED = re.compile(r"'+[=+\-@\t\r\n]")
#: A signed plain number (``-12.50``, ``+1,234``, ``-1e5``): a spreadsheet reads it as a number, never
#: runs it, so it is written as it is (a bank file's negative amount keeps its form).
_PLAIN_NUMBER = re.compile(r"[+-](?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row of a file.

    Attributes
    ----------
    number
        The row as a spreadsheet shows it (the header is row 1).
    cells
        The text of each cell, left to right; as many as the row has, which may be fewer or more
        than the header has names.
    typed
        Excel files only: the cells' values as the workbook types them (``None``, ``str``,
        ``int``, ``float``, ``bool``, ``datetime``, …); ``None`` for a CSV file.
    """

    number: int
    cells: tuple[str, ...]
    typed: tuple[Any, ...] | None = None

    @property
    def values(self) -> tuple[Any, ...]:
        """The typed values of an Excel row, the text of a CSV row."""
        return self.cells if self.typed is None else self.typed


@dataclass(frozen=True)
class RawTable:
    """A file's header and its non-blank data rows, nothing interpreted yet.

    Attributes
    ----------
    file
        The file's name, for problem reports.
    format
        ``csv`` or ``xlsx``.
    header
        The column names, stripped, without empty names at the end; no name twice (an empty
        name, of a column left unnamed between others, may repeat; its cells are not read).
    rows
        The data rows, blank rows left out.
    """

    file: str
    format: Format
    header: tuple[str, ...]
    rows: tuple[RawRow, ...]

    def record(self, row: RawRow, *, typed: bool = False) -> dict[str, Any]:
        """The cells of ``row`` by column name (unnamed columns left out; a cell the row lacks is
        ``None``): text, or with ``typed`` an Excel file's typed values."""
        values = row.values if typed else row.cells
        if len(values) >= len(self.header) and all(self.header):
            return dict(zip(self.header, values, strict=False))  # a row at least as long as the header
        count = len(values)
        return {name: values[at] if at < count else None for at, name in enumerate(self.header) if name}

    def records(self, *, typed: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, :meth:`record`) of every data row."""
        for row in self.rows:
            yield row.number, self.record(row, typed=typed)

    def beyond_header(self, row: RawRow) -> list[str]:
        """The non-blank cells of ``row`` right of the last named column (no reader reads them)."""
        return [cell for cell in row.cells[len(self.header):] if cell.strip()]

    def header_problems(
        self, required: Iterable[str] = (), known: Collection[str] | None = None
    ) -> list[Problem]:
        """Required columns missing from the header and, when ``known`` is given, columns that are
        not in it; all on row 1, in the order of ``required`` then of the header."""
        present = set(self.header)
        problems = [
            Problem(field=name, rule="required column is missing from the header", row=1, file=self.file)
            for name in required
            if name not in present
        ]
        if known is not None:
            listed = ", ".join(known)
            problems += [
                Problem(field=name, rule=f"unknown column; columns are {listed}", value=name, row=1,
                        file=self.file)
                for name in self.header
                if name and name not in known
            ]
        return problems

    def check_header(self, required: Iterable[str] = (), known: Collection[str] | None = None) -> None:
        """Raise :meth:`header_problems` as one :class:`InputErrors`, if there are any."""
        problems = self.header_problems(required, known)
        if problems:
            raise InputErrors(problems)


# ---------------------------------------------------------------------------------------------
# reading


def detect_format(name: str, fmt: str | None = None) -> Format:
    """The format given (checked) or, without one, the one of the file name's suffix.

    Raises
    ------
    InputErrors
        For a format other than ``csv``/``xlsx``, or a name without a known suffix.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputErrors([Problem(field="format", rule="csv or xlsx", value=fmt, file=name)])
        return "csv" if fmt == "csv" else "xlsx"
    found = _SUFFIXES.get(Path(name).suffix.lower())
    if found is None:
        raise InputErrors([Problem(field="file", rule="a .csv or .xlsx file", value=name, file=name)])
    return found


def read_table(
    source: bytes | Path | str, name: str | None = None, fmt: str | None = None, *, sheet: str | None = None
) -> RawTable:
    """Read a CSV or Excel file into a :class:`RawTable`.

    Parameters
    ----------
    source
        The file's bytes, or its path.
    name
        File name used in problem reports and to tell the format; default: the path's name.
    fmt
        ``csv`` or ``xlsx``; default: from the name's suffix.
    sheet
        Excel only: the sheet to read; default: the first.

    Raises
    ------
    InputErrors
        A missing file, an unknown format, bytes that are neither UTF-8 nor GB18030, a damaged
        workbook or unknown sheet, a file without a header row, a column name given twice.
    """
    if isinstance(source, bytes):
        data, name = source, name or "upload"
        kind = detect_format(name, fmt)
    else:
        path = Path(source)
        name = name or path.name
        kind = detect_format(name, fmt)  # an unknown kind of file is named before it is opened
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputErrors(
                [Problem(field="file", rule="file not found", value=str(path), file=name)]
            ) from None
    if kind == "csv":
        return parse_csv(decode_csv(data, name), name)
    return read_xlsx(data, name, sheet)


def decode_csv(data: bytes, file: str) -> str:
    """The text of a CSV file's bytes: UTF-8 (a BOM dropped), else GB18030.

    Raises
    ------
    InputErrors
        When the bytes are neither, or are damaged UTF-8 (a BOM, or Chinese text read as UTF-8
        before the bad byte), naming the file, row and column of the first bad byte.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    utf8_error = _decode_error(body, "utf-8")  # positions in the text without its BOM
    assert utf8_error is not None
    read = body[:utf8_error.start]
    if bom or len(read) - len(read.decode("utf-8")) >= _UTF8_EVIDENCE_BYTES:
        raise _undecodable(body, "utf-8", utf8_error, file)
    try:
        return data.decode("gb18030").removeprefix("\ufeff")
    except UnicodeDecodeError as gb_error:
        if gb_error.start >= utf8_error.start:  # the reading that got further is the likelier one
            raise _undecodable(data, "gb18030", gb_error, file) from None
        raise _undecodable(body, "utf-8", utf8_error, file) from None


def _decode_error(data: bytes, encoding: str) -> UnicodeDecodeError | None:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        return error
    return None


def _undecodable(data: bytes, encoding: str, error: UnicodeDecodeError, file: str) -> InputErrors:
    """The problem of a bad byte: its row and column are those of the CSV text read before it."""
    before = data[:error.start].decode(encoding, errors="replace")
    try:
        records = list(csv.reader(io.StringIO(before + _END, newline="")))
    except csv.Error:  # the text before cannot be split: name the line instead
        records = [[line] for line in (before + _END).splitlines()]
    header = [name.strip() for name in records[0]] if len(records) > 1 else []
    last = records[-1] if records else [_END]
    at = len(last) - 1
    field = header[at] if at < len(header) and header[at] else f"(column {at + 1})"
    bad = "".join(f"\\x{byte:02x}" for byte in data[error.start:error.end])
    return InputErrors([Problem(
        field=field,
        rule=f"the file must be text in UTF-8 (with or without BOM) or GB18030: these bytes are "
             f"{'damaged UTF-8' if encoding == 'utf-8' else 'neither'}; save it again as CSV UTF-8",
        value=last[-1].removesuffix(_END) + bad,
        row=len(records),
        file=file,
    )])


def parse_csv(text: str, file: str) -> RawTable:
    """A :class:`RawTable` of CSV text (see :func:`decode_csv` for the text of a file's bytes).

    Raises
    ------
    InputErrors
        For text the CSV reader cannot split, a cell longer than :data:`MAX_CELL_CHARS` or
        holding a NUL character (each named by row and column), no header row or a column name
        given twice.
    """
    records = _split_csv(text, file)
    if "'" in text:  # only then may a cell be guarded against formula injection
        records = [[unguard(cell) for cell in cells] for cells in records]
    if "\x00" in text or len(text) > MAX_CELL_CHARS:
        _check_cells(records, file)
    header: list[str] | None = None
    rows: list[RawRow] = []
    for number, cells in enumerate(records, start=1):
        if header is None:
            header = cells
        elif filled(cells):
            rows.append(RawRow(number, tuple(cells)))
    return RawTable(file, "csv", _header(header or [], bool(rows), file), tuple(rows))


#: Serialises the rare re-reading of a file with a cell over the CSV module's (process-wide) limit.
_FIELD_LIMIT_LOCK = threading.Lock()


def _split_csv(text: str, file: str) -> list[list[str]]:
    """The records of CSV text; a cell over the CSV module's limit is read all the same (and then
    reported by :func:`_check_cells` with its row and column), other unreadable text is a problem."""
    try:
        return _records(text, file)
    except _TooLarge:
        pass
    with _FIELD_LIMIT_LOCK:
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, len(text) + 1))
        try:
            return _records(text, file)
        finally:
            csv.field_size_limit(limit)


class _TooLarge(Exception):
    """A cell longer than the CSV module's field limit."""


def _records(text: str, file: str) -> list[list[str]]:
    records: list[list[str]] = []
    try:
        records.extend(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _TooLarge from None
        raise InputErrors([Problem(field="(file)", rule=f"a readable CSV file ({exc})", row=len(records) + 1,
                                   file=file)]) from None
    return records


def _check_cells(records: Sequence[Sequence[str]], file: str) -> None:
    """Raise a problem for every cell longer than :data:`MAX_CELL_CHARS` or holding a NUL character."""
    names = [name.strip() for name in records[0]] if records else []
    problems = []
    for number, cells in enumerate(records, start=1):
        for at, cell in enumerate(cells):
            rule = cell_rule(cell)
            if rule is not None:
                field = names[at] if number > 1 and at < len(names) and names[at] else f"(column {at + 1})"
                problems.append(Problem(field=field, rule=rule, value=_excerpt(cell), row=number, file=file))
    if problems:
        raise InputErrors(problems)


def cell_rule(text: str) -> str | None:
    """The rule a cell's text breaks (too long, a NUL character), or ``None``: every reader's limit."""
    if len(text) > MAX_CELL_CHARS:
        return (f"a cell holds at most {MAX_CELL_CHARS:,} characters; this one has {len(text):,}")
    if "\x00" in text:
        return "a cell must not hold a NUL character (\\x00)"
    return None


def _excerpt(text: str) -> str:
    """The start of a long cell (a problem report repeats no 128 KiB value), NULs shown escaped."""
    shown = text[:40] + ("…" if len(text) > 40 else "")
    return shown.replace("\x00", "\\x00")


def read_xlsx(data: bytes, file: str, sheet: str | None = None) -> RawTable:
    """A :class:`RawTable` of an Excel workbook's first sheet, or of the sheet named ``sheet``.

    Raises
    ------
    InputErrors
        For a damaged workbook, an unknown sheet, no header row or a column name given twice.
    """
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputErrors([Problem(field="file", rule=f"a readable .xlsx workbook ({exc})", value=file,
                                   file=file)]) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputErrors([Problem(field="sheet", rule=f"one of the workbook's sheets "
                                                           f"({', '.join(book.sheetnames)})",
                                       value=sheet, file=file)])
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        header: tuple[str, ...] | None = None
        rows: list[RawRow] = []
        records: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            typed = tuple(unguard(v) if isinstance(v, str) else v for v in values)
            cells = tuple(map(excel_text, typed))
            records.append((number, cells))
            if header is None:
                header = cells
            elif filled(cells):
                rows.append(RawRow(number, cells, typed))
    finally:
        book.close()
    if any(cell_rule(cell) for _, cells in records for cell in cells):
        _check_cells([list(cells) for _, cells in records], file)  # a sheet has no gap in its row numbers
    return RawTable(file, "xlsx", _header(header or (), bool(rows), file), tuple(rows))


def filled(cells: Iterable[str]) -> bool:
    """Whether a row has a cell that is not empty or spaces (blank rows are skipped)."""
    return any(map(str.strip, cells))


def _header(cells: Iterable[str], has_rows: bool, file: str) -> tuple[str, ...]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        rule = ("row 1 must hold the column names; it is empty" if has_rows
                else "the file is empty: row 1 must hold the column names")
        raise InputErrors([Problem(field="header", rule=rule, row=1, file=file)])
    first: dict[str, int] = {}
    problems = []
    for at, name in enumerate(names, start=1):
        if name and name in first:
            problems.append(Problem(field=name, value=name, row=1, file=file,
                                    rule=f"column appears more than once in the header (columns "
                                         f"{first[name]} and {at}): which one is meant is unclear"))
        first.setdefault(name, at)
    if problems:
        raise InputErrors(problems)
    return tuple(names)


def excel_text(value: Any) -> str:
    """The text of an Excel cell's value (see the module's *Cells*)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        at = _to_second(value)
        return at.date().isoformat() if at.time() == dt.time() else at.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _to_second(dt.datetime.combine(dt.date.min, value)).time().isoformat()
    return str(value)


def _to_second(value: dt.datetime) -> dt.datetime:
    """Rounded to the second: Excel stores times as fractions of a day (08:00 may be 07:59:59.9997)."""
    if not value.microsecond:
        return value
    return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# writing


def safe_cell(value: Any) -> Any:
    """``value`` as an export writes it: text a spreadsheet would run as a formula gets a leading
    apostrophe (``=1+2`` → ``'=1+2``; still readable, never run), anything else is unchanged.

    Text that already starts with apostrophes before a formula leader gets one more, so that
    :func:`unguard` (what every reader applies) gives back exactly the text that was written:
    an export imports back unchanged. Numbers are not text: ``-5`` stays the number -5, and the
    text of a plain signed number (``"-12.50"``) is left as it is: no spreadsheet runs it.
    """
    if isinstance(value, str) and (
        (value.startswith(FORMULA_LEADERS) and not _PLAIN_NUMBER.fullmatch(value)) or _GUARDED.match(value)
    ):
        return "'" + str(value)
    return value


def unguard(text: str) -> str:
    """The text :func:`safe_cell` guarded (one leading apostrophe dropped when a formula leader
    follows); other text unchanged. Excel itself hides a leading apostrophe, so ``'=x`` typed
    into a spreadsheet means the text ``=x`` there too."""
    return text[1:] if text.startswith("'") and _GUARDED.match(text) else text


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` of every value (for a ``csv.writer`` row an exporter writes itself)."""
    return [safe_cell(v) for v in values]


def safe_record(record: dict[str, Any]) -> dict[str, Any]:
    """:func:`safe_cell` of every value of a ``csv.DictWriter`` row."""
    return {k: safe_cell(v) for k, v in record.items()}


def csv_text(value: Any) -> str:
    """The CSV text of a value: ``""`` for ``None``, ``true``/``false``, ISO dates and times (to the
    second), an enum's value, a float's shortest exact form. Not guarded: :func:`write_csv` is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(
    header: Sequence[str], rows: Iterable[Sequence[Any]], out: BinaryIO, *, bom: bool = True
) -> None:
    """Write ``rows`` under ``header`` as CSV to ``out``: UTF-8 (with a BOM, so Excel reads Chinese
    text right), CRLF line ends, every cell by :func:`csv_text`, text guarded by :func:`safe_cell`."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([csv_text(safe_cell(name)) for name in header])
    for row in rows:
        writer.writerow([csv_text(safe_cell(v)) for v in row])
    out.write(text.getvalue().encode("utf-8-sig" if bom else "utf-8"))


def xlsx_value(value: Any) -> Any:
    """What an Excel cell holds for ``value``: an enum's value, ``true``/``false`` as text (as CSV
    has them), numbers, dates and times as they are, other objects as their text."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str | int | float | dt.date | dt.time | dt.timedelta):
        return value
    return str(value)


def _text_cell(sheet: Worksheet | WriteOnlyWorksheet, text: str) -> Cell:
    # control characters other than tab/CR/LF cannot be stored in the file format at all
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", safe_cell(text))
    if isinstance(sheet, WriteOnlyWorksheet):
        cell = WriteOnlyCell(sheet, value=text)
    else:
        cell = Cell(sheet, value=text)
    cell.data_type = "s"  # text, also when it starts with '=' (openpyxl would make that a formula)
    return cell


def append_row(sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append one row to an openpyxl sheet (normal or write-only) with every text cell typed as
    text and guarded by :func:`safe_cell`, never a formula: use it instead of ``sheet.append``."""
    cells: list[Any] = []
    for value in values:
        plain = xlsx_value(value)
        cells.append(_text_cell(sheet, plain) if isinstance(plain, str) else plain)
    sheet.append(cells)


def write_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Any]], out: BinaryIO, sheet: str = "data"
) -> None:
    """Write ``rows`` under ``header`` to ``out`` as a one-sheet workbook, text cells typed as text
    (never a formula) and guarded by :func:`safe_cell`; numbers and dates stay typed."""
    book = openpyxl.Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    append_row(worksheet, header)
    for row in rows:
        append_row(worksheet, row)
    book.save(out)


def write_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: Format, out: BinaryIO, sheet: str = "data"
) -> None:
    """:func:`write_csv` or :func:`write_xlsx` by ``fmt``."""
    if fmt == "csv":
        write_csv(header, rows, out)
    else:
        write_xlsx(header, rows, out, sheet)
