"""Tiny hand-built work orders and technicians for the quality tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vocabulary.orders import (
    CustomerGrade,
    LineType,
    OrderStatus,
    OrderType,
    Outcome,
    StatusEvent,
    WorkOrder,
)
from vocabulary.organisation import Location
from vocabulary.staff import Technician

T0 = dt.datetime(2026, 3, 2, 8, 0)  # a Monday in March 2026
HERE = Location(lat=30.0, lon=120.0)


def order(
    oid: str,
    order_type: OrderType = OrderType.REPAIR,
    *,
    created: dt.datetime = T0,
    deadline_h: float = 24,
    respond_min: float | None = 10,
    done_h: float | None = 2,
    cancelled: bool = False,
    tech: str | None = "t1",
    grade: CustomerGrade = CustomerGrade.ORDINARY,
    line: LineType = LineType.BROADBAND,
    **outcome: Any,
) -> WorkOrder:
    """An order created at ``created``, dispatched after ``respond_min`` minutes, completed after
    ``done_h`` hours (None: still open), with an outcome built from ``outcome`` keywords."""
    history: list[StatusEvent] = []
    status = OrderStatus.CREATED
    if respond_min is not None:
        at = created + dt.timedelta(minutes=respond_min)
        history.append(StatusEvent(status=OrderStatus.DISPATCHED, at=at, technician_id=tech))
        status = OrderStatus.DISPATCHED
        if done_h is not None:
            done = created + dt.timedelta(hours=done_h)
            start = max(at, done - dt.timedelta(minutes=30))
            history.append(StatusEvent(status=OrderStatus.STARTED, at=start, technician_id=tech))
            history.append(StatusEvent(status=OrderStatus.COMPLETED, at=done, technician_id=tech))
            status = OrderStatus.COMPLETED
    if cancelled:
        at = (history[-1].at if history else created) + dt.timedelta(minutes=1)
        history.append(StatusEvent(status=OrderStatus.CANCELLED, at=at))
        status = OrderStatus.CANCELLED
    return WorkOrder(
        id=oid,
        order_type=order_type,
        area_id="a1",
        location=HERE,
        customer_grade=grade,
        line_type=line,
        created=created,
        deadline=created + dt.timedelta(hours=deadline_h),
        status=status,
        technician_id=tech if respond_min is not None else None,
        history=tuple(history),
        outcome=Outcome(**outcome) if outcome else None,
    )


def technician(tid: str, group: str | None = "g1", branch: str = "b1") -> Technician:
    """A technician of region group ``group`` (None: support team) in ``branch``."""
    return Technician(
        id=tid, name=f"Tech {tid}", branch_id=branch, region_group_id=group,
        post_grade="T2", start_date=dt.date(2020, 1, 1), support_team=group is None,
    )
