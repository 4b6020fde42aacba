"""Pro-rata piece amounts priced month-wide in exact integers equal the Decimal pricing of piece_pay."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from unittest import mock

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from payroll_factories import policy

from payroll.compute import compute_month
from payroll.domain import PayInputs, PayOrder, PayTechnician, QualityRecord
from payroll.rules import quantity
from payroll.vectorised import _pro_rata_amounts
from vocabulary.money import to_fen
from vocabulary.orders import OrderType

#: paid shares as deduct_base_pro_rata makes them (6 places, half-up), 0 and other shapes too
SHARES = st.one_of(
    st.builds(
        lambda paid, done: quantity(Decimal(paid) / Decimal(done)), st.integers(0, 5000), st.just(5000)
    ),
    st.sampled_from([Decimal(0), Decimal(1), Decimal("0.5"), Decimal("0.50")]),
)
#: unit price × difficulty coefficient × quality multiplier × overtime multiplier, as piece_terms
FACTORS = st.builds(
    lambda rate, coefficient, grade, overtime: rate * coefficient * grade * overtime,
    st.decimals(min_value=0, max_value=1000, places=2),
    st.sampled_from([Decimal("1.0"), Decimal("1.2"), Decimal("1.5")]),
    st.sampled_from([Decimal("0.9"), Decimal("1.00"), Decimal("1.10"), Decimal("1.25")]),
    st.sampled_from([Decimal(1), Decimal("1.5"), Decimal("2"), Decimal("3")]),
)


@given(
    st.lists(SHARES, min_size=1, max_size=6),
    st.lists(FACTORS, min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(1, 200), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40),
)
def test_integer_amounts_equal_the_decimal_ones(
    shares: list[Decimal], factors: list[Decimal], groups: list[tuple[int, int, int]]
) -> None:
    """amount of group g == to_fen(Decimal(n) × share × factor), as piece_pay prices it."""
    groups = [(n, t % len(shares), f % len(factors)) for n, t, f in groups]
    sizes, tech, which = (np.asarray(column, dtype=np.int64) for column in zip(*groups, strict=True))
    amounts = _pro_rata_amounts(sizes, [shares[t] for t in tech.tolist()], which, factors)
    assert amounts == [to_fen(Decimal(n) * shares[t] * factors[f]) for n, t, f in groups]


def test_amounts_beyond_int64_are_left_to_decimal() -> None:
    """A product that could exceed int64 (or the Decimal precision) is not priced in integers."""
    one = np.asarray([0], dtype=np.int64)
    assert _pro_rata_amounts(one + 3, [Decimal("0.123456")], one, [Decimal(10**20)]) is None
    assert _pro_rata_amounts(one + 3, [Decimal("0.123456")], one, [Decimal("1.5")]) == [56]


def _month(seed: int) -> PayInputs:
    """Six technicians with 240 orders of every type and difficulty, some with their own minutes."""
    rng = random.Random(seed)
    techs = tuple(
        PayTechnician(f"t{i}", rng.choice(["T1", "T2", "H"]), dt.date(2020, 1, 1)) for i in range(6)
    )
    orders = tuple(
        PayOrder(
            f"o{i:03d}",
            rng.choice(techs).id,
            rng.choice(list(OrderType)),
            rng.randint(1, 3),
            dt.datetime(2026, 3, rng.randint(1, 31), rng.randint(8, 21)),
            rng.choice((None, rng.randint(10, 300))),
        )
        for i in range(240)
    )
    quality = tuple(QualityRecord(t.id, rng.choice("ABCD")) for t in techs)
    return PayInputs("2026-03", techs, orders, (), quality)


def test_fast_path_priced_with_decimal_equals_reference() -> None:
    """When the integer form declines, the Decimal column pricing gives the reference payslips too."""
    inputs = _month(7)
    pol = policy(base_deduction="pro_rata", base_workload_minutes=900)
    reference = json.dumps([p.to_dict() for p in compute_month(inputs, pol, vectorised=False)])
    with mock.patch("payroll.vectorised._pro_rata_amounts", return_value=None) as declined:
        fast = json.dumps([p.to_dict() for p in compute_month(inputs, pol)])
    assert declined.called
    assert fast == reference
    assert json.dumps([p.to_dict() for p in compute_month(inputs, pol)]) == reference
