"""Solomon VRPTW solving: the benchmark yardstick of the routing engines.

Two engines read the same instance, with distances and times in exact integer tenths (DIMACS):

- ``pyvrp`` (default): PyVRP's iterated local search (hybrid genetic search lineage), a C++ core
  running on one thread. It reaches the benchmark goal (≤ 1.5 % mean gap at 5 s); see README.
- ``ortools``: OR-Tools routing with a time dimension, parallel cheapest insertion and guided local
  search: the engine of the day plans, kept here so the two can be compared on the same data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from scheduler.dispatch.solomon import SolomonInstance

Engine = Literal["pyvrp", "ortools"]


@dataclass(frozen=True)
class VrptwResult:
    """A Solomon solution: routes of customer numbers (depot omitted), its DIMACS distance."""

    instance: str
    routes: list[list[int]]
    distance_tenths: int
    seconds: float
    engine: str

    @property
    def distance(self) -> float:
        """Total distance under DIMACS (sum of arcs truncated to tenths)."""
        return self.distance_tenths / 10

    @property
    def vehicles(self) -> int:
        """Number of non-empty routes."""
        return sum(1 for r in self.routes if r)


def route_tenths(instance: SolomonInstance, routes: list[list[int]]) -> int:
    """Total distance in tenths of the routes (each from and back to the depot)."""
    d = instance.tenths
    total = 0
    for route in routes:
        prev = 0
        for c in route:
            total += d[prev][c]
            prev = c
        if route:
            total += d[prev][0]
    return total


def solve_vrptw(
    instance: SolomonInstance, seconds: float, seed: int = 0, engine: Engine = "pyvrp"
) -> VrptwResult:
    """Minimise total distance of a Solomon instance within ``seconds`` on one core.

    Parameters
    ----------
    instance
        The instance (see :func:`scheduler.dispatch.io.read_solomon`).
    seconds
        Wall-clock budget for the search (> 0).
    seed
        Random seed (runs are reproducible for a seed up to the time limit).
    engine
        ``"pyvrp"`` (default) or ``"ortools"``.
    """
    if seconds <= 0:
        raise ValueError(f"seconds={seconds} not understood; rule: the time limit must be > 0")
    t0 = time.perf_counter()
    if engine == "pyvrp":
        routes = _solve_pyvrp(instance, seconds, seed)
    elif engine == "ortools":
        routes = _solve_ortools(instance, seconds, seed)
    else:
        raise ValueError(f"engine={engine!r} not understood; rule: one of pyvrp, ortools")
    elapsed = time.perf_counter() - t0
    return VrptwResult(instance.name, routes, route_tenths(instance, routes), round(elapsed, 3), engine)


def _solve_pyvrp(instance: SolomonInstance, seconds: float, seed: int) -> list[list[int]]:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    d = instance.tenths
    m = Model()
    dep = instance.depot
    depot = m.add_depot(
        m.add_location(x=int(dep.x), y=int(dep.y)), tw_early=10 * dep.ready, tw_late=10 * dep.due
    )
    m.add_vehicle_type(
        num_available=instance.vehicles,
        capacity=instance.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=10 * dep.ready,
        tw_late=10 * dep.due,
    )
    for c in instance.customers[1:]:
        m.add_client(
            m.add_location(x=int(c.x), y=int(c.y)),
            delivery=c.demand,
            service_duration=10 * c.service,
            tw_early=10 * c.ready,
            tw_late=10 * c.due,
        )
    locs = m.locations
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, distance=d[i][j], duration=d[i][j])
    # Budget the whole call (model conversion included) so the reported seconds stay within S.
    budget = max(0.05, seconds - (time.perf_counter() - t0) - 0.2)
    res = m.solve(stop=MaxRuntime(budget), seed=seed, display=False, collect_stats=False)
    if not res.best.is_feasible():
        raise RuntimeError(f"{instance.name}: pyvrp found no feasible solution in {seconds}s")
    # Client activities carry the 0-based client index; customer numbers start at 1.
    return [[int(a.idx) + 1 for a in r if a.is_client()] for r in res.best.routes()]


def _solve_ortools(instance: SolomonInstance, seconds: float, seed: int) -> list[list[int]]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    d = instance.tenths
    n = len(instance.customers)
    manager = pywrapcp.RoutingIndexManager(n, instance.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    service = [10 * c.service for c in instance.customers]
    dist_cb = routing.RegisterTransitMatrix(d)
    time_cb = routing.RegisterTransitMatrix([[d[i][j] + service[i] for j in range(n)] for i in range(n)])
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    horizon = 10 * instance.depot.due
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for c in instance.customers[1:]:
        tdim.CumulVar(manager.NodeToIndex(c.number)).SetRange(10 * c.ready, 10 * c.due)
    demand_cb = routing.RegisterUnaryTransitVector([c.demand for c in instance.customers])
    routing.AddDimensionWithVehicleCapacity(
        demand_cb, 0, [instance.capacity] * instance.vehicles, True, "load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    params.number_of_solutions_to_collect = 1
    _ = seed  # OR-Tools routing search is deterministic for a given model
    sol = routing.SolveWithParameters(params)
    if sol is None:
        raise RuntimeError(f"{instance.name}: OR-Tools found no feasible solution in {seconds}s")
    routes: list[list[int]] = []
    for v in range(instance.vehicles):
        idx = routing.Start(v)
        route: list[int] = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            route.append(manager.IndexToNode(idx))
            idx = sol.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return routes
