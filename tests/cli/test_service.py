"""The platform commands: user add/list, db upgrade/current, jobs list/show, serve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import branch, seed_org
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import service as cli_platform
from cli.live import LiveDay
from cli.main import app
from fieldcrew import auth
from fieldcrew.db import session_scope
from fieldcrew.settings import get_settings
from fieldcrew.tables import JobRow, TechnicianRow, utcnow

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The commands work on ``db_url`` (FIELDCREW_DATABASE_URL)."""
    monkeypatch.setenv("FIELDCREW_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_user_add_prints_a_working_key_once(cli_db: str) -> None:
    """``user add`` prints a key that authenticates; ``user list`` never shows it."""
    result = runner.invoke(app, ["user", "add", "ops", "--role", "admin"])
    assert result.exit_code == 0, result.output
    key = next(line.split(": ", 1)[1] for line in result.output.splitlines() if line.startswith("API key"))
    with session_scope(cli_db) as session:
        user = auth.authenticate(session, key)
    assert user is not None and (user.username, user.role) == ("ops", "admin")
    listed = runner.invoke(app, ["user", "list"])
    assert "ops\tadmin" in listed.output and key not in listed.output


def test_user_add_refuses_bad_input(cli_db: str) -> None:
    """A duplicate user, an unknown role or a technician without id exits 2 with the reason."""
    assert runner.invoke(app, ["user", "add", "a", "--role", "hr"]).exit_code == 0
    duplicate = runner.invoke(app, ["user", "add", "a", "--role", "hr"])
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    assert runner.invoke(app, ["user", "add", "b", "--role", "king"]).exit_code == 2
    tech = runner.invoke(app, ["user", "add", "c", "--role", "technician"])
    assert tech.exit_code == 2 and "technician_id" in tech.output
    ok = runner.invoke(app, ["user", "add", "c", "--role", "technician", "--technician-id", "T-001"])
    assert ok.exit_code == 0


def _key(output: str) -> str:
    return next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("API key"))


def test_user_deactivate_never_locks_the_last_admin_out(cli_db: str) -> None:
    """Deactivating the last active administrator exits 2 with the reason and no traceback, and
    changes nothing; with a second administrator it deactivates and revokes the key."""
    key = _key(runner.invoke(app, ["user", "add", "ops", "--role", "admin"]).output)
    refused = runner.invoke(app, ["user", "deactivate", "ops"])
    assert refused.exit_code == 2 and isinstance(refused.exception, SystemExit)
    assert "last active administrator" in refused.output and "Traceback" not in refused.output
    with session_scope(cli_db) as session:
        assert auth.authenticate(session, key) is not None
    assert runner.invoke(app, ["user", "add", "ops2", "--role", "admin"]).exit_code == 0
    done = runner.invoke(app, ["user", "deactivate", "ops"])
    assert done.exit_code == 0 and "deactivated" in done.output
    with session_scope(cli_db) as session:
        assert auth.authenticate(session, key) is None
    assert runner.invoke(app, ["user", "deactivate", "nobody"]).exit_code == 2


def test_user_reactivate_prints_a_new_key_once(cli_db: str) -> None:
    """``user reactivate`` lets a deactivated user in with a new key (printed once); the revoked key
    stays revoked; an active user is left alone (no key printed); an unknown user exits 2."""
    old = _key(runner.invoke(app, ["user", "add", "ana", "--role", "hr"]).output)
    assert runner.invoke(app, ["user", "deactivate", "ana"]).exit_code == 0
    result = runner.invoke(app, ["user", "reactivate", "ana"])
    assert result.exit_code == 0, result.output
    new = _key(result.output)
    with session_scope(cli_db) as session:
        user = auth.authenticate(session, new)
        assert user is not None and (user.username, user.role) == ("ana", "hr")
        assert auth.authenticate(session, old) is None
    again = runner.invoke(app, ["user", "reactivate", "ana"])
    assert again.exit_code == 0 and "active already" in again.output and "API key" not in again.output
    unknown = runner.invoke(app, ["user", "reactivate", "nobody"])
    assert unknown.exit_code == 2 and "nobody" in unknown.output


def test_db_upgrade_and_current(cli_db: str) -> None:
    """``db upgrade`` is idempotent and ``db current`` names the foundation's descendants."""
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and current.output.strip() != "(not migrated)"


def test_jobs_list_and_show(cli_db: str) -> None:
    """``jobs list`` shows recorded jobs; ``jobs show`` prints one as JSON, unknown ids exit 2."""
    assert "no jobs" in runner.invoke(app, ["jobs", "list"]).output
    with session_scope(cli_db) as session:
        session.add(
            JobRow(
                id="job-1",
                kind="payroll.run",
                target="fieldcrew.jobs.selftest_job",
                owner="hr",
                status="succeeded",
                progress=1.0,
                message="done",
                cancel_requested=False,
                created_at=utcnow(),
                result={"total_fen": 123},
            )
        )
    listed = runner.invoke(app, ["jobs", "list"])
    assert "job-1\tpayroll.run\tsucceeded\t100%" in listed.output
    shown = runner.invoke(app, ["jobs", "show", "job-1"])
    assert shown.exit_code == 0 and '"total_fen": 123' in shown.output
    assert runner.invoke(app, ["jobs", "show", "nope"]).exit_code == 2


def test_serve_migrates_loads_demo_when_empty_and_starts_uvicorn(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``serve --load-demo-if-empty`` migrates, loads the demo city into an empty database only,
    creates one demo user per role with working keys in a private file, then runs uvicorn on the
    configured host and port."""
    import uvicorn

    monkeypatch.setenv("FIELDCREW_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app_, **kw: calls.append(("uvicorn", app_, kw)))

    def fake_load_demo(session: Any) -> dict[str, int]:
        calls.append("demo")
        return {"technicians": len(seed_org(session).technicians)}

    def fake_seed_live_day(url: str, day: Any) -> LiveDay:
        calls.append(("live", url))
        return LiveDay(day, 0, None, "not solved in this test")

    monkeypatch.setattr(cli_platform, "load_demo", fake_load_demo)
    monkeypatch.setattr(cli_platform, "seed_live_day", fake_seed_live_day)
    monkeypatch.setattr(cli_platform, "DEMO_BRANCH", branch().id)  # the test organisation is the demo
    result = runner.invoke(app, ["serve", "--load-demo-if-empty", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls[0] == "demo"
    assert calls[1] == ("live", cli_db)  # and a live day to dispatch
    _, served, kw = calls[2]
    assert kw["host"] == "127.0.0.1" and kw["port"] == 8123
    assert served.state.database_url == cli_db
    with session_scope(cli_db) as session:
        assert session.scalar(select(func.count()).select_from(TechnicianRow)) == 4
    keys_file = tmp_path / "demo-keys.txt"
    assert keys_file.stat().st_mode & 0o077 == 0  # only the owner may read the keys
    rows = [line.split("\t") for line in keys_file.read_text().splitlines()]
    assert [role for _, role, _ in rows] == ["admin", "dispatcher", "hr", "planner", "technician"]
    with session_scope(cli_db) as session:
        users = [auth.authenticate(session, key) for _, _, key in rows]
    assert [u.role for u in users if u is not None] == [role for _, role, _ in rows]
    assert users[-1] is not None and users[-1].technician_id is not None
    calls.clear()
    assert runner.invoke(app, ["serve", "--load-demo-if-empty"]).exit_code == 0
    assert [c for c in calls if c == "demo"] == []  # not empty any more: no second load
    assert ("live", cli_db) in calls  # but every start seeds today's live day of the demo branch


def test_register_mounts_platform_commands() -> None:
    """The platform's command groups are on the main app."""
    names = {g.name for g in app.registered_groups} | {c.name for c in app.registered_commands}
    assert {"serve", "db", "user", "jobs"} <= names
    assert cli_platform.register is not None
