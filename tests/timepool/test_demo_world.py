"""The demo's work study and its order histories are one world, and its headcount is plausible.

Tolerances (stated in the README): per order type, the standards' normal time weighted by the month's
difficulty mix is within 3 % of the histories' mean start → completion span (the observations are
~1,100 jobs: the sampling error of a type's mean is ~1.5 %); per order type and difficulty within
10 % (22–55 observations per cell). The standard itself is the normal time × (1 + allowance): the 15 %
allowance is time the histories do not record per order (breaks, waiting at the door, delays).
"""

from __future__ import annotations

import datetime as dt
import inspect
import statistics
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from fieldcrew.demo import DemoCity, generate_city
from timepool import cli
from timepool.domain import (
    DEFAULT_PRODUCTIVE_MINUTES,
    DEFAULT_REMOTE_SHARE,
    AreaInfo,
    BranchRequest,
    EmployedBasis,
    Forecast,
    ForecastCell,
    ShrinkagePolicy,
    StaffCounts,
    StandardParams,
    StandardTable,
)
from timepool.headcount import assumptions, headcount
from timepool.pool import build_pool
from timepool.standards import standards
from vocabulary.orders import OrderStatus, OrderType
from vocabulary.staff import Employment

#: Who really did the demo month: the operator's 104 technicians (DOMAIN.md).
DID_IT = 104


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_city()


@pytest.fixture(scope="module")
def table(city: DemoCity) -> StandardTable:
    return standards(list(city.observations), scope=city.branch.id)


def history_spans(city: DemoCity) -> dict[tuple[OrderType, int], list[float]]:
    """Start → completion minutes of completed, never suspended orders, per order type and difficulty."""
    spans: dict[tuple[OrderType, int], list[float]] = defaultdict(list)
    for o in city.orders:
        if o.status != OrderStatus.COMPLETED or any(e.status == OrderStatus.SUSPENDED for e in o.history):
            continue
        started, done = o.time_of(OrderStatus.STARTED), o.time_of(OrderStatus.COMPLETED)
        assert started is not None and done is not None
        spans[(o.order_type, o.difficulty)].append((done - started).total_seconds() / 60)
    return spans


def normal_minutes(table: StandardTable, order_type: OrderType, difficulty: int) -> float:
    cells = [c for c in table.cells if c.order_type == order_type and c.difficulty == difficulty]
    return sum(c.n_used * c.mean_normal_min for c in cells) / sum(c.n_used for c in cells)


def test_standards_agree_with_the_histories(city: DemoCity, table: StandardTable) -> None:
    """Per order type (weighted by the month's difficulty mix) the normal time is within 3 % of the
    histories' mean span (it was 85.5/84.4/52.0 min of standard against 62.3/60.7/33.7, +37 % to
    +54 %, when paperwork was added on top); per type and difficulty within 10 %."""
    spans = history_spans(city)
    for order_type in OrderType:
        mine = {d: v for (t, d), v in spans.items() if t == order_type}
        history = statistics.mean(x for v in mine.values() for x in v)
        normal = sum(len(v) * normal_minutes(table, order_type, d) for d, v in mine.items()) / sum(
            len(v) for v in mine.values())
        assert abs(normal / history - 1) < 0.03, (order_type, normal, history)
        for d, v in mine.items():
            assert abs(normal_minutes(table, order_type, d) / statistics.mean(v) - 1) < 0.10, (order_type, d)


def test_paperwork_is_inside_the_span_and_the_allowance_outside(city: DemoCity, table: StandardTable) -> None:
    """Observed paperwork is a few minutes of the on-site span (4–6 at normal pace), not 11–17 on
    top; the standard is exactly normal × 1.15; travel standards are the histories' means by area
    type (12/18/30 minutes) within 10 %."""
    paper = statistics.mean(o.paperwork_min * o.rating_pct / 100 for o in city.observations)
    assert 3.5 < paper < 6.5
    assert all(abs(c.standard_min - c.mean_normal_min * 1.15) < 1e-9 for c in table.cells)
    for t in table.travel:
        expected = {"urban": 12.0, "suburban": 18.0, "rural": 30.0}[str(t.area_type)]
        assert abs(t.travel_min / expected - 1) < 0.10


def june_pool_inputs(city: DemoCity) -> tuple[Forecast, list[AreaInfo]]:
    """The demo month's own orders (not cancelled) as the forecast: its exact volume."""
    counts = Counter((o.area_id, o.created.date(), o.order_type, o.difficulty)
                     for o in city.orders if o.status != OrderStatus.CANCELLED)
    forecast = Forecast(cells=[ForecastCell(area_id=a, day=d, order_type=t, difficulty=k, orders=n)
                               for (a, d, t, k), n in sorted(counts.items())])
    areas = [AreaInfo(area_id=a.id, region_group_id=a.region_group_id, branch_id=city.branch.id,
                      area_type=a.area_type) for a in city.areas]
    return forecast, areas


def test_demo_headcount_is_plausible_for_its_volume(city: DemoCity, table: StandardTable) -> None:
    """~23,000 orders a month need 1.0–1.6 × the 104 technicians who did them.

    Reasoning: the pool is the histories' own time (on-site spans + travel) plus the allowance on
    the on-site part; the 104 delivered it by working ~8.5 hours of order time on each of ~24 days
    (one rest day in five, no allowance); the plan's policy gives 7 productive hours a shift with the
    allowance, one rest day a week, leave and training (shrinkage 18.4 %). The ratio of the two is
    the headcount's ratio to 104; every number names the defaults that produced it.
    """
    forecast, areas = june_pool_inputs(city)
    pool = build_pool(forecast, table, areas)
    work_h = sum(d.work_min for d in pool.days) / 60
    travel_h = sum(d.travel_min for d in pool.days) / 60
    spans = history_spans(city)
    span_mean = {k: statistics.mean(v) for k, v in spans.items()}
    visited = Counter((o.order_type, o.difficulty) for o in city.orders if o.status != OrderStatus.CANCELLED)
    history_h = sum(n * span_mean[k] for k, n in visited.items()) / 60
    assert abs(work_h / 1.15 / history_h - 1) < 0.03  # the pool's work is the histories' spans + 15 %
    staff = StaffCounts(
        day=dt.date(2026, 6, 1),
        own_staff=Counter(t.region_group_id for t in city.technicians
                          if t.region_group_id and t.employment == Employment.OWN_STAFF),
        partners=Counter(t.region_group_id for t in city.technicians
                         if t.region_group_id and t.employment == Employment.PARTNER),
        support_team=sum(t.support_team for t in city.technicians),
    )
    hc = headcount(pool, DEFAULT_PRODUCTIVE_MINUTES, ShrinkagePolicy(), staff.employed())
    branch = next(r for r in hc.rows if r.unit.startswith("branch:"))
    assert DID_IT < branch.fte < Decimal("1.6") * DID_IT
    assert branch.employed == len(city.technicians) - staff.support_team == 100
    hours_per_day_done = (work_h / 1.15 + travel_h) / (DID_IT * 30 * (1 - 1 / 5))
    hours_per_day_policy = DEFAULT_PRODUCTIVE_MINUTES / 60 * (work_h / 1.15 + travel_h) / (work_h + travel_h)
    assert abs(float(branch.fte) / DID_IT - hours_per_day_done / hours_per_day_policy
               * (1 - 1 / 5) / (1 - float(ShrinkagePolicy().shrinkage))) < 0.05


def test_one_remote_share_default_everywhere() -> None:
    """quotas, headcount and what-if (CLI and API) default to the same remote share, 0."""
    request = BranchRequest(branch_id="B", start=dt.date(2026, 7, 1))
    assert DEFAULT_REMOTE_SHARE == 0.0 == request.remote_resolution_share
    for command in (cli.quotas_cmd, cli.headcount_cmd, cli.whatif_cmd):
        parameters = inspect.signature(command).parameters
        assert parameters["remote_share"].default == DEFAULT_REMOTE_SHARE
        assert parameters["productive_minutes"].default == DEFAULT_PRODUCTIVE_MINUTES


def test_staff_counts_say_what_is_counted() -> None:
    """Posted: own staff and partners per group; own_staff: partners left out; the support team never
    counts and the sentence says so with the numbers."""
    staff = StaffCounts(day=dt.date(2026, 7, 1), own_staff={"G1": 4, "G2": 5}, partners={"G2": 1, "G3": 2},
                        support_team=4)
    assert staff.employed() == {"G1": 4, "G2": 6, "G3": 2}
    assert staff.employed(EmployedBasis.OWN_STAFF) == {"G1": 4, "G2": 5}
    assert staff.describe() == ("9 own staff + 3 partners posted to region groups on 2026-07-01; support "
                                "team (4) not counted: it covers peaks and rest days branch-wide")
    assert "partners 3 not counted" in staff.describe(EmployedBasis.OWN_STAFF)


def test_assumptions_name_defaults_and_given_values() -> None:
    """Each assumption says its value, its default and whether it was given: remote share 0.2 given,
    the rest defaults; min_heads' default is the quota's 1 or the headcount's 0."""
    rows = {a.name: a for a in assumptions(StandardParams(), 0.2, 420, 1, ShrinkagePolicy(), "posted",
                                           "HF", min_heads_default=1)}
    assert (rows["remote_share"].value, rows["remote_share"].default, rows["remote_share"].given) == (
        "0.2", "0.0", True)
    assert not any(a.given for name, a in rows.items() if name != "remote_share")
    assert rows["allowance"].value == "0.15" and rows["rest_days_per_week"].value == "1"


def test_staff_counts_from_the_database(db_url: str) -> None:
    """Four own staff of G1, a partner of G1, a support-team member and one who left before the day:
    posted counts 5 in G1, own staff 4; the support team (1) is reported, the leaver is not counted."""
    from factories import seed_org, technician

    from fieldcrew import records
    from fieldcrew.db import session_scope
    from fieldcrew.tables import TechnicianRow
    from timepool.quotas import load_employed, load_staff_counts

    with session_scope(db_url) as session:
        seed_org(session)
        extra = [
            technician("P-1", employment=Employment.PARTNER),
            technician("S-1", region_group_id=None, home_area_id=None, support_team=True),
            technician("L-1", end_date=dt.date(2026, 5, 31)),
        ]
        session.add_all(TechnicianRow(**records.technician_row(t)) for t in extra)
    with session_scope(db_url) as session:
        staff = load_staff_counts(session, "B1", dt.date(2026, 7, 1))
        assert (staff.own_staff, staff.partners, staff.support_team) == ({"G1": 4}, {"G1": 1}, 1)
        assert load_employed(session, "B1", dt.date(2026, 7, 1)) == {"G1": 5}
        assert load_employed(session, "B1", dt.date(2026, 7, 1), EmployedBasis.OWN_STAFF) == {"G1": 4}


def test_cli_headcount_prints_its_assumptions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`pool headcount` lists every assumption with default or given, in text and JSON."""
    import json

    from timepool_factories import areas, forecast, study
    from typer.testing import CliRunner

    from timepool.io import write_rows

    obs_rows = [o.model_dump(mode="json") | {"observation_id": o.id} for o in study(300, seed=9)]
    for r in obs_rows:
        del r["id"]
    common = [
        "--observations", str(write_rows(tmp_path / "obs.csv", obs_rows)),
        "--areas", str(write_rows(tmp_path / "areas.csv", [a.model_dump(mode="json") for a in areas()])),
        "--forecast", str(write_rows(tmp_path / "f.csv", [
            c.model_dump(mode="json") | {"date": c.day.isoformat()} for c in forecast(6.0, days=7).cells])),
    ]
    runner = CliRunner()
    text = runner.invoke(cli.app, ["headcount", *common, "--remote-share", "0.2", "--employed", "G1=2"])
    assert text.exit_code == 0, text.output
    assert "remote_share = 0.2 (given;" in text.output
    assert "productive_minutes_per_shift = 420 (default;" in text.output
    assert "employed = given: G1=2" in text.output
    data = json.loads(runner.invoke(cli.app, ["quotas", *common, "--json"]).output)
    assert {a["name"]: a["given"] for a in data["assumptions"]}["remote_share"] is False
