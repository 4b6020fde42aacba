"""Replications of the demo branch under each operating model, on common random numbers, and their
summaries with 95 % confidence intervals."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from simulator import io
from simulator.arrivals import draw_orders, draw_sick, profile_from_city
from simulator.branch import BranchSimulation
from simulator.domain import (
    OUTCOMES,
    ModelSummary,
    OutcomeSummary,
    ReplicationResult,
    SimOrder,
    SimParams,
)
from simulator.executor import Executor, LocalExecutor
from simulator.outcomes import outcomes
from simulator.rostering import RosterPlan, rolling_roster
from simulator.world import CITY_SEED, PROFILE_SCALE, World, demo_city, world_from_city
from vocabulary.organisation import OperatingModel


class RunSpec(BaseModel):
    """One replication to run: every model on the same random numbers."""

    model_config = ConfigDict(frozen=True)

    params: SimParams
    models: tuple[OperatingModel, ...]
    seed: int = 0
    replication: int = Field(default=0, ge=0)
    technicians: int | None = Field(default=None, ge=1)
    city_seed: int = CITY_SEED
    #: write ``events.csv`` and ``roster.csv`` under this folder (None: none)
    events_dir: str | None = None


def simulate(
    world: World,
    roster: RosterPlan,
    orders: Sequence[SimOrder],
    sick: set[tuple[str, dt.date]],
    params: SimParams,
    model: OperatingModel,
    replication: int = 0,
) -> ReplicationResult:
    """Run one operating model over the period and collect its outcomes and logs."""
    sim = BranchSimulation(world, roster, orders, sick, params, model)
    sim.run()
    return ReplicationResult(
        model=model,
        replication=replication,
        outcomes=outcomes(sim),
        ends={oid: sim.ends.get(oid, "open") for oid in sim.history},
        events=[(e.at, e.order_id, e.technician_id, e.event) for e in sim.log],
        roster=[(c.technician_id, c.day, c.cell, c.group) for c in sim.roster_rows],
        visits=[(t, d, v) for (t, d), v in sorted(sim.visits.items())],
    )


def run_replication(spec: RunSpec) -> list[ReplicationResult]:
    """One replication of the demo branch: the same arrivals, durations, sick calls and roster for
    every model of ``spec.models``."""
    city = demo_city(spec.city_seed, PROFILE_SCALE)
    world = world_from_city(city, spec.technicians)
    profile = profile_from_city(city, [a.id for a in world.areas], PROFILE_SCALE)
    p = spec.params
    orders = draw_orders(profile, world, p, spec.seed, spec.replication)
    sick = draw_sick(
        [t.id for t in world.technicians], p.start, p.days, p.sick_rate, spec.seed, spec.replication
    )
    roster = rolling_roster(world.technicians, p.start, p.days, p.roster_seconds, seed=spec.seed)
    results = []
    for model in spec.models:
        result = simulate(world, roster, orders, sick, p, model, spec.replication)
        if spec.events_dir is not None:
            io.write_replication(result, Path(spec.events_dir))
        results.append(result.model_copy(update={"events": [], "visits": [], "roster": []}))
    return results


def run(
    params: SimParams,
    models: Sequence[OperatingModel],
    replications: int,
    seed: int = 0,
    technicians: int | None = None,
    events_dir: Path | None = None,
    executor: Executor | None = None,
) -> list[ModelSummary]:
    """Every replication (fanned out on ``executor``) and one summary per model."""
    specs = [
        RunSpec(
            params=params,
            models=tuple(models),
            seed=seed,
            replication=r,
            technicians=technicians,
            events_dir=str(events_dir) if events_dir is not None else None,
        )
        for r in range(replications)
    ]
    done = (executor or LocalExecutor()).map(run_replication, specs)
    flat = [r for rs in done for r in rs]
    return [summarise(model, [r for r in flat if r.model == model]) for model in models]


def summarise(model: OperatingModel, results: Sequence[ReplicationResult]) -> ModelSummary:
    """Mean and Student-t 95 % interval of every outcome over the replications (an interval needs two)."""
    out = {}
    for name in OUTCOMES:
        values = [v for r in results if (v := r.outcomes.get(name)) is not None]
        out[name] = mean_ci95(values)
    return ModelSummary(model=model, replications=len(results), outcomes=out)


def mean_ci95(values: Sequence[float]) -> OutcomeSummary:
    """Mean and two-sided 95 % Student-t interval of ``values``."""
    if not values:
        return OutcomeSummary(mean=None, ci95=None)
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return OutcomeSummary(mean=mean, ci95=None)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return OutcomeSummary(mean=mean, ci95=(mean - half, mean + half))
