"""The law pay must obey, as effective-dated data with its source: the jurisdiction profile.

Everything here is *data*, read from a TOML file per jurisdiction (China:
``payroll/policies/jurisdiction_cn.toml``), never constants in code: the working-time norms and the
pay-day convention, the overtime multipliers and the monthly overtime limit, the wage-protection
shares (deduction cap, sick-pay floor), the individual-income-tax table of cumulative withholding,
and per city the minimum wage, the social-insurance and housing-fund rates and contribution bases,
per province the summer high-temperature allowance. Every entry has an ``effective_from`` date and
a ``source`` (document name / number); the entry in force for a month is the one with the latest
``effective_from`` on or before the month's first day (a month is paid under one set of rules).

:meth:`JurisdictionProfile.month_law` gathers what is in force for one month and one city into a
:class:`MonthLaw`, once per run; the pay rules read only that. A missing entry is an error naming
the file, the field and the date (:class:`~payroll.errors.NoPolicyInForce`), never a silent default.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from payroll.errors import NoPolicyInForce, PolicyFileError
from vocabulary import calendar as cal
from vocabulary.errors import Problem


def _exact_decimal(value: object) -> object:
    if isinstance(value, float):
        raise ValueError(
            f'{value!r} is a float; write money, rates and factors as strings (e.g. "{value}") '
            "so they are exact"
        )
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int | str):
        return Decimal(str(value).strip())
    return value


#: A decimal given exactly (string or int); floats refused.
ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal)]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Dated(BaseModel):
    """An entry of the law in force from ``effective_from`` (until the next entry), with its source."""

    model_config = _FROZEN

    effective_from: dt.date
    source: str = Field(min_length=1, description="document name / number and date; 'unverified' if so")


class WorkingTime(Dated):
    """Ordinary working time and the monthly norms derived from the statutory holidays.

    ``pay_days_per_month`` (月计薪天数) converts a monthly wage into a daily one; the norms of the
    comprehensive working-time system (综合计算工时) are the hours per month / quarter / year.
    """

    standard_day_minutes: int = Field(gt=0, le=24 * 60)
    pay_days_per_month: ExactDecimal = Field(gt=0)
    norm_days_per_month: ExactDecimal = Field(gt=0)
    norm_hours_per_month: ExactDecimal = Field(gt=0)
    norm_hours_per_quarter: ExactDecimal = Field(gt=0)
    norm_hours_per_year: ExactDecimal = Field(gt=0)


class Overtime(Dated):
    """Overtime multipliers and the monthly limit on overtime hours."""

    extended_hours: ExactDecimal = Field(ge=1)
    rest_day: ExactDecimal = Field(ge=1)
    statutory_holiday: ExactDecimal = Field(ge=1)
    monthly_limit_hours: int = Field(gt=0)


class WageProtection(Dated):
    """Shares that protect the wage: the most deductions for losses may take, the sick-pay floor."""

    deduction_cap_share: ExactDecimal = Field(ge=0, le=1)
    sick_pay_floor_share: ExactDecimal = Field(ge=0, le=1)


class TaxBracket(BaseModel):
    """One bracket of the annual table: income up to ``up_to`` (None: no limit) taxed at ``rate``."""

    model_config = _FROZEN

    up_to: ExactDecimal | None = None
    rate: ExactDecimal = Field(ge=0, lt=1)
    quick_deduction: ExactDecimal = Field(ge=0)


class IncomeTax(Dated):
    """Individual income tax on wages, withheld by the cumulative method (累计预扣预缴)."""

    monthly_basic_deduction: ExactDecimal = Field(ge=0)
    brackets: tuple[TaxBracket, ...] = Field(min_length=1)
    #: the special additional deductions (专项附加扣除) a technician may declare, by key
    additional_deduction_kinds: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> IncomeTax:
        limits = [b.up_to for b in self.brackets]
        if limits[-1] is not None or None in limits[:-1]:
            raise ValueError("every bracket but the last has up_to; the last has none")
        bounded = [limit for limit in limits if limit is not None]
        if bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
            raise ValueError("brackets must rise")
        rates = [b.rate for b in self.brackets]
        if rates != sorted(rates):
            raise ValueError("bracket rates must rise")
        # the quick deductions must make the tax continuous at every bracket limit
        for low, high in zip(self.brackets, self.brackets[1:], strict=False):
            assert low.up_to is not None
            if low.up_to * low.rate - low.quick_deduction != low.up_to * high.rate - high.quick_deduction:
                raise ValueError(f"quick deductions are not continuous at {low.up_to}")
        return self


class MinimumWage(Dated):
    """The local minimum wage: monthly (full-time) and hourly (part-time) standards."""

    monthly: ExactDecimal = Field(gt=0)
    hourly: ExactDecimal = Field(gt=0)


class Contributions(BaseModel):
    """Contribution rates of one side (employee or employer) per social-insurance fund."""

    model_config = _FROZEN

    pension: ExactDecimal = Field(default=Decimal(0), ge=0, lt=1)
    medical: ExactDecimal = Field(default=Decimal(0), ge=0, lt=1)
    unemployment: ExactDecimal = Field(default=Decimal(0), ge=0, lt=1)
    injury: ExactDecimal = Field(default=Decimal(0), ge=0, lt=1)
    maternity: ExactDecimal = Field(default=Decimal(0), ge=0, lt=1)


#: the social-insurance funds, in payslip order
FUNDS: tuple[str, ...] = ("pension", "medical", "unemployment", "injury", "maternity")


class SocialInsurance(Dated):
    """A city's social-insurance contribution base limits and rates (五险)."""

    base_floor: ExactDecimal = Field(gt=0)
    base_ceiling: ExactDecimal = Field(gt=0)
    employee: Contributions
    employer: Contributions

    @model_validator(mode="after")
    def _limits(self) -> SocialInsurance:
        if self.base_ceiling < self.base_floor:
            raise ValueError("base_ceiling is below base_floor")
        if self.employee.injury or self.employee.maternity:
            raise ValueError("injury and maternity insurance are paid by the employer only")
        return self


class HousingFund(Dated):
    """A city's housing-fund (住房公积金) base limits and the range of rates an employer may choose."""

    base_floor: ExactDecimal = Field(gt=0)
    base_ceiling: ExactDecimal = Field(gt=0)
    min_rate: ExactDecimal = Field(ge=0, lt=1)
    max_rate: ExactDecimal = Field(ge=0, lt=1)

    @model_validator(mode="after")
    def _limits(self) -> HousingFund:
        if self.base_ceiling < self.base_floor:
            raise ValueError("base_ceiling is below base_floor")
        if self.max_rate < self.min_rate:
            raise ValueError("max_rate is below min_rate")
        return self


class HighTemperature(Dated):
    """A province's summer high-temperature allowance (高温津贴) for outdoor work."""

    months: tuple[int, ...] = Field(min_length=1)
    monthly_amount: ExactDecimal = Field(ge=0)


class City(BaseModel):
    """A city's own figures."""

    model_config = _FROZEN

    name: str
    province: str
    minimum_wage: tuple[MinimumWage, ...] = ()
    social_insurance: tuple[SocialInsurance, ...] = ()
    housing_fund: tuple[HousingFund, ...] = ()


class Province(BaseModel):
    """A province's own figures."""

    model_config = _FROZEN

    name: str
    high_temperature: tuple[HighTemperature, ...] = ()


class JurisdictionData(BaseModel):
    """The whole file of one jurisdiction."""

    model_config = _FROZEN

    code: str = Field(min_length=1)
    name: str
    working_time: tuple[WorkingTime, ...] = Field(min_length=1)
    overtime: tuple[Overtime, ...] = Field(min_length=1)
    wage_protection: tuple[WageProtection, ...] = Field(min_length=1)
    income_tax: tuple[IncomeTax, ...] = ()
    cities: dict[str, City] = Field(default_factory=dict)
    provinces: dict[str, Province] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_provinces(self) -> JurisdictionData:
        for key, city in self.cities.items():
            if city.province not in self.provinces:
                raise ValueError(f"cities.{key}.province {city.province!r} is not in provinces")
        return self


class _HasDate(Protocol):
    @property
    def effective_from(self) -> dt.date: ...


_D = TypeVar("_D", bound=_HasDate)


def in_force(entries: Sequence[_D], day: dt.date) -> _D | None:
    """The entry with the latest ``effective_from`` on or before ``day`` (None: none yet)."""
    best: _D | None = None
    for entry in entries:
        if entry.effective_from <= day and (best is None or entry.effective_from > best.effective_from):
            best = entry
    return best


@dataclass(frozen=True)
class MonthLaw:
    """What the law says for one month in one city (built once per run, see ``month_law``).

    ``social_insurance``, ``housing_fund``, ``income_tax`` and ``high_temperature`` are None where the
    profile has no entry in force (the policy decides whether that is an error, see
    :meth:`payroll.policy.PayPolicy.law_problems`).
    """

    month: str
    city: str
    working_time: WorkingTime
    overtime: Overtime
    wage_protection: WageProtection
    minimum_wage: MinimumWage | None
    social_insurance: SocialInsurance | None
    housing_fund: HousingFund | None
    income_tax: IncomeTax | None
    high_temperature: HighTemperature | None

    @property
    def standard_day_minutes(self) -> int:
        """Ordinary working minutes per day."""
        return self.working_time.standard_day_minutes

    @property
    def pay_days_per_month(self) -> Decimal:
        """月计薪天数: paid days per month (daily wage = monthly wage ÷ this)."""
        return self.working_time.pay_days_per_month

    @property
    def deduction_cap_share(self) -> Decimal:
        """Most of a month's wage that deductions for losses may take."""
        return self.wage_protection.deduction_cap_share

    def sources(self) -> dict[str, str]:
        """Where each figure in force comes from (for the payslip's summary)."""
        entries: dict[str, Dated | None] = {
            "working_time": self.working_time,
            "overtime": self.overtime,
            "wage_protection": self.wage_protection,
            "minimum_wage": self.minimum_wage,
            "social_insurance": self.social_insurance,
            "housing_fund": self.housing_fund,
            "income_tax": self.income_tax,
            "high_temperature": self.high_temperature,
        }
        return {
            name: f"{entry.source} (in force from {entry.effective_from})"
            for name, entry in entries.items()
            if entry is not None
        }


@dataclass(frozen=True, eq=False)
class JurisdictionProfile:
    """The labour and tax law of one jurisdiction: its data file and its calendar.

    Attributes
    ----------
    data:
        The effective-dated figures with their sources (from the jurisdiction's TOML file).
    source_file:
        The file name the data came from (for error messages).
    day_kind:
        Classifies a date as working day (``work``), rest day (``rest``) or statutory holiday
        (``holiday``: the statutory holidays, paid days under the 21.75-day convention).
    """

    data: JurisdictionData
    source_file: str
    day_kind: Callable[[dt.date], str]

    @property
    def code(self) -> str:
        """The jurisdiction's code (``CN``)."""
        return self.data.code

    @property
    def name(self) -> str:
        """The jurisdiction's name."""
        return self.data.name

    def month_law(self, month: str, city: str) -> MonthLaw:
        """What is in force on the first day of ``month`` in ``city``.

        Raises
        ------
        NoPolicyInForce
            If the working-time, overtime or wage-protection rules have no entry in force, or the
            city is unknown: every problem names the file, the field and the date.
        """
        return _month_law(self, month, city)

    def missing(self, month: str, city: str, parts: Sequence[str]) -> list[Problem]:
        """Problems for the parts of ``parts`` (``minimum_wage``, ``social_insurance``, …) that have no
        entry in force for ``month`` in ``city``."""
        first, _ = cal.month_bounds(month)
        law = self.month_law(month, city)
        problems = []
        for part in parts:
            if getattr(law, part) is None:
                owner = (
                    f"provinces.{self.data.cities[city].province}"
                    if part == "high_temperature"
                    else ""
                    if part == "income_tax"
                    else f"cities.{city}"
                )
                problems.append(
                    Problem(
                        field=f"{owner}.{part}".lstrip("."),
                        rule=f"no entry in force on {first} "
                        "(add one with its source to the jurisdiction profile)",
                        value=month,
                        file=self.source_file,
                    )
                )
        return problems


@cache
def _month_law(profile: JurisdictionProfile, month: str, city: str) -> MonthLaw:
    first, _ = cal.month_bounds(month)
    data = profile.data
    problems: list[Problem] = []

    def need(name: str, entries: Sequence[_D]) -> _D | None:
        entry = in_force(entries, first)
        if entry is None:
            problems.append(
                Problem(
                    field=name,
                    rule=f"no entry in force on {first}",
                    value=month,
                    file=profile.source_file,
                )
            )
        return entry

    working_time = need("working_time", data.working_time)
    overtime = need("overtime", data.overtime)
    protection = need("wage_protection", data.wage_protection)
    place = data.cities.get(city)
    if place is None:
        problems.append(
            Problem(
                field="city",
                rule=f"the jurisdiction profile has no city {city!r} (known: {sorted(data.cities)})",
                value=city,
                file=profile.source_file,
            )
        )
    if problems:
        raise NoPolicyInForce(problems)
    assert working_time is not None and overtime is not None and protection is not None and place is not None
    province = data.provinces[place.province]
    return MonthLaw(
        month=month,
        city=city,
        working_time=working_time,
        overtime=overtime,
        wage_protection=protection,
        minimum_wage=in_force(place.minimum_wage, first),
        social_insurance=in_force(place.social_insurance, first),
        housing_fund=in_force(place.housing_fund, first),
        income_tax=in_force(data.income_tax, first),
        high_temperature=in_force(province.high_temperature, first),
    )


def load_jurisdiction(path: Path | str, day_kind: Callable[[dt.date], str]) -> JurisdictionProfile:
    """Read and validate a jurisdiction file.

    Raises
    ------
    PolicyFileError
        Naming the file, the field, the value and the rule of every problem.
    """
    path = Path(path)
    try:
        raw: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyFileError(
            [
                Problem(
                    field="(file)",
                    rule=f"cannot read the jurisdiction profile: {exc}",
                    value=str(path),
                    file=path.name,
                )
            ]
        ) from exc
    try:
        data = JurisdictionData.model_validate(raw)
    except ValidationError as exc:
        raise PolicyFileError(
            [
                Problem(
                    field=".".join(str(p) for p in err["loc"]) or "(file)",
                    rule=err["msg"],
                    value=err.get("input") if not isinstance(err.get("input"), dict) else "(table)",
                    file=path.name,
                )
                for err in exc.errors()
            ]
        ) from exc
    return JurisdictionProfile(data, path.name, day_kind)


def china_day_kind(day: dt.date) -> str:
    """``"holiday"`` on statutory holidays, ``"rest"`` on rest days and days off in lieu, else ``"work"``."""
    if cal.is_statutory_holiday(day):
        return "holiday"
    return "work" if cal.is_working_day(day) else "rest"


def jurisdiction_path(code: str) -> Path:
    """The data file of a jurisdiction shipped with the package."""
    return Path(__file__).resolve().parent / "policies" / f"jurisdiction_{code.lower()}.toml"


#: China: the shipped profile (``payroll/policies/jurisdiction_cn.toml``) and its calendar.
CHINA = load_jurisdiction(jurisdiction_path("CN"), china_day_kind)

#: Registered jurisdiction profiles by code; add another data file and profile object here to support it.
PROFILES: dict[str, JurisdictionProfile] = {CHINA.code: CHINA}
