"""Observation files: minutes or timestamps, CSV or Excel; each bad cell named (row, column, value, rule)."""

from __future__ import annotations

from pathlib import Path

import pytest

from timepool.io import read_observations, read_rows, write_rows
from vocabulary.errors import InputErrors

HEADER = (
    "observation_id,date,branch_id,observer,technician_id,order_type,difficulty,area_type,"
    "travel_min,onsite_min,paperwork_min,waiting_min,rating_pct,notes"
)
GOOD = "OB1,2026-05-06,B1,Obs A,T-001,install,1,urban,15,60,10,2,110,"


def _write(tmp_path: Path, *lines: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_minutes_file(tmp_path: Path) -> None:
    """A valid row in minutes becomes an Observation with the same numbers."""
    (o,) = read_observations(_write(tmp_path, HEADER, GOOD))
    assert (o.id, o.onsite_min, o.paperwork_min, o.rating_pct) == ("OB1", 60.0, 10.0, 110.0)


def test_reads_timestamps(tmp_path: Path) -> None:
    """Elements as start/end clock times on the observation date (or full date-times)."""
    header = (
        "observation_id,date,branch_id,observer,technician_id,order_type,difficulty,area_type,"
        "travel_start,travel_end,onsite_start,onsite_end,paperwork_min,rating_pct"
    )
    row = "OB1,2026-05-06,B1,Obs A,T-001,repair,2,rural,08:30,09:05,09:05,10:20,7.5,95"
    (o,) = read_observations(_write(tmp_path, header, row))
    assert (o.travel_min, o.onsite_min, o.waiting_min) == (35.0, 75.0, 0.0)


def test_all_errors_reported_together(tmp_path: Path) -> None:
    """Negative and zero durations, rating 0, unknown order type, end before start, empty cell:
    one error listing each with row, column, value and rule; nothing is returned."""
    header = (
        "observation_id,date,branch_id,observer,technician_id,order_type,difficulty,area_type,"
        "travel_min,onsite_start,onsite_end,paperwork_min,rating_pct"
    )
    rows = [
        "OB1,2026-05-06,B1,Obs A,T-001,install,1,urban,-5,09:00,10:00,5,100",  # negative travel
        "OB2,2026-05-06,B1,Obs A,T-001,install,1,urban,5,09:00,09:00,5,100",  # zero on-site
        "OB3,2026-05-06,B1,Obs A,T-001,install,1,urban,5,09:00,10:00,5,0",  # rating 0
        "OB4,2026-05-06,B1,Obs A,T-001,survey,1,urban,5,09:00,10:00,5,100",  # unknown order type
        "OB5,2026-05-06,B1,Obs A,T-001,install,1,urban,5,10:00,09:00,5,100",  # end before start
        "OB6,2026-05-06,B1,Obs A,T-001,install,1,urban,5,09:00,10:00,,100",  # empty cell
    ]
    with pytest.raises(InputErrors) as info:
        read_observations(_write(tmp_path, header, *rows))
    found = {(p.row, p.field): p for p in info.value.problems}
    assert set(found) == {
        (2, "travel_min"),
        (3, "onsite_end"),
        (4, "rating_pct"),
        (5, "order_type"),
        (6, "onsite_end"),
        (7, "paperwork_min"),
    }
    assert "negative" in found[(2, "travel_min")].rule and found[(2, "travel_min")].value == -5
    assert "> 0" in found[(3, "onsite_end")].rule
    assert found[(4, "rating_pct")].value == 0 and "> 0" in found[(4, "rating_pct")].rule
    assert (
        found[(5, "order_type")].value == "survey" and "unknown order type" in found[(5, "order_type")].rule
    )
    assert "end before start" in found[(6, "onsite_end")].rule
    assert "empty" in found[(7, "paperwork_min")].rule
    assert all(p.file == "obs.csv" for p in info.value.problems)


def test_zero_onsite_minutes_and_duplicate_ids(tmp_path: Path) -> None:
    """On-site minutes of 0 are refused; a repeated observation id names the first row."""
    with pytest.raises(InputErrors) as info:
        read_observations(_write(tmp_path, HEADER, GOOD, GOOD.replace(",60,", ",0,")))
    rules = {(p.row, p.field): p.rule for p in info.value.problems}
    assert "onsite duration must be > 0" in rules[(3, "onsite_min")]
    assert "unique (also on row 2)" in rules[(3, "observation_id")]


def test_missing_element_column(tmp_path: Path) -> None:
    """A file without any on-site column says which columns to give."""
    header = HEADER.replace("onsite_min,", "")
    with pytest.raises(InputErrors, match="onsite_min or onsite_start and onsite_end"):
        read_observations(_write(tmp_path, header, GOOD.replace(",60,", ",")))


def test_excel_round_trip(tmp_path: Path) -> None:
    """Rows written to .xlsx read back as the same observations as from CSV."""
    csv_rows = read_rows(_write(tmp_path, HEADER, GOOD, GOOD.replace("OB1", "OB2")))
    xlsx = write_rows(tmp_path / "obs.xlsx", csv_rows)
    assert read_observations(xlsx) == read_observations(tmp_path / "obs.csv")


def test_model_limits_reported_as_problems(tmp_path: Path) -> None:
    """Limits of the shared record (a 25-hour job, an id with a space) come back as named problems."""
    bad = GOOD.replace(",60,", ",1500,").replace("OB1", "OB 1")
    with pytest.raises(InputErrors) as info:
        read_observations(_write(tmp_path, HEADER, bad))
    fields = {p.field for p in info.value.problems}
    assert {"onsite_min", "observation_id"} <= fields


def test_gb18030_file_with_chinese_names(tmp_path: Path) -> None:
    """An observation file saved by Excel on Chinese Windows (GB18030, CRLF) reads with its Chinese
    observer and notes intact."""
    path = tmp_path / "obs.csv"
    row = GOOD.replace("Obs A", "张观察").removesuffix(",") + ",客户不在家"
    path.write_bytes(f"{HEADER}\r\n{row}\r\n".encode("gb18030"))
    (o,) = read_observations(path)
    assert (o.observer, o.notes) == ("张观察", "客户不在家")


def test_rows_are_numbered_as_the_spreadsheet_shows_them(tmp_path: Path) -> None:
    """Blank rows are skipped, but a problem below them names the row a spreadsheet shows."""
    path = _write(tmp_path, HEADER, GOOD, "", ",,,", GOOD.replace("OB1", "OB2").replace(",110,", ",0,"))
    with pytest.raises(InputErrors) as info:
        read_observations(path)
    assert [(p.row, p.field) for p in info.value.problems] == [(5, "rating_pct")]


def test_undecodable_file_names_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_bytes(f"{HEADER}\n{GOOD}\n".encode() + b"OB2,\xff\n")
    with pytest.raises(InputErrors) as info:
        read_observations(path)
    (p,) = info.value.problems
    assert (p.file, p.row, p.field) == ("obs.csv", 3, "date")


def test_excel_date_cells(tmp_path: Path) -> None:
    """Dates typed as Excel dates (midnight date-times) and clock times read like their text."""
    import datetime as dt

    import openpyxl

    header = HEADER.split(",")
    values: list[object] = list(GOOD.split(","))
    values[header.index("date")] = dt.datetime(2026, 5, 6)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append(values)
    book.save(tmp_path / "obs.xlsx")
    assert read_observations(tmp_path / "obs.xlsx") == read_observations(_write(tmp_path, HEADER, GOOD))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_written_rows_keep_formula_leading_text_inert(tmp_path: Path, suffix: str) -> None:
    """Text a spreadsheet would run as a formula (an area named ``=1+1``, an observer ``@SUM(1)``)
    is written with a leading apostrophe, as text (never a formula cell); numbers stay numbers; the
    reader gives back the text that was written."""
    import csv

    from openpyxl import load_workbook

    rows = [{"area": "=1+1", "observer": "@SUM(1)", "minutes": 12, "delta": -5, "note": "ok"}]
    path = write_rows(tmp_path / f"out.{suffix}", rows)
    if suffix == "csv":
        with path.open(encoding="utf-8", newline="") as fh:
            (written,) = list(csv.DictReader(fh))
        assert (written["area"], written["observer"], written["delta"]) == ("'=1+1", "'@SUM(1)", "-5")
    else:
        sheet = load_workbook(path).active
        assert sheet is not None
        area, observer, minutes, delta, note = sheet[2]
        assert (area.data_type, area.value) == ("s", "'=1+1")
        assert (observer.data_type, observer.value) == ("s", "'@SUM(1)")
        assert (minutes.value, delta.value, note.value) == (12, -5, "ok")
    assert read_rows(path)[0]["area"] == "=1+1"
