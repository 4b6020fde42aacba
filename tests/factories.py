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
from vocabulary.orders import CustomerGrade, OrderType, TimeWindow, WorkOrder
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


# -- a published roster and a planned branch-day -------------------------------------------------------


def store_roster_draft(
    session: Session,
    start: dt.date,
    assignment: dict[str, list[str | None]],
    leave: dict[str, set[int]] | None = None,
    support_groups: dict[str, list[str | None]] | None = None,
    support: frozenset[str] = frozenset(),
    branch_id: str = "B1",
    shift_start: dt.time = dt.time(8, 0),
    shift_minutes: int = 480,
    parent_id: str | None = None,
) -> str:
    """Store a draft roster of ``branch_id`` from ``start`` that says exactly who works shift ``D``
    (``assignment``: technician → ``"D"`` or None per day), who is on leave (day indexes) and where
    the support team goes; returns its id (publish it with ``POST /rosters/{id}/publish``).

    Hand-made rather than solved, so a test states who rests on which day.
    """
    from scheduler.roster import store as roster_store
    from scheduler.roster.domain import Employee, RosterProblem, RosterResult, ShiftType

    days = len(next(iter(assignment.values())))
    problem = RosterProblem(
        name=f"{branch_id}/{start}",
        horizon=days,
        first_weekday=start.weekday(),
        start_date=start.isoformat(),
        shifts=(
            ShiftType(id="D", minutes=shift_minutes, start_minute=shift_start.hour * 60 + shift_start.minute),
        ),
        employees=tuple(
            Employee(id=t, group_id=None if t in support else "G1", support=t in support) for t in assignment
        ),
        days_off={t: frozenset(d) for t, d in (leave or {}).items()},
    )
    result = RosterResult(
        name=problem.name,
        status="FEASIBLE",
        objective=0,
        bound=0,
        seconds=0.0,
        assignment={t: list(row) for t, row in assignment.items()},
        support_groups={t: list(row) for t, row in (support_groups or {}).items()},
    )
    row = roster_store.save_draft(
        session, branch_id, start, "urban_dense", problem, result, "test-setup", parent_id
    )
    return row.id


#: The day :func:`plan_loop_day` plans (roster day 1 of a week from Monday 2026-06-01).
LOOP_DAY = dt.date(2026, 6, 2)


def loop_roster(session: Session, start: dt.date = dt.date(2026, 6, 1), sick: str | None = None) -> str:
    """A week's roster of B1: T-001, T-002 work every day, T-003 rests and T-004 is on leave on
    day 1, support member T-005 works for G1 on day 1; ``sick``: that technician is on leave on
    day 1 too. Stored as a draft; returns its id."""
    assignment: dict[str, list[str | None]] = {
        "T-001": ["D"] * 7,
        "T-002": ["D"] * 7,
        "T-003": ["D", None, "D", "D", "D", "D", None],
        "T-004": ["D", None, "D", "D", "D", None, "D"],
        "T-005": [None, "D", None, "D", None, "D", None],
    }
    leave = {"T-004": {1}}
    if sick is not None:
        assignment[sick] = [None if d == 1 else s for d, s in enumerate(assignment[sick])]
        leave[sick] = {1}
    support = {"T-005": [None, "G1", None, "G1", None, "G1", None]}
    return store_roster_draft(session, start, assignment, leave, support, frozenset({"T-005"}))


def seed_loop_day(session: Session, day: dt.date = LOOP_DAY, n_orders: int = 10) -> None:
    """B1/G1 with T-001…T-004, support member T-005 (no home area), and ``n_orders`` open orders
    reported on the morning of ``day`` across A1–A4 (every third a VIP, two with an appointment)."""
    seed_org(session)
    support = technician("T-005", support_team=True, region_group_id=None, home_area_id=None)
    session.add(TechnicianRow(**records.technician_row(support)))
    session.flush()
    morning = dt.datetime.combine(day, dt.time(7, 0))
    for i in range(n_orders):
        extra: dict[str, Any] = {}
        if i in (3, 7):
            start = dt.datetime.combine(day, dt.time(10 + i // 2, 0))
            extra["appointment"] = TimeWindow(start=start, end=start + dt.timedelta(hours=2))
        store_order(
            session,
            work_order(
                f"WO-{i:02d}",
                area_id=f"A{i % 4 + 1}",
                created=morning + dt.timedelta(minutes=5 * i),
                customer_grade=CustomerGrade.VIP if i % 3 == 0 else CustomerGrade.ORDINARY,
                **extra,
            ),
        )


def plan_loop_day(db_url: str, day: dt.date = LOOP_DAY, seconds: float = 0.3) -> None:
    """Seed :func:`seed_loop_day`, publish :func:`loop_roster` and store the morning plan of ``day``
    made from them: the code path of ``POST /dispatch/plans/{branch}/{day}`` and its job."""
    from scheduler.day import plan_input
    from scheduler.dispatch.engine import SolveParams
    from scheduler.dispatch.events import start_day
    from scheduler.dispatch.service import store_morning_plan
    from scheduler.roster import store as roster_store

    with session_scope(db_url) as session:
        seed_loop_day(session, day)
        roster_store.publish(session, loop_roster(session, day - dt.timedelta(days=1)), "dispatcher")
    with session_scope(db_url) as session:
        inp, linked = plan_input(session, "B1", day, None, "dispatcher")
    state = start_day(inp, SolveParams(time_limit_s=seconds))
    with session_scope(db_url) as session:
        store_morning_plan(session, state, "dispatcher", linked)


# -- operating models and overflow ---------------------------------------------------------------------


def seed_overloaded_area(
    session: Session, day: dt.date = LOOP_DAY, n_orders: int = 16, operating_model: str = "rolling_group"
) -> None:
    """B1/G1 (A1–A4, T-001…T-004 owning them), support member T-005, a second group G2 (area B1-A,
    owner T-006), and ``n_orders`` ordinary repairs of 60 minutes reported on the morning of ``day``,
    all in A1: one area overloaded, the rest of the group idle. G1 and G2 get ``operating_model``."""
    org = seed_org(session)
    group = session.get(RegionGroupRow, org.group.id)
    assert group is not None
    group.operating_model = operating_model
    session.add(
        RegionGroupRow(**records.region_group_row(region_group("G2", operating_model=operating_model)))
    )
    session.flush()
    session.add(SmallAreaRow(**records.area_row(small_area("B1-A", region_group_id="G2"))))
    session.flush()
    session.add_all(
        TechnicianRow(**records.technician_row(t))
        for t in (
            technician("T-005", support_team=True, region_group_id=None, home_area_id=None),
            technician("T-006", region_group_id="G2", home_area_id="B1-A"),
        )
    )
    session.flush()
    morning = dt.datetime.combine(day, dt.time(7, 0))
    for i in range(n_orders):
        store_order(
            session,
            work_order(
                f"WO-A1-{i:02d}",
                area_id="A1",
                created=morning + dt.timedelta(minutes=i),
                deadline=dt.datetime.combine(day, dt.time(18, 0)),
            ),
        )


def plan_overflow_day(
    db_url: str,
    operating_model: str = "small_area_contract",
    on_duty: tuple[str, ...] = ("T-002", "T-003", "T-004", "T-005", "T-006"),
    n_orders: int = 16,
) -> None:
    """Seed :func:`seed_overloaded_area` and store the morning plan of ``LOOP_DAY`` from the order
    table with the on-duty list ``on_duty`` (a roster override). With the defaults A1's owner T-001
    is off under a small-area contract: A1's ``n_orders`` orders are all unassigned (no cover), the
    overflow that claims and partners take."""
    from scheduler.day import plan_input
    from scheduler.dispatch.engine import SolveParams
    from scheduler.dispatch.events import start_day
    from scheduler.dispatch.service import store_morning_plan

    with session_scope(db_url) as session:
        seed_overloaded_area(session, n_orders=n_orders, operating_model=operating_model)
    with session_scope(db_url) as session:
        inp, linked = plan_input(session, "B1", LOOP_DAY, list(on_duty), "dispatcher")
    state = start_day(inp, SolveParams(time_limit_s=0.5))
    with session_scope(db_url) as session:
        store_morning_plan(session, state, "dispatcher", linked)
