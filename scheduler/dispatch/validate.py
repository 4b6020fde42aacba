"""Solver-independent checks: a finished plan or route set is recomputed from the input alone.

Nothing here imports a solver. Each check returns :class:`Violation` records naming the record,
the rule and the values, so a test (or a user) sees why a plan is wrong, not just that it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.dispatch.solomon import SolomonInstance


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: which rule, which record, what was found."""

    rule: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.record}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class SolomonCheck:
    """Result of :func:`validate_solomon`: violations and the DIMACS distance recomputed."""

    violations: list[Violation]
    distance_tenths: int
    vehicles: int

    @property
    def ok(self) -> bool:
        """True when every hard rule holds."""
        return not self.violations

    @property
    def distance(self) -> float:
        """Total DIMACS distance recomputed from coordinates."""
        return self.distance_tenths / 10


def validate_solomon(instance: SolomonInstance, routes: list[list[int]]) -> SolomonCheck:
    """Check a Solomon route set: capacity, time windows, each customer once, fleet size.

    Distances are recomputed from the coordinates under DIMACS (each arc ``floor(10·d)/10``, also
    its travel time); all arithmetic is in integer tenths so no rounding can hide a violation.
    Service may start no earlier than the ready time (waiting allowed) and no later than the due
    date; every vehicle must be back at the depot by the depot's due date.
    """
    v: list[Violation] = []
    n = instance.num_clients
    d = instance.tenths
    cust = instance.customers
    non_empty = [r for r in routes if r]
    if len(non_empty) > instance.vehicles:
        v.append(Violation("fleet_size", instance.name,
                           f"{len(non_empty)} routes used, fleet size is {instance.vehicles}"))
    seen: dict[int, int] = {}
    total = 0
    for k, route in enumerate(non_empty):
        load = 0
        t = 10 * instance.depot.ready
        prev = 0
        for c in route:
            if not 1 <= c <= n:
                v.append(Violation("known_customer", f"route {k}", f"customer {c} is not in 1..{n}"))
                continue
            if c in seen:
                v.append(Violation("each_customer_once", f"customer {c}",
                                   f"visited on route {seen[c]} and again on route {k}"))
            seen[c] = k
            total += d[prev][c]
            t = max(t + d[prev][c], 10 * cust[c].ready)
            if t > 10 * cust[c].due:
                v.append(Violation("time_window", f"customer {c}",
                                   f"service starts at {t / 10} after due date {cust[c].due} (route {k})"))
            t += 10 * cust[c].service
            load += cust[c].demand
            prev = c
        total += d[prev][0]
        t += d[prev][0]
        if t > 10 * instance.depot.due:
            v.append(Violation("depot_due", f"route {k}",
                               f"returns at {t / 10} after the depot due date {instance.depot.due}"))
        if load > instance.capacity:
            v.append(Violation("capacity", f"route {k}", f"load {load} exceeds capacity {instance.capacity}"))
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        v.append(Violation("each_customer_once", instance.name,
                           f"{len(missing)} customer(s) never visited: {missing[:10]}"))
    return SolomonCheck(v, total, len(non_empty))
