"""The column path of the CSV reader: the same inputs and the same problems as the row path.

`payroll.io` reads a clean orders or attendance CSV file column by column and hands any file that
fails a check to the row-by-row reader, which reports the problems. These tests hold the two paths
against each other on generated files, clean and broken, in every CSV shape HR's tools write.
"""

from __future__ import annotations

import csv
import io as stdio
import random
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from payroll_factories import MONTH, policy

from payroll import io
from payroll.domain import PayInputs
from payroll.errors import PayInputError

DATA = Path(__file__).resolve().parent / "data"
POLICY = policy()
TECHNICIANS = ("T1", "T2", "T3")

# ----------------------------------------------------------------------------- helpers


@contextmanager
def row_path_only() -> Iterator[None]:
    """Every table read by the row-by-row reader (the reference), as before the column path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(io, "BY_COLUMN", frozenset())
        yield


@contextmanager
def counting_row_readers() -> Iterator[dict[str, int]]:
    """Count the tables the row-by-row `_orders` / `_attendance` readers had to read."""
    calls = {"orders": 0, "attendance": 0}

    def counted(name: str, reader: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            calls[name] += 1
            return reader(*args)

        return wrapper

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(io, "_orders", counted("orders", io._orders))
        patch.setattr(io, "_attendance", counted("attendance", io._attendance))
        yield calls


def outcome(directory: Path) -> tuple[str, Any]:
    """What `load_inputs` gives: the problems, or the inputs as plain tuples of records."""
    try:
        inputs = io.load_inputs(directory, MONTH, POLICY)
    except PayInputError as error:
        return "problems", error.problems
    return "inputs", contents(inputs)


def contents(inputs: PayInputs) -> tuple[Any, ...]:
    return (
        inputs.month,
        inputs.technicians,
        tuple(inputs.orders),
        tuple(inputs.attendance),
        inputs.quality,
        inputs.losses,
    )


def both_paths(directory: Path) -> tuple[tuple[str, Any], tuple[str, Any], dict[str, int]]:
    """(column path outcome, row path outcome, tables the column path handed to the row path)."""
    with counting_row_readers() as calls:
        fast = outcome(directory)
    with row_path_only():
        slow = outcome(directory)
    return fast, slow, calls


def write_csv(path: Path, header: list[str], rows: list[list[str]], **options: Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, **options)
        writer.writerow(header)
        writer.writerows(rows)


def write_month(directory: Path, orders: int, seed: int) -> None:
    """A clean month (3 technicians) in the column order and style of `/tmp/csvbench.py`."""
    rng = random.Random(seed)
    write_csv(
        directory / "technicians.csv",
        ["technician_id", "post_grade", "start_date"],
        [[t, "T2", "2020-01-01"] for t in TECHNICIANS],
    )
    write_csv(
        directory / "orders.csv",
        ["order_id", "technician_id", "order_type", "difficulty", "completed_at"]
        + ["repeat_fault_within_days", "complaint", "praise", "appointment_kept"],
        [
            [
                f"WO{i:07d}",
                rng.choice(TECHNICIANS),
                rng.choice(("install", "move", "repair")),
                str(rng.randint(1, 3)),
                f"2026-03-{rng.randint(1, 31):02d} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}",
                rng.choice(("", "", "", "7")),
                rng.choice(("", "", "true")),
                rng.choice(("", "", "true")),
                rng.choice(("", "", "false", "true")),
            ]
            for i in range(orders)
        ],
    )
    write_csv(
        directory / "attendance.csv",
        ["technician_id", "date", "worked_minutes"],
        [[t, f"2026-03-{d:02d}", rng.choice(("0", "420", "480"))] for t in TECHNICIANS for d in range(1, 32)],
    )
    write_csv(directory / "kpi.csv", ["technician_id", "grade"], [[t, "B"] for t in TECHNICIANS])


# ----------------------------------------------------------------------------- clean files


def test_clean_month_takes_the_column_path_and_equals_the_row_path(tmp_path: Path) -> None:
    """A clean month is read without the row readers and gives the row path's inputs, column for column."""
    write_month(tmp_path, 2000, seed=1)
    with counting_row_readers() as calls:
        fast = io.load_inputs(tmp_path, MONTH, POLICY)
    with row_path_only():
        slow = io.load_inputs(tmp_path, MONTH, POLICY)
    assert calls == {"orders": 0, "attendance": 0}
    assert contents(fast) == contents(slow)
    assert fast.orders == slow.orders  # two OrderTables: the columns themselves are equal
    assert len(fast.orders) == 2000 and len(fast.attendance) == 93


def test_shipped_example_is_the_same_on_both_paths() -> None:
    """The shipped example (status, comp_time_off, standard_minutes columns) takes the column path."""
    fast, slow, calls = both_paths(DATA / "example")
    assert calls == {"orders": 0, "attendance": 0}
    assert fast == slow and fast[0] == "inputs"


def test_one_bad_cell_in_a_large_file_is_reported_as_by_the_row_path(tmp_path: Path) -> None:
    """One bad cell among thousands: the table falls back and the problem is the row path's."""
    write_month(tmp_path, 3000, seed=2)
    path = tmp_path / "orders.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[2500].split(",")
    cells[3] = "7"  # difficulty 7
    lines[2500] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, slow, calls = both_paths(tmp_path)
    assert calls == {"orders": 1, "attendance": 0}
    assert fast == slow
    kind, problems = fast
    assert kind == "problems" and [(p.file, p.row, p.field, p.value) for p in problems] == [
        ("orders.csv", 2501, "difficulty", 7)
    ]


def test_undecodable_file_is_a_problem_naming_file_row_and_column(tmp_path: Path) -> None:
    """Bytes neither UTF-8 nor GB18030 are one input problem (file, row, column, the bytes), the
    same whichever path reads the file, and nothing is computed."""
    write_month(tmp_path, 10, seed=3)
    (tmp_path / "attendance.csv").write_bytes(b"technician_id,date\nT1,2026-03-02\xff\n")
    with pytest.raises(PayInputError) as fast:
        io.load_inputs(tmp_path, MONTH, POLICY)
    with row_path_only(), pytest.raises(PayInputError) as slow:
        io.load_inputs(tmp_path, MONTH, POLICY)
    assert fast.value.problems == slow.value.problems
    (p,) = fast.value.problems
    assert (p.file, p.row, p.field, p.value) == ("attendance.csv", 2, "date", "2026-03-02\\xff")
    assert "UTF-8" in p.rule and "GB18030" in p.rule


def test_gb18030_file_takes_the_column_path(tmp_path: Path) -> None:
    """A large table saved as GB18030 (Excel on Chinese Windows) is decoded by the shared reader
    and still read column by column, to the row path's inputs."""
    write_month(tmp_path, 500, seed=4)
    path = tmp_path / "orders.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    lines = [header + ",note", *(f"{row},客户满意" for row in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    table = io._read_columns(path)
    assert table is not None and set(table.columns["note"]) == {"客户满意"}
    fast, slow, calls = both_paths(tmp_path)
    assert calls == {"orders": 0, "attendance": 0}
    assert fast == slow and fast[0] == "inputs"


def test_blank_rows_are_skipped_on_both_paths(tmp_path: Path) -> None:
    """Rows of empty cells (`,,,`) are skipped by the column path as by the row path."""
    write_month(tmp_path, 50, seed=5)
    path = tmp_path / "attendance.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    blank = "," * header.count(",")
    path.write_text(
        "\n".join([header, blank, *rows[:40], " " + blank, *rows[40:], blank]) + "\n", encoding="utf-8"
    )
    table = io._read_columns(path)
    assert table is not None and table.count == len(rows)
    fast, slow, calls = both_paths(tmp_path)
    assert calls == {"orders": 0, "attendance": 0}
    assert fast == slow and fast[0] == "inputs"


# ----------------------------------------------------------------------------- the CSV shape


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='ab ,"\r\n\t\x00\ufeff', max_size=40), st.booleans())
def test_columns_are_what_the_row_reader_reads(text: str, bom: bool) -> None:
    """Any text: the column reader gives the row reader's cells, or leaves the file to it (also
    every file the row reader cannot read: no header row, a column name twice)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8", newline="")
        try:
            rows = io.read_table(path).rows
        except PayInputError:
            assert io._read_columns(path) is None
            event("unreadable")
            return
        table = io._read_columns(path)
        event("row path" if table is None else "column path")
        if table is None:
            return
        assert table.count == len(rows)
        for row in rows:
            assert set(row.cells) == set(table.columns)
        for name, column in table.columns.items():
            assert list(column) == [row.cells[name] for row in rows]


# ----------------------------------------------------------------------------- random files

GOOD: dict[str, tuple[str, ...]] = {
    "technician_id": ("T1", "T2", "T3", " T2 "),
    "order_type": ("install", "move", "repair", " repair"),
    "difficulty": ("", "1", "2", "3", " 3 ", "+2"),
    "completed_at": ("2026-03-01 00:00", "2026-03-15 10:30", "2026-03-31 23:59:59", "2026-03-05T08:00"),
    "standard_minutes": ("", "30", "45", " 60"),
    "repeat_fault_within_days": ("", "0", "12"),
    "repeat_of": ("", "WO-1", " WO-x.2 "),
    "complaint": ("", "true", "false", "1", "0", "YES", " n "),
    "praise": ("", "true", "F"),
    "appointment_kept": ("", "false", "true", "t"),
    "date": ("2026-03-01", " 2026-03-02", "2026-03-31", "20260303"),
    "worked_minutes": ("", "0", "480", "1440"),
    "comp_time_off": ("", "true", "false", "0"),
    "note": ("", "x", "a,b", 'say "hi"', "two\nlines", " pad "),
}
BAD: dict[str, tuple[str, ...]] = {
    "order_id": ("", "  ", "bad id", "x" * 65, "WO/1", "WO-1"),
    "technician_id": ("", "T9", "bad id", "t1"),
    "order_type": ("", "upgrade", "REPAIR"),
    "difficulty": ("0", "7", "x", "1.5", "-1"),
    "completed_at": ("", "2026-04-01 00:00", "2026-02-28 23:59", "soon", "2026-03-02"),
    "standard_minutes": ("0", "-5", "abc"),
    "repeat_fault_within_days": ("-1", "x", "1.0"),
    "repeat_of": ("bad id", "x" * 65),
    "complaint": ("maybe", "2"),
    "praise": ("nope",),
    "appointment_kept": ("?",),
    "date": ("", "2026-04-01", "2026-02-28", "x", "2026-3-2"),
    "worked_minutes": ("-1", "1441", "x"),
    "comp_time_off": ("sometimes",),
    "status": ("holiday", "WORK"),
    "note": (),
}
ORDER_REQUIRED = ("order_id", "technician_id", "order_type", "completed_at")
ORDER_OPTIONAL = (
    "difficulty",
    "standard_minutes",
    "repeat_fault_within_days",
    "repeat_of",
    "complaint",
    "praise",
    "appointment_kept",
    "note",
)
ATTENDANCE_OPTIONAL = ("status", "worked_minutes", "comp_time_off", "note")


@st.composite
def cell(draw: st.DrawFn, column: str, dirty: bool) -> str:
    bad = BAD.get(column, ())
    if dirty and bad and draw(st.integers(0, 14)) == 0:
        return draw(st.sampled_from(bad))
    return draw(st.sampled_from(GOOD[column]))


@st.composite
def columns(draw: st.DrawFn, required: tuple[str, ...], optional: tuple[str, ...], dirty: bool) -> list[str]:
    names = list(required) + draw(st.lists(st.sampled_from(optional), unique=True))
    if dirty and draw(st.integers(0, 5)) == 0:
        names.remove(draw(st.sampled_from(required)))  # a required column is missing
    return draw(st.permutations(names))


@st.composite
def orders_table(draw: st.DrawFn, dirty: bool) -> tuple[list[str], list[dict[str, str]]]:
    names = draw(columns(ORDER_REQUIRED, ORDER_OPTIONAL, dirty))
    count = draw(st.integers(1, 12))
    rows = []
    for i in range(count):
        row = {name: draw(cell(name, dirty)) for name in names if name != "order_id"}
        order_id = (
            f"WO-{i}" if not dirty or draw(st.integers(0, 14)) else draw(st.sampled_from(BAD["order_id"]))
        )
        row["order_id"] = draw(st.sampled_from((order_id, f" {order_id} ")))
        rows.append(row)
    return names, rows


@st.composite
def attendance_table(draw: st.DrawFn, dirty: bool) -> tuple[list[str], list[dict[str, str]]]:
    names = draw(columns(("technician_id", "date"), ATTENDANCE_OPTIONAL, dirty))
    days = st.tuples(st.sampled_from(TECHNICIANS), st.sampled_from(GOOD["date"][:3]))
    pairs = draw(st.lists(days, min_size=1, max_size=8, unique_by=lambda p: (p[0], p[1].strip())))
    rows = []
    for tech, day in pairs:
        row = {name: draw(cell(name, dirty)) for name in names if name != "status"}
        row["technician_id"] = (
            tech if not dirty or draw(st.integers(0, 9)) else draw(cell("technician_id", True))
        )
        row["date"] = day if not dirty or draw(st.integers(0, 9)) else draw(cell("date", True))
        if "status" in names:
            worked = row.get("worked_minutes", "").strip() not in ("", "0")
            statuses = ("", "work") if worked else ("", "work", "rest", "paid_leave", "unpaid_leave")
            if dirty:
                statuses += ("rest", "paid_leave", *BAD["status"])
            row["status"] = draw(st.sampled_from(statuses))
        rows.append(row)
    if dirty and draw(st.integers(0, 3)) == 0:
        rows.append(dict(draw(st.sampled_from(rows))))  # a duplicate technician-day
    return names, rows


@st.composite
def csv_text(draw: st.DrawFn, table: tuple[list[str], list[dict[str, str]]], dirty: bool) -> str:
    """The table as HR's tools may write it: quoting, CRLF, BOM, padded headers, blank lines;
    when dirty also ragged rows and duplicate header names."""
    names, rows = table
    buffer = stdio.StringIO()
    quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)))
    writer = csv.writer(buffer, quoting=quoting, lineterminator=draw(st.sampled_from(("\n", "\r\n"))))
    header = [draw(st.sampled_from((name, f" {name}", f"{name} "))) for name in names]
    if dirty and draw(st.integers(0, 5)) == 0:
        header.append(draw(st.sampled_from(names)))  # a duplicate column name
    writer.writerow(header)
    for row in rows:
        cells = [row[name] for name in names]
        if dirty and draw(st.integers(0, 9)) == 0:
            cells = draw(st.sampled_from((cells[:-1], [*cells, "extra"])))  # a ragged row
        writer.writerow(cells)
        if draw(st.integers(0, 9)) == 0:
            buffer.write(writer.dialect.lineterminator)  # a blank line
    return draw(st.sampled_from(("", "\ufeff"))) + buffer.getvalue()


@st.composite
def month_files(draw: st.DrawFn) -> tuple[bool, dict[str, str]]:
    dirty = draw(st.booleans())
    files = {
        "orders": draw(csv_text(draw(orders_table(dirty)), dirty)),
        "attendance": draw(csv_text(draw(attendance_table(dirty)), dirty)),
    }
    return dirty, files


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(month_files())
def test_random_files_give_the_same_inputs_or_problems_on_both_paths(
    files: tuple[bool, dict[str, str]],
) -> None:
    """Generated files, with or without bad cells: both paths give equal inputs or equal problems
    (same Problem objects in the same order), and a clean file never needs the row reader."""
    dirty, texts = files
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        write_csv(
            directory / "technicians.csv",
            ["technician_id", "post_grade", "start_date"],
            [[t, "T2", "2020-01-01"] for t in TECHNICIANS],
        )
        for name, text in texts.items():
            (directory / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
        fast, slow, calls = both_paths(directory)
    assert fast == slow
    event(f"{'dirty' if dirty else 'clean'}: {fast[0]}, row readers {sorted(calls.items())}")
    if not dirty:
        assert fast[0] == "inputs"
        assert calls == {"orders": 0, "attendance": 0}
