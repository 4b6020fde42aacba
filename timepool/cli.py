"""CLI of the work-hour pool (being built; see issue 3)."""

import typer

app = typer.Typer(no_args_is_help=True)
size_app = typer.Typer(no_args_is_help=True)
