"""Users and API keys: keys are random, stored only as hashes, and checked strictly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldcrew import auth
from fieldcrew.db import session_scope
from fieldcrew.tables import ApiKeyRow, AuditRow, UserRow
from vocabulary.errors import Conflict


def test_key_is_stored_only_as_a_hash(db_url: str) -> None:
    """The database holds the key's prefix and SHA-256 digest, never the key."""
    with session_scope(db_url) as session:
        _, key = auth.create_user(session, "ann", "hr")
    with session_scope(db_url) as session:
        row = session.scalars(select(ApiKeyRow)).one()
        assert key not in (row.key_hash, row.prefix)
        assert row.key_hash == auth.hash_key(key)
        assert key.split("_")[1] == row.prefix
        assert len(key.split("_", 2)[2]) >= 43  # 32 random bytes, url-safe base64


def test_authenticate_accepts_the_key_and_rejects_others(db_url: str) -> None:
    """The right key gives the user; a changed, truncated or foreign-format key gives None."""
    with session_scope(db_url) as session:
        _, key = auth.create_user(session, "tom", "technician", technician_id="T-001")
    with session_scope(db_url) as session:
        user = auth.authenticate(session, key)
        assert user == auth.AuthUser("tom", "technician", "T-001", user.user_id if user else None)
        assert auth.authenticate(session, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        assert auth.authenticate(session, key[:20]) is None
        assert auth.authenticate(session, "not-a-key") is None
        assert auth.authenticate(session, "") is None


def test_deactivated_user_cannot_authenticate(db_url: str) -> None:
    """Deactivating a user revokes every key of theirs."""
    with session_scope(db_url) as session:
        _, key = auth.create_user(session, "eve", "planner")
    with session_scope(db_url) as session:
        auth.deactivate_user(session, "eve", actor="admin")
    with session_scope(db_url) as session:
        assert auth.authenticate(session, key) is None


@pytest.mark.parametrize(
    ("role", "technician_id", "field"),
    [("boss", None, "role"), ("technician", None, "technician_id")],
)
def test_invalid_users_are_refused(db_url: str, role: str, technician_id: str | None, field: str) -> None:
    """An unknown role, or a technician user without a technician id, is refused naming the field."""
    with pytest.raises(auth.InvalidUser, match=field), session_scope(db_url) as session:
        auth.create_user(session, "x", role, technician_id)


def test_duplicate_username_conflicts_and_writes_nothing(db_url: str) -> None:
    """A second user with the same name is a conflict; the first stays, nothing else is written."""
    with session_scope(db_url) as session:
        auth.create_user(session, "dup", "hr")
    with pytest.raises(Conflict), session_scope(db_url) as session:
        auth.create_user(session, "dup", "admin")
    with session_scope(db_url) as session:
        assert [u.role for u in session.scalars(select(UserRow))] == ["hr"]
        assert len(list(session.scalars(select(ApiKeyRow)))) == 1


def test_user_creation_is_audited_without_the_key(db_url: str) -> None:
    """Creating a user writes an audit entry that does not contain the key or its hash."""
    with session_scope(db_url) as session:
        _, key = auth.create_user(session, "aud", "dispatcher", actor="root")
    with session_scope(db_url) as session:
        entry = session.scalars(select(AuditRow)).one()
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == ("root", "create", "user", "aud")
    assert entry.after["role"] == "dispatcher"
    assert key not in str(entry.after) and auth.hash_key(key) not in str(entry.after)
