"""Money: integer fen in storage, ``Decimal`` in computation, never float.

One rounding rule is named here and used everywhere a computed amount becomes fen:
:data:`ROUNDING` (half-up to the fen, i.e. to 0.01 CNY).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import repeat
from operator import mul
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
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


def to_fen_many(amounts: Iterable[Decimal]) -> list[int]:
    """:func:`to_fen` of every amount of a column (equal to it element by element).

    The same operations as :func:`to_fen`, in C-level ``map`` passes instead of a Python call per
    amount: the month-wide pricing rounds some 150,000 amounts a month. The unbound
    ``Decimal.quantize`` refuses anything but a :class:`~decimal.Decimal` (``TypeError``).
    """
    quantized = map(Decimal.quantize, amounts, repeat(_FEN), repeat(ROUNDING))
    return list(map(int, map(mul, quantized, repeat(FEN_PER_YUAN))))


def decimal_units(values: Sequence[Decimal]) -> tuple[list[int], int]:
    """Exact integer form of a column of decimals: ``values[i] == units[i] × 10**exponent``.

    ``exponent`` is the smallest exponent of the values (at most 0), so every unit is an integer;
    this is how :class:`~decimal.Decimal` itself holds a value (coefficient and exponent).

    Raises
    ------
    ValueError
        If a value is not finite (NaN or infinity has no integer form).
    """
    exponents: list[int] = []
    for value in values:
        places = value.as_tuple().exponent
        if not isinstance(places, int):  # 'n', 'N' or 'F': NaN or infinity
            raise ValueError(f"not a finite amount: {value!r}")
        exponents.append(places)
    exponent = min(0, min(exponents, default=0))
    scale = 10**-exponent
    # exact: value × scale is an integer, and as_integer_ratio is value's exact fraction
    units = [
        numerator * scale // denominator for numerator, denominator in map(Decimal.as_integer_ratio, values)
    ]
    return units, exponent


#: np.int64's largest value: integer fen columns stay within it
_INT64_MAX = int(np.iinfo(np.int64).max)


def to_fen_scaled(units: NDArray[np.int64], exponent: int) -> NDArray[np.int64]:
    """:func:`to_fen` of the amounts ``units × 10**exponent`` yuan, in exact integer arithmetic.

    Equal element by element to ``to_fen(Decimal(u).scaleb(exponent))``: both round the exact
    value ``u × 10**(exponent + 2)`` fen to a whole fen with :data:`ROUNDING` (half-up: ties away
    from zero). For a column of amounts given as integers (quantity and factors in
    :func:`decimal_units` form) this is a few numpy passes instead of ~1 µs of Decimal work per
    amount.

    Raises
    ------
    OverflowError
        If a result or an intermediate value would not fit in int64 (use :func:`to_fen_many`).
    """
    if ROUNDING != ROUND_HALF_UP:  # the integer form below is half-up's; another rule needs its own
        raise NotImplementedError(f"integer rounding for {ROUNDING}")
    largest = max(-int(units.min()), int(units.max())) if units.size else 0
    shift = exponent + 2  # u × 10**exponent yuan = u × 10**shift fen
    if largest > _INT64_MAX:  # -int64.min has no int64 magnitude
        raise OverflowError("amount units beyond int64")
    if shift >= 0:
        if largest * 10**shift > _INT64_MAX:
            raise OverflowError("amount in fen beyond int64")
        scaled: np.ndarray[Any, np.dtype[np.int64]] = units * 10**shift
        return scaled
    divisor = 10**-shift
    if divisor > _INT64_MAX:
        raise OverflowError(f"amounts of 10**{exponent} yuan: divisor beyond int64")
    whole, rest = np.divmod(np.abs(units), divisor)
    # half-up: up when the rest is at least half the divisor (rest >= divisor - rest: no overflow)
    rounded = whole + (rest >= divisor - rest)
    signed: np.ndarray[Any, np.dtype[np.int64]] = np.where(units < 0, -rounded, rounded)
    return signed


def fen_to_yuan(fen: int) -> Decimal:
    """Exact yuan value of an integer fen amount."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(_FEN)


def format_yuan(fen: int) -> str:
    """Human display: ``123456`` → ``'1234.56'``."""
    return f"{fen_to_yuan(fen):.2f}"
