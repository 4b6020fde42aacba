"""The data cut: figures that can still change are marked provisional; repeats per customer line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from quality_factories import order, technician

from quality import io
from quality.domain import KpiOrder, KpiSettings, UnitKind
from quality.kpis import KPI_FUNCTIONS, KPI_SETTLES, link_repeats
from quality.periods import month_window
from quality.table import kpi_table
from quality.validate import validate_records
from quality.warnings import escalations
from vocabulary.orders import OrderType, WorkOrder

MARCH = month_window("2026-03")


def on_line(o: WorkOrder, line: str | None = None, repeat_of: str | None = None) -> KpiOrder:
    return KpiOrder(**dict(o), customer_line_id=line, repeat_of=repeat_of)


def repairs() -> list[KpiOrder]:
    """f1 (line L1, t1) completed 5 March 10:00, repeated by r1 (L1, t2) created 20 March 09:00 (14.96 days);
    f2 (L2) completed 6 March 10:00, repeated by r2 (other line, repeat_of=f2) created 6 March 18:00 (same
    day); g (L3) completed 1 March 10:00, next report on L3 created 5 April 12:00 (35.1 days); q (L4)
    completed 25 March 10:00, no repeat yet. r1, r2 and the April report are repairs themselves."""
    at = dt.datetime
    return [
        on_line(order("f1", created=at(2026, 3, 5, 8), tech="t1"), "L1"),
        on_line(order("r1", created=at(2026, 3, 20, 9), tech="t2"), "L1"),
        on_line(order("f2", created=at(2026, 3, 6, 8)), "L2"),
        on_line(order("r2", created=at(2026, 3, 6, 18)), "L9", repeat_of="f2"),
        on_line(order("g", created=at(2026, 3, 1, 8)), "L3"),
        on_line(order("g2", created=at(2026, 4, 5, 12), done_h=None), "L3"),
        on_line(order("q", created=at(2026, 3, 25, 8)), "L4"),
    ]


def repeat(orders: list, **kw: Any):
    return KPI_FUNCTIONS["repeat_report_rate"](orders, MARCH, KpiSettings(**kw))


def test_repeats_per_customer_line_by_hand() -> None:
    """Repairs completed in March: f1 r1 f2 r2 g q = 6. Repeated within 30 days: f1 (r1, same line,
    14.96 days) and f2 (r2 names it, same day) → 2/6, linked to their repeat reports; g's next report
    came after 35.1 days: not within 30, within 40 (→ 3/6)."""
    result = repeat(repairs(), as_of=dt.datetime(2026, 6, 1))
    assert (result.numerator, result.denominator) == (Decimal(2), 6)
    assert result.links == {"f1": "r1", "f2": "r2"}
    assert repeat(repairs(), repeat_days=40, as_of=dt.datetime(2026, 6, 1)).numerator == 3


def test_repeat_of_another_technician_counts_for_the_repairer() -> None:
    """r1 is t2's order; the repeat is charged to t1, who repaired f1 (and f2, r2, g, q): t1's cell is
    2/5 with f1 → r1 among its links; t2's (r1 alone) is 0/1."""
    rows = kpi_table(repairs(), UnitKind.TECHNICIAN, "month", ["2026-03"], names=["repeat_report_rate"],
                     settings=KpiSettings(as_of=dt.datetime(2026, 6, 1)), technicians=[technician("t1"),
                                                                                         technician("t2")])
    cells = {r.unit_id: r for r in rows}
    assert (cells["t1"].numerator, cells["t1"].denominator) == (Decimal(2), 5)
    assert cells["t1"].links == {"f1": "r1", "f2": "r2"}
    assert (cells["t2"].numerator, cells["t2"].denominator) == (Decimal(0), 1)


def test_provisional_until_the_repeats_have_had_their_days() -> None:
    """Data taken 10 April: the March repeat rate settles on 1 May (30 days after the month), so it is
    provisional; q (completed 25 March) and r1 (20 March), without a repeat, completed less than 30
    days before the cut, are pending; r2 completed 6 March 20:00, 35 days before: settled. Timeliness
    settled at 1 April."""
    cut = dt.datetime(2026, 4, 10)
    result = repeat(repairs(), as_of=cut)
    assert result.provisional and result.settles_at == dt.datetime(2026, 5, 1)
    assert result.pending == 2  # q and r1
    timely = KPI_FUNCTIONS["repair_timeliness"](repairs(), MARCH, KpiSettings(as_of=cut))
    assert not timely.provisional and timely.settles_at == MARCH.end
    final = repeat(repairs(), as_of=dt.datetime(2026, 5, 1))
    assert not final.provisional and final.pending == 0


def test_settle_times_of_each_kind_by_hand() -> None:
    """March: callbacks settle 7 days after (8 April), the centre's KPI 30 centre minutes after the
    month (1 April 08:00, the centre opens 07:30), the technician's 30 field minutes (08:30)."""
    s = KpiSettings()
    assert KPI_SETTLES["callback_skill"](MARCH, s) == dt.datetime(2026, 4, 8)
    assert KPI_SETTLES["dispatch_response"](MARCH, s) == dt.datetime(2026, 4, 1, 8)
    assert KPI_SETTLES["technician_response"](MARCH, s) == dt.datetime(2026, 4, 1, 8, 30)
    assert KPI_SETTLES["first_response_30min"](MARCH, s) == dt.datetime(2026, 4, 1, 0, 30)


def test_old_files_read_as_before_and_new_columns_round_trip() -> None:
    """A record without the new columns reads with none of them; one with them keeps them through a
    flat record; a line id of 65 characters is reported with its row and field."""
    base = {"id": "a", "order_type": "repair", "created": "2026-03-02 08:00", "technician_id": "t1",
            "dispatched_at": "2026-03-02 08:10", "started_at": "2026-03-02 09:00",
            "completed_at": "2026-03-02 10:00"}
    (old,) = validate_records([base]).orders
    assert isinstance(old, KpiOrder) and old.customer_line_id is None and not old.contacts_recorded
    new = validate_records([base | {"customer_line_id": "0551-1234", "repeat_of": "x"}]).orders[0]
    again = validate_records([io.order_record(new)]).orders[0]
    assert isinstance(again, KpiOrder) and (again.customer_line_id, again.repeat_of) == ("0551-1234", "x")
    bad = validate_records([base | {"customer_line_id": "9" * 65}], file="o.csv")
    assert [(p.row, p.field) for p in bad.problems] == [(2, "customer_line_id")]
    assert bad.orders[0].left_out_of == frozenset({"repeat_report_rate"})  # type: ignore[union-attr]


def test_escalation_names_the_repeat_order() -> None:
    """f1's escalation says which order repeated it and after how long."""
    cut = KpiSettings(as_of=dt.datetime(2026, 6, 1))
    found = {e.order_id: e for e in escalations(repairs(), "2026-03", cut)}
    assert "repeat fault: order r1 after 15.0 day(s)" in found["f1"].detail


@st.composite
def month_orders(draw: st.DrawFn) -> list:
    out = []
    for i in range(draw(st.integers(1, 10))):
        created = dt.datetime(2026, 3, 1) + dt.timedelta(minutes=draw(st.integers(0, 30 * 24 * 60)))
        respond = draw(st.none() | st.integers(1, 60))
        done = None if respond is None else draw(st.none() | st.sampled_from([2, 20]))
        o = order(f"o{i}", draw(st.sampled_from(list(OrderType))), created=created, respond_min=respond,
                  done_h=done, satisfaction=draw(st.none() | st.integers(1, 5)))
        out.append(on_line(o, draw(st.sampled_from(["L1", "L2", None]))))
    return out


@settings(max_examples=60, deadline=None)
@given(month_orders(), st.integers(0, 60 * 24), st.sampled_from(sorted(KPI_FUNCTIONS)))
def test_a_settled_figure_never_changes_with_later_records(orders: list, late_min: int, name: str) -> None:
    """A figure not marked provisional stays the same when records created after the cut are added
    (a later repair on the same line, an order of the next period): only provisional ones can move."""
    cut = KPI_SETTLES[name](MARCH, KpiSettings()) + dt.timedelta(minutes=late_min)
    s = KpiSettings(as_of=cut)
    before = KPI_FUNCTIONS[name](orders, MARCH, s)
    assert not before.provisional
    later = [on_line(order("late", created=cut, respond_min=5, done_h=1), "L1"),
             on_line(order("late2", OrderType.INSTALL, created=cut, respond_min=None, done_h=None), "L2")]
    after = KPI_FUNCTIONS[name]([*orders, *later], MARCH, s)
    assert (after.numerator, after.denominator) == (before.numerator, before.denominator)


def test_link_repeats_leaves_plain_orders_alone() -> None:
    """Without line ids or repeat_of, linking returns the orders unchanged."""
    plain = [order("a"), order("b")]
    assert link_repeats(plain) == plain


def test_cli_table_reports_the_cut_and_provisional_cells(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`kpi table --as-of` states the cut; cells that can still change say so, in JSON and as text."""
    import json

    from typer.testing import CliRunner

    from quality.cli import app

    path = io.write_rows([io.order_record(o) for o in repairs()], tmp_path / "o.csv")
    runner = CliRunner()
    args = ["table", "--orders", str(path), "--label", "2026-03", "--kpi", "repeat_report_rate"]
    report = json.loads(runner.invoke(app, [*args, "--as-of", "2026-04-10", "--json"]).output)
    assert report["as_of"] == "2026-04-10 00:00:00" and report["provisional"] == 2  # t1 and t2's cells
    assert all(r["provisional"] and r["settles_at"] == "2026-05-01 00:00:00" for r in report["rows"])
    text = runner.invoke(app, [*args, "--as-of", "2026-04-10"]).output
    assert "data taken (as of): 2026-04-10 00:00:00 (given); 2 provisional figure(s)" in text
    settled = json.loads(runner.invoke(app, [*args, "--as-of", "2026-05-01", "--json"]).output)
    assert settled["provisional"] == 0
