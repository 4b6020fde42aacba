"""Outsourcing partners (代维): partners, their daily capacity, completions and the monthly rating.

Dispatchers (and admins) manage partners and capacities and record a partner's completion on its
behalf; dispatchers and planners read. Handing an order to a partner is the dispatch event
``handed_to_partner`` (``POST /dispatch/plans/{branch}/{day}/events``, dispatcher only): 409 naming
the capacity when the partner's capacity of that day and area is used up. Thin: the rules are
:mod:`scheduler.dispatch.partners`, the records :mod:`scheduler.dispatch.partners_store`. Unknown
partner 404; completing an order not handed to that partner 409; bad input 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from api.deps import DbSession, require_roles
from fieldcrew.auth import AuthUser
from scheduler.dispatch import partners_store
from scheduler.dispatch.control_store import local_now
from scheduler.dispatch.partners import (
    ALL_AREAS,
    Partner,
    PartnerAssignment,
    PartnerCapacity,
    PartnerOutcome,
    PartnerRating,
)
from vocabulary.errors import Conflict
from vocabulary.organisation import Identifier

router = APIRouter(prefix="/partners", tags=["partners"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]
Reader = Annotated[AuthUser, Depends(require_roles("dispatcher", "planner"))]


class PartnerBody(BaseModel):
    """A partner's fields (its id is in the path of a PUT)."""

    branch_id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    areas: list[str] = Field(default_factory=list, description="small areas it serves")
    active: bool = True


class NewPartner(PartnerBody):
    """A partner to create."""

    id: str = Identifier


class CapacityBody(BaseModel):
    """Orders the partner takes on ``day`` in ``area_id`` (``*``: in all its areas together)."""

    day: dt.date
    area_id: str = Field(default=ALL_AREAS, min_length=1, max_length=64)
    orders: int = Field(ge=0, le=10_000)


class CapacityView(BaseModel):
    """A declared capacity and how much of it the day's hand-offs have used."""

    partner_id: str
    day: dt.date
    area_id: str
    orders: int
    used: int
    left: int


class CompletionBody(BaseModel):
    """A partner's completion of an order handed to it (recorded by a dispatcher on its behalf)."""

    outcome: PartnerOutcome
    at: dt.datetime | None = Field(default=None, description="when it was completed (local); default now")
    started_at: dt.datetime | None = Field(default=None, description="when work began; default ``at``")


@router.get("", response_model=list[Partner])
def list_partners(session: DbSession, user: Reader, branch_id: str | None = None) -> list[Partner]:
    """Every partner (of ``branch_id``)."""
    return partners_store.list_partners(session, branch_id)


@router.post("", response_model=Partner, status_code=status.HTTP_201_CREATED)
def create_partner(body: NewPartner, session: DbSession, user: Dispatcher) -> Partner:
    """Create a partner (audited); 409 when the id exists."""
    if session.get(partners_store.PartnerRow, body.id) is not None:
        raise Conflict(f"partner {body.id}: exists; rule: partner ids are unique (PUT changes one)")
    return partners_store.save_partner(session, Partner(**body.model_dump()), user.username)


@router.get("/{partner_id}", response_model=Partner)
def get_partner(partner_id: str, session: DbSession, user: Reader) -> Partner:
    """One partner; 404 when unknown."""
    return partners_store.get_partner(session, partner_id)


@router.put("/{partner_id}", response_model=Partner)
def update_partner(partner_id: str, body: PartnerBody, session: DbSession, user: Dispatcher) -> Partner:
    """Change a partner (audited); 404 when unknown."""
    partners_store.get_partner(session, partner_id)
    return partners_store.save_partner(session, Partner(id=partner_id, **body.model_dump()), user.username)


@router.delete("/{partner_id}", response_model=Partner)
def deactivate_partner(partner_id: str, session: DbSession, user: Dispatcher) -> Partner:
    """Stop handing orders to the partner (inactive; its history stays for ratings), audited."""
    return partners_store.deactivate_partner(session, partner_id, user.username)


@router.put("/{partner_id}/capacity", response_model=CapacityView)
def set_capacity(partner_id: str, body: CapacityBody, session: DbSession, user: Dispatcher) -> CapacityView:
    """Declare (or replace) the partner's capacity of a day, in one area or all its areas (audited)."""
    cap = PartnerCapacity(partner_id=partner_id, **body.model_dump())
    partners_store.set_capacity(session, cap, user.username)
    return next(v for v in _capacity(session, partner_id, body.day) if v.area_id == body.area_id)


@router.get("/{partner_id}/capacity", response_model=list[CapacityView])
def get_capacity(partner_id: str, day: dt.date, session: DbSession, user: Reader) -> list[CapacityView]:
    """The partner's capacities of ``day`` and how much of each is used."""
    return _capacity(session, partner_id, day)


def _capacity(session: DbSession, partner_id: str, day: dt.date) -> list[CapacityView]:
    return [
        CapacityView(**u.capacity.model_dump(), used=u.used, left=u.left)
        for u in partners_store.capacity_uses(session, partner_id, day)
    ]


@router.get("/{partner_id}/orders", response_model=list[PartnerAssignment])
def list_orders(
    partner_id: str, session: DbSession, user: Reader, day: dt.date | None = None
) -> list[PartnerAssignment]:
    """The orders handed to the partner (on ``day``)."""
    return partners_store.assignments(session, partner_id, day)


@router.post("/{partner_id}/orders/{order_id}/complete", response_model=PartnerAssignment)
def complete_order(
    partner_id: str, order_id: str, body: CompletionBody, session: DbSession, user: Dispatcher
) -> PartnerAssignment:
    """Record the partner's completion: the work order goes dispatched → started → completed in one
    transaction (audited); 409 when the order was not handed to this partner or is completed."""
    at = body.at.replace(tzinfo=None) if body.at is not None else local_now()
    started = body.started_at.replace(tzinfo=None) if body.started_at is not None else None
    return partners_store.complete(session, partner_id, order_id, at, body.outcome, user.username, started)


@router.get("/{partner_id}/rating", response_model=PartnerRating)
def rating(
    partner_id: str,
    session: DbSession,
    user: Reader,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
) -> PartnerRating:
    """The partner's monthly rating from its completed orders (formula and parameters in the answer;
    ``drop`` below the threshold)."""
    return partners_store.monthly_rating(session, partner_id, month)
