"""Reference data: branches, districts, region groups, small areas, technicians and work orders.

Each kind has ``GET /<kind>`` (paged, ``X-Total-Count``), ``GET /<kind>/{id}``, ``POST /<kind>``
(201, 409 if the id exists), ``PUT /<kind>/{id}`` (replace; 404 if unknown) and
``DELETE /<kind>/{id}`` (204; 409 while other records refer to it). Bodies are the shared
vocabulary models, so every rule of the vocabulary is checked before anything is written, and
every write is audited with its before/after images (personal data redacted). Work orders also
have ``POST /orders/{id}/status`` for a life-cycle step (409 for a step the life cycle forbids).

Who may do what: everyone authenticated reads the organisation; planners write it; HR writes
technicians; dispatchers write orders. A technician reads only their own technician record and
the orders assigned to them, and may move their own orders through the life cycle. Technicians'
phone and e-mail are answered in full to HR and admins only, masked (``138****1234``) to everyone
else (:mod:`fieldcrew.privacy`). Times are local (Asia/Shanghai) without an offset, as stored; a
time sent with an offset (``2026-06-01T01:00:00Z``) is converted to local time first.
"""

# No `from __future__ import annotations`: the generic routes below annotate with runtime classes.

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import DbSession, Limit, Offset, ensure_self_or_roles, require_roles
from fieldcrew import audit, records
from fieldcrew.auth import AuthUser
from fieldcrew.db import Base
from fieldcrew.privacy import contact_for
from fieldcrew.tables import (
    BranchRow,
    DistrictRow,
    OrderEventRow,
    RegionGroupRow,
    SmallAreaRow,
    TechnicianRow,
    WorkOrderRow,
)
from vocabulary.errors import Conflict, NotFound
from vocabulary.orders import OrderStatus, StatusEvent, TimeWindow, WorkOrder, check_transition
from vocabulary.organisation import Branch, District, Location, RegionGroup, SmallArea
from vocabulary.staff import Technician

router = APIRouter(tags=["reference data"])

READ_ALL = ("dispatcher", "hr", "planner", "technician")

#: Local time of the branches (China keeps no daylight saving time).
LOCAL = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def local_time(value: dt.datetime) -> dt.datetime:
    """A time as stored: local and without an offset (one sent with an offset is converted)."""
    return value.astimezone(LOCAL).replace(tzinfo=None) if value.tzinfo is not None else value


LocalTime = Annotated[dt.datetime, AfterValidator(local_time)]


# Request bodies of work orders: the vocabulary's models with every time made local first, so their
# rules compare like with like (a naive and an offset time would not compare: a 500, not a 422).


class TimeWindowIn(TimeWindow):
    """An appointment window as sent: times local, or with an offset (converted)."""

    start: LocalTime
    end: LocalTime


class StatusEventIn(StatusEvent):
    """A status change as sent: its time local, or with an offset (converted)."""

    at: LocalTime


class WorkOrderIn(WorkOrder):
    """A work order as sent: every time local, or with an offset (converted to local)."""

    created: LocalTime
    deadline: LocalTime
    appointment: TimeWindowIn | None = None
    history: tuple[StatusEventIn, ...] = ()


class ContactOut(BaseModel):
    """A technician's contact data as the caller may read it: in full for HR and admins, masked
    (``138****1234``, ``z***@example.com``) for everyone else."""

    phone: str | None = None
    email: str | None = None


class TechnicianOut(Technician):
    """A technician as the API answers it (contact data by the caller's role)."""

    contact: ContactOut = Field(  # type: ignore[assignment]  # readable text instead of secrets
        default_factory=ContactOut, description="in full for HR and admins, masked for everyone else"
    )


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _technician_for(tech: BaseModel, user: AuthUser) -> BaseModel:
    assert isinstance(tech, Technician)
    phone, email = contact_for(user.role, _secret(tech.contact.phone), _secret(tech.contact.email))
    return TechnicianOut(**tech.model_dump(exclude={"contact"}), contact=ContactOut(phone=phone, email=email))


def _as_is(item: BaseModel, _: AuthUser) -> BaseModel:
    return item


@dataclass(frozen=True)
class Kind:
    """One kind of reference record and how it maps to its table."""

    path: str
    entity: str
    row: type[Base]
    model: type[BaseModel]
    to_row: Callable[[Any], dict[str, Any]]
    from_row: Callable[[Any], BaseModel]
    read_roles: tuple[str, ...]
    write_roles: tuple[str, ...]
    #: the answer's model and how a record becomes it for a caller (personal data by role)
    out_model: type[BaseModel] | None = None
    present: Callable[[BaseModel, AuthUser], BaseModel] = _as_is


def _area_from_row(r: SmallAreaRow) -> SmallArea:
    return SmallArea(
        id=r.id, region_group_id=r.region_group_id, name=r.name, area_type=r.area_type,
        centroid=Location(lat=r.lat, lon=r.lon),
    )


KINDS: tuple[Kind, ...] = (
    Kind("/branches", "branch", BranchRow, Branch, records.branch_row,
         lambda r: Branch(id=r.id, name=r.name, province=r.province, bbox=tuple(r.bbox) if r.bbox else None),
         READ_ALL, ("planner",)),
    Kind("/districts", "district", DistrictRow, District, records.district_row,
         lambda r: District(id=r.id, branch_id=r.branch_id, name=r.name), READ_ALL, ("planner",)),
    Kind("/region-groups", "region_group", RegionGroupRow, RegionGroup, records.region_group_row,
         lambda r: RegionGroup(id=r.id, branch_id=r.branch_id, district_id=r.district_id, name=r.name,
                               operating_model=r.operating_model), READ_ALL, ("planner",)),
    Kind("/areas", "small_area", SmallAreaRow, SmallArea, records.area_row, _area_from_row, READ_ALL,
         ("planner",)),
    Kind("/technicians", "technician", TechnicianRow, Technician, records.technician_row,
         records.technician_from_row, READ_ALL, ("hr",), TechnicianOut, _technician_for),
)


def _get_row(session: Session, kind: Kind, item_id: str) -> Any:
    row = session.get(kind.row, item_id)
    if row is None:
        raise NotFound(f"{kind.entity} {item_id!r} does not exist")
    return row


def _check_id(path_id: str, body_id: str) -> None:
    if path_id != body_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"body id {body_id!r} differs from the path id {path_id!r}"
        )


def _id(body: BaseModel) -> str:
    return str(body.id)  # type: ignore[attr-defined]  # every reference model has an id


def _own_technician_only(kind: Kind, user: AuthUser) -> bool:
    return kind.entity == "technician" and user.role == "technician"


def _register(kind: Kind) -> None:
    reader = require_roles(*kind.read_roles)
    writer = require_roles(*kind.write_roles)
    model = kind.model
    out = kind.out_model or model
    present = kind.present
    plural = kind.path.strip("/")

    def list_items(
        session: DbSession,
        response: Response,
        user: Annotated[AuthUser, Depends(reader)],
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[BaseModel]:
        query = select(kind.row)
        if _own_technician_only(kind, user):
            query = query.where(TechnicianRow.id == user.technician_id)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(kind.row.id).limit(limit).offset(offset))  # type: ignore[attr-defined]
        response.headers["X-Total-Count"] = str(total)
        return [present(kind.from_row(r), user) for r in rows]

    def get_item(
        item_id: str, session: DbSession, user: Annotated[AuthUser, Depends(reader)]
    ) -> BaseModel:
        if _own_technician_only(kind, user):
            ensure_self_or_roles(user, item_id)
        return present(kind.from_row(_get_row(session, kind, item_id)), user)

    def create_item(
        body: BaseModel,  # replaced by the kind's model below
        session: DbSession,
        user: Annotated[AuthUser, Depends(writer)],
    ) -> BaseModel:
        if session.get(kind.row, _id(body)) is not None:
            raise Conflict(f"{kind.entity} {_id(body)!r} already exists")
        row = kind.row(**kind.to_row(body))
        session.add(row)
        session.flush()
        audit.record(session, user, "create", kind.entity, _id(body), None, audit.snapshot(row))
        return present(body, user)

    def replace_item(
        item_id: str,
        body: BaseModel,  # replaced by the kind's model below
        session: DbSession,
        user: Annotated[AuthUser, Depends(writer)],
    ) -> BaseModel:
        _check_id(item_id, _id(body))
        row = _get_row(session, kind, item_id)
        before = audit.snapshot(row)
        for key, value in kind.to_row(body).items():
            setattr(row, key, value)
        session.flush()
        audit.record(session, user, "update", kind.entity, item_id, before, audit.snapshot(row))
        return present(body, user)

    def delete_item(
        item_id: str, session: DbSession, user: Annotated[AuthUser, Depends(writer)]
    ) -> Response:
        row = _get_row(session, kind, item_id)
        before = audit.snapshot(row)
        session.delete(row)
        session.flush()
        audit.record(session, user, "delete", kind.entity, item_id, before, None)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    create_item.__annotations__["body"] = model  # FastAPI validates the body as the vocabulary model
    replace_item.__annotations__["body"] = model
    router.add_api_route(
        kind.path, list_items, methods=["GET"], response_model=list[out],  # type: ignore[valid-type]
        summary=f"List {plural}",
    )
    router.add_api_route(
        f"{kind.path}/{{item_id}}", get_item, methods=["GET"], response_model=out,
        summary=f"One {kind.entity}",
    )
    router.add_api_route(
        kind.path, create_item, methods=["POST"], status_code=201, response_model=out,
        summary=f"Create a {kind.entity}",
    )
    router.add_api_route(
        f"{kind.path}/{{item_id}}", replace_item, methods=["PUT"], response_model=out,
        summary=f"Replace a {kind.entity}",
    )
    router.add_api_route(
        f"{kind.path}/{{item_id}}", delete_item, methods=["DELETE"], status_code=204,
        summary=f"Delete a {kind.entity}", response_class=Response,
    )


for _kind in KINDS:
    _register(_kind)


# -- work orders ------------------------------------------------------------------------------------

ORDER_READERS = ("dispatcher", "planner", "hr", "technician")
OrderReader = Annotated[AuthUser, Depends(require_roles(*ORDER_READERS))]
OrderWriter = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


def _events(session: Session, order_id: str) -> list[OrderEventRow]:
    return list(
        session.scalars(
            select(OrderEventRow).where(OrderEventRow.order_id == order_id).order_by(OrderEventRow.id)
        )
    )


def _order_row(session: Session, order_id: str) -> WorkOrderRow:
    row = session.get(WorkOrderRow, order_id)
    if row is None:
        raise NotFound(f"work order {order_id!r} does not exist")
    return row


def _order_image(session: Session, row: WorkOrderRow) -> dict[str, Any]:
    image = audit.snapshot(row)
    image["history"] = [
        {"status": e.status, "at": e.at.isoformat(), "technician_id": e.technician_id}
        for e in _events(session, row.id)
    ]
    return image


def _write_events(session: Session, order: WorkOrder) -> None:
    for old in _events(session, order.id):
        session.delete(old)
    session.flush()
    session.add_all(OrderEventRow(**event) for event in records.event_rows(order))
    session.flush()


@router.get(
    "/orders", response_model=list[WorkOrder],
    summary="List work orders (a technician sees only orders assigned to them)",
)
def list_orders(
    session: DbSession,
    response: Response,
    user: OrderReader,
    limit: Limit = 100,
    offset: Offset = 0,
    status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
    technician_id: str | None = None,
    created_from: Annotated[LocalTime | None, Query(description="local time, or with an offset")] = None,
    created_to: Annotated[LocalTime | None, Query(description="local time, or with an offset")] = None,
) -> list[WorkOrder]:
    query = select(WorkOrderRow)
    if user.role == "technician":
        query = query.where(WorkOrderRow.technician_id == user.technician_id)
    if technician_id is not None:
        query = query.where(WorkOrderRow.technician_id == technician_id)
    if status_ is not None:
        query = query.where(WorkOrderRow.status == status_.value)
    if created_from is not None:
        query = query.where(WorkOrderRow.created >= created_from)
    if created_to is not None:
        query = query.where(WorkOrderRow.created < created_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(WorkOrderRow.created, WorkOrderRow.id).limit(limit).offset(offset)
    rows = list(session.scalars(query))
    events: dict[str, list[OrderEventRow]] = {r.id: [] for r in rows}
    if rows:
        for e in session.scalars(
            select(OrderEventRow).where(OrderEventRow.order_id.in_(list(events))).order_by(OrderEventRow.id)
        ):
            events[e.order_id].append(e)
    response.headers["X-Total-Count"] = str(total)
    return [records.order_from_row(r, events[r.id]) for r in rows]


@router.get("/orders/{order_id}", response_model=WorkOrder, summary="One work order with its status history")
def get_order(order_id: str, session: DbSession, user: OrderReader) -> WorkOrder:
    row = _order_row(session, order_id)
    if user.role == "technician":
        ensure_self_or_roles(user, row.technician_id)
    return records.order_from_row(row, _events(session, order_id))


@router.post("/orders", status_code=201, response_model=WorkOrder, summary="Create a work order")
def create_order(body: WorkOrderIn, session: DbSession, user: OrderWriter) -> WorkOrder:
    if session.get(WorkOrderRow, body.id) is not None:
        raise Conflict(f"work order {body.id!r} already exists")
    row = WorkOrderRow(**records.order_row(body))
    session.add(row)
    session.flush()
    _write_events(session, body)
    audit.record(session, user, "create", "work_order", body.id, None, _order_image(session, row))
    return body


@router.put("/orders/{order_id}", response_model=WorkOrder, summary="Replace a work order (and its history)")
def replace_order(order_id: str, body: WorkOrderIn, session: DbSession, user: OrderWriter) -> WorkOrder:
    _check_id(order_id, body.id)
    row = _order_row(session, order_id)
    before = _order_image(session, row)
    for key, value in records.order_row(body).items():
        setattr(row, key, value)
    session.flush()
    _write_events(session, body)
    audit.record(session, user, "update", "work_order", order_id, before, _order_image(session, row))
    return body


@router.delete("/orders/{order_id}", status_code=204, response_class=Response, summary="Delete a work order")
def delete_order(order_id: str, session: DbSession, user: OrderWriter) -> Response:
    row = _order_row(session, order_id)
    before = _order_image(session, row)
    for event in _events(session, order_id):
        session.delete(event)
    session.delete(row)
    session.flush()
    audit.record(session, user, "delete", "work_order", order_id, before, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class StatusChange(BaseModel):
    """One life-cycle step of a work order."""

    status: OrderStatus
    at: LocalTime = Field(description="local time, or with an offset (converted to local)")
    technician_id: str | None = Field(default=None, description="who (default: the order's technician)")


@router.post(
    "/orders/{order_id}/status", response_model=WorkOrder,
    summary="Move a work order one step along its life cycle",
)
def change_order_status(
    order_id: str, body: StatusChange, session: DbSession, user: OrderReader
) -> WorkOrder:
    row = _order_row(session, order_id)
    if user.role != "dispatcher":
        ensure_self_or_roles(user, row.technician_id)
    current = OrderStatus(row.status)
    check_transition(order_id, current, body.status)
    history = _events(session, order_id)
    last_at = history[-1].at if history else row.created
    if body.at < last_at:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"field 'at': value {body.at.isoformat()} breaks rule: "
            f"not before the last event ({last_at.isoformat()})",
        )
    before = _order_image(session, row)
    technician_id = body.technician_id or row.technician_id
    if body.status == OrderStatus.DISPATCHED:
        if technician_id is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "field 'technician_id': required to dispatch an order"
            )
        row.technician_id = technician_id
    row.status = body.status.value
    session.add(
        OrderEventRow(order_id=order_id, status=body.status.value, at=body.at, technician_id=technician_id)
    )
    session.flush()
    audit.record(session, user, "status", "work_order", order_id, before, _order_image(session, row))
    return records.order_from_row(row, _events(session, order_id))
