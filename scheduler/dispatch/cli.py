"""``fieldcrew dispatch ...`` and ``fieldcrew bench vrptw``: rolling dispatch from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from scheduler.dispatch.io import read_solomon
from scheduler.dispatch.validate import validate_solomon
from scheduler.dispatch.vrptw import solve_vrptw

app = typer.Typer(no_args_is_help=True, help="Rolling dispatch of work orders to on-duty technicians.")


def bench_vrptw(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Solomon VRPTW instance file")],
    seconds: Annotated[float, typer.Option("--seconds", help="time limit in seconds")] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    engine: Annotated[str, typer.Option("--engine", help="pyvrp (default) or ortools")] = "pyvrp",
) -> None:
    """Solve a Solomon VRPTW instance (minimum total distance, DIMACS) and validate the result."""
    if engine not in ("pyvrp", "ortools"):
        raise typer.BadParameter(f"engine {engine!r}: rule: one of pyvrp, ortools")
    instance = read_solomon(file)
    result = solve_vrptw(instance, seconds, seed, engine)  # type: ignore[arg-type]
    check = validate_solomon(instance, result.routes)
    out = {
        "instance": instance.name,
        "distance": check.distance,
        "vehicles": check.vehicles,
        "routes": [r for r in result.routes if r],
        "seconds": result.seconds,
        "engine": engine,
        "feasible": check.ok,
    }
    if as_json:
        print(json.dumps(out))
    else:
        print(
            f"{instance.name}: distance {check.distance:.1f}, vehicles {check.vehicles}, "
            f"{result.seconds:.2f} s, engine {engine}, feasible {check.ok}"
        )
    if not check.ok:
        for violation in check.violations[:20]:
            typer.echo(f"violation: {violation}", err=True)
        raise typer.Exit(1)
