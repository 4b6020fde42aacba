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

People sign in to the console with a user name and password instead (:func:`sign_in`): the
password is stored as an argon2id hash (a human password *is* guessable, so here the slow, memory-
hard hash matters), and the browser gets a random session token in an HttpOnly, SameSite=Strict
cookie, of which only the SHA-256 is stored, with an expiry (:data:`SESSION_HOURS`). Five wrong
passwords within fifteen minutes lock the user's sign-in for fifteen minutes (:func:`lockout_rule`,
audited). An administrator sets a password with :func:`set_password`. Every function that reads
the time takes ``now`` (UTC, naive), so tests can move the clock.

Deactivating a user revokes their keys and ends their console sessions; an administrator cannot
deactivate themself, and the last active administrator cannot be deactivated (the service would
have nobody left to manage users).
:func:`reactivate_user` lets a deactivated user in again with a newly issued key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldcrew import audit
from fieldcrew.tables import ApiKeyRow, SignInFailureRow, SignInSessionRow, UserRow, utcnow
from vocabulary.errors import Conflict, FieldcrewError, NotFound, TooManyRequests

__all__ = [
    "LOCKOUT_FAILURES",
    "LOCKOUT_MINUTES",
    "ROLES",
    "SESSION_COOKIE",
    "SESSION_HOURS",
    "AccountLocked",
    "AuthUser",
    "Conflict",
    "InvalidPassword",
    "InvalidUser",
    "NotFound",
    "SignIn",
    "SignInFailed",
    "WrongPassword",
    "authenticate",
    "authenticate_session",
    "change_password",
    "create_user",
    "set_password",
    "sign_in",
    "sign_out",
]

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
    session.execute(delete(SignInSessionRow).where(SignInSessionRow.user_id == user.id))
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


# --------------------------------------------------------------------------------------------------
# console sign-in: passwords, sessions, lockout
# --------------------------------------------------------------------------------------------------

#: The cookie holding a console session's token.
SESSION_COOKIE = "fieldcrew_session"
#: A console session ends this many hours after sign-in.
SESSION_HOURS = 8
#: Wrong passwords within :data:`LOCKOUT_MINUTES` that lock a user's sign-in …
LOCKOUT_FAILURES = 5
#: … for this many minutes from the failure that reached the count.
LOCKOUT_MINUTES = 15
PASSWORD_MIN, PASSWORD_MAX = 8, 128


def lockout_rule() -> str:
    """The lockout policy as one sentence (named in every answer it causes)."""
    return (
        f"{LOCKOUT_FAILURES} wrong passwords within {LOCKOUT_MINUTES} minutes lock sign-in "
        f"for {LOCKOUT_MINUTES} minutes"
    )


class SignInFailed(FieldcrewError):
    """Unknown user, no password set, inactive or wrong password (deliberately not told apart)."""

    status_code = 401
    title = "Sign-in failed"


class WrongPassword(FieldcrewError):
    """The current password given to change it is not the user's."""

    status_code = 403
    title = "Wrong password"


class InvalidPassword(FieldcrewError):
    """A new password breaking the password rule."""

    status_code = 422
    title = "Invalid password"


class AccountLocked(TooManyRequests):
    """Sign-in refused while the user is locked out (see :func:`lockout_rule`)."""

    title = "Account locked"


@dataclass(frozen=True)
class SignIn:
    """An opened console session: who, the cookie's token (never stored) and when it ends (UTC)."""

    user: AuthUser
    token: str
    expires_at: dt.datetime


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's RFC 9106 defaults


@cache
def _dummy_hash() -> str:
    # verified against for unknown users, so the answer takes as long as for a known one
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string, salt included) of ``password``."""
    return _hasher().hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_rule(username: str, password: str) -> None:
    """Raise :class:`InvalidPassword` unless ``password`` has 8–128 characters and is not the user name."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidPassword(
            f"field 'password': breaks rule: {PASSWORD_MIN}–{PASSWORD_MAX} characters "
            f"(it has {len(password)})"
        )
    if password.strip().casefold() == username.strip().casefold():
        raise InvalidPassword("field 'password': breaks rule: must not be the user name")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _end_sessions(session: Session, user_id: int, keep_token: str | None = None) -> None:
    query = delete(SignInSessionRow).where(SignInSessionRow.user_id == user_id)
    if keep_token is not None:
        query = query.where(SignInSessionRow.token_hash != _token_hash(keep_token))
    session.execute(query)


def set_password(session: Session, username: str, password: str, actor: str = "system") -> UserRow:
    """Set ``username``'s console password (an administrator's reset, or the CLI); audited.

    Ends the user's open console sessions and lifts a lockout. API keys are not touched.
    Raises :class:`~vocabulary.errors.NotFound` for an unknown user and :class:`InvalidPassword`
    for a password breaking :func:`check_password_rule`.
    """
    user = get_user(session, username)
    check_password_rule(username, password)
    had = user.password_hash is not None
    user.password_hash = hash_password(password)
    user.locked_until = None
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.user_id == user.id))
    _end_sessions(session, user.id)
    session.flush()
    audit.record(
        session, actor, "set_password", "user", username, {"password_set": had}, {"password_set": True}
    )
    return user


def _refuse_if_locked(user: UserRow, now: dt.datetime) -> None:
    if user.locked_until is not None and now < user.locked_until:
        wait = math.ceil((user.locked_until - now).total_seconds())
        raise AccountLocked(
            f"sign-in of user {user.username!r} is locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC: "
            f"{lockout_rule()}",
            retry_after_s=wait,
        )


def _record_failure(session: Session, user: UserRow, now: dt.datetime) -> None:
    """Count a wrong password; the one that reaches :data:`LOCKOUT_FAILURES` locks (audited, raised)."""
    window_start = now - dt.timedelta(minutes=LOCKOUT_MINUTES)
    session.execute(
        delete(SignInFailureRow).where(
            SignInFailureRow.user_id == user.id, SignInFailureRow.at <= window_start
        )
    )
    session.add(SignInFailureRow(user_id=user.id, at=now))
    session.flush()
    recent = session.scalar(
        select(func.count()).select_from(SignInFailureRow).where(
            SignInFailureRow.user_id == user.id, SignInFailureRow.at > window_start
        )
    )
    if (recent or 0) >= LOCKOUT_FAILURES:
        user.locked_until = now + dt.timedelta(minutes=LOCKOUT_MINUTES)
        session.execute(delete(SignInFailureRow).where(SignInFailureRow.user_id == user.id))
        session.flush()
        audit.record(
            session, "sign-in", "lock", "user", user.username, None,
            {"locked_until": user.locked_until.isoformat(), "rule": lockout_rule()},
        )
        _refuse_if_locked(user, now)


def sign_in(session: Session, username: str, password: str, now: dt.datetime | None = None) -> SignIn:
    """Open a console session for ``username`` with ``password``.

    A wrong password is recorded (so the caller must commit before passing the error on); the one
    that makes :data:`LOCKOUT_FAILURES` within :data:`LOCKOUT_MINUTES` locks the user's sign-in
    for :data:`LOCKOUT_MINUTES` minutes and is answered with :class:`AccountLocked`, as is every
    attempt until then, right password or not.

    Raises
    ------
    SignInFailed
        Unknown or inactive user, no password set, or a wrong password (not told apart).
    AccountLocked
        The user's sign-in is locked (its ``retry_after_s``: seconds until it ends).
    """
    now = now or utcnow()
    user = session.scalar(select(UserRow).where(UserRow.username == username.strip()))
    if user is None or not user.active or user.password_hash is None:
        _verify(None, password)  # as slow as a real check: the answer does not tell who exists
        raise SignInFailed("wrong user name or password")
    _refuse_if_locked(user, now)
    if not _verify(user.password_hash, password):
        _record_failure(session, user, now)
        raise SignInFailed("wrong user name or password")
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.user_id == user.id))
    session.execute(  # expired sessions of this user are of no use to anyone
        delete(SignInSessionRow).where(
            SignInSessionRow.user_id == user.id, SignInSessionRow.expires_at <= now
        )
    )
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=SESSION_HOURS)
    session.add(
        SignInSessionRow(user_id=user.id, token_hash=_token_hash(token), created_at=now, expires_at=expires)
    )
    session.flush()
    who = AuthUser(username=user.username, role=user.role, technician_id=user.technician_id, user_id=user.id)
    return SignIn(user=who, token=token, expires_at=expires)


def authenticate_session(session: Session, token: str, now: dt.datetime | None = None) -> AuthUser | None:
    """The active user of the unexpired console session ``token``, or ``None``."""
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(SignInSessionRow, UserRow)
        .join(UserRow, UserRow.id == SignInSessionRow.user_id)
        .where(SignInSessionRow.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    opened, user = row
    if not user.active or (now or utcnow()) >= opened.expires_at:
        return None
    return AuthUser(username=user.username, role=user.role, technician_id=user.technician_id, user_id=user.id)


def sign_out(session: Session, token: str) -> None:
    """End the console session ``token`` (nothing happens for an unknown one)."""
    session.execute(delete(SignInSessionRow).where(SignInSessionRow.token_hash == _token_hash(token)))


def change_password(
    session: Session,
    username: str,
    old_password: str,
    new_password: str,
    now: dt.datetime | None = None,
    keep_token: str | None = None,
) -> None:
    """A user changes their own password, giving the current one; audited.

    A wrong current password counts towards the lockout like a failed sign-in (commit before
    passing the error on). The user's other console sessions end; ``keep_token``'s stays open.

    Raises
    ------
    WrongPassword
        ``old_password`` is not the user's (or the user has none).
    AccountLocked
        The user's sign-in is locked.
    InvalidPassword
        ``new_password`` breaks :func:`check_password_rule`.
    """
    now = now or utcnow()
    user = get_user(session, username)
    _refuse_if_locked(user, now)
    if not _verify(user.password_hash, old_password):
        if user.password_hash is not None:
            _record_failure(session, user, now)
        raise WrongPassword("field 'old_password': the current password is not right")
    check_password_rule(username, new_password)
    user.password_hash = hash_password(new_password)
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.user_id == user.id))
    _end_sessions(session, user.id, keep_token)
    session.flush()
    audit.record(session, username, "change_password", "user", username, None, {"password_set": True})
