"""Console sign-in with a user name and password: a session cookie for people, beside API keys.

``POST /auth/login`` answers with an HttpOnly, SameSite=Strict cookie (``fieldcrew_session``,
:data:`fieldcrew.auth.SESSION_HOURS` hours) that ``CurrentUser`` accepts like an API key;
``POST /auth/logout`` ends it; ``POST /auth/password`` changes one's own password;
``POST /users/{username}/password`` is an administrator's reset. Five wrong passwords within
fifteen minutes lock a user's sign-in for fifteen minutes (429 ``account-locked`` with
``Retry-After``, audited). A failed attempt is committed before its error is answered: the
request's transaction would otherwise roll the count back.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DbSession, request_now, require_roles
from fieldcrew import auth
from fieldcrew.auth import (
    PASSWORD_MAX,
    SESSION_COOKIE,
    SESSION_HOURS,
    AccountLocked,
    AuthUser,
    SignInFailed,
    WrongPassword,
)

router = APIRouter(tags=["sign-in"])

Admin = Annotated[AuthUser, Depends(require_roles("admin"))]
Password = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX)]


class Credentials(BaseModel):
    """A user name and password."""

    username: str = Field(min_length=1, max_length=100)
    password: Password


class SignedIn(BaseModel):
    """Who signed in and when the session ends (the token is only in the cookie)."""

    username: str
    role: str
    technician_id: str | None = None
    expires_at: dt.datetime = Field(description="UTC, with its offset")


class PasswordChange(BaseModel):
    """One's current password and the new one (8–128 characters, not the user name)."""

    old_password: Password
    new_password: Password


class PasswordReset(BaseModel):
    """A new password for a user (8–128 characters, not the user name)."""

    password: Password


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/login", response_model=SignedIn, summary="Sign in with user name and password")
def login(body: Credentials, request: Request, response: Response, session: DbSession) -> SignedIn:
    """Opens a console session: the answer sets the session cookie. 401 ``sign-in-failed`` for a
    wrong user name or password (not told apart), 429 ``account-locked`` while locked out."""
    try:
        opened = auth.sign_in(session, body.username, body.password, request_now(request))
    except (SignInFailed, AccountLocked):
        session.commit()  # keep the failure count and the lock
        raise
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=SESSION_HOURS * 3600,
        expires=opened.expires_at.replace(tzinfo=dt.UTC),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    user = opened.user
    return SignedIn(
        username=user.username,
        role=user.role,
        technician_id=user.technician_id,
        expires_at=opened.expires_at.replace(tzinfo=dt.UTC),
    )


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="End the console session (clears the cookie)",
)
def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.sign_out(session, token)
    answer = _no_content()
    answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return answer


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Change one's own password (the current one is needed)",
)
def change_password(
    body: PasswordChange, request: Request, session: DbSession, user: CurrentUser
) -> Response:
    """403 ``wrong-password`` for a wrong current one (it counts towards the lockout), 422
    ``invalid-password`` for a new one breaking the rule. Other sessions of the user end."""
    try:
        auth.change_password(
            session,
            user.username,
            body.old_password,
            body.new_password,
            request_now(request),
            keep_token=request.cookies.get(SESSION_COOKIE),
        )
    except (WrongPassword, AccountLocked):
        session.commit()
        raise
    return _no_content()


@router.post(
    "/users/{username}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Set a user's console password (admin; audited)",
)
def reset_password(username: str, body: PasswordReset, session: DbSession, user: Admin) -> Response:
    """Ends the user's console sessions and lifts a lockout; API keys keep working."""
    auth.set_password(session, username, body.password, actor=user.username)
    return _no_content()
