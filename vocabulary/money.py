"""Money: integer fen in storage, ``Decimal`` in computation, never float.

One rounding rule is named here and used everywhere a computed amount becomes fen:
:data:`ROUNDING` (half-up to the fen, i.e. to 0.01 CNY).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

#: The one rounding rule: each pay line to 0.01 CNY, half-up.
ROUNDING = ROUND_HALF_UP
FEN_PER_YUAN = 100
_FEN = Decimal("0.01")


def _reject_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError("money must not be a float: give integer fen or a decimal string")
    return value


def _non_negative(value: int) -> int:
    if value < 0:
        raise ValueError("amount in fen must be >= 0")
    return value


#: An amount of money in integer fen (1 CNY = 100 fen). Floats are refused.
Fen = Annotated[int, BeforeValidator(_reject_float)]
NonNegativeFen = Annotated[int, BeforeValidator(_reject_float), AfterValidator(_non_negative)]


def yuan(value: str | int | Decimal) -> Decimal:
    """Parse an amount in yuan (``"12.34"``) exactly; floats are refused."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc


def to_fen(amount_yuan: Decimal) -> int:
    """Round an amount in yuan to whole fen with :data:`ROUNDING`."""
    if not isinstance(amount_yuan, Decimal):
        raise TypeError(f"expected Decimal, got {type(amount_yuan).__name__}")
    return int(amount_yuan.quantize(_FEN, rounding=ROUNDING) * FEN_PER_YUAN)


def fen_to_yuan(fen: int) -> Decimal:
    """Exact yuan value of an integer fen amount."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(_FEN)


def format_yuan(fen: int) -> str:
    """Human display: ``123456`` → ``'1234.56'``."""
    return f"{fen_to_yuan(fen):.2f}"
