"""``fieldcrew simulate``: replicate a period of the demo branch under operating models."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from simulator.domain import MODELS, OUTCOMES, SimParams
from simulator.executor import get_executor
from simulator.runner import run
from vocabulary.organisation import OperatingModel


def simulate(
    branch: Annotated[str, typer.Option("--branch", help="branch id (the demo city: HF)")] = "HF",
    start: Annotated[str, typer.Option("--start", help="first day, YYYY-MM-DD")] = "2026-06-01",
    days: Annotated[int, typer.Option("--days", help="length of the period")] = 28,
    model: Annotated[
        str, typer.Option("--model", help="small_area_contract, rolling_group, branch_wide or all")
    ] = "rolling_group",
    replications: Annotated[int, typer.Option("--replications", help="independent replications")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="seed of every random draw")] = 0,
    scale: Annotated[float, typer.Option("--scale", help="share of the demo volume (0.05: quick)")] = 1.0,
    technicians: Annotated[
        int | None, typer.Option("--technicians", help="simulate the first groups holding this many")
    ] = None,
    remote_share: Annotated[
        float, typer.Option("--remote-share", help="share of repairs fixed remotely")
    ] = 0.0,
    sick_rate: Annotated[float, typer.Option("--sick-rate", help="daily sick-call probability")] = 0.02,
    workers: Annotated[int | None, typer.Option("--workers", help="parallel replications")] = None,
    executor: Annotated[
        str | None, typer.Option("--executor", help="local or ray (default $FIELDCREW_EXECUTOR or local)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per model and line")] = False,
    events: Annotated[
        Path | None, typer.Option("--events", help="write DIR/<model>/<replication>/events.csv, roster.csv")
    ] = None,
) -> None:
    """Replay a period of the branch through the real roster, dispatch and KPI engines; compare models
    on common random numbers (same seed: same arrivals, durations and sick calls for every model)."""
    if branch != "HF":
        raise typer.BadParameter(f"branch {branch!r}: rule: the simulator replays the demo branch HF")
    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        raise typer.BadParameter(f"--start {start!r}: rule: a YYYY-MM-DD date") from None
    if model == "all":
        models = MODELS
    else:
        try:
            models = (OperatingModel(model),)
        except ValueError:
            known = ", ".join(m.value for m in MODELS)
            raise typer.BadParameter(f"--model {model!r}: rule: one of {known}, all") from None
    if replications < 1:
        raise typer.BadParameter(f"--replications {replications}: rule: at least 1")
    params = SimParams(start=first, days=days, scale=scale, remote_share=remote_share, sick_rate=sick_rate)
    summaries = run(params, models, replications, seed, technicians, events, get_executor(executor, workers))
    for s in summaries:
        if as_json:
            typer.echo(json.dumps(s.as_json(), ensure_ascii=False))
            continue
        typer.echo(f"{s.model.value} ({s.replications} replications)")
        for name in OUTCOMES:
            o = s.outcomes[name]
            ci = "" if o.ci95 is None else f"  95% CI [{o.ci95[0]:.4g}, {o.ci95[1]:.4g}]"
            typer.echo(f"  {name:<24} {'-' if o.mean is None else f'{o.mean:.4g}'}{ci}")
