"""Inputs and results of the quality instrument: KPI results, scoring schemes, grades, warnings.

Pure pydantic models; no computation beyond small helpers. The KPI functions live in
:mod:`quality.kpis`, scoring in :mod:`quality.scorecard`, warnings in :mod:`quality.warnings`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vocabulary.orders import WorkOrder


class Direction(StrEnum):
    """Whether a higher KPI value is better (timeliness) or worse (repeat faults, complaints)."""

    HIGHER = "higher"
    LOWER = "lower"


class Part(StrEnum):
    """The two parts of the operator's scheme: customer satisfaction and the operational scorecard."""

    SATISFACTION = "satisfaction"
    OPERATIONAL = "operational"


class UnitKind(StrEnum):
    """Organisational unit a KPI is reported for."""

    TECHNICIAN = "technician"
    REGION_GROUP = "region_group"
    BRANCH = "branch"


class PeriodKind(StrEnum):
    """Reporting period length."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Light(StrEnum):
    """Traffic light of a KPI against its target."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    GREY = "grey"  # no data or too few records to judge


class Window(BaseModel):
    """A half-open time window ``[start, end)`` with a label (``2026-03``, ``2026-W10``, ``2026-03-02``)."""

    model_config = ConfigDict(frozen=True)

    label: str
    start: dt.datetime
    end: dt.datetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"window {self.label}: end {self.end} must be after start {self.start}")
        return self

    def contains(self, at: dt.datetime | None) -> bool:
        """Whether ``at`` lies in ``[start, end)`` (False for None)."""
        return at is not None and self.start <= at < self.end


class WorkingHours(BaseModel):
    """Daily working hours of a party (the dispatch centre, the field crews), the same every day.

    ``opens`` and ``closes`` are minutes after midnight (``closes`` up to 1440 = 24:00); give them
    as numbers or as ``"HH:MM"`` text. ``WorkingHours.parse("07:30-22:00")``; around the clock is
    ``00:00-24:00``.
    """

    model_config = ConfigDict(frozen=True)

    opens: int = Field(ge=0, lt=24 * 60)
    closes: int = Field(gt=0, le=24 * 60)

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _clock_text(cls, value: object) -> object:
        if isinstance(value, dt.time):
            return value.hour * 60 + value.minute
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return int(text)
            hours, sep, minutes = text.partition(":")
            if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
                raise ValueError(f"{value!r} is not a time HH:MM")
            return int(hours) * 60 + int(minutes)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.closes <= self.opens:
            raise ValueError(f"working hours must close after they open, got {self.label}")
        return self

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """``"07:30-22:00"`` → opens 450, closes 1320 (ValueError naming the text when it is not that)."""
        opens, sep, closes = text.replace("–", "-").partition("-")
        if not sep:
            raise ValueError(f"working hours {text!r}: give them as HH:MM-HH:MM, e.g. 07:30-22:00")
        return cls.model_validate({"opens": opens.strip(), "closes": closes.strip()})

    @property
    def label(self) -> str:
        """``07:30-22:00``."""
        return f"{self.opens // 60:02d}:{self.opens % 60:02d}-{self.closes // 60:02d}:{self.closes % 60:02d}"

    @property
    def around_the_clock(self) -> bool:
        """Whether the clock never stops (00:00-24:00)."""
        return self.opens == 0 and self.closes == 24 * 60


#: The dispatch centre's hours (综调中心 07:30–22:00; VIP repairs are dispatched at night too).
DISPATCH_CENTRE_HOURS = WorkingHours(opens=7 * 60 + 30, closes=22 * 60)
#: Field work hours: visits happen 08:00–21:30 unless a deadline needs a night call-out.
FIELD_HOURS = WorkingHours(opens=8 * 60, closes=21 * 60 + 30)
AROUND_THE_CLOCK = WorkingHours(opens=0, closes=24 * 60)


class KpiSettings(BaseModel):
    """Parameters of the KPI definitions (not of the scoring).

    Attributes
    ----------
    repeat_days:
        N of the repeat-report rate: a repaired customer reporting a fault again within N days
        counts as a repeat (``Outcome.repeat_fault_within_days <= N``).
    first_response_minutes:
        Norm of the customer's view of the first response: the first event after creation
        (normally the dispatch) within this many minutes, around the clock.
    satisfied_min:
        Lowest answer on the 1–5 callback scale that counts as "satisfied" (4 = satisfied).
    dispatch_minutes:
        Norm of the dispatch centre's part: an order must be dispatched within this many minutes
        of the centre's clock (``dispatch_hours``) after its creation.
    dispatch_hours:
        The dispatch centre's working hours (default 07:30–22:00).
    technician_response_minutes:
        Norm of the technician's part: first contact with the customer (or the start on site,
        when that comes first) within this many minutes of the field clock after the dispatch.
    field_hours:
        The field crews' working hours (default 08:00–21:30).
    outcome_days:
        Days after completion within which the callback survey and complaints are recorded: the
        callback and complaint KPIs of a period are provisional until that long after its end.
    as_of:
        Time the data was taken (the data cut). Orders whose norm had not yet run out at ``as_of``
        are left out of the response KPIs; an order still open after its deadline counts as overdue
        only when the deadline is before ``as_of`` (None: the end of the reported window).
    """

    model_config = ConfigDict(frozen=True)

    repeat_days: int = Field(default=30, ge=1, le=365)
    first_response_minutes: int = Field(default=30, ge=1, le=24 * 60)
    satisfied_min: int = Field(default=4, ge=1, le=5)
    dispatch_minutes: int = Field(default=30, ge=1, le=24 * 60)
    dispatch_hours: WorkingHours = DISPATCH_CENTRE_HOURS
    technician_response_minutes: int = Field(default=30, ge=1, le=24 * 60)
    field_hours: WorkingHours = FIELD_HOURS
    outcome_days: int = Field(default=7, ge=0, le=90)
    as_of: dt.datetime | None = None

    def cut(self, window: Window) -> dt.datetime:
        """The data cut used for ``window``: ``as_of``, or the window's end when not given."""
        return self.as_of or window.end


class KpiResult(BaseModel):
    """One KPI for one set of orders: numerator / denominator = value, traceable to the orders.

    ``value`` is None when the denominator is 0 (no data), never 0 by default. Rate KPIs have
    ``value`` in [0, 1]; ``complaints_per_1000`` is per 1,000 completed orders (in [0, 1000]);
    ``install_wait_hours`` is a mean in hours. ``ci_low``/``ci_high`` is the 95% Wilson score
    interval of a rate (scaled like ``value``), None for means.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    numerator: Decimal
    denominator: int
    value: Decimal | None
    order_ids: tuple[str, ...] = ()
    numerator_ids: tuple[str, ...] = ()
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None
    #: records left out of this KPI, by the rule they broke
    excluded: dict[str, int] = Field(default_factory=dict)
    #: the figure can still change: the data was taken (``as_of``) before ``settles_at``
    provisional: bool = False
    #: when no later record can change the figure any more (see :data:`quality.kpis.KPI_SETTLES`)
    settles_at: dt.datetime | None = None
    #: orders whose part in this figure can still change at ``as_of`` (a repair that may still see a
    #: repeat, an order whose response norm still runs)
    pending: int = 0
    #: order → the later order it is linked to (a repair → the repeat fault report of the same line)
    links: dict[str, str] = Field(default_factory=dict)

    @property
    def excluded_total(self) -> int:
        """How many records were left out of this KPI."""
        return sum(self.excluded.values())


class KpiRule(BaseModel):
    """How one KPI is scored: weight (points), target, direction, zero-point floor, warning limit.

    Points are linear between ``floor`` (0 points) and ``target`` (full ``weight``), clamped.
    Light: green when the target is met, yellow when ``warn`` is met, red otherwise.
    """

    model_config = ConfigDict(frozen=True)

    weight: Decimal = Field(ge=0)
    target: Decimal
    direction: Direction = Direction.HIGHER
    floor: Decimal
    warn: Decimal
    part: Part = Part.OPERATIONAL
    #: fewer records than this: the KPI is not scored (flagged, weight shared by the rest)
    min_sample: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> KpiRule:
        if self.direction == Direction.HIGHER:
            ok = self.floor < self.target and self.floor <= self.warn <= self.target
        else:
            ok = self.floor > self.target and self.floor >= self.warn >= self.target
        if not ok:
            raise ValueError(
                f"direction {self.direction}: need floor "
                f"{'<' if self.direction == Direction.HIGHER else '>'} target with warn between them; "
                f"got floor={self.floor}, warn={self.warn}, "
                f"target={self.target}"
            )
        return self

    def meets(self, value: Decimal, limit: Decimal) -> bool:
        """Whether ``value`` is at least as good as ``limit`` in this rule's direction."""
        return value >= limit if self.direction == Direction.HIGHER else value <= limit

    def light(self, value: Decimal | None) -> Light:
        """Red / yellow / green of ``value`` (grey when None)."""
        if value is None:
            return Light.GREY
        if self.meets(value, self.target):
            return Light.GREEN
        if self.meets(value, self.warn):
            return Light.YELLOW
        return Light.RED

    def light_for(self, value: Decimal | None, records: int | None) -> Light:
        """The one traffic light of a KPI value behind ``records`` records, wherever it is shown (KPI
        table, scorecard, warnings): grey without a value or with fewer records than ``min_sample``
        (too few to judge), else :meth:`light` of the value itself."""
        if records is not None and records < self.min_sample:
            return Light.GREY
        return self.light(value)


class GradeBand(BaseModel):
    """A grade letter and the lowest score (inclusive) that earns it."""

    model_config = ConfigDict(frozen=True)

    grade: str = Field(min_length=1, max_length=8)
    min_score: Decimal = Field(ge=0, le=100)


class ScoredGrade(BaseModel):
    """A scorecard result: score (0–100), grade letter, points per KPI and flags.

    Attributes
    ----------
    score:
        Points out of 100, quantised to 0.01 (half-up).
    grade:
        Letter from the scheme's bands; a function of ``score`` only (monotone).
    points:
        Points earned per scored KPI (before the part normalisation; see ``ScoreScheme``).
    flags:
        Human-readable notes: KPIs left out (no data, small sample), shrinkage applied,
        insufficient data.
    values:
        The KPI values the score was computed from (after any shrinkage).
    own_values:
        The technician's own KPI values (before shrinkage): the numbers of the KPI table, and what
        the lights judge.
    sample_sizes:
        Records behind each KPI (denominators) when known.
    lights:
        Red / yellow / green / grey per KPI: the light of the own value
        (:meth:`KpiRule.light_for`), the same light the KPI table shows.
    intervals:
        95 % Wilson interval of each rate KPI's own (unshrunk) value, when known: the honest range
        of a small sample.
    """

    model_config = ConfigDict(frozen=True)

    score: Decimal
    grade: str
    points: dict[str, Decimal] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    values: dict[str, Decimal | None] = Field(default_factory=dict)
    own_values: dict[str, Decimal | None] = Field(default_factory=dict)
    sample_sizes: dict[str, int] = Field(default_factory=dict)
    lights: dict[str, Light] = Field(default_factory=dict)
    intervals: dict[str, tuple[Decimal, Decimal]] = Field(default_factory=dict)


class KpiWarning(BaseModel):
    """One warning: a KPI of a unit missing its target (with its light) or a trigger."""

    model_config = ConfigDict(frozen=True)

    unit_kind: UnitKind
    unit_id: str
    period: str
    kpi: str
    light: Light
    value: Decimal | None
    target: Decimal
    months_missed: int = 1
    trigger: bool = False
    message: str = ""


class EscalationReason(StrEnum):
    """Why an order is on the escalation list."""

    OVERDUE = "overdue"
    DISSATISFIED = "dissatisfied"
    REPEAT_FAULT = "repeat_fault"
    COMPLAINT = "complaint"


class Escalation(BaseModel):
    """An order to escalate, with every reason that applies."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    technician_id: str | None
    reasons: tuple[EscalationReason, ...]
    detail: str = ""


class Exclusion(BaseModel):
    """A record left out of some KPIs (all when ``kpis`` is empty), with the rule it broke.

    ``technician_id`` and ``at`` (the best known time of the record) place the exclusion in a
    unit and period so each KPI cell can say how many records it lost and why.
    """

    model_config = ConfigDict(frozen=True)

    record: str
    rule: str
    kpis: frozenset[str] = frozenset()
    technician_id: str | None = None
    at: dt.datetime | None = None

    def applies_to(self, kpi: str) -> bool:
        """Whether this exclusion removes the record from ``kpi``."""
        return not self.kpis or kpi in self.kpis


class KpiOrder(WorkOrder):
    """A work order as the quality instrument reads it: the order plus facts only the KPIs use.

    Every field is optional, so records without them (older files, the platform tables) read as
    before; a plain :class:`~vocabulary.orders.WorkOrder` is read as a ``KpiOrder`` with none of them.

    Attributes
    ----------
    customer_line_id:
        The customer's line (access number, 宽带账号); repeat faults are counted per line when given.
    repeat_of:
        Id of the earlier order this one reports again (a repeat fault of that order).
    first_contact_at:
        When the technician first contacted the customer after dispatch (call or SMS).
    contacts_recorded:
        Whether the source records first contacts at all (a ``first_contact_at`` column): only then
        does a blank mean "no contact"; otherwise the contact is unknown.
    left_out_of:
        KPIs this record is left out of because a field they read was bad (see
        :mod:`quality.validate`); every KPI function honours it.
    repeated_by, repeated_after:
        Derived (:func:`quality.kpis.link_repeats`): the first later fault report of the same
        customer line (or one naming this order in ``repeat_of``) and how long after this order's
        completion it came.
    """

    model_config = ConfigDict(frozen=True)

    customer_line_id: str | None = Field(default=None, max_length=64)
    repeat_of: str | None = Field(default=None, max_length=64)
    first_contact_at: dt.datetime | None = None
    contacts_recorded: bool = False
    left_out_of: frozenset[str] = frozenset()
    repeated_by: str | None = None
    repeated_after: dt.timedelta | None = None

    @model_validator(mode="after")
    def _contact_after_creation(self) -> KpiOrder:
        if self.first_contact_at is not None and self.first_contact_at < self.created:
            raise ValueError(f"first contact {self.first_contact_at} is before the creation {self.created}")
        return self
