"""Pool = forecast orders × standard hours + travel; quotas = ⌈pool ÷ productive minutes⌉ with a minimum."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from timepool_factories import areas, forecast, obs

from timepool.domain import Forecast, ForecastCell, Pool, PoolDay, Quotas, SkillQuotas, StandardParams
from timepool.pool import build_pool
from timepool.quotas import daily_quotas, heads_for_minutes
from timepool.standards import compute_standards
from vocabulary.errors import InputErrors
from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType

START = dt.date(2026, 6, 1)


def _table():  # type: ignore[no-untyped-def]
    """Install/1: 60 min urban and rural (no allowance); travel urban 15, rural 40; repair/1 urban 30."""
    data = [obs(f"U{i}", onsite_min=50.0, paperwork_min=10.0, travel_min=15.0) for i in range(3)]
    data += [
        obs(f"R{i}", onsite_min=50.0, paperwork_min=10.0, travel_min=40.0, area_type=AreaType.RURAL)
        for i in range(3)
    ]
    data += [obs(f"P{i}", order_type=OrderType.REPAIR, onsite_min=25.0, paperwork_min=5.0) for i in range(3)]
    return compute_standards(data, StandardParams(allowance=0.0))


def test_pool_is_orders_times_standard_plus_travel() -> None:
    """G1 (two urban areas, 10 orders each): 20 × 60 + 20 × 15 = 1500 min.

    G2 (one rural area): 10 × (60 + 40) = 1000 min.
    """
    pool = build_pool(forecast(10.0, days=1), _table(), areas())
    by = {d.region_group_id: d for d in pool.days}
    assert (by["G1"].work_min, by["G1"].travel_min, by["G1"].total_min) == pytest.approx((1200, 300, 1500))
    assert by["G2"].total_min == pytest.approx(1000)


def test_remote_resolution_removes_repair_visits() -> None:
    """30 % of repairs resolved remotely: 10 repair orders → 7 visits × (30 + 15) min."""
    fc = Forecast(cells=[ForecastCell(area_id="A1", day=START, order_type=OrderType.REPAIR, orders=10)])
    pool = build_pool(fc, _table(), areas(), remote_resolution_share=0.3)
    g1 = next(d for d in pool.days if d.region_group_id == "G1")
    assert (g1.orders, g1.visits, g1.total_min) == pytest.approx((10, 7, 7 * 45))


def test_missing_cell_falls_back_and_says_so() -> None:
    """Rural repairs were never observed: the repair/1 standard over all area types is used, with a note."""
    fc = Forecast(cells=[ForecastCell(area_id="A3", day=START, order_type=OrderType.REPAIR, orders=1)])
    pool = build_pool(fc, _table(), areas())
    assert any("repair/1/rural" in n for n in pool.notes)
    assert next(d for d in pool.days if d.region_group_id == "G2").work_min == pytest.approx(30)


def test_unknown_area_and_unobserved_type_are_errors() -> None:
    """Orders in an unknown area, or of a type with no observations at all, are named problems."""
    fc = Forecast(
        cells=[
            ForecastCell(area_id="ZZ", day=START, order_type=OrderType.INSTALL, orders=1),
            ForecastCell(area_id="A1", day=START, order_type=OrderType.MOVE, orders=1),
        ]
    )
    with pytest.raises(InputErrors) as info:
        build_pool(fc, _table(), areas())
    assert {(p.field, p.value) for p in info.value.problems} == {("area_id", "ZZ"), ("order_type", "move")}


def test_quota_is_ceiling_of_pool_over_productive_minutes() -> None:
    """1500 min / 420 → 4 heads; 1000 → 3; exactly 840 → 2 (not 3)."""
    quotas = daily_quotas(build_pool(forecast(10.0, days=2), _table(), areas()), 420, 1)
    assert isinstance(quotas, Quotas) and quotas.groups == ("G1", "G2")
    assert quotas.heads("G1", START) == 4 and quotas.days == (START, START + dt.timedelta(days=1))
    assert quotas["G1"] == {START: 4, START + dt.timedelta(days=1): 4}
    assert quotas["G2"][START] == 3
    assert heads_for_minutes(840.0000000001, 420) == 2


def test_minimum_heads_for_coverage() -> None:
    """A quiet day still gets the coverage minimum (per group when given as a mapping)."""
    pool = build_pool(forecast(0.0, days=1), _table(), areas())
    assert daily_quotas(pool, 420, 2) == {"G1": {START: 2}, "G2": {START: 2}}
    assert daily_quotas(pool, 420, {"G1": 3}) == {"G1": {START: 3}, "G2": {START: 0}}


def test_bad_productive_minutes() -> None:
    """Zero productive minutes is refused."""
    with pytest.raises(ValueError, match="productive minutes"):
        heads_for_minutes(10, 0)


@settings(max_examples=60, deadline=None)
@given(
    base=st.floats(0, 50), extra=st.floats(0, 50), productive=st.integers(60, 600), floor=st.integers(0, 3)
)
def test_more_forecast_orders_never_lower_the_quota(
    base: float, extra: float, productive: int, floor: int
) -> None:
    """Monotone: adding orders to a forecast never lowers any group's quota on any day."""
    table = _table()
    q1 = daily_quotas(build_pool(forecast(base, days=2), table, areas()), productive, floor)
    q2 = daily_quotas(build_pool(forecast(base + extra, days=2), table, areas()), productive, floor)
    for g, days in q1.items():
        for d, heads in days.items():
            assert q2[g][d] >= heads


def test_daily_quotas_on_hand_built_pool() -> None:
    """The roster's entry point works on any Pool: group → date → heads."""
    pool = Pool(
        days=[
            PoolDay(
                region_group_id="G9",
                branch_id="B1",
                day=START,
                orders=3,
                visits=3,
                work_min=400,
                travel_min=50,
            )
        ]
    )
    assert daily_quotas(pool, 420, 1) == {"G9": {START: 2}}


class _Carrier(BaseModel):
    quotas: Quotas | None = None
    skills: SkillQuotas = SkillQuotas()


def test_quotas_are_an_immutable_value_with_a_json_form() -> None:
    """Quotas read by group and day, compare by content, cannot be changed through a view, and cross
    JSON (and pydantic models) as {group: {YYYY-MM-DD: heads}} and back unchanged."""
    day2 = START + dt.timedelta(days=1)
    quotas = Quotas({"G2": {day2: 1, START: 0}, "G1": {START: 3}})
    assert list(quotas.cells()) == [("G1", START, 3), ("G2", START, 0), ("G2", day2, 1)]
    assert quotas.has("G2", START) and not quotas.has("G1", day2)  # 0 heads is a quota; absent is none
    with pytest.raises(KeyError, match="G1"):
        quotas.heads("G1", day2)
    with pytest.raises(TypeError):
        quotas["G1"][START] = 9  # type: ignore[index]
    plain = quotas.to_dict()
    plain["G1"][START] = 9
    assert quotas.heads("G1", START) == 3 and Quotas(plain) != quotas
    assert quotas.to_json() == {"G1": {"2026-06-01": 3}, "G2": {"2026-06-01": 0, "2026-06-02": 1}}
    assert Quotas.from_json(quotas.to_json()) == quotas and hash(Quotas(quotas.to_dict())) == hash(quotas)
    carried = _Carrier(quotas=quotas)
    assert carried.model_dump(mode="json")["quotas"] == quotas.to_json()
    assert _Carrier.model_validate_json(carried.model_dump_json()) == carried


def test_bad_quotas_are_refused_naming_the_cell() -> None:
    """A day that is not a date or heads that are not whole numbers are refused where they are."""
    with pytest.raises(ValueError, match=r"quotas\[G1\].*'2026-13-01'"):
        Quotas.from_json({"G1": {"2026-13-01": 2}})
    with pytest.raises(TypeError, match=r"quotas\[G1\]\[2026-06-01\]"):
        Quotas({"G1": {START: 2.5}})  # type: ignore[dict-item]
    with pytest.raises(ValidationError) as info:
        _Carrier.model_validate({"quotas": {"G1": {"2026-06-01": "many"}}})
    assert info.value.errors()[0]["loc"] == ("quotas", "G1", "2026-06-01")


def test_skill_quotas_read_by_group_skill_and_day() -> None:
    """Skill quotas: group → skill → day → heads, in order, through the same JSON form."""
    skills = SkillQuotas({"G1": {"iptv": {START: 1}, "fibre_splicing": {START: 2}}})
    assert skills.skills("G1") == ("fibre_splicing", "iptv") and skills.skills("G9") == ()
    assert skills.heads("G1", "fibre_splicing", START) == 2
    assert list(skills.cells()) == [("G1", "fibre_splicing", START, 2), ("G1", "iptv", START, 1)]
    carried = _Carrier(skills={"G1": {"iptv": {"2026-06-01": 1}}})  # type: ignore[arg-type]
    assert carried.skills == SkillQuotas({"G1": {"iptv": {START: 1}}})
