"""Tiny builders of vocabulary objects for tests, and a small organisation to seed a database with.

Every builder has sensible defaults and takes keyword overrides::

    tech = technician("T-009", skills={Skill.IPTV})
    order = work_order("WO-1", order_type=OrderType.INSTALL, created=T0)

``seed_org(session)`` stores one branch ``B1``, district ``D1``, region group ``G1`` with four
small areas ``A1``…``A4`` and technicians ``T-001``…``T-004`` (matching the technician users of the
``api_client`` fixture), and returns them.

``ApiHarness`` / ``make_api`` / ``API_USERS`` are what the ``api_client`` fixture is built from, for
tests that need an app with other settings (e.g. the process job executor).
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fieldcrew import records
from fieldcrew.db import session_scope
from fieldcrew.settings import Settings
from fieldcrew.tables import (
    BranchRow,
    DistrictRow,
    OrderEventRow,
    RegionGroupRow,
    SmallAreaRow,
    TechnicianRow,
    WorkOrderRow,
)
from vocabulary.orders import CustomerGrade, OrderType, WorkOrder
from vocabulary.organisation import AreaType, Branch, District, Location, RegionGroup, SmallArea
from vocabulary.staff import Skill, Technician

#: A fixed Monday 09:00 to build times from.
T0 = dt.datetime(2026, 6, 1, 9, 0)
#: Centre of the demo branch's territory (WGS-84).
CENTRE = Location(lat=31.82, lon=117.23)


def branch(id: str = "B1", **kw: Any) -> Branch:
    """A branch."""
    data: dict[str, Any] = {
        "id": id,
        "name": f"Branch {id}",
        "province": "Anhui",
        "bbox": (31.6, 117.0, 32.1, 117.5),
    }
    return Branch.model_validate(data | kw)


def district(id: str = "D1", branch_id: str = "B1", **kw: Any) -> District:
    """A district."""
    return District.model_validate({"id": id, "branch_id": branch_id, "name": f"District {id}"} | kw)


def region_group(id: str = "G1", branch_id: str = "B1", district_id: str = "D1", **kw: Any) -> RegionGroup:
    """A region group."""
    data = {"id": id, "branch_id": branch_id, "district_id": district_id, "name": f"Group {id}"}
    return RegionGroup.model_validate(data | kw)


def small_area(id: str = "A1", region_group_id: str = "G1", **kw: Any) -> SmallArea:
    """A small area near the centre."""
    data: dict[str, Any] = {
        "id": id,
        "region_group_id": region_group_id,
        "name": f"Area {id}",
        "area_type": AreaType.URBAN,
        "centroid": CENTRE,
    }
    return SmallArea.model_validate(data | kw)


def technician(id: str = "T-001", **kw: Any) -> Technician:
    """An own-staff technician of group G1 with broadband and fixed-line skills."""
    data: dict[str, Any] = {
        "id": id,
        "name": f"Tech {id}",
        "branch_id": "B1",
        "region_group_id": "G1",
        "home_area_id": "A1",
        "skills": frozenset({Skill.BROADBAND, Skill.FIXED_LINE}),
        "post_grade": "T2",
        "start_date": dt.date(2024, 1, 1),
    }
    return Technician.model_validate(data | kw)


def work_order(id: str = "WO-1", **kw: Any) -> WorkOrder:
    """An ordinary repair order in area A1 created at ``T0`` with a 24 h deadline."""
    created = kw.get("created", T0)
    data: dict[str, Any] = {
        "id": id,
        "order_type": OrderType.REPAIR,
        "area_id": "A1",
        "location": CENTRE,
        "customer_grade": CustomerGrade.ORDINARY,
        "created": created,
        "deadline": created + dt.timedelta(hours=24),
    }
    return WorkOrder.model_validate(data | kw)


@dataclass(frozen=True)
class Org:
    """What :func:`seed_org` stored."""

    branch: Branch
    district: District
    group: RegionGroup
    areas: tuple[SmallArea, ...]
    technicians: tuple[Technician, ...]


def seed_org(session: Session, n_technicians: int = 4) -> Org:
    """Store a small organisation (B1/D1/G1, areas A1–A4, technicians T-001…) in ``session``."""
    org = Org(
        branch=branch(),
        district=district(),
        group=region_group(),
        areas=tuple(small_area(f"A{i}") for i in range(1, 5)),
        technicians=tuple(
            technician(f"T-{i:03d}", home_area_id=f"A{(i - 1) % 4 + 1}") for i in range(1, n_technicians + 1)
        ),
    )
    session.add(BranchRow(**records.branch_row(org.branch)))
    session.flush()
    session.add(DistrictRow(**records.district_row(org.district)))
    session.flush()
    session.add(RegionGroupRow(**records.region_group_row(org.group)))
    session.flush()
    session.add_all(SmallAreaRow(**records.area_row(a)) for a in org.areas)
    session.flush()
    session.add_all(TechnicianRow(**records.technician_row(t)) for t in org.technicians)
    session.flush()
    return org


def store_order(session: Session, order: WorkOrder) -> None:
    """Store a work order and its history."""
    session.add(WorkOrderRow(**records.order_row(order)))
    session.flush()
    session.add_all(OrderEventRow(**e) for e in records.event_rows(order))
    session.flush()


# -- the API under test ------------------------------------------------------------------------------

#: username → (role, technician id) of the users the API fixture creates.
API_USERS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "dispatcher": ("dispatcher", None),
    "hr": ("hr", None),
    "planner": ("planner", None),
    "technician": ("technician", "T-001"),
    "technician2": ("technician", "T-002"),
}


@dataclass
class ApiHarness:
    """The in-process service with one API key per test user."""

    client: TestClient
    db_url: str
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        """``X-API-Key`` header of the user ``username`` (see ``API_USERS``)."""
        return {"X-API-Key": self.keys[username]}

    def session(self) -> AbstractContextManager[Session]:
        """A transaction on the service's database (commits on exit)."""
        return session_scope(self.db_url)


def make_api(
    db_url: str, executor: str = "thread", tmp_dir: Path | None = None
) -> tuple[Settings, dict[str, str]]:
    """Settings for an app on ``db_url`` and the users of ``API_USERS`` created there (name → key)."""
    from fieldcrew.auth import create_user

    settings = Settings(
        database_url=db_url, job_executor=executor, job_workers=2, data_dir=tmp_dir or Path("var")
    )
    keys = {}
    with session_scope(db_url) as session:
        for username, (role, technician_id) in API_USERS.items():
            _, keys[username] = create_user(session, username, role, technician_id, actor="test-setup")
    return settings, keys
