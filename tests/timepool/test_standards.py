"""Standard hours: normal time × rating, allowances, outliers, sample adequacy, intervals, provenance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timepool_factories import obs, study

from timepool.domain import AllowanceConvention, OutlierRule, StandardParams
from timepool.standards import (
    ObservationArrays,
    aggregate_province,
    allowance_factor,
    compute_standards,
    compute_standards_arrays,
    standard_time,
    standards_by_branch,
    stopwatch_sample_size,
    work_sampling_sample_size,
)
from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType

NO_ALLOWANCE = StandardParams(allowance=0.0)


# --- textbook worked examples -------------------------------------------------------------------


def test_textbook_standard_time_both_conventions() -> None:
    """Stevenson's time-study example: OT 1.2 min, rating 118 %, A = 15 %.

    NT = 1.2 × 1.18 = 1.416; allowance on job time ST = 1.416 × 1.15 = 1.6284;
    allowance as a share of the workday ST = 1.416 / 0.85 = 1.66588.
    """
    assert standard_time(1.2, 118, 0.15, AllowanceConvention.ON_NORMAL_TIME) == pytest.approx(1.6284)
    assert standard_time(1.2, 118, 0.15, AllowanceConvention.SHARE_OF_WORKDAY) == pytest.approx(1.416 / 0.85)


def test_table_applies_rating_and_allowance_per_observation() -> None:
    """A cell of five cycles averaging 1.2 min at 118 % gives the same standard as the textbook."""
    cycles = [1.1, 1.2, 1.3, 1.2, 1.2]
    table = compute_standards(
        [obs(f"O{i}", onsite_min=x, paperwork_min=0.0, rating_pct=118.0) for i, x in enumerate(cycles)],
        StandardParams(allowance=0.15),
    )
    (cell,) = table.cells
    assert cell.mean_normal_min == pytest.approx(1.416)
    assert cell.standard_min == pytest.approx(1.6284)


def test_stopwatch_formula_worked_example() -> None:
    """n' = (40·√(n·Σx² − (Σx)²)/Σx)²: ten cycles 7,8,7,9,8,7,8,9,7,8 → Σx=78, Σx²=614 → n' = 14.73 → 15."""
    xs = [7, 8, 7, 9, 8, 7, 8, 9, 7, 8]
    assert stopwatch_sample_size(xs) == pytest.approx((40 * math.sqrt(56) / 78) ** 2)
    assert math.ceil(stopwatch_sample_size(xs)) == 15
    table = compute_standards(
        [obs(f"O{i}", onsite_min=float(x), paperwork_min=0.0) for i, x in enumerate(xs)]
    )
    (cell,) = table.cells
    assert (cell.required_n, cell.more_needed, cell.adequate) == (15, 5, False)


def test_work_sampling_formula_worked_example() -> None:
    """n = z²·p(1 − p)/e²: p = 0.5, ±5 %, 95 % → 1.96²·0.25/0.0025 = 384.1 → 385 (the classic figure)."""
    assert work_sampling_sample_size(0.5, 0.05, 0.95) == 385
    assert work_sampling_sample_size(0.2, 0.05, 0.95) == math.ceil(1.959964**2 * 0.16 / 0.0025)


def test_adequate_cell_needs_no_more() -> None:
    """Identical-ish cycles need few observations: the cell is adequate and more_needed is 0."""
    table = compute_standards([obs(f"O{i}", onsite_min=50 + (i % 2) * 0.5) for i in range(12)])
    assert table.cells[0].adequate and table.cells[0].more_needed == 0


def test_confidence_interval_on_every_standard() -> None:
    """Every cell with ≥ 2 observations has an interval around its standard (t-interval × allowance)."""
    table = compute_standards(study(400, seed=3))
    for c in table.cells:
        assert c.ci_low_min is not None and c.ci_high_min is not None
        assert c.ci_low_min < c.standard_min < c.ci_high_min


def test_single_observation_cell_has_no_interval_and_unknown_adequacy() -> None:
    """One observation: no interval, sample adequacy unknown (never claimed adequate)."""
    (cell,) = compute_standards([obs()]).cells
    assert cell.ci_low_min is None and cell.required_n is None and not cell.adequate


# --- allowance conventions ------------------------------------------------------------------------


def test_allowance_factor_rejects_out_of_range() -> None:
    """An allowance of 100 % or more is refused (÷ (1 − A) would blow up)."""
    with pytest.raises(ValueError, match="allowance"):
        allowance_factor(1.0, AllowanceConvention.SHARE_OF_WORKDAY)


@given(a=st.floats(0, 0.6), b=st.floats(0, 0.6), conv=st.sampled_from(list(AllowanceConvention)))
def test_larger_allowance_never_lowers_a_standard(a: float, b: float, conv: AllowanceConvention) -> None:
    """Monotone in A, for both conventions; and share-of-workday ≥ on-normal-time for the same A."""
    lo, hi = sorted((a, b))
    data = [obs(f"O{i}", onsite_min=40.0 + 3 * i) for i in range(6)]
    s_lo = compute_standards(data, StandardParams(allowance=lo, convention=conv)).cells[0].standard_min
    s_hi = compute_standards(data, StandardParams(allowance=hi, convention=conv)).cells[0].standard_min
    assert s_hi >= s_lo
    assert allowance_factor(hi, AllowanceConvention.SHARE_OF_WORKDAY) >= allowance_factor(
        hi, AllowanceConvention.ON_NORMAL_TIME
    )


# --- outliers -------------------------------------------------------------------------------------


def test_mad_rule_sets_aside_a_planted_outlier_with_its_reason() -> None:
    """A 300-minute job among ~60-minute ones is set aside and reported, never silently dropped."""
    data = [obs(f"O{i}", onsite_min=55.0 + i) for i in range(10)] + [obs("BIG", onsite_min=300.0)]
    table = compute_standards(data, NO_ALLOWANCE)
    (cell,) = table.cells
    assert [a.observation_id for a in table.set_aside_rows() if a.quantity == "normal_min"] == ["BIG"]
    aside = table.set_aside_rows()[0]
    assert aside.reason.startswith("mad rule") and "> 3.5" in aside.reason
    assert (cell.n_observed, cell.n_used, cell.n_set_aside) == (11, 10, 1)
    assert cell.mean_normal_min == pytest.approx(np.mean([65.0 + i for i in range(10)]))


def test_mad_rule_exact_modified_z_in_reason() -> None:
    """Values 10,11,12,13,14 and 40 (all rating 100, no paperwork): median 12.5, MAD 1.5 →
    z(40) = 0.6745·27.5/1.5 = 12.37 (set aside); z(14) = 0.67 (kept)."""
    data = [obs(f"O{v}", onsite_min=float(v), paperwork_min=0.0) for v in (10, 11, 12, 13, 14, 40)]
    table = compute_standards(data, NO_ALLOWANCE)
    work = [a for a in table.set_aside_rows() if a.quantity == "normal_min"]
    assert [a.observation_id for a in work] == ["O40"]
    assert "= 12.37 > 3.5" in work[0].reason


def test_clean_data_sets_nothing_aside() -> None:
    """Without outliers nothing is set aside (feasible case of the rule)."""
    data = [obs(f"O{i}", onsite_min=60.0 + i, travel_min=15.0 + i % 3) for i in range(10)]
    assert compute_standards(data).set_aside == []


def test_mad_zero_falls_back_to_mean_absolute_deviation() -> None:
    """Most values equal (MAD 0): the mean-absolute-deviation scale still flags a far value, named so."""
    data = [obs(f"O{i}", onsite_min=60.0, paperwork_min=0.0) for i in range(8)] + [
        obs("F", onsite_min=200.0, paperwork_min=0.0)
    ]
    table = compute_standards(data, NO_ALLOWANCE)
    work = [a for a in table.set_aside_rows() if a.quantity == "normal_min"]
    assert [a.observation_id for a in work] == ["F"] and "meanAD" in work[0].reason


def test_iqr_rule_tukey_fences() -> None:
    """IQR rule: 1..8 and 30: Q1 = 3, Q3 = 7, upper fence 13 → 30 set aside, 8 kept."""
    data = [obs(f"O{v}", onsite_min=float(v), paperwork_min=0.0) for v in (1, 2, 3, 4, 5, 6, 7, 8, 30)]
    table = compute_standards(data, StandardParams(allowance=0.0, outlier_rule=OutlierRule.IQR))
    work = [a for a in table.set_aside_rows() if a.quantity == "normal_min"]
    assert [a.observation_id for a in work] == ["O30"]
    assert "Q3 + 1.5·IQR = 13" in work[0].reason


def test_travel_is_screened_and_standardised_per_area_type() -> None:
    """Travel gets its own unrated standard per area type; a 4-hour travel is set aside."""
    data = [obs(f"O{i}", travel_min=20.0 + i, rating_pct=120.0) for i in range(10)] + [
        obs("JAM", travel_min=240.0)
    ]
    table = compute_standards(data)
    (travel,) = table.travel
    assert travel.area_type == AreaType.URBAN and travel.n_set_aside == 1
    assert travel.travel_min == pytest.approx(np.mean([20.0 + i for i in range(10)]))
    assert any(a.observation_id == "JAM" and a.quantity == "travel_min" for a in table.set_aside_rows())


# --- invariants -----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.integers(5, 400), min_size=3, max_size=25),
    k=st.sampled_from([0.5, 1.5, 2.0, 3.0, 7.25, 0.1, 60.0]),
    rule=st.sampled_from(list(OutlierRule)),
)
def test_scaling_observations_by_k_scales_the_standard_by_k(
    values: list[int], k: float, rule: OutlierRule
) -> None:
    """Scale-invariant outlier rules: the same observations are set aside and every standard scales by k."""
    params = StandardParams(outlier_rule=rule)
    data = [
        obs(f"O{i}", onsite_min=float(v), paperwork_min=float(v % 7), travel_min=float(v % 13))
        for i, v in enumerate(values)
    ]
    scaled = [
        o.model_copy(
            update={
                "onsite_min": o.onsite_min * k,
                "paperwork_min": o.paperwork_min * k,
                "travel_min": o.travel_min * k,
            }
        )
        for o in data
    ]
    a, b = compute_standards(data, params), compute_standards(scaled, params)
    assert [x.observation_id for x in a.set_aside_rows()] == [x.observation_id for x in b.set_aside_rows()]
    for ca, cb in zip(a.cells, b.cells, strict=True):
        assert cb.standard_min == pytest.approx(k * ca.standard_min, rel=1e-9)
        assert cb.required_n == ca.required_n
    assert b.travel[0].travel_min == pytest.approx(k * a.travel[0].travel_min, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("rule", list(OutlierRule))
def test_numpy_path_equals_pure_python_path(rule: OutlierRule) -> None:
    """The vectorised path gives exactly the reference table (same arithmetic, same order)."""
    data = study(1500, seed=11) + [
        obs("OUT1", onsite_min=900.0, order_type=OrderType.REPAIR, difficulty=2),
        obs("OUT2", travel_min=600.0, area_type=AreaType.RURAL),
    ]
    params = StandardParams(outlier_rule=rule)
    ref = compute_standards(data, params, scope="B1")
    fast = compute_standards_arrays(ObservationArrays.from_observations(data), params, scope="B1")
    assert fast.model_dump() == ref.model_dump()


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(1, 500, allow_nan=False).map(lambda v: round(v, 1)), min_size=1, max_size=40),
    rule=st.sampled_from(list(OutlierRule)),
)
def test_numpy_equals_python_on_random_cells(values: list[float], rule: OutlierRule) -> None:
    """Equality of both paths holds on arbitrary small cells too (ties, MAD = 0, tiny n)."""
    data = [obs(f"O{i}", onsite_min=v, order_type=list(OrderType)[i % 3]) for i, v in enumerate(values)]
    params = StandardParams(outlier_rule=rule)
    assert (
        compute_standards_arrays(ObservationArrays.from_observations(data), params).model_dump()
        == compute_standards(data, params).model_dump()
    )


def test_digest_does_not_depend_on_input_order_but_on_content() -> None:
    """Provenance: the same observations in another order → same digest; one changed minute → new one."""
    data = study(50, seed=2)
    a = compute_standards(data)
    assert compute_standards(list(reversed(data))).observations_sha256 == a.observations_sha256
    changed = [data[0].model_copy(update={"onsite_min": data[0].onsite_min + 1}), *data[1:]]
    assert compute_standards(changed).observations_sha256 != a.observations_sha256
    assert a.observation_ids == sorted(o.id for o in data) and a.method_version.startswith(
        "timepool.standards/"
    )


def test_province_is_weighted_by_observations_and_pools_the_spread() -> None:
    """Province mean = Σ nᵦ·meanᵦ / Σ nᵦ; its sd is the sd of the union of the kept observations."""
    b1 = [obs(f"X{i}", branch_id="B1", onsite_min=50.0 + i, paperwork_min=0.0) for i in range(10)]
    b2 = [obs(f"Y{i}", branch_id="B2", onsite_min=80.0 + 2 * i, paperwork_min=0.0) for i in range(4)]
    tables = standards_by_branch(b1 + b2, NO_ALLOWANCE)
    prov = aggregate_province(list(tables.values()), "Anhui")
    (cell,) = prov.cells
    union = [50.0 + i for i in range(10)] + [80.0 + 2 * i for i in range(4)]
    assert cell.mean_normal_min == pytest.approx(np.mean(union))
    assert cell.sd_normal_min == pytest.approx(np.std(union, ddof=1))
    assert cell.n_used == 14 and prov.sources == ["B1", "B2"] and prov.scope == "province:Anhui"
    assert len(prov.observation_ids) == 14


def test_province_refuses_mixed_methods() -> None:
    """Tables made with different allowances cannot be averaged."""
    t1 = compute_standards([obs("A")], StandardParams(allowance=0.1), scope="B1")
    t2 = compute_standards([obs("B")], StandardParams(allowance=0.2), scope="B2")
    with pytest.raises(ValueError, match="other method parameters"):
        aggregate_province([t1, t2], "Anhui")
