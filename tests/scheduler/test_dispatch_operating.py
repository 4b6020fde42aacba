"""Operating models per region group: who may take a group's orders (small-area contract,
rolling group, branch-wide), read from the stored group by the day's seam, measured on one day
whose area A1 is overloaded while the rest of its group is idle."""

from __future__ import annotations

import datetime as dt

from factories import LOOP_DAY, seed_overloaded_area

from fieldcrew.db import session_scope
from scheduler.day import plan_input
from scheduler.dispatch import operating, rules
from scheduler.dispatch.domain import DayPlan, OnDutyTechnician
from scheduler.dispatch.engine import SolveParams, plan_day
from scheduler.dispatch.validate import validate_plan
from vocabulary.organisation import GroupOperation, Location, OperatingModel

ON_DUTY = ["T-001", "T-002", "T-003", "T-004", "T-005", "T-006"]


def _plan(
    db_url: str, model: str, on_duty: list[str] = ON_DUTY, n_orders: int = 16
) -> tuple[DayPlan, dict[str, int]]:
    with session_scope(db_url) as session:
        seed_overloaded_area(session, n_orders=n_orders, operating_model=model)
    with session_scope(db_url) as session:
        inp, _ = plan_input(session, "B1", LOOP_DAY, on_duty, "dispatcher")
    plan = plan_day(inp, SolveParams(time_limit_s=1.0))
    assert validate_plan(inp, plan) == []
    late = sum(1 for r in plan.routes for s in r.stops if s.late_min > 0)
    served = {r.technician_id: len(r.stops) for r in plan.routes}
    return plan, {"unassigned": len(plan.unassigned), "late": late, **served}


def test_group_operation_reads_legacy_presets_and_models() -> None:
    """Stored values before operating models were roster presets: they read as the plan's model
    with that preset; "<model>" takes the model's default preset; "<model>/<preset>" both."""
    assert GroupOperation.parse("suburban") == GroupOperation(
        model=OperatingModel.ROLLING_GROUP, preset="suburban"
    )
    assert GroupOperation.parse("small_area_contract").preset == "urban"
    assert GroupOperation.parse("branch_wide/rural") == GroupOperation(
        model=OperatingModel.BRANCH_WIDE, preset="rural"
    )
    assert GroupOperation.parse(None) == GroupOperation()
    assert GroupOperation.parse("branch_wide/rural").stored() == "branch_wide/rural"


def _tech(tid: str, group: str | None, support: bool = False) -> OnDutyTechnician:
    day = dt.datetime.combine(LOOP_DAY, dt.time())
    return OnDutyTechnician(
        id=tid,
        region_group_id=group,
        support_team=support,
        shift_start=day + dt.timedelta(hours=8),
        shift_end=day + dt.timedelta(hours=17),
        start_location=Location(lat=31.82, lon=117.23),
    )


def test_contract_unit_rule_feasible_infeasible() -> None:
    """Rule small_area_contract: the owner serves his area's unit (feasible); a colleague of the
    group and the support team do not (infeasible); a rolling group is served by both."""
    unit = "contract.A1"
    assert rules.serves_region_group(_tech("T-001", unit), unit)
    assert not rules.serves_region_group(_tech("T-002", "contract.A2"), unit)
    assert not rules.serves_region_group(_tech("T-005", None, support=True), unit)
    assert rules.serves_region_group(_tech("T-005", None, support=True), "G1")


def test_units_per_model_exact() -> None:
    """Exact units: contract → its area, rolling → its group, branch-wide → the branch."""
    assert operating.area_unit(OperatingModel.SMALL_AREA_CONTRACT, "G1", "A1", "B1") == "contract.A1"
    assert operating.area_unit(OperatingModel.ROLLING_GROUP, "G1", "A1", "B1") == "G1"
    assert operating.area_unit(OperatingModel.BRANCH_WIDE, "G1", "A1", "B1") == "branch.B1"


def test_contract_leaves_more_unserved_than_rolling_and_branch_wide_uses_support(db_url: str) -> None:
    """Measured on the same day (60 repairs in A1, 6 on duty 08:30–17:30): the small-area contract
    leaves more orders unserved than rolling dispatch; branch-wide lets support member T-005 and
    G2's technician take A1's orders, which a contract never does."""
    import shutil
    from pathlib import Path

    template = Path(db_url.removeprefix("sqlite:///"))
    urls = {}
    for model in ("small_area_contract", "rolling_group", "branch_wide"):
        copy = template.with_name(f"{model}.db")
        shutil.copy(template, copy)
        urls[model] = f"sqlite:///{copy}"
    _, contract = _plan(urls["small_area_contract"], "small_area_contract", n_orders=60)
    _, rolling = _plan(urls["rolling_group"], "rolling_group", n_orders=60)
    _, wide = _plan(urls["branch_wide"], "branch_wide", n_orders=60)
    print("MEASURED", {"contract": contract, "rolling": rolling, "branch_wide": wide})
    assert contract["unassigned"] + contract["late"] > rolling["unassigned"] + rolling["late"]
    assert contract["T-001"] == 60 - contract["unassigned"]
    assert contract.get("T-005", 0) == 0 and contract.get("T-006", 0) == 0
    assert wide.get("T-005", 0) + wide.get("T-006", 0) > 0
    assert wide["unassigned"] <= rolling["unassigned"]


def test_owner_off_duty_contract_has_no_cover(db_url: str) -> None:
    """Small-area contract, owner T-001 not on duty: A1's orders stay unassigned with the reason
    "owner off duty, small-area contract has no cover", though T-002…T-005 are idle."""
    plan, counts = _plan(db_url, "small_area_contract", ["T-002", "T-003", "T-004", "T-005"])
    assert counts["unassigned"] == 16
    assert {u.reason for u in plan.unassigned} == {operating.NO_COVER_REASON}
    assert {u.rule for u in plan.unassigned} == {"small_area_contract"}


def test_the_validator_refuses_the_support_team_in_a_contract_area(db_url: str) -> None:
    """The solver-independent validator holds the contract too: the same plan with one of the
    owner's stops moved to support member T-005 is reported (rule region_group), while the support
    team still covers a rolling group."""
    with session_scope(db_url) as session:
        seed_overloaded_area(session, n_orders=4, operating_model="small_area_contract")
    with session_scope(db_url) as session:
        inp, _ = plan_input(session, "B1", LOOP_DAY, ON_DUTY, "dispatcher")
    plan = plan_day(inp, SolveParams(time_limit_s=1.0))
    assert validate_plan(inp, plan) == []
    owner = next(r for r in plan.routes if r.stops)
    support = next(r for r in plan.routes if r.technician_id == "T-005")
    moved = owner.stops[-1]
    tampered = plan.model_copy(update={"routes": tuple(
        r.model_copy(update={"stops": r.stops[:-1]}) if r is owner
        else r.model_copy(update={"stops": (*r.stops, moved)}) if r is support
        else r
        for r in plan.routes
    )})
    rules_broken = {v.rule for v in validate_plan(inp, tampered)}
    assert "region_group" in rules_broken
