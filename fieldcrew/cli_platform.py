"""Platform commands: serve, demo, db, user, import/export, jobs (being built; see issue 2)."""

import typer


def register(app: typer.Typer) -> None:
    """Mount the platform commands on the main ``fieldcrew`` app."""
