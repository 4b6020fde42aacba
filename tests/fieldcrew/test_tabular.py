"""The shared tabular reader: encodings, line ends, Excel, row numbers, header checks, yes/no words."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldcrew import tabular
from vocabulary.booleans import BOOLEAN_RULE, FALSE_WORDS, TRUE_WORDS, parse_bool
from vocabulary.errors import InputErrors, Problem

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静"]


def csv_text(rows: list[list[str]], terminator: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows(rows)
    return out.getvalue()


def cells(table: tabular.RawTable) -> list[tuple[int, tuple[str, ...]]]:
    return [(row.number, row.cells) for row in table.rows]


def only(error: pytest.ExceptionInfo[InputErrors]) -> Problem:
    assert len(error.value.problems) == 1, error.value.problems
    return error.value.problems[0]


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    for sheet in book.worksheets:
        book.remove(sheet)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# encodings


ROWS = [["id", "name"], *([f"T{i}", name] for i, name in enumerate(NAMES, start=1))]
EXPECTED = [(i + 2, (f"T{i + 1}", name)) for i, name in enumerate(NAMES)]


def test_utf8() -> None:
    """UTF-8 text with Chinese names reads as written; rows are numbered from 2 below the header."""
    table = tabular.read_table(csv_text(ROWS).encode("utf-8"), "staff.csv")
    assert (table.file, table.format, table.header) == ("staff.csv", "csv", ("id", "name"))
    assert cells(table) == EXPECTED


def test_utf8_with_bom() -> None:
    """The BOM Excel writes before "CSV UTF-8" is not part of the first column's name."""
    table = tabular.read_table(b"\xef\xbb\xbf" + csv_text(ROWS).encode("utf-8"), "staff.csv")
    assert table.header == ("id", "name") and cells(table) == EXPECTED


def test_gb18030_chinese_names() -> None:
    """A file saved by Excel on Chinese Windows (GB18030) reads with its Chinese names intact."""
    data = csv_text(ROWS, "\r\n").encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = tabular.read_table(data, "staff.csv")
    assert cells(table) == EXPECTED


def test_crlf_and_a_cell_spanning_lines_are_one_row_each() -> None:
    """CRLF line ends are not part of the cells, and a quoted cell with line breaks is one row: the
    rows after it keep the numbers a spreadsheet shows."""
    text = csv_text([["id", "note"], ["T1", "line one\r\nline two"], ["T2", "x"]], "\r\n")
    table = tabular.read_table(text.encode("utf-8"), "notes.csv")
    assert cells(table) == [(2, ("T1", "line one\r\nline two")), (3, ("T2", "x"))]


def test_blank_rows_are_skipped_but_counted() -> None:
    """Empty lines and rows of empty or space-only cells are skipped; the next row keeps its number."""
    text = "id,name\n\nT1,a\n , \n,,\nT2,b\n"
    table = tabular.read_table(text.encode("utf-8"), "t.csv")
    assert cells(table) == [(3, ("T1", "a")), (6, ("T2", "b"))]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="ab ,\"\r\n张伟李娜", max_size=6), min_size=2, max_size=2),
        max_size=6,
    ),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_any_written_table_reads_back(
    rows: list[list[str]], encoding: str, terminator: str, quoting: Literal[0, 1, 2, 3]
) -> None:
    """Whatever cells a CSV writer wrote, in any of the three encodings and either line end, read
    back the same, blank rows left out and every row numbered by its place in the file."""
    if any("\r" in cell for row in rows for cell in row):
        quoting = csv.QUOTE_ALL  # the writer quotes a lone CR only when told to quote everything
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator, quoting=quoting).writerows([["id", "name"], *rows])
    data = out.getvalue().encode(encoding)
    if encoding == "gb18030" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # GB18030 bytes that happen to be valid UTF-8 cannot be told apart: not this test
            return
    table = tabular.read_table(data, "t.csv")
    expected = [(n, tuple(row)) for n, row in enumerate(rows, start=2) if any(c.strip() for c in row)]
    assert cells(table) == expected


# ------------------------------------------------------------------------------------------------
# bad bytes


def test_bad_bytes_name_file_row_and_column() -> None:
    """Bytes neither UTF-8 nor GB18030: one problem naming file, row and column, with the cell read so
    far and the bad byte escaped; never a replacement character."""
    data = b"technician_id,date\nT1,2026-03-01\nT2,2026-03-02\xff\n"
    with pytest.raises(InputErrors) as error:
        tabular.read_table(data, "attendance.csv")
    p = only(error)
    assert (p.file, p.row, p.field, p.value) == ("attendance.csv", 3, "date", "2026-03-02\\xff")
    assert "UTF-8" in p.rule and "GB18030" in p.rule and "\ufffd" not in str(error.value)


def test_bad_byte_in_the_header_names_row_1() -> None:
    with pytest.raises(InputErrors) as error:
        tabular.read_table(b"id,na\x80me\nT1,a\n", "t.csv")
    p = only(error)
    assert (p.row, p.field, p.value) == (1, "(column 2)", "na\\x80")


def test_bad_byte_after_a_quoted_cell_spanning_lines() -> None:
    """The row of a bad byte counts rows, not lines."""
    data = b'id,note\nT1,"two\nlines"\nT2,\xff\n'
    with pytest.raises(InputErrors) as error:
        tabular.read_table(data, "t.csv")
    assert (only(error).row, only(error).field) == (3, "note")


def test_damaged_utf8_is_not_read_as_gb18030() -> None:
    """A UTF-8 file with Chinese text before one bad byte is damaged UTF-8: an error at that byte, not
    a file of wrong characters (its bytes would pass as GB18030)."""
    text = csv_text([["id", "name"], ["T1", "张伟李娜"], ["T2", "王芳刘洋"]])
    data = text.encode("utf-8") + b"T3,\xa1\xa1x\n"
    data.decode("gb18030")  # it would "read" as GB18030
    with pytest.raises(InputErrors) as error:
        tabular.read_table(data, "t.csv")
    p = only(error)
    assert (p.row, p.field) == (4, "name") and "damaged UTF-8" in p.rule


def test_damaged_utf8_with_bom() -> None:
    """A BOM says UTF-8: a bad byte after it is an error even without Chinese text before it."""
    with pytest.raises(InputErrors) as error:
        tabular.read_table(b"\xef\xbb\xbfid,name\nT1,\xa1\xa1\n", "t.csv")
    assert (only(error).row, only(error).field) == (2, "name")


# ------------------------------------------------------------------------------------------------
# Excel


def test_xlsx_first_sheet_typed_cells_and_their_text() -> None:
    """The first sheet; each cell's typed value is kept beside its text (whole numbers without .0,
    dates without a midnight time, times rounded to the second, booleans as true/false)."""
    data = workbook(
        ("staff", [
            ["id", "name", "start", "at", "grade", "rate", "support", "clock"],
            ["T1", "张伟", dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 1, 7, 59, 59, 999_700), 2.0, 0.25,
             True, dt.time(8, 30)],
            [None, None, None, None, None, None, None, None],
            ["T2", "王芳", dt.date(2026, 3, 2), None, 3, None, False, None],
        ]),
        ("other", [["x"], ["1"]]),
    )
    table = tabular.read_table(data, "staff.xlsx")
    assert (table.format, table.header) == ("xlsx", ("id", "name", "start", "at", "grade", "rate", "support",
                                                     "clock"))
    assert cells(table) == [
        (2, ("T1", "张伟", "2026-03-01", "2026-03-01 08:00:00", "2", "0.25", "true", "08:30:00")),
        (4, ("T2", "王芳", "2026-03-02", "", "3", "", "false", "")),
    ]
    first = table.rows[0]
    assert first.typed is not None and first.typed[5] == 0.25 and isinstance(first.typed[5], float)
    assert table.record(first, typed=True)["support"] is True
    assert table.record(first)["support"] == "true"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (" 张伟 ", " 张伟 "),
        (2.0, "2"),
        (0.1 + 0.2, "0.30000000000000004"),  # the float itself, not a rounded look-alike
        (150.25, "150.25"),
        (7, "7"),
        (False, "false"),
        (dt.datetime(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1, 23, 59, 59, 600_000), "2026-03-02"),
        (dt.datetime(2026, 3, 1, 8, 5, 0, 400_000), "2026-03-01 08:05:00"),
        (dt.date(2026, 3, 1), "2026-03-01"),
        (dt.time(8, 29, 59, 700_000), "08:30:00"),
    ],
)
def test_excel_cell_text(value: object, text: str) -> None:
    assert tabular.excel_text(value) == text


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    data = workbook(("a", [["x"], ["1"]]), ("b", [["y"], ["2"], ["3"]]))
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    table = tabular.read_table(path, sheet="b")
    assert (table.file, table.header, cells(table)) == ("book.xlsx", ("y",), [(2, ("2",)), (3, ("3",))])
    with pytest.raises(InputErrors) as error:
        tabular.read_table(path, sheet="c")
    assert only(error).field == "sheet" and "a, b" in only(error).rule


def test_damaged_workbook_is_a_problem() -> None:
    with pytest.raises(InputErrors) as error:
        tabular.read_table(b"not a zip", "book.xlsx")
    assert (only(error).file, only(error).field) == ("book.xlsx", "file")


# ------------------------------------------------------------------------------------------------
# shape: empty files, header


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b" , \n"])
def test_empty_file_is_a_problem(data: bytes) -> None:
    with pytest.raises(InputErrors) as error:
        tabular.read_table(data, "t.csv")
    p = only(error)
    assert (p.file, p.row, p.field) == ("t.csv", 1, "header") and "empty" in p.rule


def test_empty_header_row_above_data_is_a_problem() -> None:
    with pytest.raises(InputErrors) as error:
        tabular.read_table(b",\nT1,a\n", "t.csv")
    assert "row 1 must hold the column names" in only(error).rule


def test_header_only_file_has_no_rows() -> None:
    table = tabular.read_table(b"id,name\n", "t.csv")
    assert table.header == ("id", "name") and table.rows == ()


def test_duplicate_columns_make_the_file_unreadable() -> None:
    """A column name given twice (after stripping) is a problem: which one is meant is unclear."""
    with pytest.raises(InputErrors) as error:
        tabular.read_table(b"id, name,name \nT1,a,b\n", "t.csv")
    p = only(error)
    assert (p.row, p.field) == (1, "name") and "columns 2 and 3" in p.rule


def test_header_names_stripped_trailing_empty_dropped_short_rows_none() -> None:
    table = tabular.read_table(b" id ,name,,\nT1\nT2,b,c,d\n", "t.csv")
    assert table.header == ("id", "name")
    assert list(table.records()) == [(2, {"id": "T1", "name": None}), (3, {"id": "T2", "name": "b"})]
    assert table.beyond_header(table.rows[1]) == ["c", "d"]


def test_missing_and_unknown_columns() -> None:
    table = tabular.read_table(b"id,nmae\nT1,a\n", "t.csv")
    problems = table.header_problems(required=["id", "name"], known=["id", "name"])
    assert [(p.row, p.field, p.value) for p in problems] == [(1, "name", None), (1, "nmae", "nmae")]
    assert "missing" in problems[0].rule and "unknown column" in problems[1].rule
    with pytest.raises(InputErrors):
        table.check_header(required=["name"])
    table.check_header(required=["id"])


def test_format_from_name_or_given(tmp_path: Path) -> None:
    assert tabular.detect_format("a.CSV") == "csv" and tabular.detect_format("a.xlsm") == "xlsx"
    assert tabular.detect_format("upload", "xlsx") == "xlsx"
    for name, fmt in (("a.txt", None), ("a.csv", "json")):
        with pytest.raises(InputErrors):
            tabular.detect_format(name, fmt)
    with pytest.raises(InputErrors, match="not found"):
        tabular.read_table(tmp_path / "none.csv")


# ------------------------------------------------------------------------------------------------
# yes / no


@pytest.mark.parametrize("word", sorted(TRUE_WORDS))
def test_true_words(word: str) -> None:
    assert parse_bool(word) is True and parse_bool(f" {word.upper()} ") is True


@pytest.mark.parametrize("word", sorted(FALSE_WORDS))
def test_false_words(word: str) -> None:
    assert parse_bool(word) is False and parse_bool(f" {word.upper()} ") is False


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (1, True), (0.0, False)])
def test_typed_yes_no_cells(value: object, expected: bool) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["maybe", "", "2", 2, 0.5, "对"])
def test_other_cells_are_not_yes_or_no(value: object) -> None:
    """Anything else breaks the rule, which lists the words."""
    with pytest.raises(ValueError, match="must be true or false") as error:
        parse_bool(value)
    assert str(error.value) == BOOLEAN_RULE and "是" in BOOLEAN_RULE


def test_the_words_are_one_set() -> None:
    assert not TRUE_WORDS & FALSE_WORDS
    assert all(word == word.strip().lower() for word in TRUE_WORDS | FALSE_WORDS)


# ------------------------------------------------------------------------------------------------
# writing: formula injection, text typed as text


FORMULA_VALUES = ["=1+2", "=HYPERLINK(\"http://x\",\"y\")", "+86 138 1234 1234", "-2+3", "-", "@SUM(A1)",
                  "\tx", "\rx", "'=already quoted", "''=twice", "=", "+", "@", "-1-1", "+1,2,3", "'-12"]


@pytest.mark.parametrize("value", FORMULA_VALUES)
def test_formula_text_is_written_inert_in_csv(value: str) -> None:
    """A CSV export writes text a spreadsheet would run with a leading apostrophe; the reader gives
    back exactly the text written."""
    out = io.BytesIO()
    tabular.write_csv(["name", "n"], [[value, -5]], out)
    written = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert written[1][0] == "'" + value and written[1][1] == "-5"  # numbers are not text: unchanged
    table = tabular.read_table(out.getvalue(), "x.csv")
    assert table.rows[0].cells == (value, "-5")


@pytest.mark.parametrize("value", FORMULA_VALUES)
def test_formula_text_is_a_text_cell_in_xlsx(value: str) -> None:
    """An Excel export types text as text (never a formula) and guards it; openpyxl reads it back as
    a string, and the reader gives back the text written (a carriage return comes back as a line feed:
    the file format keeps no CR)."""
    out = io.BytesIO()
    tabular.write_xlsx(["name", "n"], [[value, -5]], out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    cell = sheet["A2"]
    assert cell.data_type == "s" and isinstance(cell.value, str)
    assert cell.value.startswith("'")
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"
    table = tabular.read_table(out.getvalue(), "x.xlsx")
    assert table.rows[0].cells[0] == value.replace("\r", "\n")


@pytest.mark.parametrize("number", ["-12.50", "+3", "-1,234.56", "-1e5", "+8613812341234"])
def test_plain_signed_numbers_are_written_as_they_are(number: str) -> None:
    """The text of a plain signed number is no formula: written without an apostrophe (a bank file's
    negative amount keeps its form) and read back the same."""
    assert tabular.safe_cell(number) == number
    out = io.BytesIO()
    tabular.write_csv(["amount"], [[number]], out)
    assert out.getvalue().decode("utf-8-sig").splitlines()[1] == (f'"{number}"' if "," in number else number)
    assert tabular.read_table(out.getvalue(), "x.csv").rows[0].cells == (number,)


def test_append_row_guards_a_normal_worksheet() -> None:
    """The helper other exporters call on their own styled sheets types text as text there too."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    tabular.append_row(sheet, ["=cmd|' /C calc'!A0", 3, dt.date(2026, 6, 1), None, True])
    out = io.BytesIO()
    book.save(out)
    row = next(openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0].iter_rows())
    assert [(c.value, c.data_type) for c in row[:3]] == [
        ("'=cmd|' /C calc'!A0", "s"), (3, "n"), (dt.datetime(2026, 6, 1), "d")]
    assert row[4].value == "true"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
               max_size=12), st.sampled_from(["", "'", "''", "=", "+", "-", "@", "\t", "'=", "-1", "'-1"]))
def test_any_text_round_trips_through_both_writers(text: str, start: str) -> None:
    """Whatever text an export writes (guarded or not) reads back unchanged from CSV; from Excel too,
    except characters the file format cannot hold at all."""
    value = start + text
    for fmt in ("csv", "xlsx"):
        out = io.BytesIO()
        tabular.write_table(["v", "k"], [[value, "k"]], fmt, out)  # type: ignore[arg-type]
        table = tabular.read_table(out.getvalue(), f"t.{fmt}")
        expected = value if fmt == "csv" else tabular.ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if value.strip() or fmt == "csv":
            assert table.record(table.rows[0])["v"] == expected, fmt


# ------------------------------------------------------------------------------------------------
# cell limits


def test_a_cell_over_the_limit_names_row_and_column() -> None:
    """A CSV cell longer than 128 KiB is one problem naming its row and column, not a crash, and not
    the whole file."""
    big = "x" * (tabular.MAX_CELL_CHARS + 1)
    data = csv_text([["id", "notes"], ["T1", "ok"], ["T2", big]]).encode()
    with pytest.raises(InputErrors) as error:
        tabular.read_table(data, "big.csv")
    problem = only(error)
    assert (problem.row, problem.field, problem.file) == (3, "notes", "big.csv")
    assert "131,072" in problem.rule and len(str(problem.value)) < 100


def test_a_cell_at_the_limit_is_read() -> None:
    """Exactly 128 KiB is allowed."""
    data = csv_text([["id", "notes"], ["T1", "y" * tabular.MAX_CELL_CHARS]]).encode()
    assert len(tabular.read_table(data, "t.csv").rows[0].cells[1]) == tabular.MAX_CELL_CHARS


def test_a_nul_character_names_row_and_column() -> None:
    """A NUL character (no database column stores one; PostgreSQL refuses it) is a problem of its
    cell, named by row and column, and the file is not read."""
    data = csv_text([["id", "name"], ["T1", "ok"], ["T2", "a\x00b"]]).encode()
    with pytest.raises(InputErrors) as error:
        tabular.read_table(data, "t.csv")
    problem = only(error)
    assert (problem.row, problem.field, problem.value) == (3, "name", "a\\x00b") and "NUL" in problem.rule
