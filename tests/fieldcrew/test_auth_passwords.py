"""Console sign-in: argon2 password hashes, session tokens stored as hashes, the lockout rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from fieldcrew import auth
from fieldcrew.db import session_scope
from fieldcrew.tables import AuditRow, SignInSessionRow, UserRow

NOW = dt.datetime(2026, 6, 1, 1, 0)  # UTC, 09:00 in Shanghai
PASSWORD = "correct horse 7"


def _user(db_url: str, name: str = "li.wei", role: str = "technician") -> None:
    with session_scope(db_url) as session:
        auth.create_user(session, name, role, "T-001" if role == "technician" else None)
        auth.set_password(session, name, PASSWORD, actor="admin")


def _fail(db_url: str, at: dt.datetime, name: str = "li.wei") -> type[Exception]:
    """One sign-in with a wrong password at ``at``, committed as the route commits it."""
    with session_scope(db_url) as session:
        try:
            auth.sign_in(session, name, "wrong password", at)
        except (auth.SignInFailed, auth.AccountLocked) as error:
            return type(error)
    raise AssertionError("a wrong password signed in")


def test_password_is_stored_as_argon2id_and_session_token_as_sha256(db_url: str) -> None:
    """Neither the password nor the cookie's token is in the database: an argon2id hash and a SHA-256."""
    _user(db_url)
    with session_scope(db_url) as session:
        opened = auth.sign_in(session, "li.wei", PASSWORD, NOW)
    with session_scope(db_url) as session:
        row = session.scalars(select(UserRow).where(UserRow.username == "li.wei")).one()
        assert row.password_hash is not None and row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash
        stored = session.scalars(select(SignInSessionRow)).one()
        assert stored.token_hash != opened.token and len(stored.token_hash) == 64
        assert stored.expires_at == NOW + dt.timedelta(hours=auth.SESSION_HOURS)
    assert opened.user.username == "li.wei" and opened.user.technician_id == "T-001"


def test_session_is_accepted_until_it_expires(db_url: str) -> None:
    """A session token names its user until ``expires_at``; from then on, and after sign-out, nobody."""
    _user(db_url)
    with session_scope(db_url) as session:
        opened = auth.sign_in(session, "li.wei", PASSWORD, NOW)
    end = opened.expires_at
    with session_scope(db_url) as session:
        before = auth.authenticate_session(session, opened.token, end - dt.timedelta(seconds=1))
        assert before is not None and before.username == "li.wei"
        assert auth.authenticate_session(session, opened.token, end) is None
        assert auth.authenticate_session(session, opened.token + "x", NOW) is None
        auth.sign_out(session, opened.token)
    with session_scope(db_url) as session:
        assert auth.authenticate_session(session, opened.token, NOW) is None


def test_wrong_password_unknown_user_and_no_password_fail_alike(db_url: str) -> None:
    """A wrong password, an unknown user and a user without a password all raise SignInFailed."""
    _user(db_url)
    with session_scope(db_url) as session:
        auth.create_user(session, "machine", "planner")
    for name, password in (("li.wei", "nope nope"), ("nobody", PASSWORD), ("machine", PASSWORD)):
        with session_scope(db_url) as session, pytest.raises(auth.SignInFailed, match="wrong user name"):
            auth.sign_in(session, name, password, NOW)


def test_fifth_failure_within_15_minutes_locks_and_the_lock_ends_15_minutes_later(db_url: str) -> None:
    """Failures 1–4 answer SignInFailed, the 5th AccountLocked (audited); the right password is refused
    until exactly 15 minutes after the 5th failure and accepted from then on."""
    _user(db_url)
    times = [NOW + dt.timedelta(minutes=3 * i) for i in range(5)]  # the 5th at +12 min: inside 15
    assert [_fail(db_url, t) for t in times[:4]] == [auth.SignInFailed] * 4
    assert _fail(db_url, times[4]) is auth.AccountLocked
    unlock = times[4] + dt.timedelta(minutes=auth.LOCKOUT_MINUTES)
    with session_scope(db_url) as session, pytest.raises(auth.AccountLocked) as locked:
        auth.sign_in(session, "li.wei", PASSWORD, unlock - dt.timedelta(seconds=1))
    assert locked.value.retry_after_s == 1
    assert "5 wrong passwords within 15 minutes" in str(locked.value)
    with session_scope(db_url) as session:
        assert auth.sign_in(session, "li.wei", PASSWORD, unlock).user.username == "li.wei"
        audit = session.scalars(select(AuditRow).where(AuditRow.action == "lock")).one()
        assert audit.entity_id == "li.wei" and audit.after["rule"] == auth.lockout_rule()


def test_failures_spread_over_more_than_15_minutes_do_not_lock(db_url: str) -> None:
    """Five failures whose first is 15 minutes or more before the fifth leave sign-in open."""
    _user(db_url)
    times = [NOW + dt.timedelta(minutes=m) for m in (0, 4, 8, 12, 15)]
    assert [_fail(db_url, t) for t in times] == [auth.SignInFailed] * 5
    with session_scope(db_url) as session:
        auth.sign_in(session, "li.wei", PASSWORD, times[-1] + dt.timedelta(seconds=1))


def test_password_rule_and_admin_reset(db_url: str) -> None:
    """Too short or equal to the user name is refused; a reset lifts a lock and ends open sessions."""
    _user(db_url)
    with session_scope(db_url) as session:
        with pytest.raises(auth.InvalidPassword, match="8–128"):
            auth.set_password(session, "li.wei", "short")
        auth.create_user(session, "zhang.xiaoming", "hr")
        with pytest.raises(auth.InvalidPassword, match="user name"):
            auth.set_password(session, "zhang.xiaoming", "ZHANG.XIAOMING")
        opened = auth.sign_in(session, "li.wei", PASSWORD, NOW)
    for i in range(5):
        _fail(db_url, NOW + dt.timedelta(minutes=i))
    with session_scope(db_url) as session:
        auth.set_password(session, "li.wei", "a new one 2026", actor="admin")
    with session_scope(db_url) as session:
        assert auth.authenticate_session(session, opened.token, NOW) is None
        auth.sign_in(session, "li.wei", "a new one 2026", NOW + dt.timedelta(minutes=6))


def test_change_password_needs_the_old_one_and_keeps_the_current_session(db_url: str) -> None:
    """A wrong current password raises WrongPassword; the right one changes it and only the
    session that changed it stays open."""
    _user(db_url)
    with session_scope(db_url) as session:
        here = auth.sign_in(session, "li.wei", PASSWORD, NOW)
        there = auth.sign_in(session, "li.wei", PASSWORD, NOW)
    with session_scope(db_url) as session, pytest.raises(auth.WrongPassword):
        auth.change_password(session, "li.wei", "not it at all", "another one 1", NOW)
    with session_scope(db_url) as session:
        auth.change_password(session, "li.wei", PASSWORD, "another one 1", NOW, keep_token=here.token)
    with session_scope(db_url) as session:
        assert auth.authenticate_session(session, here.token, NOW) is not None
        assert auth.authenticate_session(session, there.token, NOW) is None
        auth.sign_in(session, "li.wei", "another one 1", NOW)


def test_deactivation_ends_console_sessions(db_url: str) -> None:
    """A deactivated user's open session names nobody any more."""
    _user(db_url)
    with session_scope(db_url) as session:
        opened = auth.sign_in(session, "li.wei", PASSWORD, NOW)
        auth.create_user(session, "boss", "admin")
    with session_scope(db_url) as session:
        auth.deactivate_user(session, "li.wei", actor="boss")
    with session_scope(db_url) as session:
        assert auth.authenticate_session(session, opened.token, NOW) is None
