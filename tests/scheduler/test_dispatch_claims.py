"""Claims (认领): a technician on duty claims an unassigned order, which goes into his day through
the ledger; off duty, an order that is not unassigned, a day with no room, a skill he lacks, or a
claim for someone else are refused and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from factories import LOOP_DAY, plan_overflow_day
from sqlalchemy import select

from fieldcrew.db import session_scope
from fieldcrew.tables import OrderEventRow, TechnicianRow, WorkOrderRow
from scheduler.dispatch import ledger, service, store
from scheduler.dispatch.errors import EventNotAllowed
from scheduler.dispatch.events import ClaimRefused, OrderClaimed
from scheduler.dispatch.validate import validate_plan

AT = f"{LOOP_DAY}T08:30:00"


def _claim(url: str, order_id: str, tech: str, as_tech: str | None = None) -> Any:
    with session_scope(url) as s:
        event = OrderClaimed.model_validate({"at": AT, "order_id": order_id, "technician_id": tech})
        return service.post_event(s, "B1", LOOP_DAY, event, "user", technician_id=as_tech)


def _state(url: str) -> tuple[Any, ...]:
    with session_scope(url) as s:
        inp, plan = store.load_state(s, "B1", LOOP_DAY)
        assert ledger.disagreements(s, inp) == []  # the order table equals the plan
        rows = sorted((r.id, r.status, r.technician_id) for r in s.scalars(select(WorkOrderRow)))
    assert validate_plan(inp, plan) == []
    return inp, plan, rows


def test_claim_feasible_goes_into_his_day_and_the_order_table(db_url: str) -> None:
    """T-006 (group G2) claims A1's order nobody covers: it is on his route, dispatched to him in the
    order table (created → dispatched, reason names the claim), off the unassigned list."""
    plan_overflow_day(db_url)
    _, before, _ = _state(db_url)
    assert "WO-A1-00" in {u.order_id for u in before.unassigned}
    applied = _claim(db_url, "WO-A1-00", "T-006", as_tech="T-006")
    inp, plan, rows = _state(db_url)
    assert plan.assignment()["WO-A1-00"] == "T-006"
    assert "WO-A1-00" not in {u.order_id for u in plan.unassigned}
    assert ("WO-A1-00", "dispatched", "T-006") in rows
    assert [str(c.after) for c in applied.changes] == ["dispatched by T-006"]
    with session_scope(db_url) as s:
        reason = s.scalars(select(OrderEventRow.reason).where(OrderEventRow.order_id == "WO-A1-00")).all()
    assert reason == ["order_claimed: by T-006"]


def test_claims_until_his_day_is_full_exact(db_url: str) -> None:
    """Exact: T-006's shift 08:00–17:00 (default) takes a whole number of 60-minute repairs, then the
    next claim is refused naming rule shift_end, and the plan and order table are unchanged."""
    plan_overflow_day(db_url)
    taken = 0
    with pytest.raises(ClaimRefused, match="shift_end"):
        for i in range(16):
            _claim(db_url, f"WO-A1-{i:02d}", "T-006")
            taken += 1
    _, plan, rows = _state(db_url)
    route = plan.route_of("T-006")
    assert route is not None and len(route.stops) == taken and 4 <= taken < 16
    assert sum(1 for r in rows if r[2] == "T-006") == taken


def test_claim_refusals_change_nothing(db_url: str) -> None:
    """Infeasible: off duty (T-001 is not on duty that day), the order already claimed (not
    unassigned), a skill he lacks, and a technician claiming for another (403): each refused, and
    the plan and the order table stay as they were."""
    plan_overflow_day(db_url)
    _claim(db_url, "WO-A1-00", "T-005")
    _, plan, rows = _state(db_url)
    with pytest.raises(ClaimRefused, match="not on duty"):
        _claim(db_url, "WO-A1-02", "T-001")
    with pytest.raises(ClaimRefused, match="only an unassigned order"):
        _claim(db_url, "WO-A1-00", "T-006")
    with pytest.raises(EventNotAllowed, match="only for himself"):
        _claim(db_url, "WO-A1-02", "T-006", as_tech="T-005")
    _, plan_after, rows_after = _state(db_url)
    assert (plan_after.version, rows_after) == (plan.version, rows)


def test_claim_refused_for_a_skill_he_lacks(db_url: str) -> None:
    """Rule skills: an order needing fibre splicing is not claimed by T-006 who lacks it (409 naming
    the skill); T-005 who has it claims it."""
    with session_scope(db_url) as s:
        from factories import seed_overloaded_area

        seed_overloaded_area(s, n_orders=2, operating_model="small_area_contract")
        s.get(WorkOrderRow, "WO-A1-01").required_skills = ["fibre_splicing"]  # type: ignore[union-attr]
        s.get(TechnicianRow, "T-005").skills = ["broadband", "fixed_line", "fibre_splicing"]  # type: ignore[union-attr]
    from scheduler.day import plan_input
    from scheduler.dispatch.engine import SolveParams
    from scheduler.dispatch.events import start_day

    with session_scope(db_url) as s:
        inp, linked = plan_input(s, "B1", LOOP_DAY, ["T-002", "T-005", "T-006"], "dispatcher")
    state = start_day(inp, SolveParams(time_limit_s=0.5))
    with session_scope(db_url) as s:
        service.store_morning_plan(s, state, "dispatcher", linked)
    with pytest.raises(ClaimRefused, match="fibre_splicing"):
        _claim(db_url, "WO-A1-01", "T-006")
    _claim(db_url, "WO-A1-01", "T-005")
    _, plan, _ = _state(db_url)
    assert plan.assignment()["WO-A1-01"] == "T-005"
