"""What the work is: order types, difficulty, customer grades, deadlines and work orders.

Times are local Asia/Shanghai time without a zone, as they are stored: a time given with a UTC
offset (``2026-06-01T01:00:00Z``) is converted to it on the way in (:data:`LocalDateTime`), so
that every comparison is between times of one clock.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from vocabulary.organisation import Identifier, Location
from vocabulary.staff import Skill


class OrderType(StrEnum):
    """Kind of job (装/移/维)."""

    INSTALL = "install"
    MOVE = "move"
    REPAIR = "repair"


class LineType(StrEnum):
    """Product line of the order; KPIs are reported per line type."""

    BROADBAND = "broadband"
    FIXED_LINE = "fixed_line"


#: Difficulty levels 1 (routine) … 3 (hard); pay coefficients and standard hours key on them.
DIFFICULTY_LEVELS: tuple[int, ...] = (1, 2, 3)


class CustomerGrade(StrEnum):
    """Customer value grade; higher grades are served first."""

    VIP = "vip"
    GOLD = "gold"
    ORDINARY = "ordinary"

    @property
    def rank(self) -> int:
        """0 for the highest grade; sorting by rank serves VIPs first."""
        return _GRADE_RANK[self]


_GRADE_RANK = {CustomerGrade.VIP: 0, CustomerGrade.GOLD: 1, CustomerGrade.ORDINARY: 2}


#: The clock of every stored time: Asia/Shanghai (UTC+8, no daylight saving).
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def local_naive(value: dt.datetime) -> dt.datetime:
    """``value`` as local Asia/Shanghai time without a zone: a time with a UTC offset is converted
    (``01:00Z`` → ``09:00``), a time without one is taken to be local already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=None)
    return value.astimezone(LOCAL_TIME).replace(tzinfo=None)


#: A model field's time: local Asia/Shanghai, naive; one given with a UTC offset is converted.
LocalDateTime = Annotated[dt.datetime, AfterValidator(local_naive)]


class ServiceDeadlines(BaseModel):
    """Service deadline in minutes after creation, per order type and customer grade (configurable)."""

    model_config = ConfigDict(frozen=True)

    minutes: dict[OrderType, dict[CustomerGrade, int]] = Field(
        default_factory=lambda: {
            OrderType.REPAIR: {CustomerGrade.VIP: 4 * 60, CustomerGrade.GOLD: 12 * 60,
                               CustomerGrade.ORDINARY: 24 * 60},
            OrderType.INSTALL: {CustomerGrade.VIP: 24 * 60, CustomerGrade.GOLD: 48 * 60,
                                CustomerGrade.ORDINARY: 72 * 60},
            OrderType.MOVE: {CustomerGrade.VIP: 24 * 60, CustomerGrade.GOLD: 48 * 60,
                             CustomerGrade.ORDINARY: 72 * 60},
        }
    )

    @model_validator(mode="after")
    def _complete_and_positive(self) -> ServiceDeadlines:
        for ot in OrderType:
            for grade in CustomerGrade:
                value = self.minutes.get(ot, {}).get(grade)
                if value is None:
                    raise ValueError(f"missing deadline for order type {ot} and grade {grade}")
                if value <= 0:
                    raise ValueError(f"deadline for {ot}/{grade} must be > 0 minutes, got {value}")
        return self

    def deadline(self, order_type: OrderType, grade: CustomerGrade, created: dt.datetime) -> dt.datetime:
        """The service deadline of an order created at ``created``."""
        return created + dt.timedelta(minutes=self.minutes[order_type][grade])


class OrderStatus(StrEnum):
    """Life cycle: created → dispatched → started → (suspended ↔ started) → completed | cancelled.

    Two ways back into the pool: a dispatched order is un-dispatched (→ created, e.g. when it moves
    to another technician: un-dispatch, then dispatch), and a suspended order is released (→ created)
    when the visit is rescheduled, so that a later plan dispatches it again.
    """

    CREATED = "created"
    DISPATCHED = "dispatched"
    STARTED = "started"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


#: Allowed status transitions; anything else is an event out of order.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.CREATED: frozenset({OrderStatus.DISPATCHED, OrderStatus.CANCELLED}),
    OrderStatus.DISPATCHED: frozenset(
        {OrderStatus.STARTED, OrderStatus.CANCELLED, OrderStatus.CREATED}  # CREATED = un-dispatch
    ),
    OrderStatus.STARTED: frozenset(
        {OrderStatus.SUSPENDED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}
    ),
    OrderStatus.SUSPENDED: frozenset(
        {OrderStatus.STARTED, OrderStatus.CANCELLED, OrderStatus.CREATED}  # CREATED = released
    ),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the life cycle does not allow (e.g. completing an order never started)."""


def check_transition(order_id: str, current: OrderStatus, new: OrderStatus) -> None:
    """Raise :class:`IllegalTransition` naming the order when ``current → new`` is not allowed."""
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        raise IllegalTransition(
            f"order {order_id}: cannot go from {current} to {new}; allowed from {current}: {allowed}"
        )


class TimeWindow(BaseModel):
    """An appointment window agreed with the customer."""

    model_config = ConfigDict(frozen=True)

    start: LocalDateTime
    end: LocalDateTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError("appointment window end must be after its start")
        return self


#: The longest repeat-fault interval an outcome may record: a year (a leap year's days).
MAX_REPEAT_FAULT_DAYS = 366


class Outcome(BaseModel):
    """What happened after the job: callback survey, repeat fault, complaint."""

    model_config = ConfigDict(frozen=True)

    #: callback answers on a 1–5 scale (5 = very satisfied); None = not surveyed
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    contact_timely: bool | None = None
    appointment_kept: bool | None = None
    skill_satisfied: bool | None = None
    attitude_satisfied: bool | None = None
    #: the fault came back within this many days of completion (the KPI looks back a year at most)
    repeat_fault_within_days: int | None = Field(default=None, ge=0, le=MAX_REPEAT_FAULT_DAYS)
    complaint: bool = False
    praise: bool = False


class StatusEvent(BaseModel):
    """One timestamped status change."""

    model_config = ConfigDict(frozen=True)

    status: OrderStatus
    at: LocalDateTime
    technician_id: str | None = None


class WorkOrder(BaseModel):
    """One job (工单): install, move or repair, at a customer's place, with a grade and deadline."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    order_type: OrderType
    difficulty: int = Field(default=1, ge=1, le=3)
    area_id: str = Identifier
    location: Location
    customer_grade: CustomerGrade = CustomerGrade.ORDINARY
    line_type: LineType = LineType.BROADBAND
    created: LocalDateTime
    appointment: TimeWindow | None = None
    deadline: LocalDateTime
    required_skills: frozenset[Skill] = frozenset()
    status: OrderStatus = OrderStatus.CREATED
    technician_id: str | None = None
    history: tuple[StatusEvent, ...] = ()
    outcome: Outcome | None = None

    terminal: ClassVar[frozenset[OrderStatus]] = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED})

    @model_validator(mode="after")
    def _consistent(self) -> WorkOrder:
        if self.deadline <= self.created:
            raise ValueError("deadline must be after the creation time")
        previous = OrderStatus.CREATED
        last_at = self.created
        for event in self.history:
            if event.at < last_at:
                raise ValueError(f"status event {event.status} at {event.at} is before the previous one")
            check_transition(self.id, previous, event.status)
            previous, last_at = event.status, event.at
        if self.history and previous != self.status:
            raise ValueError(f"status {self.status} disagrees with the last history event {previous}")
        return self

    def time_of(self, status: OrderStatus) -> dt.datetime | None:
        """First time the order entered ``status`` (None if never)."""
        return next((e.at for e in self.history if e.status == status), None)

    def last_time_of(self, status: OrderStatus) -> dt.datetime | None:
        """Last time the order entered ``status`` (None if never)."""
        return next((e.at for e in reversed(self.history) if e.status == status), None)
