"""CLI (being built)."""

import typer

app = typer.Typer(no_args_is_help=True)


def bench_vrptw() -> None:
    """Solve a Solomon instance (being built; see issue 5)."""
    raise typer.Exit(2)
