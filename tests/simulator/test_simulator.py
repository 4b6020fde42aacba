"""The operations simulator: conservation, physical and roster invariants, determinism, a
hand-checked day, and small-area contracts against rolling dispatch on an overloaded area."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.dispatch.domain import DispatchOrder
from simulator.arrivals import draw_orders, draw_sick, profile_from_city
from simulator.domain import MODELS, ReplicationResult, SimOrder, SimParams
from simulator.outcomes import ENDS, visits_overlap
from simulator.rostering import fixed_roster, rolling_roster
from simulator.runner import mean_ci95, simulate
from simulator.world import PROFILE_SCALE, demo_city, hand_world, world_from_city
from vocabulary.orders import CustomerGrade, OrderType
from vocabulary.organisation import Location, OperatingModel
from vocabulary.staff import Technician

DAY = dt.date(2026, 6, 1)
FAST = {"plan_seconds": 0.5, "plan_group_seconds": 0.05}


def _tech(tid: str, group: str, area: str) -> Technician:
    return Technician(
        id=tid,
        name=tid,
        branch_id="B",
        region_group_id=group,
        home_area_id=area,
        post_grade="T2",
        start_date=dt.date(2020, 1, 1),
    )


def _repair(oid: str, area: str, at: dt.datetime, loc: Location, minutes: int = 40) -> SimOrder:
    order = DispatchOrder(
        id=oid,
        order_type=OrderType.REPAIR,
        area_id=area,
        location=loc,
        customer_grade=CustomerGrade.ORDINARY,
        created=at,
        deadline=at + dt.timedelta(hours=24),
        duration_min=40,
    )
    return SimOrder(order=order, actual_min=minutes)


@pytest.fixture(scope="module")
def demo_runs() -> tuple[list[ReplicationResult], list[ReplicationResult]]:
    """Every model, twice, on one 8-day replication of the demo city's first region group."""
    city = demo_city()
    world = world_from_city(city, technicians=5)
    params = SimParams(start=DAY, days=8, scale=0.3, roster_seconds=2, **FAST)
    profile = profile_from_city(city, [a.id for a in world.areas], PROFILE_SCALE)
    orders = draw_orders(profile, world, params, seed=7, replication=0)
    sick = draw_sick([t.id for t in world.technicians], DAY, params.days, 0.05, seed=7, replication=0)
    roster = rolling_roster(world.technicians, DAY, params.days, seconds=2, seed=7)
    first = [simulate(world, roster, orders, sick, params, m) for m in MODELS]
    again = [simulate(world, roster, orders, sick, params, OperatingModel.ROLLING_GROUP)]
    return first, again


def test_every_order_arrives_once_and_ends_once(
    demo_runs: tuple[list[ReplicationResult], list[ReplicationResult]],
) -> None:
    """Conservation: arrived = completed (incl. remote) + cancelled + partner + open, for every model,
    and every model sees the same arrivals (common random numbers)."""
    first, _ = demo_runs
    arrived = {r.model: r.outcomes["orders_arrived"] for r in first}
    assert len(set(arrived.values())) == 1 and next(iter(arrived.values()))
    for r in first:
        o = r.outcomes
        assert set(r.ends.values()) <= set(ENDS)
        assert len(r.ends) == o["orders_arrived"]
        assert o["orders_arrived"] == (
            (o["orders_completed"] or 0)
            + (o["orders_cancelled"] or 0)
            + (o["orders_to_partners"] or 0)
            + (o["orders_open_at_end"] or 0)
        )
        arrivals = [e for e in r.events if e[3] == "arrived"]
        assert len(arrivals) == len({e[1] for e in arrivals}) == o["orders_arrived"]
        visited = sum(1 for e in r.events if e[3] == "order_completed")
        assert visited == (o["orders_completed"] or 0) - (o["orders_remote"] or 0)


def test_no_technician_is_in_two_places_at_once(
    demo_runs: tuple[list[ReplicationResult], list[ReplicationResult]],
) -> None:
    """A technician's visits of a day never overlap."""
    for r in demo_runs[0]:
        assert r.visits
        for tech, day, visits in r.visits:
            assert not visits_overlap(visits), (r.model, tech, day)


def test_nobody_works_on_a_rostered_rest_day(
    demo_runs: tuple[list[ReplicationResult], list[ReplicationResult]],
) -> None:
    """Visits happen only on days the roster gives the technician a shift and he is not sick; every
    technician rests at least one day in every 7."""
    for r in demo_runs[0]:
        off = {(t, d) for t, d, cell, _ in r.roster if cell in ("rest", "leave", "sick")}
        assert off
        for tech, day, _ in r.visits:
            assert (tech, day) not in off
        assert (r.outcomes["min_rest_days_in_any_7"] or 0) >= 1


def test_same_seed_same_replication(
    demo_runs: tuple[list[ReplicationResult], list[ReplicationResult]],
) -> None:
    """Determinism: the same seed gives the same outcomes and event log."""
    first, again = demo_runs
    rolling = next(r for r in first if r.model == OperatingModel.ROLLING_GROUP)
    assert rolling.outcomes == again[0].outcomes
    assert rolling.events == again[0].events


def test_hand_checked_day() -> None:
    """Two technicians, one day, three repairs at their areas' centres (no travel), standard minutes:
    R1 (06:00, area A1) and R2 (07:10, A2) are planned at 07:30 to their owners and done 08:00–08:40;
    R3 (10:00, A1) is inserted at once to T1 and done 10:00–10:40. First response: R1 waited 90 min."""
    a1, a2 = Location(lat=31.80, lon=117.20), Location(lat=31.81, lon=117.21)
    world = hand_world(
        "B", [("A1", "G1", a1), ("A2", "G1", a2)], [_tech("T1", "G1", "A1"), _tech("T2", "G1", "A2")]
    )
    at = dt.datetime.combine(DAY, dt.time())
    orders = [
        _repair("R1", "A1", at + dt.timedelta(hours=6), a1),
        _repair("R2", "A2", at + dt.timedelta(hours=7, minutes=10), a2),
        _repair("R3", "A1", at + dt.timedelta(hours=10), a1),
    ]
    roster = fixed_roster({"T1": ["D"], "T2": ["D"]}, DAY)
    params = SimParams(start=DAY, days=1, sick_rate=0, suspend_rate=0, duration_sigma=0, **FAST)
    r = simulate(world, roster, orders, set(), params, OperatingModel.ROLLING_GROUP)
    o = r.outcomes
    assert (o["orders_arrived"], o["orders_completed"], o["orders_open_at_end"]) == (3, 3, 0)
    assert o["repair_timeliness"] == 1.0
    assert o["first_response_30min"] == pytest.approx(2 / 3, abs=1e-6)
    assert o["overtime_hours"] == 0
    assert o["workload_cv"] == pytest.approx(1 / 3)  # T1 80 busy minutes, T2 40
    visits = {t: v for t, _, v in r.visits}

    def t(h: int, m: int) -> dt.datetime:
        return at + dt.timedelta(hours=h, minutes=m)

    assert visits["T1"] == [(t(8, 0), t(8, 40), "R1"), (t(10, 0), t(10, 40), "R3")]
    assert visits["T2"] == [(t(8, 0), t(8, 40), "R2")]


def test_small_area_contract_is_worse_than_rolling_on_an_overloaded_area() -> None:
    """One group of three; area A1 gets 20 repairs a day (more than a shift), A2 and A3 two each.
    Under a small-area contract only A1's owner takes them; rolling dispatch spreads them: measured
    repair timeliness is lower under the contract."""
    locs = {f"A{i}": Location(lat=31.80 + 0.005 * i, lon=117.20) for i in (1, 2, 3)}
    world = hand_world(
        "B",
        [(a, "G1", loc) for a, loc in locs.items()],
        [_tech(f"T{i}", "G1", f"A{i}") for i in (1, 2, 3)],
    )
    orders = []
    for d in range(3):
        midnight = dt.datetime.combine(DAY + dt.timedelta(days=d), dt.time())
        for area, n in (("A1", 20), ("A2", 2), ("A3", 2)):
            for k in range(n):
                at = midnight + dt.timedelta(minutes=45 * k + 7 * int(area[1]))
                orders.append(_repair(f"R{d}{area}{k:02d}", area, at, locs[area]))
    roster = fixed_roster({f"T{i}": ["D"] * 3 for i in (1, 2, 3)}, DAY)
    params = SimParams(start=DAY, days=3, sick_rate=0, suspend_rate=0, duration_sigma=0, **FAST)
    contract = simulate(world, roster, orders, set(), params, OperatingModel.SMALL_AREA_CONTRACT)
    rolling = simulate(world, roster, orders, set(), params, OperatingModel.ROLLING_GROUP)
    assert rolling.outcomes["repair_timeliness"] is not None
    assert contract.outcomes["repair_timeliness"] is not None
    assert contract.outcomes["repair_timeliness"] < rolling.outcomes["repair_timeliness"]
    assert (contract.outcomes["orders_open_at_end"] or 0) > (rolling.outcomes["orders_open_at_end"] or 0)


def test_mean_and_interval() -> None:
    """Student-t 95 % interval: mean ± t(0.975, n−1)·s/√n; one value has no interval."""
    s = mean_ci95([1.0, 2.0, 3.0])
    assert s.mean == 2.0 and s.ci95 is not None
    assert s.ci95[1] - 2.0 == pytest.approx(4.302653 * 1.0 / 3**0.5, rel=1e-5)
    assert mean_ci95([5.0]).ci95 is None
