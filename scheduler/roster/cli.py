"""``fieldcrew roster ...`` and ``fieldcrew bench nrp``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from fieldcrew.db import session_scope
from fieldcrew.demo import generate_city
from scheduler.roster import io as rio
from scheduler.roster import store
from scheduler.roster.diagnose import diagnose
from scheduler.roster.domain import RosterResult
from scheduler.roster.io import heatmap_png, write_roster
from scheduler.roster.nrp import read_nrp
from scheduler.roster.planning import build_problem, reroster
from scheduler.roster.presets import load_presets
from scheduler.roster.rules import REGISTRY
from scheduler.roster.solver import SolveParams, solve_nrp, solve_roster
from scheduler.roster.synthetic import synthetic_quotas
from scheduler.roster.validate import check_nrp, check_roster
from timepool.domain import Quotas
from vocabulary.staff import Technician

app = typer.Typer(no_args_is_help=True, help="Rest rosters (CP-SAT): solve, check, explain, export.")


def _emit(payload: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for key, value in payload.items():
            if key not in ("assignment", "breakdown"):
                print(f"{key}: {value}")


def bench_nrp(
    file: Annotated[Path, typer.Argument(help="Curtois–Qu instance file (InstanceN.txt)")],
    seconds: Annotated[float, typer.Option("--seconds", help="time limit")] = 60.0,
    workers: Annotated[int, typer.Option("--workers", help="CP-SAT workers")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Solve a Curtois–Qu instance; the objective is recomputed by the solver-independent validator."""
    inst = read_nrp(file)
    result = solve_nrp(inst, seconds=seconds, workers=workers, seed=seed)
    payload: dict[str, object] = {
        "instance": inst.name,
        "objective": result.objective,
        "bound": result.bound,
        "status": result.status,
        "seconds": round(result.seconds, 3),
        "assignment": result.assignment,
    }
    if result.feasible:
        report = check_nrp(inst, result.assignment)
        if report.violations or report.objective != result.objective:
            raise AssertionError(
                f"validator disagrees: objective {report.objective} vs {result.objective}, "
                f"violations {[str(v) for v in report.violations[:5]]}"
            )
    _emit(payload, as_json)
    if not result.feasible:
        raise typer.Exit(1)


def demo_branch(seed: int, start: dt.date, days: int) -> tuple[list[Technician], Quotas]:
    """Technicians of a small demo city (1 % of its staff) and quotas for them.

    Quotas come from ``synthetic_quotas`` here; the API and jobs take them from the work-hour pool.
    """
    techs = list(generate_city(scale=0.01).technicians)
    return techs, synthetic_quotas(techs, start, days, seed)


@app.command("solve")
def solve_cmd(
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")] = "2025-03-03",
    days: Annotated[int, typer.Option(help="length of the period")] = 28,
    preset: Annotated[str, typer.Option(help="operating model (see `roster presets`)")] = "urban_dense",
    seconds: Annotated[float, typer.Option()] = 10.0,
    workers: Annotated[int, typer.Option()] = 2,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path | None, typer.Option(help="write the roster: .xlsx, .csv or .json")] = None,
    heatmap: Annotated[Path | None, typer.Option(help="write a PNG heat map")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Solve a roster for the demo branch (synthetic when the demo city is not available)."""
    first = dt.date.fromisoformat(start)
    technicians, quotas = demo_branch(seed, first, days)
    problem = build_problem(technicians, quotas, first, days, preset)
    result = solve_roster(problem, SolveParams(seconds=seconds, workers=workers, seed=seed))
    report = check_roster(problem, result.assignment, result.support_groups) if result.feasible else None
    payload = _summary(result)
    if report is not None:
        payload["validator_objective"] = report.objective
        payload["violations"] = [str(v) for v in report.violations]
    if out is not None and result.feasible:
        rio.write_roster(problem, result, out)
    if heatmap is not None and result.feasible:
        rio.heatmap_png(problem, result, heatmap)
    _emit(payload, as_json)


def _summary(result: RosterResult) -> dict[str, object]:
    by_rule: dict[str, int] = {}
    for line in result.breakdown:
        by_rule[line.rule] = by_rule.get(line.rule, 0) + line.cost
    return {
        "name": result.name,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap": None if result.gap() is None else round(result.gap() or 0.0, 4),
        "seconds": round(result.seconds, 3),
        "cost_by_rule": by_rule,
        "assignment": result.assignment,
    }


@app.command("presets")
def presets_cmd() -> None:
    """List the operating models and their rules."""
    for name, p in load_presets().items():
        print(
            f"{name:20s} R={p.rules.min_rest_per_7} max_consec={p.staff.max_consecutive_work} "
            f"min_run={p.staff.min_consecutive_work}/{p.staff.min_consecutive_off} "
            f"max_weekends={p.staff.max_weekends}  {p.description}"
        )


@app.command("rules")
def rules_cmd() -> None:
    """List the registered rules (hard or soft)."""
    for spec in REGISTRY.values():
        sev = spec.severity.value if spec.severity else "configurable"
        print(f"{spec.name:24s} {sev:12s} {spec.sentence}")


@app.command("check-nrp")
def check_nrp_cmd(
    file: Annotated[Path, typer.Argument(help="instance file")],
    solution: Annotated[Path, typer.Argument(help="JSON printed by `fieldcrew bench nrp --json`")],
) -> None:
    """Recompute the benchmark objective of a solution and list broken hard rules."""
    data = json.loads(solution.read_text())
    report = check_nrp(read_nrp(file), data["assignment"])
    print(json.dumps({"objective": report.objective, "violations": [str(v) for v in report.violations]}))
    if report.violations:
        raise typer.Exit(1)


@app.command("diagnose")
def diagnose_cmd(
    start: Annotated[str, typer.Option()] = "2025-03-03",
    days: Annotated[int, typer.Option()] = 28,
    preset: Annotated[str, typer.Option()] = "urban_dense",
    seconds: Annotated[float, typer.Option()] = 10.0,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Explain under-covered groups of the demo branch in plain words."""
    first = dt.date.fromisoformat(start)
    technicians, quotas = demo_branch(seed, first, days)
    problem = build_problem(technicians, quotas, first, days, preset)
    for finding in diagnose(problem, seconds=seconds):
        print(finding.message)


@app.command("reroster")
def reroster_cmd(
    roster: Annotated[Path, typer.Argument(help="roster JSON written by `roster solve --out X.json`")],
    absent: Annotated[list[str], typer.Option(help="TECH:DAY[,DAY…] (day indexes), repeatable")],
    from_day: Annotated[int, typer.Option(help="days before this one stay as published")] = 0,
    seconds: Annotated[float, typer.Option()] = 10.0,
    out: Annotated[Path | None, typer.Option(help="write the new roster (.json/.xlsx/.csv)")] = None,
) -> None:
    """Re-roster after sick calls or leave with as few changes as possible; prints the diff."""
    problem, published = rio.read_roster_json(roster)
    absences: dict[str, list[int]] = {}
    for item in absent:
        tech, _, days = item.partition(":")
        try:
            absences.setdefault(tech, []).extend(int(d) for d in days.split(",") if d)
        except ValueError as exc:
            raise typer.BadParameter(f"--absent {item!r}: expected TECH:DAY[,DAY…]") from exc
    result, changes = reroster(problem, published, absences, from_day=from_day, seconds=seconds)
    print(json.dumps({"status": result.status, "objective": result.objective, "changes": changes}))
    if out is not None and result.feasible:
        rio.write_roster(problem, result, out)


@app.command("show")
def show_cmd(roster_id: Annotated[str, typer.Argument(help="stored roster id")]) -> None:
    """Print a stored roster version (JSON)."""
    with session_scope() as session:
        print(json.dumps(store.view(store.get_version(session, roster_id)), ensure_ascii=False))


@app.command("export")
def export_cmd(
    roster_id: Annotated[str, typer.Argument(help="stored roster id")],
    out: Annotated[Path, typer.Option("--out", help="file to write: .xlsx, .csv, .json or .png (heat map)")],
) -> None:
    """Export a stored roster: table (rest days marked, score sheet in Excel) or PNG heat map."""
    with session_scope() as session:
        problem, result = store.load(store.get_version(session, roster_id))
    if out.suffix == ".png":
        heatmap_png(problem, result, out)
    else:
        write_roster(problem, result, out)
    print(f"wrote {out}")


@app.command("publish")
def publish_cmd(
    roster_id: Annotated[str, typer.Argument(help="stored roster id")],
    actor: Annotated[str, typer.Option(help="who publishes")] = "cli",
) -> None:
    """Publish a stored draft roster (immutable afterwards)."""
    with session_scope() as session:
        row = store.publish(session, roster_id, actor)
        print(f"published roster {row.id} version {row.version}")
