"""Inputs and results of the work-hour pool (工时池): observations, standards, forecasts, pools, quotas.

The observation itself is the shared :class:`vocabulary.workstudy.Observation`. The pool adds
travel per visit by area type separately (issue 3: "forecast orders × standard hours + travel by
area type"), so a cell's standard covers the rated elements only (on-site work + paperwork);
travel gets its own unrated standard per area type and waiting belongs to the delay allowance.

Pure data (pydantic models); no computation beyond validation lives here. Times are minutes
(floats for statistics, integer minutes where a solver consumes them); money is ``Decimal`` yuan
in computation and integer fen when stored.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, model_validator
from pydantic_core import core_schema

from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType, Identifier
from vocabulary.workstudy import Observation

__all__ = ["Observation"]  # re-exported: the shared work-study record

#: Version of the method that turns observations into standards; stored with every table.
METHOD_VERSION = "timepool.standards/1"

#: Share of repair orders resolved remotely (line test, guided fix) without a visit, unless given:
#: none. Every repair order of the history is forecast to need a visit (the demo city's histories
#: visit every repair). Give the branch's measured share (e.g. 0.2) to plan for remote
#: pre-processing; every quota, headcount and what-if states the share it used.
DEFAULT_REMOTE_SHARE = 0.0
#: Minutes of an 8-hour shift spent on orders, unless given: 480 less 60 for the morning briefing,
#: material pick-up and meals.
DEFAULT_PRODUCTIVE_MINUTES = 420


class AllowanceConvention(StrEnum):
    """How a personal/fatigue/delay allowance A is applied to normal time.

    ``on_normal_time``: standard = normal × (1 + A) (allowance as a share of normal time).
    ``share_of_workday``: standard = normal ÷ (1 − A) (allowance as a share of the working day).
    """

    ON_NORMAL_TIME = "on_normal_time"
    SHARE_OF_WORKDAY = "share_of_workday"


class OutlierRule(StrEnum):
    """Named rule for setting observations aside. Both are scale-invariant.

    ``mad``: modified z-score (Iglewicz & Hoaglin): set aside when 0.6745·|x − median| / MAD > 3.5;
    when MAD is 0, the mean absolute deviation about the median × 1.253314 stands in for it.
    ``iqr``: Tukey's fences: set aside below Q1 − 1.5·IQR or above Q3 + 1.5·IQR
    (quartiles by linear interpolation).
    ``none``: keep everything.
    """

    MAD = "mad"
    IQR = "iqr"
    NONE = "none"


class CellKey(BaseModel):
    """One standard-hour cell: (order type, difficulty, area type)."""

    model_config = ConfigDict(frozen=True)

    order_type: OrderType
    difficulty: int = Field(ge=1, le=3)
    area_type: AreaType

    def label(self) -> str:
        return f"{self.order_type}/{self.difficulty}/{self.area_type}"


class SetAside(BaseModel):
    """One observation the outlier rule set aside, and why (a row of the report)."""

    model_config = ConfigDict(frozen=True)

    observation_id: str
    cell: str
    quantity: str = Field(description="'normal_min' (work) or 'travel_min'")
    value: float
    reason: str


class SetAsideGroup(BaseModel):
    """What one outlier rule set aside in one cell, with the cell's statistics behind the decision.

    Stored per cell (not per observation) so that a million-row study with tens of thousands of
    outliers stays compact; :meth:`rows` gives the per-observation report with each reason.
    """

    model_config = ConfigDict(frozen=True)

    cell: str
    quantity: str = Field(description="'normal_min' (work) or 'travel_min'")
    rule: OutlierRule
    #: mad: median, scale (MAD or its stand-in); iqr: q1, q3
    statistics: dict[str, float]
    scale_name: str = ""
    low: float = Field(description="values below are set aside")
    high: float = Field(description="values above are set aside")
    observation_ids: list[str]
    values: list[float]

    def reason(self, value: float) -> str:
        """Why ``value`` was set aside, in words with the numbers."""
        if self.rule is OutlierRule.MAD:
            med, scale = self.statistics["median"], self.statistics["scale"]
            z = 0.6745 * abs(value - med) / scale
            return (
                f"mad rule: 0.6745·|x − median|/{self.scale_name} = {z:.2f} > 3.5 "
                f"(median {med:.4g}, scale {scale:.4g})"
            )
        q1, q3 = self.statistics["q1"], self.statistics["q3"]
        side = f"< Q1 − 1.5·IQR = {self.low:.4g}" if value < self.low else f"> Q3 + 1.5·IQR = {self.high:.4g}"
        return f"iqr rule: {value:.4g} {side} (Q1 {q1:.4g}, Q3 {q3:.4g})"

    def rows(self) -> list[SetAside]:
        """One report row per observation set aside."""
        return [
            SetAside(observation_id=i, cell=self.cell, quantity=self.quantity, value=v, reason=self.reason(v))
            for i, v in zip(self.observation_ids, self.values, strict=True)
        ]


class StandardParams(BaseModel):
    """Parameters of the standards method (kept with every table as provenance)."""

    model_config = ConfigDict(frozen=True)

    allowance: float = Field(default=0.15, ge=0, lt=1, description="personal, fatigue and delay allowance A")
    convention: AllowanceConvention = AllowanceConvention.ON_NORMAL_TIME
    outlier_rule: OutlierRule = OutlierRule.MAD
    confidence: float = Field(default=0.95, gt=0, lt=1, description="level of the confidence intervals")
    accuracy: float = Field(default=0.05, gt=0, lt=1, description="relative precision for sample adequacy")
    adequacy_z: float = Field(default=2.0, gt=0, description="z of the stopwatch formula (2 → ≈95%)")


class StandardCell(BaseModel):
    """The standard time of one cell with its statistics and sample adequacy."""

    model_config = ConfigDict(frozen=True)

    order_type: OrderType
    difficulty: int
    area_type: AreaType
    n_observed: int
    n_used: int
    n_set_aside: int
    mean_normal_min: float
    sd_normal_min: float
    standard_min: float
    ci_low_min: float | None
    ci_high_min: float | None
    required_n: int | None = Field(description="stopwatch-formula sample size for the precision asked")
    more_needed: int | None = Field(description="observations still needed (0 = adequate; None = unknown)")
    adequate: bool

    @property
    def key(self) -> tuple[str, int, str]:
        return (str(self.order_type), self.difficulty, str(self.area_type))


class TravelCell(BaseModel):
    """Standard travel time to a job in one area type (unrated)."""

    model_config = ConfigDict(frozen=True)

    area_type: AreaType
    n_observed: int
    n_used: int
    n_set_aside: int
    travel_min: float
    sd_travel_min: float = 0.0
    ci_low_min: float | None
    ci_high_min: float | None


class StandardTable(BaseModel):
    """A versionable standard-hour table with its provenance."""

    model_config = ConfigDict(frozen=True)

    scope: str = Field(description="a branch id or 'province:<name>'")
    method_version: str = METHOD_VERSION
    params: StandardParams
    observation_count: int
    observations_sha256: str
    observation_ids: list[str] = Field(default_factory=list)
    cells: list[StandardCell]
    travel: list[TravelCell]
    set_aside: list[SetAsideGroup] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="branch tables a province table combines")

    def set_aside_rows(self) -> list[SetAside]:
        """Every observation set aside, one row each with its reason (work first, then travel)."""
        return [row for group in self.set_aside for row in group.rows()]

    def cell(self, order_type: str, difficulty: int, area_type: str) -> StandardCell | None:
        """The cell for a key, or None."""
        for c in self.cells:
            if c.key == (str(order_type), difficulty, str(area_type)):
                return c
        return None

    def travel_for(self, area_type: str) -> TravelCell | None:
        """The travel standard for an area type, or None."""
        return next((t for t in self.travel if str(t.area_type) == str(area_type)), None)


class AreaInfo(BaseModel):
    """Where a small area belongs: its region group, branch and area type."""

    model_config = ConfigDict(frozen=True)

    area_id: str = Identifier
    region_group_id: str = Identifier
    branch_id: str = Identifier
    area_type: AreaType


class HistoricOrder(BaseModel):
    """One past work order, as far as forecasting needs it."""

    model_config = ConfigDict(frozen=True)

    area_id: str
    order_type: OrderType
    difficulty: int = Field(default=1, ge=1, le=3)
    day: dt.date


class Uplift(BaseModel):
    """A seasonal uplift (rainy season, promotion): orders × factor inside a period."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    start: dt.date
    end: dt.date
    factor: float = Field(gt=0)
    order_types: frozenset[OrderType] = frozenset(OrderType)

    @model_validator(mode="after")
    def _ordered(self) -> Uplift:
        if self.end < self.start:
            raise ValueError(f"uplift {self.name!r}: end {self.end} is before start {self.start}")
        return self

    def applies(self, day: dt.date, order_type: OrderType) -> bool:
        return self.start <= day <= self.end and order_type in self.order_types


class ForecastCell(BaseModel):
    """Expected orders of one kind in one small area on one day."""

    model_config = ConfigDict(frozen=True)

    area_id: str
    day: dt.date
    order_type: OrderType
    difficulty: int = Field(default=1, ge=1, le=3)
    orders: float = Field(ge=0)


class Forecast(BaseModel):
    """Order forecast per small area per day, and how it was made."""

    model_config = ConfigDict(frozen=True)

    cells: list[ForecastCell]
    method: str = "given"
    notes: list[str] = Field(default_factory=list)

    def scaled(
        self,
        factor: float,
        order_types: frozenset[OrderType] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Forecast:
        """A copy with orders × ``factor`` for the given order types inside [start, end]."""
        cells = []
        for c in self.cells:
            hit = (
                (order_types is None or c.order_type in order_types)
                and (start is None or c.day >= start)
                and (end is None or c.day <= end)
            )
            cells.append(c.model_copy(update={"orders": c.orders * factor}) if hit else c)
        return Forecast(cells=cells, method=f"{self.method} × {factor}", notes=list(self.notes))


class PoolDay(BaseModel):
    """The work-hour pool of one region group on one day."""

    model_config = ConfigDict(frozen=True)

    region_group_id: str
    branch_id: str
    day: dt.date
    orders: float
    visits: float
    work_min: float
    travel_min: float

    @property
    def total_min(self) -> float:
        return self.work_min + self.travel_min


class Pool(BaseModel):
    """Work-hour pool per region group per day."""

    model_config = ConfigDict(frozen=True)

    days: list[PoolDay]
    standards_scope: str = ""
    standards_sha256: str = ""
    notes: list[str] = Field(default_factory=list)

    def groups(self) -> list[str]:
        return sorted({d.region_group_id for d in self.days})

    def branch_of(self) -> dict[str, str]:
        return {d.region_group_id: d.branch_id for d in self.days}


class ShrinkagePolicy(BaseModel):
    """Where paid days go besides work: rest days, leave, training (shares of calendar days, additive)."""

    model_config = ConfigDict(frozen=True)

    rest_days_per_week: int = Field(default=1, ge=1, le=2)
    leave_days_per_year: float = Field(default=10, ge=0, le=60)
    training_days_per_year: float = Field(default=5, ge=0, le=60)
    other_share: float = Field(default=0.0, ge=0, lt=0.5, description="sick leave, meetings …")

    @property
    def shrinkage(self) -> float:
        """Total shrinkage: rest/7 + leave/365 + training/365 + other."""
        return (
            self.rest_days_per_week / 7
            + self.leave_days_per_year / 365
            + self.training_days_per_year / 365
            + self.other_share
        )


class OverflowRates(BaseModel):
    """Cost of hours the employed headcount cannot cover (Decimal yuan per hour)."""

    model_config = ConfigDict(frozen=True)

    partner_yuan_per_hour: Decimal = Decimal("60")
    volunteer_yuan_per_hour: Decimal = Decimal("45")
    volunteer_hours_cap: Decimal = Field(
        default=Decimal("0"), ge=0, description="hours volunteers may claim in the period"
    )


class HeadcountRow(BaseModel):
    """FTE and headcount of one region group (or a branch total) over a period."""

    model_config = ConfigDict(frozen=True)

    unit: str = Field(description="region group id, or 'branch:<id>' for a total")
    branch_id: str
    workload_hours: Decimal
    shrinkage: Decimal
    fte: Decimal
    heads_needed: int
    employed: int
    shortfall_heads: int
    overflow_hours: Decimal
    volunteer_hours: Decimal
    partner_hours: Decimal
    overflow_cost_fen: int


class Assumption(BaseModel):
    """One parameter behind a result: its value, the default, and whether the value was given."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str
    default: str
    given: bool = Field(description="false: the default produced the result")
    meaning: str


class EmployedBasis(StrEnum):
    """Who counts as employed in a region group when headcount compares heads needed with heads there.

    ``posted``: every technician posted to the group, own staff and partners (代维) alike: both take
    the group's orders. ``own_staff``: own staff only (partners then count as overflow capacity).
    The support team is never posted to a group: it covers peaks and rest days branch-wide and is
    reported beside the groups, not counted against any group's workload.
    """

    POSTED = "posted"
    OWN_STAFF = "own_staff"


class StaffCounts(BaseModel):
    """Technicians of a branch employed on a day: own staff and partners per region group, support team."""

    model_config = ConfigDict(frozen=True)

    day: dt.date
    own_staff: dict[str, int] = Field(default_factory=dict)
    partners: dict[str, int] = Field(default_factory=dict)
    support_team: int = 0

    def employed(self, basis: EmployedBasis = EmployedBasis.POSTED) -> dict[str, int]:
        """Heads counted as employed per region group on ``basis``."""
        groups = set(self.own_staff) | (set(self.partners) if basis is EmployedBasis.POSTED else set())
        return {
            g: self.own_staff.get(g, 0) + (self.partners.get(g, 0) if basis is EmployedBasis.POSTED else 0)
            for g in sorted(groups)
        }

    def describe(self, basis: EmployedBasis = EmployedBasis.POSTED) -> str:
        """What ``employed`` counts, in numbers: e.g. "84 own staff + 16 partners posted to region
        groups on 2026-07-01; support team (4) not counted"."""
        own, partners = sum(self.own_staff.values()), sum(self.partners.values())
        counted = f"{own} own staff + {partners} partners" if basis is EmployedBasis.POSTED else (
            f"{own} own staff (partners {partners} not counted: overflow capacity)")
        return (f"{counted} posted to region groups on {self.day.isoformat()}; support team "
                f"({self.support_team}) not counted: it covers peaks and rest days branch-wide")


class Headcount(BaseModel):
    """Headcount of every group and branch for a period, with the assumptions behind it."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    days: int
    productive_minutes_per_shift: int
    policy: ShrinkagePolicy
    rows: list[HeadcountRow]
    assumptions: list[Assumption] = Field(default_factory=list)


class WhatIfRow(BaseModel):
    """Technicians needed per unit in the baseline and in a scenario."""

    model_config = ConfigDict(frozen=True)

    unit: str
    branch_id: str
    baseline_fte: Decimal
    baseline_heads: int
    scenario_fte: Decimal
    scenario_heads: int
    delta_heads: int


class Scenario(BaseModel):
    """A what-if: order uplifts and a rest-day policy."""

    model_config = ConfigDict(frozen=True)

    name: str
    uplifts: list[Uplift] = Field(default_factory=list)
    rest_days_per_week: int | None = Field(default=None, ge=1, le=2)


# ---------------------------------------------------------------------------------------------
# Quotas: what crosses from the pool to the roster
# ---------------------------------------------------------------------------------------------


def _heads(value: Any, where: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{where}: heads must be an integer, got {value!r}") from None


def _per_day(per_day: Mapping[dt.date, int], where: str) -> Mapping[dt.date, int]:
    cells: dict[dt.date, int] = {}
    for day, heads in sorted(per_day.items()):
        if not isinstance(day, dt.date):
            raise TypeError(f"{where}: days must be dates, got {day!r}")
        cells[day] = _heads(heads, f"{where}[{day}]")
    return MappingProxyType(cells)


def _plain_schema(
    cls: type[Quotas | SkillQuotas],
    plain: type[Any],
    to_plain: Callable[[Any], Any],
    handler: GetCoreSchemaHandler,
) -> core_schema.CoreSchema:
    """Validate from the plain JSON mapping (ISO dates as keys), serialise back to it."""
    plain_schema = handler.generate_schema(plain)
    from_plain = core_schema.no_info_after_validator_function(cls, plain_schema)
    return core_schema.json_or_python_schema(
        json_schema=from_plain,
        python_schema=core_schema.no_info_wrap_validator_function(
            lambda value, validate: value if isinstance(value, cls) else validate(value), from_plain
        ),
        serialization=core_schema.plain_serializer_function_ser_schema(to_plain, return_schema=plain_schema),
    )


class Quotas(Mapping[str, Mapping[dt.date, int]]):
    """Heads each region group needs on duty each day: the pool's answer and the roster's coverage input.

    An immutable value: region group id → date → heads, read through :meth:`heads`, :attr:`groups`,
    :attr:`days` and :meth:`cells` (or as a read-only mapping). A group-day without a quota is
    *absent*, which is not the same as a quota of 0 heads (that still prices over-staffing).
    Heads are integers; their range is the consumer's rule (the roster reports negative heads
    with the field they came from).

    As a pydantic field it reads and writes the plain JSON form ``{group: {"YYYY-MM-DD": heads}}``
    (see :meth:`from_json` and :meth:`to_json` outside pydantic).

    Examples
    --------
    >>> q = Quotas({"G1": {dt.date(2026, 3, 2): 3}})
    >>> q.heads("G1", dt.date(2026, 3, 2)), q.groups, q.to_json()
    (3, ('G1',), {'G1': {'2026-03-02': 3}})
    """

    __slots__ = ("_cells",)

    def __init__(self, cells: Mapping[str, Mapping[dt.date, int]] | None = None) -> None:
        self._cells: Mapping[str, Mapping[dt.date, int]] = MappingProxyType(
            {str(g): _per_day(per_day, f"quotas[{g}]") for g, per_day in sorted((cells or {}).items())}
        )

    @classmethod
    def of(cls, value: Quotas | Mapping[str, Mapping[dt.date, int]]) -> Quotas:
        """``value`` itself when it is a :class:`Quotas`, else the quotas of the plain mapping."""
        return value if isinstance(value, Quotas) else cls(value)

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, int]]) -> Quotas:
        """The quotas of ``{group: {"YYYY-MM-DD": heads}}``; ``ValueError`` naming a bad date."""
        cells: dict[str, dict[dt.date, int]] = {}
        for g, per_day in data.items():
            for day, heads in per_day.items():
                try:
                    date = dt.date.fromisoformat(str(day))
                except ValueError:
                    raise ValueError(f"quotas[{g}]: {day!r} is not a YYYY-MM-DD date") from None
                cells.setdefault(g, {})[date] = heads
        return cls(cells)

    def to_dict(self) -> dict[str, dict[dt.date, int]]:
        """A plain (mutable) copy: group → date → heads."""
        return {g: dict(per_day) for g, per_day in self._cells.items()}

    def to_json(self) -> dict[str, dict[str, int]]:
        """The JSON form: ``{group: {"YYYY-MM-DD": heads}}``, days in order."""
        return {g: {d.isoformat(): h for d, h in per_day.items()} for g, per_day in self._cells.items()}

    @property
    def groups(self) -> tuple[str, ...]:
        """Region groups with a quota, in order."""
        return tuple(self._cells)

    @property
    def days(self) -> tuple[dt.date, ...]:
        """Every date some group has a quota on, in order."""
        return tuple(sorted({d for per_day in self._cells.values() for d in per_day}))

    def has(self, group: str, day: dt.date) -> bool:
        """Whether ``group`` has a quota on ``day`` (possibly of 0 heads)."""
        return day in self._cells.get(group, {})

    def heads(self, group: str, day: dt.date) -> int:
        """Heads ``group`` needs on ``day``; ``KeyError`` naming both when there is no such quota."""
        try:
            return self._cells[group][day]
        except KeyError:
            raise KeyError(f"no quota for group {group!r} on {day}") from None

    def cells(self) -> Iterator[tuple[str, dt.date, int]]:
        """Every quota as ``(group, day, heads)``, by group then day."""
        for g, per_day in self._cells.items():
            for d, h in per_day.items():
                yield g, d, h

    def __getitem__(self, group: str) -> Mapping[dt.date, int]:
        return self._cells[group]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)

    def __hash__(self) -> int:
        return hash(tuple(self.cells()))

    def __repr__(self) -> str:
        return f"Quotas({self.to_dict()!r})"

    def __reduce__(self) -> tuple[type[Quotas], tuple[dict[str, dict[dt.date, int]]]]:
        return (Quotas, (self.to_dict(),))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _plain_schema(cls, dict[str, dict[dt.date, int]], Quotas.to_dict, handler)


class SkillQuotas(Mapping[str, Mapping[str, Mapping[dt.date, int]]]):
    """Heads with a skill each region group needs each day (group → skill → date → heads).

    A subset of the group's :class:`Quotas` (e.g. fibre splicers among the heads on duty), so
    the roster prices only missing skilled heads. Immutable; read through :meth:`heads`,
    :attr:`groups`, :meth:`skills` and :meth:`cells`; as a pydantic field it reads and writes
    ``{group: {skill: {"YYYY-MM-DD": heads}}}``.
    """

    __slots__ = ("_cells",)

    def __init__(self, cells: Mapping[str, Mapping[str, Mapping[dt.date, int]]] | None = None) -> None:
        self._cells: Mapping[str, Mapping[str, Mapping[dt.date, int]]] = MappingProxyType(
            {
                str(g): MappingProxyType(
                    {
                        str(s): _per_day(per_day, f"skill_quotas[{g}][{s}]")
                        for s, per_day in sorted(by.items())
                    }
                )
                for g, by in sorted((cells or {}).items())
            }
        )

    @classmethod
    def of(cls, value: SkillQuotas | Mapping[str, Mapping[str, Mapping[dt.date, int]]] | None) -> SkillQuotas:
        """``value`` itself when it is a :class:`SkillQuotas`, else those of the plain mapping."""
        return value if isinstance(value, SkillQuotas) else cls(value)

    def to_dict(self) -> dict[str, dict[str, dict[dt.date, int]]]:
        """A plain (mutable) copy: group → skill → date → heads."""
        return {g: {s: dict(per_day) for s, per_day in by.items()} for g, by in self._cells.items()}

    @property
    def groups(self) -> tuple[str, ...]:
        """Region groups with a skill quota, in order."""
        return tuple(self._cells)

    def skills(self, group: str) -> tuple[str, ...]:
        """Skills asked of ``group``, in order (none for a group without skill quotas)."""
        return tuple(self._cells.get(group, {}))

    def heads(self, group: str, skill: str, day: dt.date) -> int:
        """Heads with ``skill`` ``group`` needs on ``day``; ``KeyError`` when there is no such quota."""
        try:
            return self._cells[group][skill][day]
        except KeyError:
            raise KeyError(f"no {skill!r} quota for group {group!r} on {day}") from None

    def cells(self) -> Iterator[tuple[str, str, dt.date, int]]:
        """Every skill quota as ``(group, skill, day, heads)``, in order."""
        for g, by in self._cells.items():
            for s, per_day in by.items():
                for d, h in per_day.items():
                    yield g, s, d, h

    def __getitem__(self, group: str) -> Mapping[str, Mapping[dt.date, int]]:
        return self._cells[group]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)

    def __hash__(self) -> int:
        return hash(tuple(self.cells()))

    def __repr__(self) -> str:
        return f"SkillQuotas({self.to_dict()!r})"

    def __reduce__(self) -> tuple[type[SkillQuotas], tuple[dict[str, dict[str, dict[dt.date, int]]]]]:
        return (SkillQuotas, (self.to_dict(),))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _plain_schema(cls, dict[str, dict[str, dict[dt.date, int]]], SkillQuotas.to_dict, handler)


# ---------------------------------------------------------------------------------------------
# Requests of a branch's pool (shared by the API and the quota job)
# ---------------------------------------------------------------------------------------------


class BranchRequest(BaseModel):
    """Which branch and period, and the knobs shared by quotas, headcount and what-if."""

    branch_id: str
    start: dt.date
    days: int = Field(default=7, ge=1, le=366)
    productive_minutes_per_shift: int = Field(default=DEFAULT_PRODUCTIVE_MINUTES, ge=1, le=24 * 60)
    min_heads: int = Field(default=1, ge=0)
    standard_params: StandardParams = Field(default_factory=StandardParams)
    uplifts: list[Uplift] = Field(default_factory=list)
    remote_resolution_share: float = Field(
        default=DEFAULT_REMOTE_SHARE, ge=0, lt=1,
        description="share of repairs resolved remotely (default 0: every repair order needs a visit)",
    )


class QuotaRequest(BranchRequest):
    """A branch's daily quotas, stored as a new version when ``save``."""

    save: bool = False


# ---------------------------------------------------------------------------------------------
# Stochastic sizing (``POST /timepool/size/{model}``)
# ---------------------------------------------------------------------------------------------

#: The longest time a sizing request may name (handling, target, patience): one week, in minutes.
MAX_SIZING_MINUTES = 7 * 24 * 60
#: The longest arrival interval: 31 days, in minutes (a month of faults counted as one interval).
MAX_INTERVAL_MINUTES = 31 * 24 * 60
#: The most arrivals in one interval.
MAX_ARRIVALS = 1_000_000
#: The largest offered load (arrivals ÷ interval × handling time, in Erlangs) a sizing takes: a
#: team of ten thousand technicians is far beyond any branch, and the sizing's effort grows with it.
MAX_LOAD_ERLANGS = 10_000
#: The shortest handling time or patience: 0.01 minute (0.6 s); shorter ones only overflow the
#: sizing's arithmetic.
MIN_SIZING_MINUTES = 0.01


class ErlangRequest(BaseModel):
    """One sizing problem for Erlang C (or Erlang A with ``patience_minutes``); times in minutes.

    Every number is finite and bounded (:data:`MAX_ARRIVALS`, :data:`MAX_INTERVAL_MINUTES`,
    :data:`MAX_SIZING_MINUTES`, :data:`MIN_SIZING_MINUTES`, :data:`MAX_LOAD_ERLANGS`), so a value
    like ``1e308`` or ``1e-300`` is refused naming its field rather than overflowing the sizing.
    """

    model_config = ConfigDict(allow_inf_nan=False)

    arrivals: float = Field(gt=0, le=MAX_ARRIVALS, description="arrivals in one interval")
    interval_minutes: float = Field(ge=1, le=MAX_INTERVAL_MINUTES, description="length of the interval")
    handle_minutes: float = Field(
        ge=MIN_SIZING_MINUTES, le=MAX_SIZING_MINUTES, description="mean handling time"
    )
    target_service_level: float = Field(gt=0, lt=1, description="share served within target_minutes")
    target_minutes: float = Field(ge=0, le=MAX_SIZING_MINUTES, description="the service-level threshold")
    max_occupancy: float = Field(default=1.0, gt=0, le=1, description="cap on load ÷ agents (1: none)")
    shrinkage: float = Field(default=0.0, ge=0, lt=1, description="share of paid time not available")
    patience_minutes: float | None = Field(
        default=None, ge=MIN_SIZING_MINUTES, le=MAX_SIZING_MINUTES, description="Erlang A only: mean patience"
    )

    @model_validator(mode="after")
    def _load_within_bounds(self) -> ErlangRequest:
        load = self.arrivals / self.interval_minutes * self.handle_minutes
        if load > MAX_LOAD_ERLANGS:
            raise ValueError(
                f"offered load arrivals ÷ interval_minutes × handle_minutes is {load:.6g} Erlangs; "
                f"rule: at most {MAX_LOAD_ERLANGS}"
            )
        return self
