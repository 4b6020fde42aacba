"""The ``fieldcrew dispatch`` commands: synthetic → plan → board → event → export; bad events exit 1."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from cli.main import app
from scheduler.dispatch.demo_day import day_from_city, on_duty_from_roster
from scheduler.dispatch.io import state_from_json
from scheduler.dispatch.synthetic import make_order
from vocabulary.orders import OrderStatus, OrderType, WorkOrder
from vocabulary.organisation import AreaType, Branch, Location, SmallArea
from vocabulary.staff import Technician


def test_cli_round_trip(tmp_path: Path) -> None:
    """Plan a synthetic day, start an order, refuse completing another, export CSV and Excel."""
    run = CliRunner().invoke
    day, state = tmp_path / "day.json", tmp_path / "state.json"
    assert (
        run(app, ["dispatch", "synthetic", "--out", str(day), "--groups", "1", "--orders", "12"]).exit_code
        == 0
    )
    res = run(app, ["dispatch", "plan", str(day), "--out", str(state), "--seconds", "0.3"])
    assert res.exit_code == 0, res.output
    _, plan = state_from_json(state.read_text())
    route = next(r for r in plan.routes if r.stops)
    first = route.stops[0]
    ev = {
        "kind": "order_started",
        "at": first.start.isoformat(),
        "order_id": first.order_id,
        "technician_id": route.technician_id,
    }
    res = run(app, ["dispatch", "event", str(state), json.dumps(ev)])
    assert res.exit_code == 0, res.output
    before = state.read_text()
    other = next(s.order_id for r in plan.routes for s in r.stops if s.order_id != first.order_id)
    bad = {"kind": "order_completed", "at": first.start.isoformat(), "order_id": other}
    res = run(app, ["dispatch", "event", str(state), json.dumps(bad)])
    assert res.exit_code == 1 and other in res.output
    assert state.read_text() == before  # the plan in force is unchanged
    res = run(app, ["dispatch", "board", str(state), "--technician", route.technician_id])
    assert res.exit_code == 0 and "[locked]" in res.output
    res = run(
        app,
        [
            "dispatch",
            "export",
            str(state),
            "--csv",
            str(tmp_path / "p.csv"),
            "--xlsx",
            str(tmp_path / "p.xlsx"),
        ],
    )
    assert res.exit_code == 0 and (tmp_path / "p.xlsx").stat().st_size > 0


def test_day_from_city_and_roster() -> None:
    """The demo-city adapter: orders of the day become open orders with standard minutes; the
    roster adapter lists who works on a day."""
    loc = Location(lat=31.8, lon=117.2)
    city = SimpleNamespace(
        branch=Branch(id="HF", name="x", bbox=(31.6, 117.0, 32.0, 117.5)),
        areas=(SmallArea(id="A1", region_group_id="G1", name="a", area_type=AreaType.URBAN, centroid=loc),),
        technicians=tuple(
            Technician(
                id=f"T{i}",
                name="n",
                branch_id="HF",
                region_group_id="G1",
                home_area_id="A1",
                post_grade="T1",
                start_date=dt.date(2020, 1, 1),
            )
            for i in range(3)
        ),
        orders=(
            WorkOrder(
                id="W1",
                order_type=OrderType.INSTALL,
                difficulty=2,
                area_id="A1",
                location=loc,
                created=dt.datetime(2026, 6, 10, 7),
                deadline=dt.datetime(2026, 6, 12, 7),
            ),
            WorkOrder(
                id="W2",
                order_type=OrderType.REPAIR,
                area_id="A1",
                location=loc,
                created=dt.datetime(2026, 6, 9, 7),
                deadline=dt.datetime(2026, 6, 10, 7),
            ),
        ),
    )
    inp = day_from_city(city, dt.date(2026, 6, 10))
    assert [o.id for o in inp.orders] == ["W1"] and inp.orders[0].duration_min == 80
    assert inp.orders[0].status == OrderStatus.CREATED
    assert len(inp.technicians) == 2  # one of the group rests
    assert on_duty_from_roster({"T0": ["E", None], "T1": [None, "L"]}, 1) == {"T1": "L"}
    assert make_order("X").duration_min == 60
