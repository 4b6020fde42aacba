"""The ``fieldcrew`` command: the composition root of the command line.

It names every instrument explicitly and mounts each one's own commands, in the order the data
flows: observations → standard hours → pool → quotas (``pool``) → roster → dispatch → KPIs
(``kpi``) → pay (``payroll``). A missing or broken instrument is an import error here, at start-up.
"""

from __future__ import annotations

import typer

from cli import data, service
from payroll import cli as payroll_cli
from quality import cli as quality_cli
from scheduler.dispatch import cli as dispatch_cli
from scheduler.roster import cli as roster_cli
from simulator import cli as simulator_cli
from timepool import cli as timepool_cli

app = typer.Typer(
    name="fieldcrew",
    help="Workforce scheduling and piece-rate pay for install/repair technicians.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

service.register(app)  # serve, db, user, jobs
data.register(app)  # demo, import, export
app.add_typer(timepool_cli.app, name="pool", help="Work-hour pool: standards, forecasts, quotas, headcount.")
app.add_typer(timepool_cli.size_app, name="size", help="Team sizing (Erlang C / Erlang A).")
app.add_typer(roster_cli.app, name="roster", help="Rest rosters (CP-SAT).")
app.add_typer(dispatch_cli.app, name="dispatch", help="Rolling dispatch of work orders.")
app.add_typer(quality_cli.app, name="kpi", help="Service-quality KPIs, scorecards, grades, warnings.")
app.add_typer(payroll_cli.app, name="payroll", help="Monthly pay: payslips, runs, diffs.")
app.command("simulate")(simulator_cli.simulate)

bench = typer.Typer(help="Public benchmarks (machine-readable output with --json).", no_args_is_help=True)
bench.command("nrp")(roster_cli.bench_nrp)
bench.command("vrptw")(dispatch_cli.bench_vrptw)
app.add_typer(bench, name="bench")


def main() -> None:
    """Console-script entry point."""
    app()
