"""Data commands: ``fieldcrew demo``, ``fieldcrew export KIND``, ``fieldcrew import KIND FILE``.

``demo`` migrates the configured database and loads the demo city (refusing when branch data is
already there unless ``--force``); ``export`` writes technicians, areas, orders or observations
as CSV or Excel (the template for a branch's own data); ``import`` reads such a file back, checks
every cell and reference, and writes nothing unless the whole file is valid.
"""

from __future__ import annotations

import datetime as dt
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from cli.live import seed_live_day
from cli.live import today as live_today
from fieldcrew import audit
from fieldcrew import io as data_io
from fieldcrew.db import session_scope, upgrade
from fieldcrew.demo import load_demo
from fieldcrew.settings import get_settings
from vocabulary.errors import Conflict, InputErrors

#: The actor recorded in the audit log for command-line writes.
CLI_ACTOR = "cli"


class DataKind(StrEnum):
    """What an import/export file holds."""

    TECHNICIANS = "technicians"
    AREAS = "areas"
    ORDERS = "orders"
    OBSERVATIONS = "observations"


class FileFormat(StrEnum):
    """File format of an export."""

    CSV = "csv"
    XLSX = "xlsx"


def demo(
    seed: Annotated[int | None, typer.Option(help="seed of the city (default: settings.demo_seed)")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="replace branch data already in the database")
    ] = False,
    live_day: Annotated[
        bool,
        typer.Option(
            "--live-day/--no-live-day",
            help="also seed a live day: its open orders and a published roster of its week",
        ),
    ] = True,
    day: Annotated[
        str | None, typer.Option(help="the live day, YYYY-MM-DD (default: today in Asia/Shanghai)")
    ] = None,
) -> None:
    """Load the demo city (Hefei, June 2026: 104 technicians, 23,584 orders) into the database,
    and a live day to dispatch (today's open orders, this week's published roster)."""
    settings = get_settings()
    url = settings.resolved_database_url()
    upgrade(url)
    started = time.perf_counter()
    try:
        with session_scope(url) as session:
            counts = load_demo(session, seed=settings.demo_seed if seed is None else seed, force=force)
            audit.record(session, CLI_ACTOR, "load_demo", "database", "demo", None, counts)
    except Conflict as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    elapsed = time.perf_counter() - started
    typer.echo(f"demo city loaded into {_safe_url(url)} in {elapsed:.1f} s:")
    for name, count in counts.items():
        typer.echo(f"  {name:<16} {count:>7,}")
    if live_day:
        try:
            chosen = dt.date.fromisoformat(day) if day else live_today()
        except ValueError as exc:
            typer.echo(f"error: --day {day!r}: not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from exc
        typer.echo(seed_live_day(url, chosen).describe())


def export(
    kind: Annotated[DataKind, typer.Argument(help="what to export")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write")],
    fmt: Annotated[
        FileFormat | None, typer.Option("--format", "-f", help="csv or xlsx (default: from --out)")
    ] = None,
) -> None:
    """Export technicians, areas, orders or observations as CSV or Excel (an import template)."""
    chosen = fmt.value if fmt is not None else out.suffix.lower().lstrip(".")
    if chosen not in data_io.FORMATS:
        typer.echo("error: give --format csv|xlsx or an --out file ending in .csv or .xlsx", err=True)
        raise typer.Exit(2)
    url = get_settings().resolved_database_url()
    upgrade(url)  # a fresh data directory: the empty tables, not "no such table"
    out.parent.mkdir(parents=True, exist_ok=True)
    with session_scope(url) as session, out.open("wb") as handle:
        n = data_io.export(session, kind.value, chosen, handle)
    typer.echo(f"{n:,} {kind.value} written to {out}")


def import_(
    kind: Annotated[DataKind, typer.Argument(help="what the file holds")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=".csv or .xlsx file")
    ],
) -> None:
    """Import a CSV or Excel file; every bad cell is reported and nothing is written on error."""
    url = get_settings().resolved_database_url()
    upgrade(url)
    try:
        with session_scope(url) as session:
            result = data_io.import_file(session, kind.value, file)
            audit.record(session, CLI_ACTOR, "import", kind.value, file.name, None, result.as_dict())
    except InputErrors as exc:
        typer.echo(f"error: {len(exc.problems)} problem(s) in {file}; nothing was written", err=True)
        for problem in exc.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{kind.value}: {result.inserted:,} inserted, {result.updated:,} updated from {file}")


def _safe_url(url: str) -> str:
    """The database URL without its password (for output)."""
    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    """Mount ``demo``, ``export`` and ``import`` on the main ``fieldcrew`` app."""
    app.command("demo")(demo)
    app.command("export")(export)
    app.command("import")(import_)
