"""CLI (being built)."""

import typer

app = typer.Typer(no_args_is_help=True)


def bench_nrp() -> None:
    """Solve a Curtois–Qu instance (being built; see issue 4)."""
    raise typer.Exit(2)
