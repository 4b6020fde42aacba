"""Users and API keys: ``GET /users/me`` for everyone; creating, listing, deactivating and
reactivating for admins.

A new key is returned once, in the response that creates it; only its SHA-256 digest is stored.
An administrator cannot deactivate themself nor the last active administrator (409).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DbSession, require_roles
from fieldcrew import audit, auth
from fieldcrew.auth import AuthUser

router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[AuthUser, Depends(require_roles("admin"))]


class UserIn(BaseModel):
    """A user to create."""

    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@\-]+$")
    role: Literal["dispatcher", "hr", "planner", "technician", "admin"] = Field(
        description="dispatcher, hr, planner, technician or admin"
    )
    technician_id: str | None = Field(default=None, description="required for the technician role")


class UserOut(BaseModel):
    """A user (never a key)."""

    username: str
    role: str
    technician_id: str | None = None
    active: bool
    created_at: dt.datetime | None = Field(default=None, description="UTC, with its offset")


class UserCreated(UserOut):
    """A created user with their API key, shown this once."""

    api_key: str


class IssuedKey(BaseModel):
    """A further API key of a user, shown this once."""

    username: str
    api_key: str


class Reactivated(UserOut):
    """A reactivated user with a new API key, shown this once (null when the user was active)."""

    api_key: str | None = None


@router.get("/me", response_model=UserOut, summary="The caller")
def me(user: CurrentUser, session: DbSession) -> dict[str, Any]:
    return auth.user_view(auth.get_user(session, user.username))


@router.get("", response_model=list[UserOut], summary="Every user (admin)")
def list_users(session: DbSession, _: Admin) -> list[dict[str, Any]]:
    return [auth.user_view(u) for u in auth.list_users(session)]


@router.post(
    "", response_model=UserCreated, status_code=status.HTTP_201_CREATED, summary="Create a user (admin)"
)
def create_user(body: UserIn, session: DbSession, user: Admin) -> dict[str, Any]:
    created, key = auth.create_user(
        session, body.username, body.role, body.technician_id, actor=user.username
    )
    return {**auth.user_view(created), "api_key": key}


@router.post(
    "/{username}/keys", response_model=IssuedKey, summary="Issue a further API key for a user (admin)"
)
def issue_key(username: str, session: DbSession, user: Admin) -> IssuedKey:
    target = auth.get_user(session, username)
    key = auth.issue_key(session, target)
    audit.record(session, user, "issue_key", "user", username, None, {"key_prefix": key.split("_")[1]})
    return IssuedKey(username=username, api_key=key)


@router.delete(
    "/{username}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
    summary="Deactivate a user and revoke their keys (admin; not oneself, not the last admin)",
)
def deactivate(username: str, session: DbSession, user: Admin) -> Response:
    auth.deactivate_user(session, username, actor=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{username}/reactivate", response_model=Reactivated,
    summary="Reactivate a deactivated user with a new API key (admin)",
)
def reactivate(username: str, session: DbSession, user: Admin) -> dict[str, Any]:
    """The user may sign in again with the key in the answer; the keys revoked at deactivation stay
    revoked. Reactivating an active user changes nothing (``api_key`` is null)."""
    target, key = auth.reactivate_user(session, username, actor=user.username)
    return {**auth.user_view(target), "api_key": key}
