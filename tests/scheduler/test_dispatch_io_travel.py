"""Travel times, day-plan export (CSV/Excel), state files, the store, and the demo-day adapter."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scheduler.dispatch.domain import TravelModel
from scheduler.dispatch.engine import SolveParams, plan_day
from scheduler.dispatch.errors import InputErrors, InvalidStateFile
from scheduler.dispatch.io import PLAN_COLUMNS, plan_to_csv, plan_to_excel, state_from_json, state_to_json
from scheduler.dispatch.synthetic import km_east, make_input, make_order, make_tech
from scheduler.dispatch.travel import Point, travel_matrix, travel_minutes
from scheduler.dispatch.validate import validate_plan
from vocabulary.organisation import AreaType

FAST = SolveParams(time_limit_s=0.2)


def test_travel_minutes_formula() -> None:
    """ceil(km × 1.3 / speed × 60): 10 km urban (20 km/h) → 39 min; rural (50 km/h) → 16 min."""
    a, b = km_east(0), km_east(10)
    km = a.distance_km(b)
    assert travel_minutes(a, b, AreaType.URBAN, TravelModel()) == math.ceil(km * 1.3 / 20 * 60)
    assert travel_minutes(a, b, AreaType.RURAL, TravelModel()) == math.ceil(km * 1.3 / 50 * 60)
    m = travel_matrix([Point("a", a), Point("b", b, AreaType.RURAL)], TravelModel())
    assert m[0][0] == 0 and m[0][1] == travel_minutes(a, b, AreaType.RURAL, TravelModel())


def test_supplied_matrix_is_used_and_checked() -> None:
    """A supplied matrix gives the minutes; a missing pair is an input error naming the key."""
    matrix = {"tech:T1": {"O1": 7}, "O1": {"tech:T1": 7}}
    inp = make_input([make_tech("T1")], [make_order("O1")], travel=TravelModel(matrix=matrix))
    plan = plan_day(inp, FAST)
    assert plan.routes[0].stops[0].travel_min == 7
    assert validate_plan(inp, plan) == []
    bad = make_input(
        [make_tech("T1")], [make_order("O1"), make_order("O2")], travel=TravelModel(matrix=matrix)
    )
    with pytest.raises(InputErrors, match="O2"):
        plan_day(bad, FAST)


def test_export_csv_excel_and_state_round_trip(tmp_path: Path) -> None:
    """CSV and Excel exports hold one row per stop and per unassigned order; state JSON round-trips."""
    inp = make_input([make_tech("T1")], [make_order("O1"), make_order("O2", duration=600)])
    plan = plan_day(inp, FAST)
    lines = plan_to_csv(plan).splitlines()
    assert lines[0] == ",".join(PLAN_COLUMNS) and len(lines) == 3
    assert "unassigned" in lines[2] and "shift_end" in lines[2]
    wb = load_workbook(plan_to_excel(plan, tmp_path / "plan.xlsx"))
    assert wb["plan"].max_row == 3 and wb["warnings"].max_row >= 2
    inp2, plan2 = state_from_json(state_to_json(inp, plan))
    assert inp2 == inp and plan2 == plan
    with pytest.raises(InvalidStateFile, match="not a dispatch state"):
        state_from_json("{}", "x.json")


def test_store_versions(db_url: str) -> None:
    """Each save is a new version; the latest is in force; an unknown day is 404 (NotFound)."""
    from fieldcrew.db import session_scope
    from scheduler.dispatch.store import load_state, save_state
    from vocabulary.errors import NotFound

    inp = make_input([make_tech("T1")], [make_order("O1")])
    plan = plan_day(inp, FAST)
    with session_scope(db_url) as s:
        assert save_state(s, inp, plan, "tester", "morning_plan") == 1
        assert save_state(s, inp, plan, "tester", "reoptimise") == 2
    with session_scope(db_url) as s:
        _, got = load_state(s, "B1", inp.day)
        assert got.version == 2
        assert load_state(s, "B1", inp.day, version=1)[1].version == 1
        with pytest.raises(NotFound):
            load_state(s, "B1", dt.date(2026, 4, 2))


def test_plan_exports_keep_formula_leading_ids_as_text(tmp_path: Path) -> None:
    """A technician or order id a spreadsheet would run as a formula (``-T1``) comes back as inert
    text: a leading apostrophe in the CSV, a text cell starting with it in both Excel sheets."""
    import csv
    import io

    inp = make_input([make_tech("-T1")], [make_order("-O1"), make_order("-O2", duration=600)])
    plan = plan_day(inp, FAST)
    rows = list(csv.DictReader(io.StringIO(plan_to_csv(plan))))
    assert [r["technician_id"] for r in rows] == ["'-T1", ""]
    assert [r["order_id"] for r in rows] == ["'-O1", "'-O2"]
    book = load_workbook(plan_to_excel(plan, tmp_path / "plan.xlsx"))
    first = book["plan"][2]
    tech, order = first[PLAN_COLUMNS.index("technician_id")], first[PLAN_COLUMNS.index("order_id")]
    assert (tech.data_type, tech.value) == ("s", "'-T1")
    assert (order.data_type, order.value) == ("s", "'-O1")
    warned = [row for row in book["warnings"].iter_rows(min_row=2) if row[1].value == "'-O2"]
    assert warned and all(row[1].data_type == "s" for row in warned)
