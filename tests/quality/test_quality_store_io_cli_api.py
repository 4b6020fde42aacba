"""Files, the database (loader, snapshot, grades, migration), the CLI and the API end to end."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from quality_factories import order, technician
from sqlalchemy import insert
from typer.testing import CliRunner

from fieldcrew.db import session_scope
from quality import io, service, store
from quality.domain import Light, UnitKind
from quality.scorecard import monthly_grades
from quality.table import kpi_table
from quality.validate import check_orders
from vocabulary.orders import OrderType

FEB = dt.datetime(2026, 2, 2, 8)
MAR = dt.datetime(2026, 3, 2, 8)


def sample_orders() -> list:
    """T-001: 10 repairs a month with 3 late in February and March (timeliness 0.7, red twice);
    T-002: 10 on-time repairs a month, satisfied; one open install of T-002 overdue in March."""
    out = []
    for month in (FEB, MAR):
        for i in range(10):
            at = month + dt.timedelta(hours=i)
            out.append(order(f"A{month:%m}{i}", tech="T-001", created=at, done_h=30 if i < 3 else 2,
                             satisfaction=3 if i < 3 else 5))
            out.append(order(f"B{month:%m}{i}", tech="T-002", created=at, done_h=2, satisfaction=5,
                             contact_timely=True))
    out.append(order("OPEN", OrderType.INSTALL, tech="T-002", created=MAR, deadline_h=48, done_h=None))
    return out


def technicians() -> list:
    return [technician("T-001", "g1"), technician("T-002", "g1"), technician("T-003", None)]


def seed(url: str) -> None:
    """Write a tiny branch (b1, one group g1, one area a1), three technicians and the sample orders."""
    from fieldcrew import records

    with session_scope(url) as session:
        session.execute(insert(_table("branches")),
                        [{"id": "b1", "name": "B1", "province": "", "bbox": None}])
        session.execute(insert(_table("districts")), [{"id": "d1", "branch_id": "b1", "name": "D1"}])
        session.execute(insert(_table("region_groups")), [
            {"id": "g1", "branch_id": "b1", "district_id": "d1", "name": "G1",
             "operating_model": "urban_dense"}
        ])
        session.execute(insert(_table("small_areas")), [
            {"id": "a1", "region_group_id": "g1", "name": "A1", "area_type": "urban",
             "lat": 30.0, "lon": 120.0}
        ])
        session.execute(insert(_table("technicians")), [records.technician_row(t) for t in technicians()])
        orders = sample_orders()
        session.execute(insert(_table("work_orders")), [records.order_row(o) for o in orders])
        session.execute(insert(_table("order_events")), [e for o in orders for e in records.event_rows(o)])


def _table(name: str):
    from fieldcrew.db import Base

    return Base.metadata.tables[name]


def test_csv_and_excel_round_trip(tmp_path: Path) -> None:
    """Orders written as CSV and as Excel read back to the same KPIs as the orders themselves."""
    orders = sample_orders()
    direct = kpi_table(orders, UnitKind.TECHNICIAN, "month", ["2026-03"])
    for suffix in ("csv", "xlsx"):
        path = io.write_rows([io.order_record(o) for o in orders], tmp_path / f"orders.{suffix}")
        data = io.load_orders_file(path, {"T-001", "T-002"})
        assert not data.problems and len(data.orders) == len(orders)
        again = kpi_table(data, UnitKind.TECHNICIAN, "month", ["2026-03"])
        assert [(r.kpi, r.numerator, r.denominator) for r in again] == [
            (r.kpi, r.numerator, r.denominator) for r in direct
        ]


def test_missing_column_and_file(tmp_path: Path) -> None:
    """A file without a required column, or no file at all, is an input error naming it."""
    from vocabulary.errors import InputErrors

    path = tmp_path / "bad.csv"
    path.write_text("id,order_type\na,repair\n", encoding="utf-8")
    with pytest.raises(InputErrors, match="created"):
        io.load_orders_file(path)
    with pytest.raises(InputErrors, match="not found"):
        io.load_orders_file(tmp_path / "none.csv")


def test_gb18030_technicians_file(tmp_path: Path) -> None:
    """A staff list saved by Excel on Chinese Windows (GB18030) reads with its Chinese names intact;
    a blank row is skipped and the rows below it keep their spreadsheet numbers."""
    from vocabulary.errors import InputErrors

    path = tmp_path / "staff.csv"
    lines = ["id,name,branch_id,region_group_id,post_grade,start_date",
             "T-001,张伟,B1,G1,T2,2020-01-01", "", "T-002,王芳,B1,,T1,2021-05-01"]
    path.write_bytes("\r\n".join(lines).encode("gb18030"))
    techs = io.read_technicians_file(path)
    assert [(t.id, t.name, t.support_team) for t in techs] == [
        ("T-001", "张伟", False),
        ("T-002", "王芳", True),
    ]
    path.write_bytes("\r\n".join([*lines, "T-003,李娜,B1,G1,T2,someday"]).encode("gb18030"))
    with pytest.raises(InputErrors) as info:
        io.read_technicians_file(path)
    assert [(p.file, p.row) for p in info.value.problems] == [("staff.csv", 5)]


def test_undecodable_orders_file_names_file_and_row(tmp_path: Path) -> None:
    from vocabulary.errors import InputErrors

    path = tmp_path / "orders.csv"
    path.write_bytes(b"id,order_type,created\nA1,repair,2026-03-02 08:00\nA2,rep\xffair,2026-03-02\n")
    with pytest.raises(InputErrors) as info:
        io.load_orders_file(path)
    (p,) = info.value.problems
    assert (p.file, p.row, p.field) == ("orders.csv", 3, "order_type")


def test_table_export_excel(tmp_path: Path) -> None:
    """The KPI table exports to Excel with numbers as numbers and ids as text."""
    from openpyxl import load_workbook

    rows = [r.flat() for r in kpi_table(sample_orders(), UnitKind.TECHNICIAN, "month", ["2026-03"])]
    path = io.write_rows(rows, tmp_path / "kpis.xlsx")
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    first = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert first["unit_id"] == "T-001" and isinstance(first["denominator"], int)


def test_db_loader_matches_objects(db_url: str) -> None:
    """Orders read from work_orders/order_events give the same grades as the objects written; only the
    orders that can count in March are read (February's were created, done and due in February)."""
    seed(db_url)
    with session_scope(db_url) as session:
        source = service.Source.from_db(session, dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))
    assert not source.data.problems
    assert len(source.data.orders) == len([o for o in sample_orders() if o.created >= MAR]) == 21
    from_db = monthly_grades(source.data.orders, "2026-03", technicians=source.technicians)
    direct = monthly_grades(sample_orders(), "2026-03", technicians=technicians())
    assert {k: (g.score, g.grade) for k, g in from_db.items()} == {
        k: (g.score, g.grade) for k, g in direct.items()
    }


def test_store_snapshot_and_grades(db_url: str) -> None:
    """Saving a month stores every unit level and the grades; saving again replaces, not duplicates;
    stored lights feed the two-months trigger."""
    seed(db_url)
    for _ in range(2):
        with session_scope(db_url) as session:
            source = service.Source.from_db(session, dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 1))
            counts = service.save_month(session, source, "2026-02")
    assert counts["grades"] == 3
    with session_scope(db_url) as session:
        lights = store.load_lights(session, UnitKind.TECHNICIAN, "2026-02")
        grades = store.load_grades(session, "2026-02")
        assert lights[("T-001", "repair_timeliness")] == Light.RED
        assert store.load_lights(session, "branch", "2026-02")[("b1", "repair_timeliness")] != Light.GREY
        assert grades["T-003"].grade == "B"  # no orders: neutral grade
        assert session.query(store.GradeRow).count() == 3
        march = service.Source(check_orders([o for o in sample_orders() if o.created >= MAR]),
                               technicians())
        report = service.warnings_report(march, "2026-03", session=session)
    assert any(w["trigger"] and w["unit_id"] == "T-001" and w["kpi"] == "repair_timeliness"
               for w in report["rows"])


def test_migration_matches_models(db_url: str) -> None:
    """The quality migration creates exactly the columns, types, indexes and constraints of the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from fieldcrew.db import Base

    ours = {store.KpiSnapshotRow.__tablename__, store.GradeRow.__tablename__}

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ == "table":
            return name in ours
        table = getattr(obj, "table", None)
        return table is None or table.name in ours

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_cli_from_files(tmp_path: Path) -> None:
    """`fieldcrew kpi table|grades|warnings|escalations|check` run on files, with JSON and CSV out."""
    from quality.cli import app

    orders = io.write_rows([io.order_record(o) for o in sample_orders()], tmp_path / "orders.csv")
    techs = io.write_rows(
        [{"id": t.id, "name": t.name, "branch_id": t.branch_id, "region_group_id": t.region_group_id or ""}
         for t in technicians()], tmp_path / "techs.csv",
    )
    files = ["--orders", str(orders), "--technicians", str(techs)]
    runner = CliRunner()
    res = runner.invoke(app, ["table", *files, "--unit", "region_group", "--label", "2026-03", "--json",
                              "--kpi", "repair_timeliness"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    assert [(r["unit_id"], r["numerator"], r["denominator"]) for r in rows] == [("g1", "17", 20)]
    res = runner.invoke(app, ["grades", *files, "--month", "2026-03", "--out", str(tmp_path / "g.csv")])
    assert res.exit_code == 0, res.output
    assert "T-001" in (tmp_path / "g.csv").read_text(encoding="utf-8-sig")
    res = runner.invoke(app, ["warnings", *files, "--month", "2026-03", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["triggers"] >= 1
    res = runner.invoke(app, ["escalations", *files, "--label", "2026-03", "--json"])
    report = json.loads(res.output)
    # the file's latest record is on 3 March, before OPEN's deadline (4 March 08:00): not overdue yet
    assert report["as_of_basis"] == "the latest record in the data"
    assert {r["order_id"] for r in report["rows"]} == {"A030", "A031", "A032"}
    res = runner.invoke(app, ["escalations", *files, "--label", "2026-03", "--as-of", "2026-04-01", "--json"])
    report = json.loads(res.output)
    assert report["as_of"] == "2026-04-01 00:00:00" and report["as_of_basis"] == "given"
    ids = {r["order_id"] for r in report["rows"]}
    assert "OPEN" in ids and "A030" in ids
    res = runner.invoke(app, ["escalations", *files, "--label", "2026-03", "--as-of", "1 April"])
    assert res.exit_code == 2 and "--as-of" in res.output
    res = runner.invoke(app, ["check", *files])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["grades", *files, "--month", "2026-03", "--shrink-m", "estimate", "--json"])
    assert res.exit_code == 0 and "estimated" in json.loads(res.output)["rule"]
    res = runner.invoke(app, ["grades", *files, "--month", "2026-03", "--shrink-m", "lots"])
    assert res.exit_code == 2 and "give a number" in res.output
    res = runner.invoke(app, ["grades", *files, "--month", "2026-13"])
    assert res.exit_code == 2 and "YYYY-MM" in res.output


def test_cli_check_reports_bad_rows(tmp_path: Path) -> None:
    """`kpi check` lists each bad row with field and rule and exits 1."""
    from quality.cli import app

    records = [io.order_record(o) for o in sample_orders()[:3]]
    records[1]["history"] = records[1]["history"].replace("completed 2026-02-02", "completed 2020-01-01")
    records[2]["satisfaction"] = 9
    path = io.write_rows(records, tmp_path / "o.csv")
    res = CliRunner().invoke(app, ["check", "--orders", str(path)])
    assert res.exit_code == 1
    assert "impossible_timestamps" in res.output and "survey_out_of_scale" in res.output


def test_api_end_to_end(api_client) -> None:
    """KPI table, grades (technician sees only own), warnings, escalations, CSV export, and the
    save-month job: submit → poll → stored grades."""
    from fieldcrew.jobs import wait_for

    seed(api_client.db_url)
    c, h = api_client.client, api_client.headers
    r = c.get("/quality/kpis", params={"label": "2026-03", "unit": "branch", "kpi": "repair_timeliness"},
              headers=h("dispatcher"))
    assert r.status_code == 200, r.text
    assert [(x["unit_id"], x["numerator"], x["denominator"]) for x in r.json()["rows"]] == [("b1", "17", 20)]
    r = c.get("/quality/kpis", params={"label": "2026-03", "format": "csv"}, headers=h("planner"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    r = c.get("/quality/kpis", params={"label": "2026-03", "unit": "branch"}, headers=h("technician"))
    assert r.status_code == 403
    r = c.get("/quality/kpis", params={"label": "2026-03"}, headers=h("technician"))
    assert {x["unit_id"] for x in r.json()["rows"]} == {"T-001"}
    r = c.get("/quality/grades/2026-03", headers=h("hr"))
    assert {x["technician_id"] for x in r.json()["rows"]} == {"T-001", "T-002", "T-003"}
    r = c.get("/quality/grades/2026-03", headers=h("technician2"))
    assert [x["technician_id"] for x in r.json()["rows"]] == ["T-002"]
    assert c.get("/quality/grades/2026-03/T-001", headers=h("technician2")).status_code == 403
    assert c.get("/quality/grades/2026-03/T-404", headers=h("hr")).status_code == 404
    assert c.get("/quality/grades/2026-3", headers=h("hr")).status_code == 400
    r = c.get("/quality/warnings/2026-03", headers=h("dispatcher"))
    assert r.status_code == 200 and r.json()["triggers"] >= 1
    r = c.get("/quality/escalations", params={"label": "2026-03", "as_of": "2026-04-01T00:00"},
              headers=h("dispatcher"))
    assert "OPEN" in {x["order_id"] for x in r.json()["rows"]} and r.json()["as_of_basis"] == "given"
    r = c.get("/quality/kpis", params={"label": "2026-03", "dispatch_hours": "22:00-07:00"},
              headers=h("dispatcher"))
    assert r.status_code == 400 and "close after they open" in r.json()["detail"]
    assert c.post("/quality/months/2026-03", headers=h("dispatcher")).status_code == 403
    r = c.post("/quality/months/2026-03", headers=h("hr"))
    assert r.status_code == 202, r.text
    job = wait_for(r.json()["id"], api_client.db_url, timeout=60)
    assert job.status == "succeeded", job.error
    r = c.get("/quality/grades/2026-03", params={"stored": True}, headers=h("hr"))
    stored = {x["technician_id"]: x for x in r.json()["rows"]}
    assert set(stored) == {"T-001", "T-002", "T-003"}
    assert Decimal(stored["T-002"]["score"]) > Decimal(stored["T-001"]["score"])


def test_api_upload_orders_file(api_client, tmp_path: Path) -> None:
    """Orders given directly as a file: the KPI table comes back, bad rows reported; Excel export."""
    records = [io.order_record(o) for o in sample_orders()]
    records[0]["satisfaction"] = 8
    path = io.write_rows(records, tmp_path / "orders.csv")
    c, h = api_client.client, api_client.headers
    r = c.post("/quality/kpis/upload", params={"label": "2026-03", "kpi": "overall_satisfaction"},
               files={"orders": ("orders.csv", path.read_bytes(), "text/csv")}, headers=h("dispatcher"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["excluded_by_rule"] == {"survey_out_of_scale": 1}
    assert body["problems"][0]["field"] == "satisfaction" and body["problems"][0]["row"] == 2
    r = c.post("/quality/kpis/upload", params={"label": "2026-02", "format": "xlsx"},
               files={"orders": ("orders.csv", path.read_bytes(), "text/csv")}, headers=h("planner"))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.post("/quality/kpis/upload", params={"label": "2026-02"},
               files={"orders": ("orders.txt", b"x", "text/plain")}, headers=h("planner"))
    assert r.status_code == 400
    r = c.post("/quality/kpis/upload", params={"label": "2026-02"},
               files={"orders": ("orders.csv", path.read_bytes(), "text/csv")}, headers=h("technician"))
    assert r.status_code == 403
