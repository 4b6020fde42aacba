"""Import/export over HTTP: downloads, uploads, roles, every bad cell as problem+json, audit."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from factories import ApiHarness
from sqlalchemy import func, insert, select

from fieldcrew import audit, demo
from fieldcrew.db import Base
from fieldcrew.demo import DemoCity, generate_city
from fieldcrew.tables import TechnicianRow, WorkOrderRow


@pytest.fixture(scope="module")
def city() -> DemoCity:
    """The demo organisation with 1 % of the month's orders."""
    return generate_city(5, scale=0.01)


@pytest.fixture
def api(api_client: ApiHarness, city: DemoCity) -> ApiHarness:
    with api_client.session() as session:
        for name, rows in demo.city_rows(city).items():
            if rows:
                session.execute(insert(Base.metadata.tables[name]), rows)
    return api_client


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_export_csv_and_xlsx_downloads(api: ApiHarness, city: DemoCity) -> None:
    """A dispatcher downloads orders as CSV and Excel, with a file name and the template's columns."""
    client, dispatcher = api.client, api.headers("dispatcher")
    answer = client.get("/data/orders/export", params={"format": "csv"}, headers=dispatcher)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="orders.csv"' in answer.headers["content-disposition"]
    rows = _rows(answer.content)
    assert rows[0][:3] == ["id", "order_type", "difficulty"]
    assert len(rows) - 1 == len(city.orders)
    answer = client.get("/data/technicians/export", params={"format": "xlsx"}, headers=api.headers("hr"))
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    assert sum(1 for _ in book.worksheets[0].iter_rows()) == len(city.technicians) + 1


def test_roles_401_and_403(api: ApiHarness) -> None:
    """No key: 401; a technician may not export staff data; a planner may not import technicians."""
    client = api.client
    assert client.get("/data/technicians/export").status_code == 401
    assert client.get("/data/technicians/export", headers=api.headers("technician")).status_code == 403
    assert client.get("/data/observations/export", headers=api.headers("dispatcher")).status_code == 403
    upload = {"file": ("t.csv", b"id\n", "text/csv")}
    answer = client.post("/data/technicians/import", files=upload, headers=api.headers("planner"))
    assert answer.status_code == 403
    assert client.get("/data/areas/export", headers=api.headers("admin")).status_code == 200
    kinds = client.get("/data/kinds", headers=api.headers("planner")).json()
    assert [k["kind"] for k in kinds] == ["technicians", "areas", "orders", "observations"]


def test_bad_upload_lists_every_bad_cell_and_writes_nothing(api: ApiHarness) -> None:
    """422 problem+json names file, row, column, value and rule of each bad cell; nothing is written."""
    client, hr = api.client, api.headers("hr")
    rows = _rows(client.get("/data/technicians/export", headers=hr).content)
    h = {name: i for i, name in enumerate(rows[0])}
    rows[1][h["post_grade"]] = "T-NEW"  # a valid change: must not be written either
    rows[2][h["start_date"]] = "31/12/2020"
    rows[3][h["region_group_id"]] = "NOPE"
    rows[4][h["skills"]] = "broadband;magic"
    with api.session() as session:
        old_grade = session.get(TechnicianRow, rows[1][0]).post_grade  # type: ignore[union-attr]
        audit_before = len(audit.entries(session, "technicians"))
    answer = client.post("/data/technicians/import", files={"file": ("staff.csv", _csv(rows), "text/csv")},
                         headers=hr)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == 422 and "nothing was written" in body["detail"]
    cells = {(e["row"], e["field"]): e for e in body["errors"]}
    assert set(cells) == {(3, "start_date"), (4, "region_group_id"), (5, "skills")}
    assert cells[(3, "start_date")]["value"] == "31/12/2020"
    assert cells[(3, "start_date")]["file"] == "staff.csv"
    assert "YYYY-MM-DD" in cells[(3, "start_date")]["rule"]
    with api.session() as session:
        assert session.get(TechnicianRow, rows[1][0]).post_grade == old_grade  # type: ignore[union-attr]
        assert len(audit.entries(session, "technicians")) == audit_before


def test_good_upload_writes_and_is_audited(api: ApiHarness) -> None:
    """A valid Excel upload of orders updates known ids and inserts new ones, recorded in the audit log."""
    client, dispatcher = api.client, api.headers("dispatcher")
    content = client.get("/data/orders/export", params={"format": "xlsx"}, headers=dispatcher).content
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    sheet.append(["NEW-ORDER-1" if name == "id" else sheet.cell(row=2, column=i + 1).value
                  for i, name in enumerate(header)])
    out = io.BytesIO()
    book.save(out)
    answer = client.post(
        "/data/orders/import",
        files={"file": ("orders.xlsx", out.getvalue(), "application/octet-stream")},
        headers=dispatcher,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["inserted"] == 1 and result["updated"] == sheet.max_row - 2
    with api.session() as session:
        assert session.get(WorkOrderRow, "NEW-ORDER-1") is not None
        total = session.scalar(select(func.count()).select_from(WorkOrderRow))
        entry = audit.entries(session, "orders")[0]
    assert total == sheet.max_row - 1
    assert (entry.actor, entry.action, entry.entity_id) == ("dispatcher", "import", "orders.xlsx")
    assert entry.after["inserted"] == 1
