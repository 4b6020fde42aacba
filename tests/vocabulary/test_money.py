"""Money is integer fen in storage and Decimal in computation; floats are refused."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from vocabulary.money import Fen, NonNegativeFen, fen_to_yuan, format_yuan, to_fen, yuan


class _Priced(BaseModel):
    price: Fen
    wage: NonNegativeFen = 0


def test_half_up_rounding_to_the_fen() -> None:
    """The one rounding rule is half-up at 0.01 CNY, also for negative amounts (away from zero)."""
    assert to_fen(Decimal("1.005")) == 101
    assert to_fen(Decimal("1.004999")) == 100
    assert to_fen(Decimal("-1.005")) == -101
    assert to_fen(Decimal("2175.00")) == 217500


def test_floats_are_refused_everywhere() -> None:
    """A float never becomes money: not in models, not in parsing, not in rounding."""
    with pytest.raises(ValidationError, match="float"):
        _Priced(price=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        yuan(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=">= 0"):
        _Priced(price=1, wage=-1)


def test_yuan_parsing_and_display() -> None:
    """Strings parse exactly; display has two decimals."""
    assert yuan("12.34") == Decimal("12.34")
    assert format_yuan(123456) == "1234.56"
    with pytest.raises(ValueError, match="not an amount"):
        yuan("12,34")


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_fen_round_trip(fen: int) -> None:
    """Converting fen to yuan and back is the identity."""
    assert to_fen(fen_to_yuan(fen)) == fen
