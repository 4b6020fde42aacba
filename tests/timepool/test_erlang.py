"""Erlang C and Erlang A: published worked examples, exact special cases, stability and sizing rules."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson
from typer.testing import CliRunner

from timepool.cli import size_app
from timepool.erlang import (
    SizingError,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    gross_up,
    size_erlang_a,
    size_erlang_c,
)


def _erlang_c_direct(n: int, a: float) -> float:
    """Textbook closed form: (aᴺ/N!·N/(N−a)) / (Σₖ₌₀ᴺ⁻¹ aᵏ/k! + aᴺ/N!·N/(N−a))."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_erlang_b_table_value() -> None:
    """Erlang B tables: 5 Erlangs offered to 10 lines → 1.84 % blocked."""
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-6)


def test_classic_call_centre_example() -> None:
    """100 calls per 30 min, AHT 180 s, 80 % answered in 20 s (a = 10 Erlangs).

    13 agents give SL 0.7956 (< 80 %); 14 agents: P(wait) = 0.1741, SL = 1 − 0.1741·e^(−4·20/180) = 0.8884,
    occupancy 71.4 %, average speed of answer 0.1741·180/4 = 7.8 s (computed by hand from the formula;
    the same figures as the widely used "Erlang C made simple" walkthrough).
    """
    result = size_erlang_c(100, 30, 3, 0.8, 20 / 60)
    assert result.raw_agents == 14
    assert result.wait_probability == pytest.approx(0.1741, abs=1e-4)
    assert result.service_level == pytest.approx(0.8884, abs=1e-4)
    assert result.occupancy == pytest.approx(10 / 14)
    assert result.average_wait_minutes * 60 == pytest.approx(7.8, abs=0.05)
    assert erlang_c_metrics(13, 100 / 30, 3, 1 / 3).service_level == pytest.approx(0.7956, abs=1e-4)


def test_second_walkthrough_example() -> None:
    """The other common walkthrough: 360 calls per half hour, 4 min each, 55 agents, 15 s target.

    Traffic 48 Erlangs, occupancy 87.3 %, P(wait) 0.2387, ASA 8.2 s, service level 84.6 %
    (recomputed here by hand from the closed form, not copied from a tool).
    """
    m = erlang_c_metrics(55, 360 / 30, 4, 0.25)
    assert m.load_erlangs == pytest.approx(48)
    assert m.occupancy == pytest.approx(0.8727, abs=1e-4)
    assert m.wait_probability == pytest.approx(_erlang_c_direct(55, 48.0), rel=1e-10)
    assert m.wait_probability == pytest.approx(0.2387, abs=1e-4)
    assert m.average_wait_minutes * 60 == pytest.approx(8.18, abs=0.01)
    assert m.service_level == pytest.approx(0.8459, abs=1e-4)


@pytest.mark.parametrize(("n", "a"), [(2, 1.0), (14, 10.0), (30, 25.5), (55, 48.0)])
def test_recursion_equals_closed_form(n: int, a: float) -> None:
    """The stable Erlang B recursion gives the textbook closed form of Erlang C."""
    assert erlang_c(n, a) == pytest.approx(_erlang_c_direct(n, a), rel=1e-10)


def test_large_load_is_stable() -> None:
    """At 5,000 Erlangs (aᴺ/N! overflows a float) the recursion still gives a probability in (0, 1)."""
    pw = erlang_c(5100, 5000.0)
    assert 0 < pw < 1
    result = size_erlang_c(5000 * 30, 30 * 60, 60, 0.8, 1)
    assert result.raw_agents > 5000 and result.service_level >= 0.8


def test_occupancy_cap_adds_agents() -> None:
    """Infeasible at 14 agents under a 70 % occupancy cap (71.4 %): 15 are needed."""
    assert size_erlang_c(100, 30, 3, 0.8, 1 / 3, max_occupancy=0.70).raw_agents == 15


def test_shrinkage_grosses_up_exactly() -> None:
    """positions = ⌈raw ÷ (1 − shrinkage)⌉ without float noise: 14 ÷ 0.7 = 20 exactly, not 21."""
    assert gross_up(14, 0.3) == 20
    assert gross_up(14, 0.31) == 21
    assert size_erlang_c(100, 30, 3, 0.8, 1 / 3, shrinkage=0.3).positions == 20


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrivals": 0},
        {"target_service_level": 1.0},
        {"handle_minutes": -1},
        {"max_occupancy": 0},
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float]) -> None:
    """Zero arrivals, a 100 % target, negative handling, zero occupancy cap: a named error."""
    args = {
        "arrivals": 100,
        "interval_minutes": 30,
        "handle_minutes": 3,
        "target_service_level": 0.8,
        "target_minutes": 1 / 3,
    } | kwargs
    with pytest.raises(SizingError):
        size_erlang_c(**args)


def test_erlang_a_with_patience_equal_to_service_is_poisson() -> None:
    """θ = μ: M/M/N+M is M/M/∞ in the number present, so P(wait) = P(Poisson(a) ≥ N) exactly."""
    m = erlang_a_metrics(12, 10 / 3, 3, 3, 1 / 3)
    assert m.wait_probability == pytest.approx(1 - poisson.cdf(11, 10), rel=1e-9)
    expected_queue = sum((k - 12) * poisson.pmf(k, 10) for k in range(13, 80))
    assert m.abandon_probability == pytest.approx(expected_queue / 10, rel=1e-6)


def test_erlang_a_tends_to_erlang_c_for_patient_customers() -> None:
    """Patience → ∞: Erlang A → Erlang C (classic example, 14 agents)."""
    a = erlang_a_metrics(14, 100 / 30, 3, 1e6, 1 / 3)
    c = erlang_c_metrics(14, 100 / 30, 3, 1 / 3)
    assert a.wait_probability == pytest.approx(c.wait_probability, abs=1e-4)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-4)


def test_erlang_a_handles_overload() -> None:
    """More load than agents is stable with abandonment (Erlang C would refuse)."""
    m = erlang_a_metrics(8, 10 / 3, 3, 2, 1)
    assert 0 < m.abandon_probability < 1 and m.occupancy <= 1
    with pytest.raises(SizingError):
        erlang_c(8, 10.0)


def test_erlang_a_faults_started_within_four_hours() -> None:
    """Repair sizing: 30 faults per 8-hour day, 90 min each, patience 10 h, 95 % started within 4 h."""
    r = size_erlang_a(30, 480, 90, 600, 0.95, 240)
    assert r.service_level >= 0.95
    below = erlang_a_metrics(r.raw_agents - 1, 30 / 480, 90, 600, 240)
    assert below.service_level < 0.95


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 30), load=st.floats(0.5, 25), patience=st.floats(1, 200))
def test_erlang_a_service_level_rises_with_agents(n: int, load: float, patience: float) -> None:
    """One more agent never lowers the service level."""
    rate = load / 3
    assert (
        erlang_a_metrics(n + 1, rate, 3, patience, 1).service_level
        >= erlang_a_metrics(n, rate, 3, patience, 1).service_level - 1e-12
    )


def test_cli_contract_erlang_c_json() -> None:
    """The fixed command prints raw_agents, positions, service_level, wait_probability, occupancy."""
    result = CliRunner().invoke(
        size_app,
        [
            "erlang-c",
            "--arrivals",
            "100",
            "--interval-minutes",
            "30",
            "--handle-minutes",
            "3",
            "--target-service-level",
            "0.8",
            "--target-minutes",
            "0.3333333333",
            "--max-occupancy",
            "0.9",
            "--shrinkage",
            "0.3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["raw_agents"], data["positions"]) == (14, 20)
    assert data["service_level"] == pytest.approx(0.8884, abs=1e-4)
    assert data["wait_probability"] == pytest.approx(0.1741, abs=1e-4)
    assert data["occupancy"] == pytest.approx(10 / 14)


def test_cli_erlang_a_and_bad_input() -> None:
    """erlang-a prints the abandonment too; a bad target exits 2 with the reason."""
    ok = CliRunner().invoke(
        size_app,
        [
            "erlang-a",
            "--arrivals",
            "30",
            "--interval-minutes",
            "480",
            "--handle-minutes",
            "90",
            "--patience-minutes",
            "600",
            "--target-service-level",
            "0.95",
            "--target-minutes",
            "240",
            "--json",
        ],
    )
    assert ok.exit_code == 0 and "abandon_probability" in json.loads(ok.output)
    bad = CliRunner().invoke(
        size_app,
        [
            "erlang-c",
            "--arrivals",
            "100",
            "--interval-minutes",
            "30",
            "--handle-minutes",
            "3",
            "--target-service-level",
            "1.5",
            "--target-minutes",
            "1",
            "--json",
        ],
    )
    assert bad.exit_code == 2 and "target service level" in bad.output
