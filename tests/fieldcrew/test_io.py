"""CSV/Excel import and export: round trips, every bad cell reported, nothing written on error."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from fieldcrew import demo, records
from fieldcrew import io as data_io
from fieldcrew.db import Base, session_scope
from fieldcrew.demo import DemoCity, generate_city
from fieldcrew.tables import CONTACTED, ObservationRow, OrderEventRow, TechnicianRow, WorkOrderRow
from vocabulary.errors import InputErrors

SEED = 11
IMPORT_ORDER = ("areas", "technicians", "observations", "orders")


@pytest.fixture(scope="module")
def city() -> DemoCity:
    """The demo organisation with 2 % of the month's orders (quick)."""
    return generate_city(SEED, scale=0.02)


def store(url: str, city: DemoCity) -> None:
    with session_scope(url) as session:
        for name, rows in demo.city_rows(city).items():
            if rows:
                session.execute(insert(Base.metadata.tables[name]), rows)


@pytest.fixture
def loaded(db_url: str, city: DemoCity) -> str:
    """A database holding the small demo city."""
    store(db_url, city)
    return db_url


def export_all(url: str, fmt: data_io.Format) -> dict[str, bytes]:
    with session_scope(url) as session:
        return {kind: data_io.export_bytes(session, kind, fmt) for kind in data_io.KINDS}


def import_all(url: str, files: dict[str, bytes], fmt: str) -> dict[str, data_io.ImportResult]:
    results = {}
    for kind in IMPORT_ORDER:
        with session_scope(url) as session:
            results[kind] = data_io.import_file(session, kind, files[kind], name=f"{kind}.{fmt}")
    return results


def counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return demo.existing_counts(session)


def snapshot(url: str) -> tuple[list, list, list, list]:
    with session_scope(url) as session:
        return (records.read_areas(session), records.read_technicians(session), records.read_orders(session),
                records.read_observations(session))


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def problems_at(exc: InputErrors) -> set[tuple[int | None, str]]:
    return {(p.row, p.field) for p in exc.problems}


# ------------------------------------------------------------------------------------------------
# round trips


def test_csv_export_imports_back_unchanged(any_db_url: str, city: DemoCity) -> None:
    """export → clear → import → export gives the same bytes and objects (SQLite and PostgreSQL)."""
    loaded = any_db_url
    store(loaded, city)
    first = export_all(loaded, "csv")
    before = snapshot(loaded)
    with session_scope(loaded) as session:
        demo.clear_domain_data(session)
    assert sum(counts(loaded).values()) == 0
    results = import_all(loaded, first, "csv")
    assert results["orders"].inserted == len(city.orders)
    assert results["technicians"].inserted == len(city.technicians)
    assert export_all(loaded, "csv") == first
    assert snapshot(loaded) == before
    areas, technicians, orders, observations = before
    assert technicians == sorted(city.technicians, key=lambda t: t.id)
    assert {o.id: o for o in orders} == {o.id: o for o in city.orders}
    assert len(areas) == len(city.areas) and len(observations) == len(city.observations)


def test_xlsx_export_imports_back_unchanged(loaded: str) -> None:
    """The Excel export imports back to the same stored objects (dates, floats, booleans survive)."""
    files = export_all(loaded, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(files["orders"]), read_only=True)
    assert book.sheetnames == ["orders"]
    before = snapshot(loaded)
    with session_scope(loaded) as session:
        demo.clear_domain_data(session)
    import_all(loaded, files, "xlsx")
    assert snapshot(loaded) == before


def test_reimport_updates_known_ids(loaded: str) -> None:
    """Importing a file again updates by id instead of duplicating; an edited cell is stored."""
    rows = csv_rows(export_all(loaded, "csv")["technicians"])
    header = rows[0]
    rows[1][header.index("post_grade")] = "T9"
    with session_scope(loaded) as session:
        result = data_io.import_file(session, "technicians", csv_bytes(rows), name="t.csv")
    assert (result.inserted, result.updated) == (0, len(rows) - 1)
    with session_scope(loaded) as session:
        assert session.get(TechnicianRow, rows[1][0]).post_grade == "T9"  # type: ignore[union-attr]


def test_import_order_defaults_fill_deadline_location_and_status(loaded: str, city: DemoCity) -> None:
    """A minimal order row (id, type, area, created) gets the centroid, deadline by grade, status created."""
    area = city.areas[0]
    data = csv_bytes([["id", "order_type", "area_id", "created"],
                      ["NEW-1", "repair", area.id, "2026-07-01 09:00"]])
    with session_scope(loaded) as session:
        data_io.import_file(session, "orders", data, name="new.csv")
    with session_scope(loaded) as session:
        row = session.get(WorkOrderRow, "NEW-1")
        assert row is not None
        assert (row.lat, row.lon) == (area.centroid.lat, area.centroid.lon)
        assert row.deadline == dt.datetime(2026, 7, 2, 9, 0)  # ordinary repair: 24 h
        assert row.status == "created" and row.customer_grade == "ordinary"


def _with_facts(url: str) -> dict[str, records.OrderFacts]:
    """Give some stored orders a completion report, a first contact and the contact flag (what the
    loop records); returns every order's facts as stored."""
    with session_scope(url) as session:
        rows = list(session.scalars(select(WorkOrderRow).order_by(WorkOrderRow.id)))
        for n, row in enumerate(rows[:12]):
            row.contacts_recorded = n % 2 == 0
            row.first_contact_at = row.created + dt.timedelta(minutes=7) if n % 4 == 0 else None
            row.fixed = n % 3 == 0
            row.repeat_of = rows[n + 20].id if n % 5 == 0 else None
        session.add(OrderEventRow(order_id=rows[0].id, status=CONTACTED, at=rows[0].created, actor="t",
                                  technician_id=rows[0].technician_id, reason="customer_contacted: sms"))
    with session_scope(url) as session:
        return {o.id: f for o, f in records.read_orders_with_facts(session)}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_completion_reports_and_first_contacts_round_trip(loaded: str, fmt: data_io.Format) -> None:
    """fixed, repeat_of, first_contact_at and contacts_recorded export and import back unchanged
    (export → clear → import → export: the same bytes for CSV); a contact record is not a step of
    the status history, in the database nor in the export's history cell."""
    facts = _with_facts(loaded)
    assert sum(f.first_contact_at is not None for f in facts.values()) == 3
    first = export_all(loaded, fmt)
    assert b"contacted" not in first["orders"] or fmt == "xlsx"
    header = csv_rows(first["orders"])[0] if fmt == "csv" else []
    assert fmt == "xlsx" or header[-4:] == ["fixed", "repeat_of", "first_contact_at", "contacts_recorded"]
    with session_scope(loaded) as session:
        demo.clear_domain_data(session)
    import_all(loaded, first, fmt)
    with session_scope(loaded) as session:
        assert {o.id: f for o, f in records.read_orders_with_facts(session)} == facts
    if fmt == "csv":
        assert export_all(loaded, fmt)["orders"] == first["orders"]


def test_contacts_recorded_defaults_to_the_files_first_contact_column(loaded: str, city: DemoCity) -> None:
    """A file with a first_contact_at column records contacts (a blank one: none yet), a file
    without it does not, unless contacts_recorded says otherwise."""
    area = city.areas[0].id
    with_column = csv_bytes([["id", "order_type", "area_id", "created", "first_contact_at"],
                             ["C-1", "repair", area, "2026-07-01 09:00", "2026-07-01 09:20"],
                             ["C-2", "repair", area, "2026-07-01 09:00", ""]])
    without = csv_bytes([["id", "order_type", "area_id", "created", "contacts_recorded"],
                         ["C-3", "repair", area, "2026-07-01 09:00", ""],
                         ["C-4", "repair", area, "2026-07-01 09:00", "yes"]])
    with session_scope(loaded) as session:
        data_io.import_file(session, "orders", with_column, name="with.csv")
        data_io.import_file(session, "orders", without, name="without.csv")
    with session_scope(loaded) as session:
        got = {i: session.get(WorkOrderRow, i) for i in ("C-1", "C-2", "C-3", "C-4")}
        assert {i: (r.contacts_recorded, r.first_contact_at) for i, r in got.items() if r} == {
            "C-1": (True, dt.datetime(2026, 7, 1, 9, 20)), "C-2": (True, None), "C-3": (False, None),
            "C-4": (True, None),
        }


def test_completion_and_contact_errors_are_reported(loaded: str, city: DemoCity) -> None:
    """A first contact before the creation, contacts_recorded false beside a first contact, an order
    repeating itself, a word that is not yes/no: each reported on its row and column; nothing written."""
    area = city.areas[0].id
    head = ["id", "order_type", "area_id", "created", "first_contact_at", "contacts_recorded", "repeat_of",
            "fixed"]
    body = [["E-1", "repair", area, "2026-07-01 09:00", "2026-07-01 08:59", "", "", ""],
            ["E-2", "repair", area, "2026-07-01 09:00", "2026-07-01 09:10", "false", "", ""],
            ["E-3", "repair", area, "2026-07-01 09:00", "", "", "E-3", ""],
            ["E-4", "repair", area, "2026-07-01 09:00", "", "sometimes", "", "mostly"],
            ["E-5", "repair", area, "2026-07-01 09:00", "2026-07-01 09:10", "true", "E-1", "yes"]]
    before = counts(loaded)
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "orders", csv_bytes([head, *body]), name="o.csv")
    assert problems_at(caught.value) == {
        (2, "first_contact_at"), (3, "contacts_recorded"), (4, "repeat_of"), (5, "contacts_recorded"),
        (5, "fixed"),
    }
    assert counts(loaded) == before


# ------------------------------------------------------------------------------------------------
# errors: every bad cell, nothing written


def test_technician_errors_are_all_reported_and_nothing_is_written(loaded: str) -> None:
    """Unknown group/area, bad enum, bad date, end before start, duplicates: all in one report."""
    rows = csv_rows(export_all(loaded, "csv")["technicians"])
    h = {name: i for i, name in enumerate(rows[0])}
    body = rows[1:9]
    for n, row in enumerate(body):
        row[h["id"]] = f"NEW-{n}"  # valid rows would be inserts: none may appear
    body[0][h["region_group_id"]] = "NO-SUCH-GROUP"
    body[1][h["home_area_id"]] = "NO-SUCH-AREA"
    body[2][h["employment"]] = "freelance"
    body[3][h["start_date"]] = "2020-13-01"
    body[4][h["end_date"]] = "2001-01-01"
    body[6][h["id"]] = body[5][h["id"]]
    body[5][h["skills"]] = "broadband;juggling"
    body[6][h["support_team"]] = "maybe"
    body[7][h["home_area_id"]] = body[0][h["home_area_id"]]  # T0001's area, in another group than T0008
    body[7][h["branch_id"]] = "XX"
    before = counts(loaded)
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "technicians", csv_bytes([rows[0], *body]), name="staff.csv")
    assert problems_at(caught.value) == {
        (2, "region_group_id"), (3, "home_area_id"), (4, "employment"), (5, "start_date"), (6, "end_date"),
        (8, "id"), (7, "skills"), (8, "support_team"), (9, "home_area_id"), (9, "branch_id"),
    }
    assert all(p.file == "staff.csv" for p in caught.value.problems)
    by_cell = {(p.row, p.field): p for p in caught.value.problems}
    assert by_cell[(4, "employment")].value == "freelance"
    assert "own_staff" in by_cell[(4, "employment")].rule
    assert by_cell[(6, "end_date")].value == "2001-01-01"
    assert by_cell[(8, "id")].rule == "duplicate id: already on row 7"
    assert counts(loaded) == before


def test_order_errors_are_all_reported_and_nothing_is_written(loaded: str) -> None:
    """Unknown area/technician, outside the bbox, window and deadline order, bad history, bad cells."""
    rows = csv_rows(export_all(loaded, "csv")["orders"])
    h = {name: i for i, name in enumerate(rows[0])}
    body = [r for r in rows[1:] if r[h["appointment_start"]] and r[h["status"]] == "completed"][:12]
    for n, row in enumerate(body):
        row[h["id"]] = f"NEW-{n}"
    body[0][h["area_id"]] = "NOWHERE"
    body[1][h["technician_id"]] = "T9999"
    body[2][h["lat"]] = "39.9"  # Beijing: outside the Hefei branch
    body[3][h["appointment_end"]] = body[3][h["appointment_start"]]
    body[4][h["deadline"]] = "2026-05-01T00:00:00"
    body[5][h["history"]] = "completed 2026-06-30T10:00:00"
    body[6][h["customer_grade"]] = "platinum"
    body[7][h["created"]] = "yesterday"
    body[8][h["satisfaction"]] = "7"
    body[9][h["status"]] = "cancelled"
    body[10][h["lon"]] = ""
    body[11][h["difficulty"]] = "2.5"
    before = counts(loaded)
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "orders", csv_bytes([rows[0], *body]), name="orders.csv")
    assert problems_at(caught.value) == {
        (2, "area_id"), (3, "technician_id"), (4, "lat"), (4, "lon"), (5, "appointment_end"), (6, "deadline"),
        (7, "history"), (8, "customer_grade"), (9, "created"), (10, "satisfaction"), (11, "status"),
        (12, "lon"), (13, "difficulty"),
    }
    assert counts(loaded) == before


def test_area_errors_are_all_reported(loaded: str, city: DemoCity) -> None:
    """Centroids outside the bbox, disagreeing repeated group rows, partial bbox, bad type, duplicates."""
    rows = csv_rows(export_all(loaded, "csv")["areas"])
    h = {name: i for i, name in enumerate(rows[0])}
    body = rows[1:7]
    for n, row in enumerate(body):
        row[h["area_id"]] = f"NEW-{n}"
    body[0][h["lat"]] = "30.0"
    body[1][h["region_group_name"]] = "another name"  # same group id as row 2 (groups hold 4–6 areas)
    body[2][h["bbox_north"]] = ""
    body[3][h["area_type"]] = "jungle"
    body[4][h["area_id"]] = body[5][h["area_id"]]
    assert body[0][h["region_group_id"]] == body[1][h["region_group_id"]]
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "areas", csv_bytes([rows[0], *body]), name="areas.csv")
    assert problems_at(caught.value) == {
        (2, "lat"), (2, "lon"), (3, "region_group_name"), (4, "bbox_north"), (5, "area_type"), (7, "area_id"),
    }


def test_observation_errors_are_all_reported(loaded: str) -> None:
    """Unknown technician, out-of-range minutes and difficulty, empty required cells."""
    rows = csv_rows(export_all(loaded, "csv")["observations"])
    h = {name: i for i, name in enumerate(rows[0])}
    body = rows[1:5]
    body[0][h["technician_id"]] = "NOBODY"
    body[1][h["onsite_min"]] = "-5"
    body[2][h["difficulty"]] = "4"
    body[3][h["observer"]] = ""
    before = counts(loaded)
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "observations", csv_bytes([rows[0], *body]), name="obs.csv")
    assert problems_at(caught.value) == {
        (2, "technician_id"), (3, "onsite_min"), (4, "difficulty"), (5, "observer"),
    }
    assert counts(loaded) == before


def test_header_problems_missing_and_unknown_columns(loaded: str) -> None:
    """A missing required column and an unknown column are reported on row 1."""
    data = csv_bytes([["id", "nmae", "branch_id", "post_grade", "start_date"],
                      ["X1", "a", "HF", "T1", "2020-01-01"]])
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "technicians", data, name="t.csv")
    assert problems_at(caught.value) == {(1, "name"), (1, "nmae")}


def test_xlsx_bad_cells_are_reported_like_csv(loaded: str) -> None:
    """Bad cells of an Excel file are reported with their spreadsheet row."""
    files = export_all(loaded, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(files["observations"]))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("rating_pct") + 1, value="fast")
    sheet.cell(row=5, column=header.index("date") + 1, value="2026-02-30")
    out = io.BytesIO()
    book.save(out)
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "observations", out.getvalue(), name="obs.xlsx")
    assert problems_at(caught.value) == {(3, "rating_pct"), (5, "date")}


def test_gb18030_csv_from_chinese_excel_is_read(loaded: str) -> None:
    """A CSV saved by Excel on Chinese Windows (GB18030) imports with its Chinese names intact."""
    rows = csv_rows(export_all(loaded, "csv")["technicians"])[:3]
    data = "\n".join(",".join(r) for r in rows).encode("gb18030")
    with session_scope(loaded) as session:
        result = data_io.import_file(session, "technicians", data, name="staff.csv")
    assert result.updated == 2
    with session_scope(loaded) as session:
        assert session.get(TechnicianRow, rows[1][0]).name == rows[1][1]  # type: ignore[union-attr]


def test_undecodable_csv_names_file_row_and_column_and_writes_nothing(loaded: str) -> None:
    """Bytes that are neither UTF-8 nor GB18030 are one problem (file, row, column, the bytes shown
    escaped), never replaced characters: the import stops and the database is unchanged."""
    rows = csv_rows(export_all(loaded, "csv")["technicians"])[:4]
    before = snapshot(loaded)
    text = "\r\n".join(",".join(r) for r in rows).encode("gb18030")
    name_at = rows[0].index("name")
    bad_row = ",".join(rows[2][:name_at]).encode("gb18030") + b"," + b"\xff\xff"
    data = text.replace(",".join(rows[2][:name_at + 1]).encode("gb18030"), bad_row)
    assert b"\xff" in data
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "technicians", data, name="staff.csv")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.field) == ("staff.csv", 3, "name")
    assert problem.value == "\\xff" and "GB18030" in problem.rule  # the first bad byte, escaped
    assert snapshot(loaded) == before


def test_unknown_kind_and_format_are_input_errors(loaded: str) -> None:
    """Unknown kind or file type: a problem naming the rule, not a crash."""
    with session_scope(loaded) as session:
        with pytest.raises(InputErrors, match="technicians, areas"):
            data_io.import_file(session, "vans", b"id\n1\n", name="x.csv")
        with pytest.raises(InputErrors, match="csv or .xlsx"):
            data_io.import_file(session, "technicians", b"id\n1\n", name="x.txt")


# ------------------------------------------------------------------------------------------------
# properties

_BAD_VALUES = {
    "id": "has space",
    "region_group_id": "NO-GROUP",
    "skills": "cooking",
    "employment": "volunteer",
    "support_team": "perhaps",
    "start_date": "2026-02-30",
    "end_date": "1999-01-01",
    "branch_id": "ZZ",
    "post_grade": "",
    "name": "",
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_bad_cell_is_named_and_nothing_changes(loaded: str, data: st.DataObject) -> None:
    """Whatever cell is broken, the report names exactly its row and column; the database is unchanged."""
    rows = csv_rows(_technician_csv(loaded))
    h = {name: i for i, name in enumerate(rows[0])}
    n = data.draw(st.integers(1, len(rows) - 1), label="row")
    column = data.draw(st.sampled_from(sorted(_BAD_VALUES)), label="column")
    if column == "region_group_id" and rows[n][h["support_team"]] == "true":
        column = "employment"
    rows[n][h[column]] = _BAD_VALUES[column]
    with session_scope(loaded) as session:
        before = demo.existing_counts(session)
        with pytest.raises(InputErrors) as caught:
            data_io.import_file(session, "technicians", csv_bytes(rows), name="t.csv")
        assert (n + 1, column) in problems_at(caught.value)
        assert {p.row for p in caught.value.problems} == {n + 1}
        assert demo.existing_counts(session) == before


_CACHE: dict[str, bytes] = {}


def _technician_csv(url: str) -> bytes:
    if url not in _CACHE:
        _CACHE[url] = export_all(url, "csv")["technicians"]
    return _CACHE[url]


@given(
    value=st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False),
        st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)).map(
            lambda d: d.replace(microsecond=0)
        ),
        st.dates(),
        st.booleans(),
        st.integers(-10**9, 10**9),
    )
)
def test_cells_written_to_csv_parse_back_to_the_same_value(value: object) -> None:
    """Each scalar an export writes reads back to the same value through the matching parser."""
    text = data_io._csv_cell(value)
    parse = {float: data_io._float, dt.datetime: data_io._datetime, dt.date: data_io._date,
             bool: data_io._bool, int: data_io._int}[type(value)]
    assert parse(text) == value


# ------------------------------------------------------------------------------------------------
# command line


@pytest.fixture
def cli(loaded: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    import typer
    from typer.testing import CliRunner

    from cli import data as cli_data
    from fieldcrew.settings import get_settings

    monkeypatch.setenv("FIELDCREW_DATABASE_URL", loaded)
    get_settings.cache_clear()
    app = typer.Typer()
    cli_data.register(app)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_cli_export_then_import_and_a_bad_file(cli: Callable[..., Any], tmp_path: Path, loaded: str) -> None:
    """`fieldcrew export` writes the template; `fieldcrew import` reads it back; a bad file exits 1."""
    out = tmp_path / "orders.xlsx"
    done = cli("export", "orders", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert out.stat().st_size > 0
    done = cli("import", "orders", str(out))
    assert done.exit_code == 0, done.output
    assert "updated" in done.output
    bad = tmp_path / "bad.csv"
    bad.write_text("id,order_type,area_id,created\nB1,teleport,NOWHERE,never\n", encoding="utf-8")
    done = cli("import", "orders", str(bad))
    assert done.exit_code == 1
    assert "order_type" in done.output and "area_id" in done.output and "created" in done.output
    with session_scope(loaded) as session:
        assert session.get(WorkOrderRow, "B1") is None
        assert session.scalar(select(func.count()).select_from(OrderEventRow))
        assert session.scalar(select(func.count()).select_from(ObservationRow))



@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01T08:05:00", dt.datetime(2026, 6, 1, 8, 5)),
        ("2026-06-01 08:05", dt.datetime(2026, 6, 1, 8, 5)),
        ("2026/6/1 8:05", dt.datetime(2026, 6, 1, 8, 5)),  # how Excel re-saves a CSV in zh-CN
        ("2026-06-01T08:05:00+00:00", dt.datetime(2026, 6, 1, 16, 5)),  # UTC → Asia/Shanghai
        (dt.datetime(2026, 6, 1, 7, 59, 59, 999_700), dt.datetime(2026, 6, 1, 8, 0)),  # Excel float noise
    ],
)
def test_datetime_cells_in_the_forms_users_send(text: object, expected: dt.datetime) -> None:
    """ISO, Excel's re-saved form, offsets and Excel's float noise all read as the intended local time."""
    assert data_io._datetime(text) == expected


@pytest.mark.parametrize("text", ["2026-02-30", "30/12/2026", "2026/6/1 8:05", "soon"])
def test_bad_dates_name_the_rule(text: str) -> None:
    """Impossible days, day-first forms and dates with a time are refused with the rule."""
    with pytest.raises(data_io._CellError, match="YYYY-MM-DD"):
        data_io._date(text)


# ------------------------------------------------------------------------------------------------
# hardening: contact formats, the longitude, formula-like text, masked exports, many problems


def _technicians(url: str) -> list[list[str]]:
    return csv_rows(export_all(url, "csv")["technicians"])


@pytest.mark.parametrize(("column", "value"), [
    ("phone", "12345"), ("phone", "138-1234-123"), ("phone", "23812341234"), ("phone", "138****1234"),
    ("email", "no-at-sign"), ("email", "a@b"), ("email", "a@@b.cn"), ("email", "x" * 190 + "@example.com"),
])
def test_bad_phone_and_email_name_their_cell(loaded: str, column: str, value: str) -> None:
    """A phone that is neither a mainland mobile nor a landline, or an e-mail that is no address, is a
    problem of its cell (a masked export's ``138****1234`` too: it must not overwrite the real one)."""
    rows = _technicians(loaded)
    h = {name: i for i, name in enumerate(rows[0])}
    rows[2][h[column]] = value
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "technicians", csv_bytes(rows), name="staff.csv")
    assert problems_at(caught.value) == {(3, column)}
    assert caught.value.problems[0].value == value


@pytest.mark.parametrize(("column", "value"), [
    ("phone", "13812341234"), ("phone", "+86 138 1234 1234"), ("phone", "0551-62901234"),
    ("phone", "055162901234"), ("phone", "010-12345678-123"), ("email", "zhang.san+hr@fieldcrew.example.cn"),
])
def test_good_phone_and_email_are_read(loaded: str, column: str, value: str) -> None:
    """Mobiles (with or without +86 and spaces), landlines with area code and extension, addresses."""
    rows = _technicians(loaded)
    h = {name: i for i, name in enumerate(rows[0])}
    rows[2][h[column]] = value
    with session_scope(loaded) as session:
        data_io.import_file(session, "technicians", csv_bytes(rows), name="staff.csv")
    with session_scope(loaded) as session:
        tech = session.get(TechnicianRow, rows[2][h["id"]])
        assert tech is not None and getattr(tech, column) == value


@pytest.mark.parametrize("kind", ["orders", "areas"])
def test_a_bad_longitude_is_reported_as_the_longitude(loaded: str, kind: str) -> None:
    """A longitude outside ±180 is a problem of the lon column, not of lat."""
    rows = csv_rows(export_all(loaded, "csv")[kind])
    h = {name: i for i, name in enumerate(rows[0])}
    rows[1][h["lon"]] = "517.2"
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, kind, csv_bytes(rows[:2]), name=f"{kind}.csv")
    assert (2, "lon") in problems_at(caught.value) and (2, "lat") not in problems_at(caught.value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_is_data_both_ways(loaded: str, fmt: data_io.Format) -> None:
    """Names and notes that look like spreadsheet formulas are imported as data, exported guarded
    (never a formula in the file) and import back unchanged."""
    rows = _technicians(loaded)
    h = {name: i for i, name in enumerate(rows[0])}
    names = ["=HYPERLINK(\"http://evil\",\"x\")", "+1 strong", "-dash", "@handle"]
    for row, name in zip(rows[1:], names, strict=False):
        row[h["name"]] = name
    rows[1][h["phone"]] = "+8613812341234"
    with session_scope(loaded) as session:
        data_io.import_file(session, "technicians", csv_bytes(rows[:5]), name="staff.csv")
    exported = export_all(loaded, fmt)["technicians"]
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(exported)).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)
        assert {c.value for c in cells} >= {"'" + n for n in names}
    else:
        assert {"'" + n for n in names} <= {cell for row in csv_rows(exported) for cell in row}
    before = snapshot(loaded)
    with session_scope(loaded) as session:
        data_io.import_file(session, "technicians", exported, name=f"technicians.{fmt}")
    assert snapshot(loaded) == before
    with session_scope(loaded) as session:
        stored = {t.name for t in records.read_technicians(session)}
        phone = session.get(TechnicianRow, rows[1][h["id"]]).phone  # type: ignore[union-attr]
    assert set(names) <= stored and phone == "+8613812341234"


def test_export_without_personal_data_masks_contacts(loaded: str) -> None:
    """Without personal data (roles other than HR and admin) phone and e-mail are masked."""
    with session_scope(loaded) as session:
        full = csv_rows(data_io.export_bytes(session, "technicians", "csv"))
        masked = csv_rows(data_io.export_bytes(session, "technicians", "csv", personal_data=False))
    h = {name: i for i, name in enumerate(full[0])}
    for plain, hidden in zip(full[1:], masked[1:], strict=True):
        assert plain[h["id"]] == hidden[h["id"]]
        if plain[h["phone"]]:
            assert hidden[h["phone"]] == plain[h["phone"]][:3] + "****" + plain[h["phone"]][-4:]
        if plain[h["email"]]:
            assert hidden[h["email"]].endswith("@" + plain[h["email"]].split("@")[1])
            assert hidden[h["email"]] != plain[h["email"]]
    assert any(row[h["phone"]] for row in full[1:])


def test_an_all_bad_file_keeps_a_bounded_report(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of very many bad cells keeps the first problems (in row order) and counts them all."""
    monkeypatch.setattr(data_io, "MAX_KEPT_PROBLEMS", 50)
    rows = _technicians(loaded)
    h = {name: i for i, name in enumerate(rows[0])}
    body = [list(rows[1]) for _ in range(40)]
    for n, row in enumerate(body):
        row[h["id"]], row[h["start_date"]], row[h["post_grade"]] = f"X{n}", "never", ""
    with session_scope(loaded) as session, pytest.raises(InputErrors) as caught:
        data_io.import_file(session, "technicians", csv_bytes([rows[0], *body]), name="bad.csv")
    assert len(caught.value.problems) == 50 and caught.value.count == 80
    assert [p.row for p in caught.value.problems][:4] == [2, 2, 3, 3]
