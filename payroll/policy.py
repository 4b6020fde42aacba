"""Pay policy: versioned, effective-dated, loaded from TOML or YAML, with a jurisdiction profile.

A policy file holds one policy (top-level keys) or several versions (``[[policies]]`` in TOML,
``policies:`` list in YAML). The version in force for a month is the one with the latest
``effective_from`` on or before the first day of the month whose ``effective_to`` (if any) is not
before it; a policy change takes effect from the first month it covers in full.

**No float touches money**: every amount, rate, coefficient and multiplier must be written as a
string (``"3000.00"``, ``"1.5"``) or an integer; a float (``3000.0`` in TOML/YAML) is refused with
an error naming the field, because binary floats cannot hold most decimal fractions exactly.

The law lives in a :class:`~payroll.law.JurisdictionProfile` (China by default,
:data:`~payroll.law.CHINA`, its figures effective-dated with their sources in
``payroll/policies/jurisdiction_cn.toml``), registered in :data:`~payroll.law.PROFILES`, so that
another jurisdiction is one more data file, not edits to the rules. A policy names its ``city``
(minimum wage, social insurance, housing fund) and what is withheld from pay
(:class:`Withholding`); :meth:`PayPolicy.month_law` gives what is in force for a month.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from payroll.errors import NoPolicyInForce, PolicyFileError
from payroll.law import CHINA, PROFILES, ExactDecimal, JurisdictionProfile, MonthLaw, china_day_kind
from vocabulary import calendar as cal
from vocabulary.errors import Problem
from vocabulary.orders import DIFFICULTY_LEVELS, OrderType

__all__ = [
    "CHINA",
    "ITEM_NAMES",
    "PROFILES",
    "BaseDeduction",
    "Allowances",
    "BaseFill",
    "ExactDecimal",
    "JurisdictionProfile",
    "MonthLaw",
    "NightAllowance",
    "PayItem",
    "PayPolicy",
    "RepeatFaultMode",
    "RepeatFaultPolicy",
    "RetroMode",
    "Withholding",
    "WorkingTimeSystem",
    "china_day_kind",
    "default_policy_path",
    "load_policies",
    "parse_policies",
    "policy_for_month",
]


class WorkingTimeSystem(StrEnum):
    """Working-time system approved for the crews (标准工时制 / 综合计算工时制)."""

    STANDARD = "standard"  # 8 h/day, 40 h/week; overtime per day, rest days from the calendar
    COMPREHENSIVE = "comprehensive"  # hours counted over the month; overtime = period excess


class BaseDeduction(StrEnum):
    """How the base workload covered by the post wage is taken out of the month's orders."""

    PRO_RATA = "pro_rata"  # every order pays the same share (done − base) / done
    CHRONOLOGICAL = "chronological"  # the first orders of the month fill the base; later ones pay


class BaseFill(StrEnum):
    """Which orders fill the base workload first (the order of filling is a policy choice).

    工资支付暂行规定 art. 13: a piece-rate worker earns the overtime multiple for work in overtime
    *after completing the quota*: the quota is met by ordinary working time first.
    """

    #: lawful default: orders done in ordinary time fill the base first; overtime orders only fill
    #: what ordinary time left open (150 % ones first, then 200 %, then 300 %, each in completion order)
    ORDINARY_FIRST = "ordinary_first"
    #: completion order, whatever the time of the order (an order on a rest day early in the month
    #: fills the base at the ordinary price): allowed, but not what art. 13 reads as
    COMPLETION_ORDER = "completion_order"


class RepeatFaultMode(StrEnum):
    """What happens to piece pay when a repaired fault comes back within the window."""

    PAID_ONCE = "paid_once"  # the repeat visit (order with ``repeat_of``) earns no piece pay
    CLAW_BACK = "claw_back"  # the failed original order's piece pay is withheld / recovered


class RetroMode(StrEnum):
    """What a negative retro correction (a re-run lowering pay) does."""

    RECOVER = "recover"  # the difference is recovered from the next pay
    WAIVE = "waive"  # only positive differences are paid; overpayments are not recovered


class RepeatFaultPolicy(BaseModel):
    """Repeat faults: the window in days and whether pay is given once or clawed back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_days: int = Field(default=30, ge=1, le=365)
    mode: RepeatFaultMode = RepeatFaultMode.CLAW_BACK


class PayItem(BaseModel):
    """A per-occurrence bonus (amount > 0) or penalty (amount < 0)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: ExactDecimal
    label: str = ""


class Withholding(BaseModel):
    """What is withheld from gross pay on the way to take-home pay (and the employer's choices)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: withhold the employee's pension, medical and unemployment insurance (and show the employer's)
    social_insurance: bool = True
    #: withhold the employee's housing fund (and show the employer's)
    housing_fund: bool = True
    #: the housing-fund rate of employee and employer alike, within the city's range
    housing_fund_rate: ExactDecimal = Decimal("0.05")
    #: withhold individual income tax by the cumulative method
    income_tax: bool = True


class NightAllowance(BaseModel):
    """A night-work allowance per order completed in the night window (company policy)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.time = dt.time(22, 0)
    end: dt.time = dt.time(6, 0)
    amount_per_order: ExactDecimal = Field(ge=0)


class Allowances(BaseModel):
    """Allowances and the pay of days not worked (besides the law's minimums, company choices)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: pay the province's summer high-temperature allowance to outdoor technicians (its months, amount)
    high_temperature: bool = True
    #: night-work allowance per order (None: none)
    night: NightAllowance | None = None
    #: share of the daily wage paid per day of sick leave (the law's floor, 80 % of the minimum
    #: wage for the sick days, is applied on top by the minimum-wage rule)
    sick_pay_share: ExactDecimal = Field(default=Decimal("0.60"), ge=0, le=1)
    #: unused time off in lieu is paid out (rest-day rate) this many months after the month earned
    time_off_expires_after_months: int = Field(default=3, ge=1, le=12)


#: Items the rules know how to count, from each order's outcome.
ITEM_NAMES: tuple[str, ...] = ("praise", "complaint", "repeat_fault", "missed_appointment")


class PayPolicy(BaseModel):
    """One version of the pay policy (changed only by the hr role; every change is audited).

    Money is in yuan as exact decimals; see the example ``payroll/policies/china_default.toml``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=64)
    effective_from: dt.date
    effective_to: dt.date | None = None
    jurisdiction: str = "CN"
    city: str = Field(default="hefei", description="key of a city of the jurisdiction profile")
    minimum_wage: ExactDecimal | None = Field(
        default=None,
        description="the company's own monthly floor (yuan); the city's statutory minimum wage applies "
        "whenever it is higher",
    )
    working_time_system: WorkingTimeSystem = WorkingTimeSystem.COMPREHENSIVE
    base_deduction: BaseDeduction = BaseDeduction.CHRONOLOGICAL
    base_fill: BaseFill = BaseFill.ORDINARY_FIRST
    withholding: Withholding = Field(default_factory=Withholding)
    allowances: Allowances = Field(default_factory=Allowances)
    base_workload_minutes: int = Field(
        ge=0, description="standard minutes per full month covered by the post wage"
    )
    ordinary_day_end: dt.time = dt.time(17, 30)
    pay_overtime_hours: bool = True
    post_wages: dict[str, ExactDecimal]
    unit_prices: dict[OrderType, ExactDecimal]
    difficulty_coefficients: dict[int, ExactDecimal]
    standard_minutes: dict[OrderType, dict[int, int]]
    #: grades from best to worst
    grades: tuple[str, ...] = ("A", "B", "C", "D")
    grade_multipliers: dict[str, ExactDecimal]
    default_grade: str = "C"
    repeat_fault: RepeatFaultPolicy = Field(default_factory=RepeatFaultPolicy)
    items: dict[str, PayItem] = Field(default_factory=dict)
    bonus_cap: ExactDecimal | None = Field(default=None, description="most bonus items may add per month")
    penalty_cap: ExactDecimal | None = Field(
        default=None, description="most penalty items may take per month"
    )
    retro: RetroMode = RetroMode.RECOVER

    @model_validator(mode="after")
    def _consistent(self) -> PayPolicy:
        problems: list[str] = []
        if self.jurisdiction not in PROFILES:
            problems.append(f"jurisdiction {self.jurisdiction!r} has no profile (known: {sorted(PROFILES)})")
        elif self.city not in PROFILES[self.jurisdiction].data.cities:
            known = sorted(PROFILES[self.jurisdiction].data.cities)
            problems.append(f"city {self.city!r} is not in the jurisdiction profile (known: {known})")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            problems.append("effective_to is before effective_from")
        # pay is computed per month with one version: a version starts on a first and ends on a last day
        if self.effective_from.day != 1:
            problems.append(
                f"effective_from {self.effective_from} must be the first day of a month "
                "(a month is paid under one policy version; a change takes effect from a month's start)"
            )
        if self.effective_to is not None and (self.effective_to + dt.timedelta(days=1)).day != 1:
            problems.append(f"effective_to {self.effective_to} must be the last day of a month")
        if self.minimum_wage is not None and self.minimum_wage < 0:
            problems.append(f"minimum_wage {self.minimum_wage} must be >= 0")
        for grade, wage in self.post_wages.items():
            if wage < 0:
                problems.append(f"post_wages.{grade} = {wage} must be >= 0")
        for ot in OrderType:
            if ot not in self.unit_prices:
                problems.append(f"unit_prices lacks order type {ot}")
            elif self.unit_prices[ot] < 0:
                problems.append(f"unit_prices.{ot} = {self.unit_prices[ot]}: a price must be >= 0")
            minutes = self.standard_minutes.get(ot, {})
            for level in DIFFICULTY_LEVELS:
                if minutes.get(level, 0) <= 0:
                    problems.append(f"standard_minutes.{ot}.{level} must be given and > 0")
        for level in DIFFICULTY_LEVELS:
            coef = self.difficulty_coefficients.get(level)
            if coef is None or coef <= 0:
                problems.append(f"difficulty_coefficients.{level} must be given and > 0")
        previous: Decimal | None = None
        for grade in self.grades:
            mult = self.grade_multipliers.get(grade)
            if mult is None or mult < 0:
                problems.append(f"grade_multipliers.{grade} must be given and >= 0")
                continue
            if previous is not None and mult > previous:
                problems.append(
                    f"grade_multipliers.{grade} = {mult} exceeds the better grade's {previous}: "
                    "a better grade must never pay less"
                )
            previous = mult
        if set(self.grade_multipliers) - set(self.grades):
            problems.append(
                "grade_multipliers has grades not in grades: "
                f"{sorted(set(self.grade_multipliers) - set(self.grades))}"
            )
        if self.default_grade not in self.grades:
            problems.append(f"default_grade {self.default_grade!r} is not one of grades {list(self.grades)}")
        for name, item in self.items.items():
            if name not in ITEM_NAMES:
                problems.append(f"items.{name}: unknown item (known: {', '.join(ITEM_NAMES)})")
            elif name == "praise" and item.amount < 0:
                problems.append("items.praise is a bonus: amount must be >= 0")
            elif name != "praise" and item.amount > 0:
                problems.append(f"items.{name} is a penalty: amount must be <= 0")
        for cap_name in ("bonus_cap", "penalty_cap"):
            cap = getattr(self, cap_name)
            if cap is not None and cap < 0:
                problems.append(f"{cap_name} must be >= 0")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def profile(self) -> JurisdictionProfile:
        """The jurisdiction profile whose law this policy applies."""
        return PROFILES[self.jurisdiction]

    def month_law(self, month: str) -> MonthLaw:
        """The law in force for ``month`` in the policy's city, checked for what this policy needs.

        Raises
        ------
        NoPolicyInForce
            Naming the jurisdiction file, the field and the date of every missing entry (the
            minimum wage always; social insurance, housing fund and income tax when withheld), or
            a housing-fund rate outside the city's range.
        """
        return _checked_law(self, month)

    def covers(self, month: str) -> bool:
        """Whether this version is in force on the first day of ``month``."""
        first, _ = cal.month_bounds(month)
        return self.effective_from <= first and (self.effective_to is None or self.effective_to >= first)


def _checked_law(policy: PayPolicy, month: str) -> MonthLaw:
    profile = policy.profile
    law = profile.month_law(month, policy.city)
    parts = ["minimum_wage"]
    withholding = policy.withholding
    if withholding.social_insurance:
        parts.append("social_insurance")
    if withholding.housing_fund:
        parts.append("housing_fund")
    if withholding.income_tax:
        parts.append("income_tax")
    if policy.allowances.high_temperature:
        parts.append("high_temperature")
    problems = profile.missing(month, policy.city, parts)
    fund = law.housing_fund
    if withholding.housing_fund and fund is not None:
        rate = withholding.housing_fund_rate
        if not fund.min_rate <= rate <= fund.max_rate:
            problems.append(
                Problem(
                    field="withholding.housing_fund_rate",
                    rule=f"must be within {fund.min_rate}..{fund.max_rate} in {policy.city} ({fund.source})",
                    value=str(rate),
                    file=f"policy {policy.version}",
                )
            )
    if problems:
        raise NoPolicyInForce(problems)
    return law


def _policy_dicts(data: Any, source: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise PolicyFileError(
            [
                Problem(
                    field="(file)",
                    rule="a policy file is a table/mapping",
                    value=type(data).__name__,
                    file=source,
                )
            ]
        )
    if "policies" in data:
        items = data["policies"]
        if not isinstance(items, list) or not items:
            raise PolicyFileError(
                [Problem(field="policies", rule="a non-empty list of policies", value=items, file=source)]
            )
        return [dict(item) for item in items]
    return [data]


def parse_policies(data: Any, source: str = "<policy>") -> list[PayPolicy]:
    """Validate policy data (one policy or ``policies = [...]``) into :class:`PayPolicy` versions.

    Raises
    ------
    PolicyFileError
        Naming the file, the policy entry (as ``row``), the field, the value and the rule.
    """
    problems: list[Problem] = []
    policies: list[PayPolicy] = []
    for index, raw in enumerate(_policy_dicts(data, source), start=1):
        try:
            policies.append(PayPolicy.model_validate(raw))
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(
                    Problem(
                        field=".".join(str(p) for p in err["loc"]) or "(policy)",
                        rule=err["msg"],
                        value=err.get("input") if not isinstance(err.get("input"), dict) else "(table)",
                        row=index,
                        file=source,
                    )
                )
    versions = [p.version for p in policies]
    for version in {v for v in versions if versions.count(v) > 1}:
        problems.append(
            Problem(field="version", rule="policy versions must be unique", value=version, file=source)
        )
    if problems:
        raise PolicyFileError(problems)
    return policies


def load_policies(path: Path | str) -> list[PayPolicy]:
    """Read every policy version from a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file."""
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(
            [
                Problem(
                    field="(file)",
                    rule=f"cannot read the policy file: {exc.strerror}",
                    value=str(path),
                    file=source,
                )
            ]
        ) from exc
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise PolicyFileError(
                [
                    Problem(
                        field="(file)",
                        rule="policy file must be .toml, .yaml or .yml",
                        value=path.suffix,
                        file=source,
                    )
                ]
            )
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise PolicyFileError(
            [
                Problem(
                    field="(file)",
                    rule=f"not valid {path.suffix[1:].upper()}: {exc}",
                    value=None,
                    file=source,
                )
            ]
        ) from exc
    return parse_policies(data, source)


def policy_for_month(policies: Sequence[PayPolicy], month: str) -> PayPolicy:
    """The version in force for ``month`` (latest ``effective_from`` that covers its first day).

    Raises
    ------
    NoPolicyInForce
        When no version covers the month.
    """
    covering = [p for p in policies if p.covers(month)]
    if not covering:
        spans = ", ".join(f"{p.version}: {p.effective_from}..{p.effective_to or 'open'}" for p in policies)
        raise NoPolicyInForce(
            [
                Problem(
                    field="month",
                    rule=f"no pay policy is in force on its first day (versions: {spans or 'none'})",
                    value=month,
                )
            ]
        )
    chosen = max(covering, key=lambda p: p.effective_from)
    chosen.month_law(month)  # the law the policy needs is in force for the month, or an error now
    return chosen


@lru_cache(maxsize=1)
def default_policy_path() -> Path:
    """The example China policy shipped with the package."""
    return Path(__file__).resolve().parent / "policies" / "china_default.toml"
