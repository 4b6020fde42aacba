"""No order vanishes: long-running orders count in their closing month, unassigned ones in their area's
group and branch, and every level adds up to the same orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from quality_factories import order, technician
from sqlalchemy import insert

from fieldcrew import records
from fieldcrew.db import Base, session_scope
from quality import service
from quality.domain import KpiSettings, UnitKind
from quality.kpis import KPI_FUNCTIONS
from quality.periods import month_window
from quality.table import UNASSIGNED, kpi_table
from vocabulary.orders import OrderType

AUGUST = month_window("2026-08")


def seed(url: str, orders: list) -> None:
    """Branch b1 with groups g1 (area a1, t1) and g2 (area a2, t2), and ``orders``."""
    tables = Base.metadata.tables
    with session_scope(url) as session:
        branch = {"id": "b1", "name": "B1", "province": "", "bbox": None}
        session.execute(insert(tables["branches"]), [branch])
        session.execute(insert(tables["districts"]), [{"id": "d1", "branch_id": "b1", "name": "D1"}])
        session.execute(insert(tables["region_groups"]), [
            {"id": g, "branch_id": "b1", "district_id": "d1", "name": g, "operating_model": "urban_dense"}
            for g in ("g1", "g2")
        ])
        session.execute(insert(tables["small_areas"]), [
            {"id": a, "region_group_id": g, "name": a, "area_type": "urban", "lat": 30.0, "lon": 120.0}
            for a, g in (("a1", "g1"), ("a2", "g2"))
        ])
        session.execute(insert(tables["technicians"]), [records.technician_row(technician("t1", "g1")),
                                                        records.technician_row(technician("t2", "g2"))])
        session.execute(insert(tables["work_orders"]), [records.order_row(o) for o in orders])
        session.execute(insert(tables["order_events"]), [e for o in orders for e in records.event_rows(o)])


def test_long_install_counts_in_its_closing_month(db_url: str) -> None:
    """An install created 28 June 08:00 and completed 11 August 09:00 (1,057 hours) is read for August
    and counts there: install timeliness 0/1 (deadline 72 h), waiting time 1,057 h. An order
    completed in June and due in June is not read for August."""
    long = order("long", OrderType.INSTALL, created=dt.datetime(2026, 6, 28, 8), deadline_h=72, done_h=1057)
    june = order("june", created=dt.datetime(2026, 6, 2, 8), done_h=2)
    seed(db_url, [long, june])
    with session_scope(db_url) as session:
        source = service.Source.from_db(session, AUGUST.start, AUGUST.end)
    assert [o.id for o in source.data.orders] == ["long"]
    wait = KPI_FUNCTIONS["install_wait_hours"](source.data.orders, AUGUST, KpiSettings())
    assert (wait.numerator, wait.denominator, wait.value) == (Decimal(1057), 1, Decimal(1057))
    timely = KPI_FUNCTIONS["install_timeliness"](source.data.orders, AUGUST, KpiSettings())
    assert (timely.numerator, timely.denominator) == (Decimal(0), 1)


def test_never_dispatched_orders_count_in_their_areas_group_and_branch(db_url: str) -> None:
    """Two orders never dispatched (area a2, created 3 and 4 August) and one of t1 dispatched after 10
    minutes: the centre's KPI is 1/3 for the branch b1, 0/2 for g2 (the unassigned orders' area)
    and 1/1 for g1; overdue reminders put the open orders under (unassigned) for technicians."""
    orders = [
        order("n1", created=dt.datetime(2026, 8, 3, 10), respond_min=None, done_h=None, tech=None),
        order("n2", created=dt.datetime(2026, 8, 4, 10), respond_min=None, done_h=None, tech=None),
        order("ok", created=dt.datetime(2026, 8, 5, 10), respond_min=10, done_h=2, tech="t1"),
    ]
    orders = [o.model_copy(update={"area_id": "a2" if o.id != "ok" else "a1"}) for o in orders]
    seed(db_url, orders)
    with session_scope(db_url) as session:
        source = service.Source.from_db(session, AUGUST.start, AUGUST.end)

    def cells(unit: UnitKind, kpi: str) -> dict[str, tuple[Decimal, int]]:
        report = service.table_report(source, unit, "month", ["2026-08"], names=[kpi])
        return {r["unit_id"]: (Decimal(r["numerator"]), r["denominator"]) for r in report["rows"]}

    assert cells(UnitKind.BRANCH, "dispatch_response") == {"b1": (Decimal(1), 3)}
    assert cells(UnitKind.REGION_GROUP, "dispatch_response") == {"g1": (Decimal(1), 1), "g2": (Decimal(0), 2)}
    assert cells(UnitKind.TECHNICIAN, "overdue_reminders")[UNASSIGNED] == (Decimal(2), 2)


def test_unplaceable_order_is_reported_not_dropped() -> None:
    """An unassigned order in an area nobody owns, with two branches on the staff, cannot be placed:
    it shows under (unassigned) in the branch table rather than vanishing."""
    stray = order("s", created=dt.datetime(2026, 8, 3, 10), respond_min=None, done_h=None, tech=None)
    techs = [technician("t1", "g1", "b1"), technician("t2", "g2", "b2")]
    rows = kpi_table([stray], UnitKind.BRANCH, "month", ["2026-08"], technicians=techs,
                     names=["dispatch_response"])
    assert [(r.unit_id, r.denominator) for r in rows] == [(UNASSIGNED, 1)]


@st.composite
def mixed_orders(draw: st.DrawFn) -> list:
    out = []
    for i in range(draw(st.integers(1, 12))):
        created = dt.datetime(2026, 8, 1) + dt.timedelta(minutes=draw(st.integers(0, 29 * 24 * 60)))
        tech = draw(st.sampled_from([None, "t1", "t2", "s1"]))
        respond = None if tech is None else draw(st.integers(1, 90))
        done = None if respond is None else draw(st.none() | st.sampled_from([2, 30]))
        o = order(f"o{i}", draw(st.sampled_from(list(OrderType))), created=created, respond_min=respond,
                  done_h=done, tech=tech, satisfaction=draw(st.none() | st.integers(1, 5)))
        out.append(o.model_copy(update={"area_id": draw(st.sampled_from(["a1", "a2"]))}))
    return out


@settings(max_examples=60, deadline=None)
@given(mixed_orders())
def test_every_level_adds_up_to_the_same_orders(orders: list) -> None:
    """For every KPI, the denominators over all technicians (with (unassigned)), over all region groups
    and over all branches are the same orders: none vanishes between levels."""
    techs = [technician("t1", "g1"), technician("t2", "g2"), technician("s1", None)]
    techs = [t.model_copy(update={"home_area_id": {"t1": "a1", "t2": "a2"}.get(t.id)}) for t in techs]
    by_level = {}
    for unit in UnitKind:
        rows = kpi_table(orders, unit, "month", ["2026-08"], technicians=techs,
                         names=list(KPI_FUNCTIONS))
        by_level[unit] = {
            k: sorted(i for r in rows if r.kpi == k for i in r.order_ids) for k in KPI_FUNCTIONS
        }
    assert by_level[UnitKind.TECHNICIAN] == by_level[UnitKind.REGION_GROUP] == by_level[UnitKind.BRANCH]
