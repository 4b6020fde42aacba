"""Daily staffing quotas per region group: the roster engine's coverage input.

    heads(group, day) = max(minimum for response coverage, ⌈pool minutes ÷ productive minutes per shift⌉)

:func:`daily_quotas` is the one function the roster engine calls; :func:`quotas_for_branch` builds
everything it needs from the database (observations → standards, work-order history →
forecast, small areas → groups). Both answer a :class:`~timepool.domain.Quotas` value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew.tables import ObservationRow, RegionGroupRow, SmallAreaRow, TechnicianRow, WorkOrderRow
from timepool.domain import (
    DEFAULT_PRODUCTIVE_MINUTES,
    DEFAULT_REMOTE_SHARE,
    AreaInfo,
    EmployedBasis,
    HistoricOrder,
    Observation,
    Pool,
    Quotas,
    StaffCounts,
    StandardParams,
    StandardTable,
    Uplift,
)
from timepool.forecast import forecast_from_history
from timepool.pool import build_pool
from timepool.standards import standards
from vocabulary.errors import NotFound
from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType

#: Tolerance so that a pool of exactly k shifts (up to float noise) needs k heads, not k + 1.
_EPS = 1e-9


def heads_for_minutes(minutes: float, productive_minutes_per_shift: int) -> int:
    """Heads to cover ``minutes`` of work: ⌈minutes ÷ productive minutes per shift⌉."""
    if productive_minutes_per_shift <= 0:
        raise ValueError(f"productive minutes per shift must be > 0, got {productive_minutes_per_shift}")
    if minutes < 0:
        raise ValueError(f"pool minutes must be >= 0, got {minutes}")
    return max(0, math.ceil(minutes / productive_minutes_per_shift - _EPS))


def daily_quotas(
    pool: Pool,
    productive_minutes_per_shift: int,
    min_heads: int | Mapping[str, int] = 1,
) -> Quotas:
    """Heads each region group needs each day (group → date → heads).

    Parameters
    ----------
    pool : Pool
        Work-hour pool per group per day (:func:`timepool.pool.build_pool`).
    productive_minutes_per_shift : int
        Minutes of a shift spent on orders (shift length minus breaks, briefings, …).
    min_heads : int or mapping group → int
        Minimum heads on duty for response coverage, even on a quiet day.

    Returns
    -------
    Quotas
        Every group-day of the pool with its heads.
    """
    quotas: dict[str, dict[dt.date, int]] = {}
    for d in pool.days:
        floor = min_heads.get(d.region_group_id, 0) if isinstance(min_heads, Mapping) else min_heads
        if floor < 0:
            raise ValueError(f"min_heads must be >= 0, got {floor} for {d.region_group_id}")
        heads = max(floor, heads_for_minutes(d.total_min, productive_minutes_per_shift))
        quotas.setdefault(d.region_group_id, {})[d.day] = heads
    return Quotas(quotas)


# ---------------------------------------------------------------------------------------------
# From the database
# ---------------------------------------------------------------------------------------------


def load_areas(session: Session, branch_id: str) -> list[AreaInfo]:
    """Small areas of a branch with their group and area type."""

    rows = session.execute(
        select(
            SmallAreaRow.id, SmallAreaRow.region_group_id, RegionGroupRow.branch_id, SmallAreaRow.area_type
        )
        .join(RegionGroupRow, RegionGroupRow.id == SmallAreaRow.region_group_id)
        .where(RegionGroupRow.branch_id == branch_id)
    ).all()
    return [AreaInfo(area_id=a, region_group_id=g, branch_id=b, area_type=AreaType(t)) for a, g, b, t in rows]


def load_observations(session: Session, branch_id: str | None = None) -> list[Observation]:
    """Stored observations (of one branch, or all)."""

    stmt = select(ObservationRow)
    if branch_id is not None:
        stmt = stmt.where(ObservationRow.branch_id == branch_id)
    return [
        Observation(
            id=r.id,
            date=r.date,
            branch_id=r.branch_id,
            observer=r.observer,
            technician_id=r.technician_id,
            order_type=OrderType(r.order_type),
            difficulty=r.difficulty,
            area_type=AreaType(r.area_type),
            travel_min=r.travel_min,
            onsite_min=r.onsite_min,
            paperwork_min=r.paperwork_min,
            waiting_min=r.waiting_min,
            rating_pct=r.rating_pct,
            notes=r.notes or "",
        )
        for r in session.scalars(stmt.order_by(ObservationRow.id))
    ]


def load_order_history(
    session: Session, area_ids: Sequence[str], before: dt.date, since: dt.date | None = None
) -> list[HistoricOrder]:
    """Past work orders of the given areas created before ``before`` (cancelled ones excluded)."""

    stmt = select(
        WorkOrderRow.area_id, WorkOrderRow.order_type, WorkOrderRow.difficulty, WorkOrderRow.created
    ).where(
        WorkOrderRow.area_id.in_(list(area_ids)),
        WorkOrderRow.created < dt.datetime.combine(before, dt.time()),
        WorkOrderRow.status != "cancelled",
    )
    if since is not None:
        stmt = stmt.where(WorkOrderRow.created >= dt.datetime.combine(since, dt.time()))
    return [
        HistoricOrder(area_id=a, order_type=OrderType(t), difficulty=d, day=c.date())
        for a, t, d, c in session.execute(stmt)
    ]


def load_staff_counts(session: Session, branch_id: str, day: dt.date) -> StaffCounts:
    """Technicians of a branch employed on ``day``: own staff and partners per region group, and the
    support team (technicians without a region group)."""

    rows = session.execute(
        select(
            TechnicianRow.region_group_id, TechnicianRow.employment, TechnicianRow.start_date,
            TechnicianRow.end_date,
        ).where(TechnicianRow.branch_id == branch_id)
    )
    own: dict[str, int] = {}
    partners: dict[str, int] = {}
    support = 0
    for group, employment, start, end in rows:
        if not (start <= day and (end is None or day <= end)):
            continue
        if group is None:
            support += 1
        elif employment == "own_staff":
            own[group] = own.get(group, 0) + 1
        else:
            partners[group] = partners.get(group, 0) + 1
    return StaffCounts(day=day, own_staff=own, partners=partners, support_team=support)


def load_employed(
    session: Session, branch_id: str, day: dt.date, basis: EmployedBasis = EmployedBasis.POSTED
) -> dict[str, int]:
    """Technicians counted as employed in each region group of a branch on ``day`` (:class:`EmployedBasis`:
    by default own staff and partners posted to the group; the support team never)."""
    return load_staff_counts(session, branch_id, day).employed(basis)


def branch_standards(session: Session, branch_id: str, params: StandardParams | None = None) -> StandardTable:
    """Standards from the branch's own observations, or from all observations when it has none."""
    obs = load_observations(session, branch_id)
    scope = branch_id
    if not obs:
        obs = load_observations(session)
        scope = "all-branches"
    if not obs:
        raise NotFound("no time-and-motion observations stored: import observations first")
    return standards(obs, params, scope=scope)


def branch_pool(
    session: Session,
    branch_id: str,
    start: dt.date,
    days: int,
    params: StandardParams | None = None,
    uplifts: Sequence[Uplift] = (),
    remote_resolution_share: float = DEFAULT_REMOTE_SHARE,
    history_days: int | None = None,
) -> Pool:
    """The pool of a branch for ``days`` days from ``start``, from stored observations and orders."""
    areas = load_areas(session, branch_id)
    if not areas:
        raise NotFound(f"branch {branch_id!r} has no small areas")
    table = branch_standards(session, branch_id, params)
    since = start - dt.timedelta(days=history_days) if history_days else None
    history = load_order_history(session, [a.area_id for a in areas], start, since)
    forecast = forecast_from_history(history, start, days, uplifts)
    return build_pool(forecast, table, areas, remote_resolution_share)


def quotas_for_branch(
    session: Session,
    branch_id: str,
    start: dt.date,
    days: int,
    productive_minutes_per_shift: int = DEFAULT_PRODUCTIVE_MINUTES,
    min_heads: int | Mapping[str, int] = 1,
    params: StandardParams | None = None,
    uplifts: Sequence[Uplift] = (),
    remote_resolution_share: float = DEFAULT_REMOTE_SHARE,
    history_days: int | None = None,
) -> Quotas:
    """Daily quotas of every region group of a branch, from the stored observations and order history.

    Standards come from the ``observations`` table, the forecast from the ``work_orders``
    history before ``start``; see :func:`daily_quotas` for the quota rule.
    """
    pool = branch_pool(
        session, branch_id, start, days, params, uplifts, remote_resolution_share, history_days
    )
    return daily_quotas(pool, productive_minutes_per_shift, min_heads)
