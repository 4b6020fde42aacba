"""``fieldcrew dispatch ...`` and ``fieldcrew bench vrptw``: rolling dispatch from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from fieldcrew.demo import generate_city
from scheduler.dispatch.demo_day import day_from_city
from scheduler.dispatch.domain import DayInput, DayPlan
from scheduler.dispatch.engine import SolveParams
from scheduler.dispatch.events import DispatchState, Event, apply_event, start_day
from scheduler.dispatch.io import plan_to_csv, plan_to_excel, read_solomon, state_from_json, state_to_json
from scheduler.dispatch.synthetic import synthetic_day
from scheduler.dispatch.validate import validate_solomon
from scheduler.dispatch.vrptw import solve_vrptw
from vocabulary.errors import FieldcrewError

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


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command("synthetic")
def synthetic_cmd(
    out: Annotated[Path, typer.Option("--out", help="where to write the day input (JSON)")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    groups: Annotated[int, typer.Option("--groups")] = 18,
    orders: Annotated[int, typer.Option("--orders")] = 800,
) -> None:
    """Write a synthetic demo-like day input (JSON)."""
    inp = synthetic_day(seed=seed, groups=groups, orders=orders)
    out.write_text(inp.model_dump_json(indent=1), encoding="utf-8")
    print(f"{out}: {len(inp.orders)} orders, {len(inp.technicians)} technicians")


@app.command("demo-day")
def demo_day_cmd(
    out: Annotated[Path, typer.Option("--out", help="where to write the day input (JSON)")],
    day: Annotated[str, typer.Option("--day", help="YYYY-MM-DD within the demo month")] = "2026-06-10",
    seed: Annotated[int, typer.Option("--seed")] = 20260401,
) -> None:
    """Write the day input of one demo-city day (rest rotation: one technician per group rests)."""
    inp = day_from_city(generate_city(seed), dt.date.fromisoformat(day))
    out.write_text(inp.model_dump_json(indent=1), encoding="utf-8")
    print(f"{out}: {len(inp.orders)} orders, {len(inp.technicians)} technicians")


@app.command("plan")
def plan_cmd(
    input_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="day input JSON")],
    out: Annotated[Path, typer.Option("--out", help="dispatch state to write (input + plan)")],
    seconds: Annotated[float, typer.Option("--seconds", help="time budget")] = 6.0,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="also export the plan as CSV")] = None,
    xlsx_out: Annotated[Path | None, typer.Option("--xlsx", help="also export the plan as Excel")] = None,
) -> None:
    """Make the morning plan of a day input and write the dispatch state."""
    try:
        inp = DayInput.model_validate_json(input_file.read_text(encoding="utf-8"))
        state = start_day(inp, SolveParams(time_limit_s=seconds))
    except (FieldcrewError, ValidationError) as exc:
        raise _fail(exc) from None
    _write_state(out, state.inp, state.plan, csv_out, xlsx_out)
    _summary(state.plan)


@app.command("event")
def event_cmd(
    state_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="dispatch state JSON")],
    event_json: Annotated[
        str, typer.Argument(help='event JSON, e.g. {"kind":"order_completed",...} or @file')
    ],
    out: Annotated[Path | None, typer.Option("--out", help="state to write (default: overwrite)")] = None,
) -> None:
    """Apply one rolling event; on bad input the state file is left unchanged."""
    text = Path(event_json[1:]).read_text(encoding="utf-8") if event_json.startswith("@") else event_json
    try:
        inp, plan = state_from_json(state_file.read_text(encoding="utf-8"), str(state_file))
        event = TypeAdapter(Event).validate_json(text)
        new = apply_event(DispatchState(inp, plan), event)
    except (FieldcrewError, ValidationError) as exc:
        raise _fail(exc) from None
    _write_state(out or state_file, new.inp, new.plan, None, None)
    _summary(new.plan)


@app.command("board")
def board_cmd(
    state_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="dispatch state JSON")],
    technician: Annotated[str | None, typer.Option("--technician", help="only this technician")] = None,
) -> None:
    """Print the dispatch board: per-technician timelines with ETAs, unassigned orders, warnings."""
    _, plan = state_from_json(state_file.read_text(encoding="utf-8"), str(state_file))
    for r in plan.routes:
        if technician and r.technician_id != technician:
            continue
        print(f"{r.technician_id}  work {r.work_min} min, travel {r.travel_min} min")
        for s in r.stops:
            lock = " [locked]" if s.locked else ""
            late = f" LATE {s.late_min} min" if s.late_min else ""
            when = f"{s.start:%H:%M}-{s.end:%H:%M}"
            print(f"   {when} {s.order_id} ({s.status.value}, eta {s.arrival:%H:%M}){lock}{late}")
    if technician:
        return
    for u in plan.unassigned:
        print(f"unassigned {u.order_id}: {u.rule}: {u.reason}")
    for w in plan.warnings:
        print(f"warning {w.kind.value} {w.order_id}: {w.message}")


@app.command("export")
def export_cmd(
    state_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="dispatch state JSON")],
    csv_out: Annotated[Path | None, typer.Option("--csv")] = None,
    xlsx_out: Annotated[Path | None, typer.Option("--xlsx")] = None,
) -> None:
    """Export the day's plan (one row per stop, then unassigned orders) as CSV and/or Excel."""
    _, plan = state_from_json(state_file.read_text(encoding="utf-8"), str(state_file))
    if csv_out:
        csv_out.write_text(plan_to_csv(plan), encoding="utf-8")
    if xlsx_out:
        plan_to_excel(plan, xlsx_out)
    print(f"exported plan version {plan.version}")


def _write_state(
    path: Path, inp: DayInput, plan: DayPlan, csv_out: Path | None, xlsx_out: Path | None
) -> None:
    path.write_text(state_to_json(inp, plan), encoding="utf-8")
    if csv_out:
        csv_out.write_text(plan_to_csv(plan), encoding="utf-8")
    if xlsx_out:
        plan_to_excel(plan, xlsx_out)


def _summary(plan: DayPlan) -> None:
    planned = sum(len(r.stops) for r in plan.routes)
    print(
        f"plan v{plan.version}: {planned} stops on {sum(1 for r in plan.routes if r.stops)} technicians, "
        f"{len(plan.unassigned)} unassigned, {len(plan.warnings)} warnings, score {plan.score}"
    )
