"""Service commands: ``serve``, ``db upgrade|current``, ``user add|list|deactivate|reactivate``,
``jobs list|show``.

Part of the composition root: ``serve`` builds the app with :func:`api.app.create_app`, which
mounts every instrument's routes. The data commands (``demo``, ``import``, ``export``) live in
:mod:`cli.data`; :mod:`cli.main` mounts both.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from cli.live import DEMO_BRANCH, seed_live_day
from cli.live import today as live_today
from fieldcrew import auth, jobs
from fieldcrew.db import current_revisions, session_scope, upgrade
from fieldcrew.demo import load_demo
from fieldcrew.settings import get_settings
from fieldcrew.tables import BranchRow, TechnicianRow, UserRow
from vocabulary.errors import FieldcrewError

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users, roles and API keys.", no_args_is_help=True)
jobs_app = typer.Typer(help="Long-running jobs recorded in the database.", no_args_is_help=True)


def serve(
    host: Annotated[str | None, typer.Option(help="interface (default: FIELDCREW_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: FIELDCREW_PORT)")] = None,
    load_demo_if_empty: Annotated[
        bool, typer.Option("--load-demo-if-empty", help="load the demo city when there are no technicians")
    ] = False,
) -> None:
    """Migrate the database, optionally load the demo city, and start the service (docs at /docs)."""
    import uvicorn  # the ASGI server: imported only when serving (a CLI call stays quick)

    settings = get_settings()
    url = settings.resolved_database_url()
    upgrade(url)
    if load_demo_if_empty:
        _load_demo_if_empty(url)
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"fieldcrew on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    # one process: jobs interrupted by a restart are recovered at startup (see fieldcrew.jobs)
    app = create_app(settings, migrate=False)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())


def _load_demo_if_empty(url: str) -> None:
    """Load the demo city into an empty database; on every start, seed today's live demo day."""
    with session_scope(url) as session:
        count = session.scalar(select(func.count()).select_from(TechnicianRow)) or 0
        demo_branch = session.get(BranchRow, DEMO_BRANCH) is not None
    if count:
        typer.echo(f"database has {count} technicians: not loading the demo city")
        if demo_branch:
            _seed_today(url)
        return
    typer.echo("loading the demo city (first start) …")
    with session_scope(url) as session:
        counts = load_demo(session)
        keys = _demo_users(session)
    typer.echo(f"demo city loaded: {counts}")
    if keys:
        path = get_settings().data_dir / "demo-keys.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("".join(f"{name}\t{role}\t{key}\n" for name, role, key in keys))
        typer.echo(f"demo users created (one per role); their API keys are in {path} (readable by you only)")
    _seed_today(url)


def _seed_today(url: str) -> None:
    """Today's open orders and a published roster of this week, so the console has a day to dispatch."""
    today = live_today()
    typer.echo(f"seeding the live demo day {today} (open orders, this week's roster) …")
    try:
        live = seed_live_day(url, today)
    except FieldcrewError as exc:  # said, not swallowed: the service still starts on the demo month
        typer.echo(f"warning: the live demo day was not seeded: {exc}", err=True)
        return
    typer.echo(live.describe())


def _demo_users(session: Session) -> list[tuple[str, str, str]]:
    """One demo user per role when the database has no users yet; returns (name, role, key)."""
    if session.scalar(select(func.count()).select_from(UserRow)):
        return []
    first_tech = session.scalar(select(TechnicianRow.id).order_by(TechnicianRow.id).limit(1))
    keys = []
    for role in ("admin", "dispatcher", "hr", "planner", "technician"):
        tech = first_tech if role == "technician" else None
        user, key = auth.create_user(session, f"demo-{role}", role, technician_id=tech, actor="demo")
        keys.append((user.username, role, key))
    return keys


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "heads") -> None:
    """Migrate the database to the newest schema (every instrument's branch)."""
    url = get_settings().resolved_database_url()
    upgrade(url, revision)
    typer.echo(f"database at {', '.join(sorted(current_revisions(url)))}")


@db_app.command("current")
def db_current() -> None:
    """Show the revisions the database is at."""
    revisions = current_revisions(get_settings().resolved_database_url())
    typer.echo(", ".join(sorted(revisions)) or "(not migrated)")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help=f"one of {', '.join(auth.ROLES)}")],
    technician_id: Annotated[str | None, typer.Option(help="the technician a 'technician' user is")] = None,
) -> None:
    """Create a user and print their API key (shown once; only its hash is stored)."""
    url = get_settings().resolved_database_url()
    upgrade(url)
    try:
        with session_scope(url) as session:
            _, key = auth.create_user(session, username, role, technician_id, actor="cli")
    except (auth.InvalidUser, auth.Conflict) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created user {username!r} with role {role!r}")
    typer.echo(f"API key (shown once, keep it safe): {key}")
    typer.echo(f"use it as header 'X-API-Key: {key}' or 'Authorization: Bearer {key}'")


@user_app.command("list")
def user_list() -> None:
    """List users (never keys)."""
    url = get_settings().resolved_database_url()
    with session_scope(url) as session:
        users = [auth.user_view(u) for u in auth.list_users(session)]
    for u in users:
        tech = f" technician={u['technician_id']}" if u["technician_id"] else ""
        state = "" if u["active"] else " (inactive)"
        typer.echo(f"{u['username']}\t{u['role']}{tech}{state}")
    if not users:
        typer.echo("no users yet: fieldcrew user add NAME --role admin")


@user_app.command("deactivate")
def user_deactivate(username: str) -> None:
    """Deactivate a user and revoke their keys (never the last active administrator)."""
    url = get_settings().resolved_database_url()
    try:
        with session_scope(url) as session:
            auth.deactivate_user(session, username, actor="cli")
    except (auth.NotFound, auth.Conflict) as exc:
        typer.echo(f"error: {exc}; nothing changed", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"user {username!r} deactivated")


@user_app.command("reactivate")
def user_reactivate(username: str) -> None:
    """Let a deactivated user in again and print their new API key (shown once; the keys revoked at
    deactivation stay revoked). An active user is left as they are."""
    url = get_settings().resolved_database_url()
    try:
        with session_scope(url) as session:
            user, key = auth.reactivate_user(session, username, actor="cli")
            role = user.role
    except auth.NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if key is None:
        typer.echo(f"user {username!r} is active already; nothing changed (their keys still work)")
        return
    typer.echo(f"reactivated user {username!r} with role {role!r}")
    typer.echo(f"API key (shown once, keep it safe): {key}")
    typer.echo(f"use it as header 'X-API-Key: {key}' or 'Authorization: Bearer {key}'")


@jobs_app.command("list")
def jobs_list(limit: Annotated[int, typer.Option(min=1)] = 20) -> None:
    """The most recent jobs."""
    url = get_settings().resolved_database_url()
    with session_scope(url) as session:
        rows = [jobs.JobView.of(r) for r in jobs.list_jobs(session, limit=limit)]
    for r in rows:
        typer.echo(
            f"{r.id}\t{r.kind}\t{r.status}\t{r.progress:.0%}\t{r.owner}\t"
            f"{r.created_at:%Y-%m-%d %H:%M:%S}\t{r.message}"
        )
    if not rows:
        typer.echo("no jobs")


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """One job as JSON (status, progress, result)."""
    url = get_settings().resolved_database_url()
    try:
        with session_scope(url) as session:
            view = jobs.JobView.of(jobs.get_job(session, job_id))
    except jobs.NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Mount the service commands on ``app``."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(jobs_app, name="jobs")
