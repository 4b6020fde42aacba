"""Users, roles and API keys.

An API key looks like ``fc_<prefix>_<secret>``: ``prefix`` (8 hex characters, stored in clear)
finds the key's row with one indexed lookup, and only the SHA-256 digest of the whole key is
stored. Why SHA-256 and not a password hash (argon2/bcrypt)? The secret part is 32 random bytes
(256 bits) from :mod:`secrets`, not a human password: brute-forcing a 256-bit secret is infeasible
however fast the hash is, so a deliberately slow hash adds no protection, while it would cost tens
of milliseconds on *every* API request. A stolen database therefore reveals no usable key, and
the comparison is constant-time (:func:`hmac.compare_digest`).

Roles: ``dispatcher``, ``hr``, ``planner``, ``technician`` (sees only own roster and pay; the
user is linked to a technician id) and ``admin`` (allowed everywhere).

Deactivating a user revokes their keys; an administrator cannot deactivate themself, and the last
active administrator cannot be deactivated (the service would have nobody left to manage users).
:func:`reactivate_user` lets a deactivated user in again with a newly issued key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew import audit
from fieldcrew.tables import ApiKeyRow, UserRow, utcnow
from vocabulary.errors import Conflict, FieldcrewError, NotFound

__all__ = ["ROLES", "AuthUser", "Conflict", "InvalidUser", "NotFound", "authenticate", "create_user"]

ROLES: tuple[str, ...] = ("dispatcher", "hr", "planner", "technician", "admin")
KEY_PREFIX = "fc"


class InvalidUser(FieldcrewError):
    """A user definition that breaks a rule (unknown role, technician without technician id, …)."""

    status_code = 422
    title = "Invalid user"


@dataclass(frozen=True)
class AuthUser:
    """The authenticated caller of a request."""

    username: str
    role: str
    technician_id: str | None = None
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the caller is an administrator (allowed everywhere)."""
        return self.role == "admin"


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key (see the module docstring for why SHA-256 suffices)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> tuple[str, str]:
    """A fresh API key and its lookup prefix: ``("fc_<prefix>_<secret>", prefix)``."""
    prefix = secrets.token_hex(4)
    return f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def _check_role(role: str, technician_id: str | None) -> None:
    if role not in ROLES:
        raise InvalidUser(f"field 'role': value {role!r} breaks rule: one of {', '.join(ROLES)}")
    if role == "technician" and not technician_id:
        raise InvalidUser("field 'technician_id': a user with role 'technician' needs a technician id")


def create_user(
    session: Session, username: str, role: str, technician_id: str | None = None, actor: str = "system"
) -> tuple[UserRow, str]:
    """Create a user with one API key; return the row and the key (shown once, never stored).

    Raises :class:`InvalidUser` for an unknown role and :class:`~vocabulary.errors.Conflict` for a
    username that exists. The creation is audited (without the key).
    """
    username = username.strip()
    if not username or len(username) > 100:
        raise InvalidUser(f"field 'username': value {username!r} breaks rule: 1–100 characters")
    _check_role(role, technician_id)
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = UserRow(
        username=username, role=role, technician_id=technician_id, active=True, created_at=utcnow()
    )
    session.add(user)
    session.flush()
    key = issue_key(session, user)
    audit.record(session, actor, "create", "user", user.username, None, user_view(user))
    return user, key


def issue_key(session: Session, user: UserRow) -> str:
    """Add a new API key for ``user`` and return it (the only time it is visible)."""
    while True:
        key, prefix = generate_key()
        if session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.prefix == prefix)) is None:
            break
    session.add(ApiKeyRow(user_id=user.id, prefix=prefix, key_hash=hash_key(key), created_at=utcnow()))
    session.flush()
    return key


def authenticate(session: Session, key: str) -> AuthUser | None:
    """The active user owning ``key``, or ``None`` (unknown, malformed, revoked or inactive)."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    row = session.execute(
        select(ApiKeyRow, UserRow)
        .join(UserRow, UserRow.id == ApiKeyRow.user_id)
        .where(ApiKeyRow.prefix == parts[1])
    ).first()
    if row is None:
        return None
    api_key, user = row
    if api_key.revoked or not user.active:
        return None
    if not hmac.compare_digest(api_key.key_hash, hash_key(key.strip())):
        return None
    return AuthUser(username=user.username, role=user.role, technician_id=user.technician_id, user_id=user.id)


def get_user(session: Session, username: str) -> UserRow:
    """The user ``username``; :class:`~vocabulary.errors.NotFound` if there is none."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def list_users(session: Session) -> list[UserRow]:
    """Every user, by username."""
    return list(session.scalars(select(UserRow).order_by(UserRow.username)))


def deactivate_user(session: Session, username: str, actor: str = "system") -> UserRow:
    """Deactivate a user and revoke their keys (audited).

    Raises
    ------
    NotFound
        No user ``username``.
    Conflict
        ``actor`` deactivating themself, or ``username`` is the last active administrator.
    """
    user = get_user(session, username)
    if user.username == actor:
        raise Conflict(f"user {username!r} cannot deactivate themself; ask another administrator")
    if user.role == "admin" and user.active:
        # lock the active administrators (PostgreSQL): two admins deactivating each other at once
        # must not leave none
        admins = session.scalars(
            select(UserRow.id).where(UserRow.role == "admin", UserRow.active.is_(True)).with_for_update()
        ).all()
        if not any(admin_id != user.id for admin_id in admins):
            raise Conflict(f"user {username!r} is the last active administrator; make another one first")
    before = user_view(user)
    user.active = False
    for api_key in session.scalars(select(ApiKeyRow).where(ApiKeyRow.user_id == user.id)):
        api_key.revoked = True
    session.flush()
    audit.record(session, actor, "deactivate", "user", username, before, user_view(user))
    return user


def reactivate_user(session: Session, username: str, actor: str = "system") -> tuple[UserRow, str | None]:
    """Let a deactivated user in again with a new API key (their old keys stay revoked); audited.

    Returns the user and the new key (shown once), or ``None`` for a user who was active already
    (nothing changes then). Raises :class:`~vocabulary.errors.NotFound` for an unknown user.
    """
    user = get_user(session, username)
    if user.active:
        return user, None
    before = user_view(user)
    user.active = True
    session.flush()
    key = issue_key(session, user)
    audit.record(session, actor, "reactivate", "user", username, before, user_view(user))
    return user, key


def user_view(user: UserRow) -> dict[str, object]:
    """Public representation of a user (never a key or hash); ``created_at`` in UTC with its offset."""
    created = user.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)  # stored as naive UTC
    return {
        "username": user.username,
        "role": user.role,
        "technician_id": user.technician_id,
        "active": user.active,
        "created_at": created.isoformat() if created else None,
    }
