"""Outsourcing partners (代维), dispatch side: who they are, what they may take, how they are rated.

The work-hour pool's overflow that the branch's heads cannot cover goes to volunteers (claims,
:class:`~scheduler.dispatch.events.OrderClaimed`) or to partners. A partner serves a set of small
areas and declares, per day, how many orders it takes: in one area, or in all of its areas (``*``).
The dispatcher hands an unassigned order to it (:class:`~scheduler.dispatch.events.HandedToPartner`);
the partner's completion moves the work order to ``completed``. Each month the branch rates every
partner from its completed orders and marks the weak ones to drop (the plan: "rate partners and drop
the weak ones").

This module is the domain and the rules (pure, no tables); :mod:`scheduler.dispatch.partners_store`
holds the tables and the functions the API calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from vocabulary.errors import Conflict, NotFound
from vocabulary.organisation import Identifier

_frozen = ConfigDict(frozen=True)

#: ``partner_capacity.area_id`` of a capacity that counts the partner's orders in all its areas.
ALL_AREAS = "*"


class UnknownPartner(NotFound):
    """A partner id that is not stored."""


class PartnerCapacityUsedUp(Conflict):
    """A hand-off beyond the partner's declared capacity (or to an area it does not serve)."""

    title = "Partner capacity used up"


class NotHandedToPartner(Conflict):
    """A completion of an order that was not handed to this partner, or is already completed."""

    title = "Order not handed to this partner"


class Partner(BaseModel):
    """An outsourcing partner of a branch and the small areas it serves."""

    model_config = _frozen

    id: str = Identifier
    branch_id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    areas: tuple[str, ...] = Field(default=(), description="small areas it serves")
    active: bool = True


class PartnerCapacity(BaseModel):
    """How many orders a partner takes on a day, in one area or in all its areas (``*``)."""

    model_config = _frozen

    partner_id: str = Identifier
    day: dt.date
    area_id: str = Field(default=ALL_AREAS, min_length=1, max_length=64)
    orders: int = Field(ge=0, le=10_000)


class CapacityUse(BaseModel):
    """A capacity and how much of it the hand-offs of its day have used."""

    model_config = _frozen

    capacity: PartnerCapacity
    used: int = Field(ge=0)

    @property
    def left(self) -> int:
        """Orders the partner still takes under this capacity."""
        return max(0, self.capacity.orders - self.used)


class PartnerOutcome(StrEnum):
    """What the partner reports when it completes an order."""

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"


class PartnerAssignment(BaseModel):
    """One order handed to a partner: when, by whom, and its completion."""

    model_config = _frozen

    order_id: str
    partner_id: str
    day: dt.date
    area_id: str
    at: dt.datetime
    by: str
    completed_at: dt.datetime | None = None
    outcome: PartnerOutcome | None = None


# --------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------


def serves_area(partner: Partner, area_id: str) -> bool:
    """Partner areas: "a partner takes orders only in the small areas it serves"."""
    return partner.active and area_id in partner.areas


def capacities_for(capacities: Sequence[PartnerCapacity], area_id: str) -> list[PartnerCapacity]:
    """The capacities a hand-off in ``area_id`` counts against: the area's own and the all-areas one."""
    return [c for c in capacities if c.area_id in (area_id, ALL_AREAS)]


def capacity_refusal(uses: Sequence[CapacityUse], partner_id: str, day: dt.date, area_id: str) -> str | None:
    """Partner capacity: "a partner takes no more orders a day than it declared, per area and in all
    its areas": why a further hand-off is refused, naming the capacity (None: it fits). A day without
    a declared capacity takes nothing."""
    if not uses:
        return (
            f"partner {partner_id} declared no capacity on {day} for area {area_id} or all its areas; "
            "rule: a partner takes no more orders a day than it declared"
        )
    full = next((u for u in uses if u.left <= 0), None)
    if full is None:
        return None
    where = "all its areas" if full.capacity.area_id == ALL_AREAS else f"area {full.capacity.area_id}"
    return (
        f"partner {partner_id}: capacity {full.capacity.orders} order(s) on {day} in {where} is used up "
        f"({full.used} handed over); rule: a partner takes no more orders a day than it declared"
    )


# --------------------------------------------------------------------------------------------------
# the monthly rating
# --------------------------------------------------------------------------------------------------


class RatingPolicy(BaseModel):
    """Parameters of the monthly partner rating (see :func:`rate_partner`)."""

    model_config = _frozen

    on_time_weight: Decimal = Field(
        default=Decimal("50"), ge=0, description="points for a 100 % on-time share"
    )
    first_fix_weight: Decimal = Field(
        default=Decimal("50"), ge=0, description="points for a 100 % first-time-fix share"
    )
    complaint_points: Decimal = Field(default=Decimal("5"), ge=0, description="points off per complaint")
    drop_below: Decimal = Field(
        default=Decimal("80"), description="a score below this marks the partner to drop"
    )
    min_orders: int = Field(default=1, ge=0, description="fewer completed orders: no score, no drop flag")


class RatedOrder(BaseModel):
    """What the rating reads of one order the partner completed."""

    model_config = _frozen

    order_id: str
    deadline: dt.datetime
    completed_at: dt.datetime
    fixed: bool
    #: the same fault came back (a repeat report of this order was recorded)
    repeated: bool = False
    complaint: bool = False


class PartnerRating(BaseModel):
    """A partner's month: its figures, score and whether to drop it."""

    model_config = _frozen

    partner_id: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    completed: int
    on_time: int
    first_time_fixed: int
    complaints: int
    on_time_share: Decimal | None
    first_time_fix_share: Decimal | None
    score: Decimal | None
    drop: bool
    formula: str
    policy: RatingPolicy


FORMULA = (
    "score = on_time_weight × on-time share + first_fix_weight × first-time-fix share "
    "− complaint_points × complaints (not below 0); on time: completed by the deadline; first-time fix: "
    "reported fixed and the fault did not come back; drop when score < drop_below"
)
_CENT = Decimal("0.01")


def rate_partner(
    partner_id: str, month: str, orders: Sequence[RatedOrder], policy: RatingPolicy | None = None
) -> PartnerRating:
    """Partner rating: "rate partners monthly and drop the weak ones" (see :data:`FORMULA`).

    Shares are quantised to 0.0001, the score to 0.01 (half up). With fewer than
    ``policy.min_orders`` completed orders there is no score and no drop flag.
    """
    policy = policy or RatingPolicy()
    n = len(orders)
    on_time = sum(1 for o in orders if o.completed_at <= o.deadline)
    first = sum(1 for o in orders if o.fixed and not o.repeated)
    complaints = sum(1 for o in orders if o.complaint)
    if n == 0 or n < policy.min_orders:
        return PartnerRating(
            partner_id=partner_id,
            month=month,
            completed=n,
            on_time=on_time,
            first_time_fixed=first,
            complaints=complaints,
            on_time_share=None,
            first_time_fix_share=None,
            score=None,
            drop=False,
            formula=FORMULA,
            policy=policy,
        )
    on_share = Decimal(on_time) / Decimal(n)
    first_share = Decimal(first) / Decimal(n)
    raw = (
        policy.on_time_weight * on_share
        + policy.first_fix_weight * first_share
        - policy.complaint_points * complaints
    )
    score = max(Decimal(0), raw).quantize(_CENT, rounding=ROUND_HALF_UP)
    return PartnerRating(
        partner_id=partner_id,
        month=month,
        completed=n,
        on_time=on_time,
        first_time_fixed=first,
        complaints=complaints,
        on_time_share=on_share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        first_time_fix_share=first_share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        score=score,
        drop=score < policy.drop_below,
        formula=FORMULA,
        policy=policy,
    )
