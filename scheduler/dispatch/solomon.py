"""The Solomon VRPTW benchmark: instance data and the DIMACS distance convention.

Kept apart from the day-plan domain: the benchmark is a yardstick for the routing engines, and its
data (integer coordinates, speed 1, tenths of a unit) has nothing to do with work orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class SolomonCustomer:
    """One row of the ``CUSTOMER`` table; number 0 is the depot."""

    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class SolomonInstance:
    """A Solomon VRPTW instance: fleet size, capacity and the customer table (depot first)."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[SolomonCustomer, ...]

    @property
    def depot(self) -> SolomonCustomer:
        """The depot (customer 0); its due date is the horizon."""
        return self.customers[0]

    @property
    def num_clients(self) -> int:
        """Number of customers without the depot."""
        return len(self.customers) - 1

    @cached_property
    def tenths(self) -> list[list[int]]:
        """Arc distance (= travel time) in tenths of a unit under DIMACS: ``floor(10·d)``, exact integers."""
        return [[dimacs_tenths(a, b) for b in self.customers] for a in self.customers]


def dimacs_tenths(a: SolomonCustomer, b: SolomonCustomer) -> int:
    """``floor(10·euclid(a, b))`` computed exactly for integer coordinates.

    The DIMACS convention truncates each arc to one decimal, so every arc is an exact number of
    tenths; ``isqrt(100·(dx²+dy²))`` gives that number without floating-point error.
    """
    dx, dy = a.x - b.x, a.y - b.y
    if float(dx).is_integer() and float(dy).is_integer():
        return math.isqrt(int(100 * (dx * dx + dy * dy)))
    return math.floor(10 * math.hypot(dx, dy) + 1e-9)


def dimacs_distance(a: SolomonCustomer, b: SolomonCustomer) -> float:
    """One arc's DIMACS distance, ``floor(10·d)/10``."""
    return dimacs_tenths(a, b) / 10
