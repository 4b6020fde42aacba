"""Inputs and results of rolling dispatch (pydantic; imports no solver).

Times at the interface are local ``datetime`` (Asia/Shanghai, naive; an input time given with a
UTC offset is converted: :data:`vocabulary.orders.LocalDateTime`); inside the engine they become
integer minutes after the plan's ``origin`` (midnight of the day by default).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vocabulary.orders import CustomerGrade, LocalDateTime, OrderStatus, OrderType, TimeWindow, WorkOrder
from vocabulary.organisation import AreaType, Identifier, Location
from vocabulary.staff import Skill, Technician

_frozen = ConfigDict(frozen=True)


#: The dispatch unit of a small area under a small-area contract (:mod:`scheduler.dispatch.operating`)
#: is ``contract.<area id>``: only that area's owner serves it, nobody covers (not the support team).
CONTRACT_PREFIX = "contract."


def is_contract_unit(unit: str) -> bool:
    """True for the dispatch unit of a small area under a small-area contract."""
    return unit.startswith(CONTRACT_PREFIX)


class Area(BaseModel):
    """What dispatch needs of a small area: its region group and area type (drives travel speed)."""

    model_config = _frozen

    id: str = Identifier
    region_group_id: str = Identifier
    area_type: AreaType = AreaType.URBAN


class OnDutyTechnician(BaseModel):
    """A technician on duty today, as published by the roster or given directly.

    ``available_from``/``position`` describe the current state: busy until, and where he will be.
    A started order assigned to him (status ``started``) is fixed in every re-plan.
    """

    model_config = _frozen

    id: str = Identifier
    region_group_id: str | None = None
    home_area_id: str | None = None
    skills: frozenset[Skill] = frozenset({Skill.BROADBAND, Skill.FIXED_LINE})
    support_team: bool = False
    shift_start: LocalDateTime
    shift_end: LocalDateTime
    start_location: Location
    #: where the day ends; None = the day ends at the last job (no return leg)
    end_location: Location | None = None
    available_from: LocalDateTime | None = None
    position: Location | None = None
    #: False once the technician became unavailable during the day (no new work)
    available: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> OnDutyTechnician:
        if self.shift_end <= self.shift_start:
            raise ValueError(f"technician {self.id}: shift_end must be after shift_start")
        if not self.support_team and self.region_group_id is None:
            raise ValueError(
                f"technician {self.id}: a technician outside the support team needs a region group"
            )
        return self

    @classmethod
    def from_technician(
        cls,
        tech: Technician,
        shift_start: dt.datetime,
        shift_end: dt.datetime,
        start_location: Location,
        end_location: Location | None = None,
    ) -> OnDutyTechnician:
        """Build from the shared :class:`~vocabulary.staff.Technician` and a roster shift."""
        return cls(
            id=tech.id,
            region_group_id=tech.region_group_id,
            home_area_id=tech.home_area_id,
            skills=tech.skills,
            support_team=tech.support_team,
            shift_start=shift_start,
            shift_end=shift_end,
            start_location=start_location,
            end_location=end_location,
        )


class OnDutyShift(BaseModel):
    """One technician on duty on a day: his shift's clock times and, for a support-team member,
    the region group he works for that day (as the published roster deployed him).

    The seam between rosters and dispatch: ``scheduler.day`` turns the roster's published shifts
    into these; :func:`scheduler.dispatch.db_day.day_from_db` turns them into
    :class:`OnDutyTechnician` with the technician's skills and start location (his home area).
    """

    model_config = _frozen

    technician_id: str = Identifier
    start: LocalDateTime
    end: LocalDateTime
    shift_id: str | None = None
    #: a support-team member works for this region group today (None: the whole branch)
    region_group_id: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OnDutyShift:
        if self.end <= self.start:
            raise ValueError(f"technician {self.technician_id}: shift end must be after its start")
        return self


class DispatchOrder(BaseModel):
    """A work order as dispatch sees it: where, how long, by when, for whom, needing what."""

    model_config = _frozen

    id: str = Identifier
    order_type: OrderType = OrderType.REPAIR
    difficulty: int = Field(default=1, ge=1, le=3)
    area_id: str = Identifier
    location: Location
    customer_grade: CustomerGrade = CustomerGrade.ORDINARY
    created: LocalDateTime
    deadline: LocalDateTime
    appointment: TimeWindow | None = None
    #: on-site minutes (standard hours of the work-hour pool, or given directly)
    duration_min: int = Field(gt=0, le=24 * 60)
    required_skills: frozenset[Skill] = frozenset()
    status: OrderStatus = OrderStatus.CREATED
    technician_id: str | None = None
    #: the technician of another group who claimed it (认领): he may do it whatever his group
    claimed_by: str | None = None
    started_at: LocalDateTime | None = None
    completed_at: LocalDateTime | None = None
    #: orders that must be finished before this one starts
    depends_on: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> DispatchOrder:
        if self.deadline <= self.created:
            raise ValueError(f"order {self.id}: deadline must be after the creation time")
        if self.status == OrderStatus.STARTED and (self.technician_id is None or self.started_at is None):
            raise ValueError(f"order {self.id}: a started order needs technician_id and started_at")
        if self.id in self.depends_on:
            raise ValueError(f"order {self.id}: an order cannot depend on itself")
        return self

    @classmethod
    def from_work_order(cls, order: WorkOrder, duration_min: int) -> DispatchOrder:
        """Build from the shared :class:`~vocabulary.orders.WorkOrder` and its standard minutes."""
        return cls(
            id=order.id,
            order_type=order.order_type,
            difficulty=order.difficulty,
            area_id=order.area_id,
            location=order.location,
            customer_grade=order.customer_grade,
            created=order.created,
            deadline=order.deadline,
            appointment=order.appointment,
            duration_min=duration_min,
            required_skills=order.required_skills,
            status=order.status,
            technician_id=order.technician_id,
            started_at=order.time_of(OrderStatus.STARTED),
            completed_at=order.time_of(OrderStatus.COMPLETED),
        )


class TravelModel(BaseModel):
    """Great-circle distance × road factor at a speed per area type, or a supplied matrix."""

    model_config = _frozen

    road_factor: float = Field(default=1.3, ge=1.0, le=3.0)
    speed_kmh: dict[AreaType, float] = Field(
        default_factory=lambda: {AreaType.URBAN: 20.0, AreaType.SUBURBAN: 35.0, AreaType.RURAL: 50.0}
    )
    #: optional supplied matrix: minutes[from_key][to_key]; keys are order ids and "tech:<id>" starts
    matrix: dict[str, dict[str, int]] | None = None


class DispatchPolicy(BaseModel):
    """The operator's dispatch rules as weights, in its order of priority.

    ``mode="lexicographic"`` scales each objective so that no amount of a lower one can pay for one
    unit of a higher one (customer priority ≫ own area ≫ nearest ≫ balance); ``"weighted"`` uses the
    weights as given.
    """

    model_config = _frozen

    mode: Literal["weighted", "lexicographic"] = "weighted"
    #: penalty for leaving an order unserved today, per grade (VIP is raised above all others anyway)
    drop_penalty: dict[CustomerGrade, int] = Field(
        default_factory=lambda: {
            CustomerGrade.VIP: 1_000_000,
            CustomerGrade.GOLD: 100_000,
            CustomerGrade.ORDINARY: 10_000,
        }
    )
    #: penalty per minute an order finishes after its deadline, per grade
    late_per_min: dict[CustomerGrade, int] = Field(
        default_factory=lambda: {CustomerGrade.VIP: 100, CustomerGrade.GOLD: 30, CustomerGrade.ORDINARY: 10}
    )
    own_area_penalty: int = Field(default=30, ge=0, description="per order served outside the own small area")
    travel_per_min: int = Field(default=1, ge=0, description="per travel minute (nearest technician first)")
    balance_per_min: int = Field(default=1, ge=0, description="per minute of working-time spread in a group")
    stability_penalty: int = Field(
        default=20, ge=0, description="per dispatched order moved to another technician"
    )
    first_response_min: int = Field(default=30, gt=0)
    deadline_warning_min: int = Field(
        default=60, ge=0, description="warn when slack to the deadline is below this"
    )
    intake_work_share: float = Field(
        default=0.8,
        gt=0,
        le=2,
        description="a day takes open orders without an appointment until their on-site minutes reach "
        "this share of the on-duty shift minutes (the rest of a shift goes to travel)",
    )


class DeferredOrder(BaseModel):
    """An open order the day's intake left for a later day, and why."""

    model_config = _frozen

    order_id: str
    customer_grade: CustomerGrade
    deadline: dt.datetime
    #: the deadline is before the end of the day: it will be late
    overdue: bool
    reason: str


class OnDutySource(StrEnum):
    """Where the day's on-duty technicians came from."""

    ROSTER = "roster"
    OVERRIDE = "override"


class DayIntake(BaseModel):
    """How a day planned from the order table was made: who is on duty by which authority, and
    which open orders it took (see :mod:`scheduler.dispatch.intake`) and which it left for later."""

    model_config = _frozen

    source: OnDutySource
    #: the published roster the on-duty technicians come from (also with an override, if one covers the day)
    roster_id: str | None = None
    roster_version: int | None = None
    #: the user who gave the on-duty list instead of the roster
    overridden_by: str | None = None
    #: what the board shows: "roster <id> v<n>" or "roster overridden by <user>"
    note: str
    #: shift minutes of the on-duty technicians and the share of them offered to orders
    capacity_min: int = 0
    taken_min: int = 0
    rule: str = ""
    deferred: tuple[DeferredOrder, ...] = ()


class DayInput(BaseModel):
    """Everything a day plan is made from."""

    model_config = _frozen

    branch_id: str = Identifier
    day: dt.date
    #: planning clock: nothing new starts before it (morning plan: the shift start)
    now: LocalDateTime
    technicians: tuple[OnDutyTechnician, ...]
    orders: tuple[DispatchOrder, ...]
    areas: tuple[Area, ...]
    #: (south, west, north, east) of the branch; None = no location check
    bbox: tuple[float, float, float, float] | None = None
    travel: TravelModel = Field(default_factory=TravelModel)
    policy: DispatchPolicy = Field(default_factory=DispatchPolicy)
    #: set when the day was planned from the order table (then every order change of this day is
    #: also a status change of its work order); None for a day input given directly
    intake: DayIntake | None = None

    @property
    def origin(self) -> dt.datetime:
        """Minute 0 of the engine's clock: midnight of the day."""
        return dt.datetime.combine(self.day, dt.time())


class StopStatus(StrEnum):
    """State of a stop in the plan."""

    PLANNED = "planned"
    STARTED = "started"
    COMPLETED = "completed"


class Stop(BaseModel):
    """One order on a technician's timeline, with its ETA."""

    model_config = _frozen

    order_id: str
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime
    travel_min: int
    deadline: dt.datetime
    late_min: int = 0
    status: StopStatus = StopStatus.PLANNED
    locked: bool = False


class TechRoute(BaseModel):
    """A technician's timeline for the day."""

    model_config = _frozen

    technician_id: str
    stops: tuple[Stop, ...] = ()
    #: travel + on-site minutes of the day (the workload the balance rule spreads)
    work_min: int = 0
    travel_min: int = 0
    finish: dt.datetime | None = None
    #: when and where the remaining day starts (after any started order): free from this time
    ready_at: dt.datetime | None = None


class Unassigned(BaseModel):
    """An order left out of today's plan, with the rule that keeps it out."""

    model_config = _frozen

    order_id: str
    rule: str
    reason: str


class WarningKind(StrEnum):
    """Kinds of dispatch warnings."""

    DEADLINE_MISS = "deadline_miss"
    DEADLINE_NEAR = "deadline_near"
    UNSERVABLE = "unservable"
    ESCALATION = "escalation"
    FIRST_RESPONSE = "first_response"


class PlanWarning(BaseModel):
    """A warning on the dispatch board."""

    model_config = _frozen

    kind: WarningKind
    order_id: str
    technician_id: str | None = None
    message: str
    due_at: dt.datetime | None = None


class DayPlan(BaseModel):
    """A day's dispatch: per-technician timelines with ETAs, unassigned orders, warnings, score."""

    model_config = _frozen

    branch_id: str
    day: dt.date
    now: dt.datetime
    routes: tuple[TechRoute, ...]
    unassigned: tuple[Unassigned, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    #: penalty per soft rule (see ``rules.SOFT_RULES``) recomputed from the plan
    score: dict[str, int] = Field(default_factory=dict)
    version: int = 1

    def route_of(self, technician_id: str) -> TechRoute | None:
        """The technician's route, None if he has none."""
        return next((r for r in self.routes if r.technician_id == technician_id), None)

    def assignment(self) -> dict[str, str]:
        """Order id → technician id of every planned stop."""
        return {s.order_id: r.technician_id for r in self.routes for s in r.stops}


class DayBoard(DayPlan):
    """The dispatch board: the plan in force and how its day was made (on-duty source, backlog left
    for later)."""

    intake: DayIntake | None = None


class TechnicianStop(BaseModel):
    """One of a technician's orders of the day, as his own page shows it."""

    model_config = _frozen

    order_id: str
    #: position on his timeline (1 = first); None for an order off the timeline (suspended)
    seq: int | None
    status: OrderStatus
    order_type: OrderType
    difficulty: int
    customer_grade: CustomerGrade
    area_id: str
    area_name: str | None = None
    location: Location
    appointment: TimeWindow | None = None
    deadline: dt.datetime
    eta: dt.datetime | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    late_min: int = 0
    #: why the order was last suspended (when it is suspended)
    suspend_reason: str | None = None


class TechnicianDay(BaseModel):
    """A technician's day: his stops in order with where, for whom, when and in which state."""

    model_config = _frozen

    branch_id: str
    day: dt.date
    technician_id: str
    version: int
    shift_start: dt.datetime | None = None
    shift_end: dt.datetime | None = None
    stops: tuple[TechnicianStop, ...] = ()
