"""Headcount: how many technicians each group and branch should employ, and the overflow.

    FTE = workload ÷ (productive hours per FTE-day × days × (1 − shrinkage))

with shrinkage from the rest-day policy (1 or 2 rest days a week), leave and training
(:class:`~timepool.domain.ShrinkagePolicy`). With a response-coverage minimum, a group also needs
at least Σ daily quota heads ÷ (days × (1 − shrinkage)) FTE. Hours beyond what the employed
heads can give are overflow: volunteers (认领) claim up to a cap, partners (代维) take the rest,
each at its hourly rate; the cost is ``Decimal`` and is stored as integer fen.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal

from timepool.domain import (
    DEFAULT_PRODUCTIVE_MINUTES,
    DEFAULT_REMOTE_SHARE,
    Assumption,
    EmployedBasis,
    Headcount,
    HeadcountRow,
    OverflowRates,
    Pool,
    ShrinkagePolicy,
    StandardParams,
)
from timepool.quotas import daily_quotas
from vocabulary.money import to_fen

_HOURS = Decimal("0.01")
_FTE = Decimal("0.01")
_SHRINK = Decimal("0.0001")


def shrinkage_of(policy: ShrinkagePolicy) -> Decimal:
    """Shrinkage as a decimal: rest/7 + leave/365 + training/365 + other (28 significant digits)."""
    s = (
        Decimal(policy.rest_days_per_week) / 7
        + Decimal(str(policy.leave_days_per_year)) / 365
        + Decimal(str(policy.training_days_per_year)) / 365
        + Decimal(str(policy.other_share))
    )
    if s >= 1:
        raise ValueError(f"shrinkage {s} must be < 1")
    return s


def fte_for(
    workload_hours: Decimal, productive_hours_per_day: Decimal, days: int, shrinkage: Decimal
) -> Decimal:
    """FTE = workload ÷ (hours per FTE-day × days × (1 − shrinkage)), exact decimal."""
    return workload_hours / (productive_hours_per_day * days * (1 - shrinkage))


def _ceil(value: Decimal) -> int:
    return math.ceil(value - Decimal("1e-9"))


def headcount(
    pool: Pool,
    productive_minutes_per_shift: int,
    policy: ShrinkagePolicy | None = None,
    employed: Mapping[str, int] | None = None,
    rates: OverflowRates | None = None,
    min_heads: int | Mapping[str, int] = 0,
) -> Headcount:
    """Headcount per region group and per branch over the pool's period.

    Parameters
    ----------
    pool : Pool
        Work-hour pool per group per day; its days are the period.
    productive_minutes_per_shift : int
        Minutes of a working day spent on orders.
    policy : ShrinkagePolicy
        Rest days per week, leave and training.
    employed : mapping group → heads
        Technicians employed in each group now (missing = 0).
    rates : OverflowRates
        Hourly cost of overflow to volunteers (up to a cap per group) and partners.
    min_heads : int or mapping
        Response-coverage minimum per day (as in :func:`timepool.quotas.daily_quotas`); 0 = none.
    """
    policy = policy or ShrinkagePolicy()
    rates = rates or OverflowRates()
    employed = employed or {}
    shrink = shrinkage_of(policy)
    hours_per_day = Decimal(productive_minutes_per_shift) / 60
    period_days = sorted({d.day for d in pool.days})
    n_days = len(period_days)
    if n_days == 0:
        raise ValueError("the pool has no days")
    work_min: dict[str, float] = {}
    for d in pool.days:
        work_min[d.region_group_id] = work_min.get(d.region_group_id, 0.0) + d.total_min
    quotas = daily_quotas(pool, productive_minutes_per_shift, min_heads) if min_heads else {}
    branch_of = pool.branch_of()
    rows: list[HeadcountRow] = []
    totals: dict[str, list[Decimal]] = {}
    for group in sorted(work_min):
        workload = (Decimal(work_min[group]) / 60).quantize(_HOURS)
        fte = fte_for(workload, hours_per_day, n_days, shrink)
        if quotas:
            coverage = Decimal(sum(quotas[group].values())) / (n_days * (1 - shrink))
            fte = max(fte, coverage)
        row = _row(
            group,
            branch_of[group],
            workload,
            fte,
            shrink,
            employed.get(group, 0),
            hours_per_day,
            n_days,
            rates,
            rates.volunteer_hours_cap,
        )
        rows.append(row)
        t = totals.setdefault(branch_of[group], [Decimal(0)] * 3)
        t[0] += workload
        t[1] += fte
        t[2] += Decimal(row.employed)
    # A branch needs the sum of its groups' heads: heads are posted to groups, not pooled.
    for branch, (workload, fte, emp) in sorted(totals.items()):
        group_rows = [r for r in rows if r.branch_id == branch]
        overflow = sum((r.overflow_hours for r in group_rows), Decimal(0))
        vol = sum((r.volunteer_hours for r in group_rows), Decimal(0))
        partner = sum((r.partner_hours for r in group_rows), Decimal(0))
        rows.append(
            HeadcountRow(
                unit=f"branch:{branch}",
                branch_id=branch,
                workload_hours=workload,
                shrinkage=shrink.quantize(_SHRINK),
                fte=fte.quantize(_FTE),
                heads_needed=sum(r.heads_needed for r in group_rows),
                employed=int(emp),
                shortfall_heads=sum(r.shortfall_heads for r in group_rows),
                overflow_hours=overflow,
                volunteer_hours=vol,
                partner_hours=partner,
                overflow_cost_fen=sum(r.overflow_cost_fen for r in group_rows),
            )
        )
    return Headcount(
        start=period_days[0],
        days=n_days,
        productive_minutes_per_shift=productive_minutes_per_shift,
        policy=policy,
        rows=rows,
    )


def _row(
    group: str,
    branch: str,
    workload: Decimal,
    fte: Decimal,
    shrink: Decimal,
    employed: int,
    hours_per_day: Decimal,
    n_days: int,
    rates: OverflowRates,
    volunteer_cap: Decimal,
) -> HeadcountRow:
    capacity = (employed * hours_per_day * n_days * (1 - shrink)).quantize(_HOURS)
    overflow = max(Decimal(0), workload - capacity)
    volunteer = min(overflow, volunteer_cap)
    partner = overflow - volunteer
    cost = volunteer * rates.volunteer_yuan_per_hour + partner * rates.partner_yuan_per_hour
    heads = _ceil(fte)
    return HeadcountRow(
        unit=group,
        branch_id=branch,
        workload_hours=workload,
        shrinkage=shrink.quantize(_SHRINK),
        fte=fte.quantize(_FTE),
        heads_needed=heads,
        employed=employed,
        shortfall_heads=max(0, heads - employed),
        overflow_hours=overflow,
        volunteer_hours=volunteer,
        partner_hours=partner,
        overflow_cost_fen=to_fen(cost),
    )


def assumptions(
    params: StandardParams,
    remote_share: float,
    productive_minutes_per_shift: int,
    min_heads: int | Mapping[str, int],
    policy: ShrinkagePolicy | None = None,
    employed: str | None = None,
    standards_scope: str | None = None,
    min_heads_default: int = 0,
) -> list[Assumption]:
    """The parameters behind a pool, quota or headcount: each value, its default and whether it was
    given, so that every number says which defaults produced it."""
    base = StandardParams()

    def row(name: str, value: object, default: object, meaning: str) -> Assumption:
        return Assumption(name=name, value=str(value), default=str(default), given=value != default,
                          meaning=meaning)

    rows = [
        row("allowance", params.allowance, base.allowance,
            "personal, fatigue and delay allowance on normal time (time the order histories do not "
            "record per order: breaks, waiting at the door, delays between jobs)"),
        row("allowance_convention", params.convention.value, base.convention.value,
            "how the allowance applies"),
        row("outlier_rule", params.outlier_rule.value, base.outlier_rule.value,
            "rule that sets observations aside"),
        row("remote_share", remote_share, DEFAULT_REMOTE_SHARE,
            "share of repair orders resolved remotely without a visit (0: every repair is visited)"),
        row("productive_minutes_per_shift", productive_minutes_per_shift, DEFAULT_PRODUCTIVE_MINUTES,
            "minutes of a shift spent on orders (480 less briefing, material pick-up, meals)"),
        row("min_heads", min_heads if isinstance(min_heads, int) else dict(min_heads), min_heads_default,
            "heads on duty per group per day even on a quiet day"),
    ]
    if policy is not None:
        default = ShrinkagePolicy()
        rows += [
            row("rest_days_per_week", policy.rest_days_per_week, default.rest_days_per_week,
                "rest days per technician per week"),
            row("leave_days_per_year", policy.leave_days_per_year, default.leave_days_per_year,
                "paid leave per technician per year"),
            row("training_days_per_year", policy.training_days_per_year, default.training_days_per_year,
                "training days per technician per year"),
            row("other_share", policy.other_share, default.other_share, "sick leave, meetings"),
        ]
    if employed is not None:
        rows.append(Assumption(name="employed", value=employed, default=EmployedBasis.POSTED.value,
                               given=False, meaning="who counts as employed in a region group"))
    if standards_scope is not None:
        rows.append(Assumption(name="standards", value=standards_scope, default="the branch's observations",
                               given=False, meaning="observations the standard hours come from"))
    return rows


def period_of(pool: Pool) -> tuple[dt.date, dt.date]:
    """First and last day of a pool."""
    days = [d.day for d in pool.days]
    return min(days), max(days)
