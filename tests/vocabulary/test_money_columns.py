"""The column forms of the rounding rule give exactly what :func:`to_fen` gives, amount by amount."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vocabulary.money import decimal_units, to_fen, to_fen_many, to_fen_scaled

INT64 = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
#: finite decimals of every shape: many digits, ties at the half fen, negative, exponents either way
AMOUNTS = st.decimals(
    min_value=Decimal(-(10**12)), max_value=Decimal(10**12), allow_nan=False, allow_infinity=False
) | st.builds(lambda units, places: Decimal(units).scaleb(-places), INT64, st.integers(0, 12))


@given(st.lists(AMOUNTS, max_size=50))
def test_to_fen_many_equals_to_fen_element_wise(amounts: list[Decimal]) -> None:
    """to_fen_many(column) == [to_fen(a) for a in column], for any finite amounts."""
    assert to_fen_many(amounts) == [to_fen(a) for a in amounts]


def test_to_fen_many_rounds_half_up_and_refuses_floats() -> None:
    """Ties go away from zero as in to_fen; a float in the column is refused like to_fen does."""
    assert to_fen_many([Decimal("1.005"), Decimal("-1.005"), Decimal("1.004999")]) == [101, -101, 100]
    with pytest.raises(TypeError):
        to_fen_many([Decimal(1), 1.5])  # type: ignore[list-item]


@given(st.lists(INT64, max_size=50), st.integers(-25, 20))
def test_to_fen_scaled_equals_to_fen_of_the_exact_decimal(units: list[int], exponent: int) -> None:
    """to_fen_scaled(u, e)[i] == to_fen(u[i] × 10**e) exactly, or it refuses (never a wrong fen)."""
    column = np.asarray(units, dtype=np.int64)
    try:
        fen = to_fen_scaled(column, exponent).tolist()
    except OverflowError:
        return
    assert fen == [to_fen(Decimal(u).scaleb(exponent)) for u in units]


@given(st.lists(st.integers(-(10**15), 10**15), max_size=50), st.integers(-18, 0))
def test_to_fen_scaled_takes_amounts_of_the_pricing_range(units: list[int], exponent: int) -> None:
    """Units up to 10**15 with up to 18 decimal places are rounded, not refused."""
    fen = to_fen_scaled(np.asarray(units, dtype=np.int64), exponent).tolist()
    assert fen == [to_fen(Decimal(u).scaleb(exponent)) for u in units]


def test_to_fen_scaled_ties_go_away_from_zero() -> None:
    """0.005 → 1 fen, −0.005 → −1 fen, 0.015 → 2 fen, 0.004 → 0 (half-up, as ROUNDING)."""
    fen = to_fen_scaled(np.asarray([5, -5, 15, 4, -4, 0], dtype=np.int64), -3).tolist()
    assert fen == [1, -1, 2, 0, 0, 0]


@given(st.lists(AMOUNTS, max_size=30))
def test_decimal_units_are_the_exact_values(values: list[Decimal]) -> None:
    """values[i] == units[i] × 10**exponent exactly, with one exponent <= 0 for the column."""
    units, exponent = decimal_units(values)
    assert exponent <= 0
    assert [Fraction(u) * Fraction(10) ** exponent for u in units] == [Fraction(v) for v in values]


def test_decimal_units_refuse_what_is_not_finite() -> None:
    """NaN and infinity have no integer form."""
    with pytest.raises(ValueError, match="not a finite amount"):
        decimal_units([Decimal(1), Decimal("NaN")])
    with pytest.raises(ValueError, match="not a finite amount"):
        decimal_units([Decimal("-Infinity")])
