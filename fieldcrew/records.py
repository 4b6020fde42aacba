"""Vocabulary objects ↔ rows of the platform tables (:mod:`fieldcrew.tables`).

One pair of functions per kind: ``<kind>_row(obj) -> dict`` (a row ready for a bulk insert) and
``read_<kinds>(session) -> list`` (the stored rows as validated vocabulary objects). The demo city,
the importers and the exporters all go through here, so a stored order always reads back as the
same :class:`~vocabulary.orders.WorkOrder`. What the order table holds beyond it (the technician's
completion report, his first contact with the customer) is an order's :class:`OrderFacts`.

An order's status history is its ``order_events`` rows except the contact records
(:data:`~fieldcrew.tables.CONTACTED`): a contact with the customer changes no status.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew import tables as t
from vocabulary.orders import Outcome, StatusEvent, TimeWindow, WorkOrder
from vocabulary.organisation import Branch, District, Location, RegionGroup, SmallArea
from vocabulary.staff import ContactData, Skill, Technician
from vocabulary.workstudy import Observation


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def branch_row(branch: Branch) -> dict[str, Any]:
    """Row of ``branches``."""
    return {"id": branch.id, "name": branch.name, "province": branch.province,
            "bbox": list(branch.bbox) if branch.bbox is not None else None}


def district_row(district: District) -> dict[str, Any]:
    """Row of ``districts``."""
    return {"id": district.id, "branch_id": district.branch_id, "name": district.name}


def region_group_row(group: RegionGroup) -> dict[str, Any]:
    """Row of ``region_groups``."""
    return {"id": group.id, "branch_id": group.branch_id, "district_id": group.district_id,
            "name": group.name, "operating_model": group.operating_model}


def area_row(area: SmallArea) -> dict[str, Any]:
    """Row of ``small_areas``."""
    return {"id": area.id, "region_group_id": area.region_group_id, "name": area.name,
            "area_type": area.area_type.value, "lat": area.centroid.lat, "lon": area.centroid.lon}


def technician_row(tech: Technician) -> dict[str, Any]:
    """Row of ``technicians`` (contact data in clear: the database is the access-controlled store)."""
    return {
        "id": tech.id, "name": tech.name, "branch_id": tech.branch_id,
        "region_group_id": tech.region_group_id, "home_area_id": tech.home_area_id,
        "skills": sorted(s.value for s in tech.skills), "post_grade": tech.post_grade,
        "employment": tech.employment.value, "support_team": tech.support_team,
        "start_date": tech.start_date, "end_date": tech.end_date,
        "phone": _secret(tech.contact.phone), "email": _secret(tech.contact.email),
    }


def order_row(order: WorkOrder) -> dict[str, Any]:
    """Row of ``work_orders`` (the history goes to ``order_events``: :func:`event_rows`)."""
    outcome = order.outcome or Outcome()
    return {
        "id": order.id, "order_type": order.order_type.value, "difficulty": order.difficulty,
        "area_id": order.area_id, "lat": order.location.lat, "lon": order.location.lon,
        "customer_grade": order.customer_grade.value, "line_type": order.line_type.value,
        "created": order.created,
        "appointment_start": order.appointment.start if order.appointment else None,
        "appointment_end": order.appointment.end if order.appointment else None,
        "deadline": order.deadline, "required_skills": sorted(s.value for s in order.required_skills),
        "status": order.status.value, "technician_id": order.technician_id,
        "satisfaction": outcome.satisfaction, "contact_timely": outcome.contact_timely,
        "appointment_kept": outcome.appointment_kept, "skill_satisfied": outcome.skill_satisfied,
        "attitude_satisfied": outcome.attitude_satisfied,
        "repeat_fault_within_days": outcome.repeat_fault_within_days,
        "complaint": outcome.complaint, "praise": outcome.praise,
    }


@dataclass(frozen=True)
class OrderFacts:
    """What the order table records of an order beyond :class:`~vocabulary.orders.WorkOrder`.

    Attributes
    ----------
    fixed
        The technician's report on completion: the fault is fixed / the job done as ordered.
    repeat_of
        The earlier order this one repeats (the same fault came back).
    first_contact_at
        When the technician first contacted the customer (call, SMS or at the door).
    contacts_recorded
        Whether the order's source records first contacts at all: only then does a missing
        ``first_contact_at`` mean "no contact yet" rather than "unknown".
    """

    fixed: bool | None = None
    repeat_of: str | None = None
    first_contact_at: dt.datetime | None = None
    contacts_recorded: bool = False


def facts_row(facts: OrderFacts) -> dict[str, Any]:
    """The ``work_orders`` columns of an order's facts (to merge into :func:`order_row`)."""
    return {"fixed": facts.fixed, "repeat_of": facts.repeat_of, "first_contact_at": facts.first_contact_at,
            "contacts_recorded": facts.contacts_recorded}


def facts_from_row(r: t.WorkOrderRow) -> OrderFacts:
    """The facts a stored order holds besides its :class:`WorkOrder`."""
    return OrderFacts(fixed=r.fixed, repeat_of=r.repeat_of, first_contact_at=r.first_contact_at,
                      contacts_recorded=bool(r.contacts_recorded))


def event_rows(order: WorkOrder) -> list[dict[str, Any]]:
    """Rows of ``order_events`` for the order's history (creation is ``work_orders.created``)."""
    return [{"order_id": order.id, "status": e.status.value, "at": e.at, "technician_id": e.technician_id}
            for e in order.history]


def observation_row(obs: Observation) -> dict[str, Any]:
    """Row of ``observations``."""
    row = obs.model_dump()
    row["order_type"] = obs.order_type.value
    row["area_type"] = obs.area_type.value
    return row


# ---------------------------------------------------------------------------------------------
# reading back


def read_branches(session: Session) -> list[Branch]:
    """Every branch."""
    rows = session.scalars(select(t.BranchRow).order_by(t.BranchRow.id))
    return [Branch(id=r.id, name=r.name, province=r.province,
                   bbox=tuple(r.bbox) if r.bbox else None) for r in rows]


def read_districts(session: Session) -> list[District]:
    """Every district."""
    rows = session.scalars(select(t.DistrictRow).order_by(t.DistrictRow.id))
    return [District(id=r.id, branch_id=r.branch_id, name=r.name) for r in rows]


def read_region_groups(session: Session) -> list[RegionGroup]:
    """Every region group."""
    rows = session.scalars(select(t.RegionGroupRow).order_by(t.RegionGroupRow.id))
    return [RegionGroup(id=r.id, branch_id=r.branch_id, district_id=r.district_id, name=r.name,
                        operating_model=r.operating_model) for r in rows]


def read_areas(session: Session) -> list[SmallArea]:
    """Every small area."""
    rows = session.scalars(select(t.SmallAreaRow).order_by(t.SmallAreaRow.id))
    return [SmallArea(id=r.id, region_group_id=r.region_group_id, name=r.name, area_type=r.area_type,
                      centroid=Location(lat=r.lat, lon=r.lon)) for r in rows]


def technician_from_row(r: t.TechnicianRow) -> Technician:
    """A stored technician as the vocabulary's :class:`Technician`."""
    return Technician(
        id=r.id, name=r.name, branch_id=r.branch_id, region_group_id=r.region_group_id,
        home_area_id=r.home_area_id, skills=frozenset(Skill(s) for s in r.skills or []),
        post_grade=r.post_grade, employment=r.employment,
        support_team=r.support_team, start_date=r.start_date, end_date=r.end_date,
        contact=ContactData(phone=SecretStr(r.phone) if r.phone else None,
                            email=SecretStr(r.email) if r.email else None),
    )


def read_technicians(session: Session) -> list[Technician]:
    """Every technician."""
    rows = session.scalars(select(t.TechnicianRow).order_by(t.TechnicianRow.id))
    return [technician_from_row(r) for r in rows]


def order_from_row(r: t.WorkOrderRow, events: Sequence[t.OrderEventRow]) -> WorkOrder:
    """A stored order and its events as the vocabulary's :class:`WorkOrder` (contact records are
    not status events: they are left out of the history)."""
    outcome = Outcome(
        satisfaction=r.satisfaction, contact_timely=r.contact_timely, appointment_kept=r.appointment_kept,
        skill_satisfied=r.skill_satisfied, attitude_satisfied=r.attitude_satisfied,
        repeat_fault_within_days=r.repeat_fault_within_days, complaint=bool(r.complaint),
        praise=bool(r.praise),
    )
    appointment = None
    if r.appointment_start is not None and r.appointment_end is not None:
        appointment = TimeWindow(start=r.appointment_start, end=r.appointment_end)
    return WorkOrder(
        id=r.id, order_type=r.order_type, difficulty=r.difficulty, area_id=r.area_id,
        location=Location(lat=r.lat, lon=r.lon), customer_grade=r.customer_grade,
        line_type=r.line_type, created=r.created, appointment=appointment,
        deadline=r.deadline, required_skills=frozenset(Skill(s) for s in r.required_skills or []),
        status=r.status, technician_id=r.technician_id,
        history=tuple(StatusEvent(status=e.status, at=e.at, technician_id=e.technician_id)
                      for e in events if e.status != t.CONTACTED),
        outcome=None if outcome == Outcome() else outcome,
    )


def read_orders(
    session: Session, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[WorkOrder]:
    """Stored orders created in ``[start, end)`` (all when not given), ordered by creation time."""
    return [order for order, _ in read_orders_with_facts(session, start, end)]


def read_orders_with_facts(
    session: Session, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[tuple[WorkOrder, OrderFacts]]:
    """:func:`read_orders`, each order with its :class:`OrderFacts`."""
    query = select(t.WorkOrderRow)
    events_query = (
        select(t.OrderEventRow)
        .join(t.WorkOrderRow, t.OrderEventRow.order_id == t.WorkOrderRow.id)
        .where(t.OrderEventRow.status != t.CONTACTED)
    )
    if start is not None:
        query = query.where(t.WorkOrderRow.created >= start)
        events_query = events_query.where(t.WorkOrderRow.created >= start)
    if end is not None:
        query = query.where(t.WorkOrderRow.created < end)
        events_query = events_query.where(t.WorkOrderRow.created < end)
    events: dict[str, list[t.OrderEventRow]] = defaultdict(list)
    for e in session.scalars(events_query.order_by(t.OrderEventRow.order_id,
                                                   t.OrderEventRow.id)):
        events[e.order_id].append(e)
    rows = session.scalars(query.order_by(t.WorkOrderRow.created, t.WorkOrderRow.id))
    return [(order_from_row(r, events.get(r.id, [])), facts_from_row(r)) for r in rows]


def read_observations(session: Session) -> list[Observation]:
    """Every work-study observation."""
    rows = session.scalars(select(t.ObservationRow).order_by(t.ObservationRow.date, t.ObservationRow.id))
    return [Observation(
        id=r.id, date=r.date, branch_id=r.branch_id, observer=r.observer, technician_id=r.technician_id,
        order_type=r.order_type, difficulty=r.difficulty, area_type=r.area_type,
        travel_min=r.travel_min, onsite_min=r.onsite_min, paperwork_min=r.paperwork_min,
        waiting_min=r.waiting_min, rating_pct=r.rating_pct, notes=r.notes or "",
    ) for r in rows]
