"""Inputs and results of the quality instrument: KPI results, scoring schemes, grades, warnings.

Pure pydantic models; no computation beyond small helpers. The KPI functions live in
:mod:`quality.kpis`, scoring in :mod:`quality.scorecard`, warnings in :mod:`quality.warnings`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class KpiSettings(BaseModel):
    """Parameters of the KPI definitions (not of the scoring).

    Attributes
    ----------
    repeat_days:
        N of the repeat-report rate: a repaired customer reporting a fault again within N days
        counts as a repeat (``Outcome.repeat_fault_within_days <= N``).
    first_response_minutes:
        Norm of the first response: the first event after creation (normally the dispatch) must
        come within this many minutes.
    satisfied_min:
        Lowest answer on the 1–5 callback scale that counts as "satisfied" (4 = satisfied).
    as_of:
        Time of the report; an order still open after its deadline counts as overdue only when the
        deadline is before ``as_of`` (None: the end of the reported window).
    """

    model_config = ConfigDict(frozen=True)

    repeat_days: int = Field(default=30, ge=1, le=365)
    first_response_minutes: int = Field(default=30, ge=1, le=24 * 60)
    satisfied_min: int = Field(default=4, ge=1, le=5)
    as_of: dt.datetime | None = None


class KpiResult(BaseModel):
    """One KPI for one set of orders: numerator / denominator = value, traceable to the orders.

    ``value`` is None when the denominator is 0 (no data), never 0 by default. Rate KPIs have
    ``value`` in [0, 1]; ``complaints_per_1000`` is per 1,000 orders (in [0, 1000]);
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
    sample_sizes:
        Records behind each KPI (denominators) when known.
    lights:
        Red / yellow / green / grey per KPI against its target.
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
