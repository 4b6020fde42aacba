"""Operating models of region groups, dispatch side: who may take a group's orders.

A region group's operating model (:class:`vocabulary.organisation.OperatingModel`, stored per group
in ``region_groups.operating_model``) decides the **dispatch unit** its orders roll in. The unit is
written into the day input where dispatch already looks for "the group an order rolls in"
(:attr:`Area.region_group_id <scheduler.dispatch.domain.Area>` of its small area, and each
technician's ``region_group_id``), so the engine, the rolling events and ``validate.py`` apply it
without knowing about operating models, and it is stored with every plan version:

- ``rolling_group`` (the plan's model): the unit is the region group itself; the support team covers.
- ``small_area_contract``: the unit is the small area (``contract.<area>``); only the technician
  whose home area it is takes its orders, and nobody covers (:func:`rules.serves_region_group
  <scheduler.dispatch.rules.serves_region_group>` keeps the support team out of contract units).
  His orders stay unassigned when he is off duty (:data:`NO_COVER_REASON`).
- ``branch_wide``: every branch-wide group of the branch shares one unit (``branch.<branch>``), with
  its technicians and any support-team member deployed to one of them; the support team covers.

The plan's rule order (customer priority ≫ own area ≫ nearest ≫ balance) is the default of every
model: :data:`PLAN_POLICY` uses lexicographic weights.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew.tables import RegionGroupRow
from scheduler.dispatch.domain import (
    CONTRACT_PREFIX,
    Area,
    DayInput,
    DispatchPolicy,
    OnDutyTechnician,
    is_contract_unit,
)
from vocabulary.errors import NotFound
from vocabulary.organisation import GroupOperation, OperatingModel

BRANCH_PREFIX = "branch."
#: Why an order of a small-area-contract group is not planned when its owner is not on duty.
NO_COVER_REASON = "owner off duty, small-area contract has no cover"
#: The plan's dispatch rules in its order, as the default of every operating model.
PLAN_POLICY = DispatchPolicy(mode="lexicographic")


def area_unit(model: OperatingModel, group_id: str, area_id: str, branch_id: str) -> str:
    """The dispatch unit the orders of ``area_id`` (of ``group_id``) roll in under ``model``."""
    if model == OperatingModel.SMALL_AREA_CONTRACT:
        return f"{CONTRACT_PREFIX}{area_id}"
    if model == OperatingModel.BRANCH_WIDE:
        return f"{BRANCH_PREFIX}{branch_id}"
    return group_id


def technician_unit(
    tech: OnDutyTechnician,
    models: Mapping[str, OperatingModel],
    area_group: Mapping[str, str],
    branch_id: str,
) -> str | None:
    """The unit a technician works in (None: the undeployed support team, which keeps covering).

    A member of a contract group works his home area's unit; a support member deployed to a contract
    group keeps the group's id, which no order of that group carries any more: no cover.
    """
    if tech.support_team or tech.region_group_id is None:
        return tech.region_group_id
    model = models.get(tech.region_group_id, OperatingModel.ROLLING_GROUP)
    if model == OperatingModel.SMALL_AREA_CONTRACT:
        home = tech.home_area_id
        if home is not None and area_group.get(home) == tech.region_group_id:
            return f"{CONTRACT_PREFIX}{home}"
        return tech.region_group_id
    if model == OperatingModel.BRANCH_WIDE:
        return f"{BRANCH_PREFIX}{branch_id}"
    return tech.region_group_id


def joining_unit(tech: OnDutyTechnician, areas: Mapping[str, Area]) -> OnDutyTechnician:
    """A technician joining a running day (a new roster version) in the unit of the day's input: a
    member of a contract or branch-wide group takes the unit his home area is in."""
    home = areas.get(tech.home_area_id or "")
    if tech.support_team or home is None or home.region_group_id == tech.region_group_id:
        return tech
    if is_contract_unit(home.region_group_id) or home.region_group_id.startswith(BRANCH_PREFIX):
        return tech.model_copy(update={"region_group_id": home.region_group_id})
    return tech


def apply_operating_models(inp: DayInput, models: Mapping[str, OperatingModel]) -> DayInput:
    """The day input with every area and technician in its group's dispatch unit (see the module).

    Groups missing from ``models`` follow the plan's model (``rolling_group``: unchanged).
    """
    area_group = {a.id: a.region_group_id for a in inp.areas}
    areas = tuple(
        Area(
            id=a.id,
            region_group_id=area_unit(
                models.get(a.region_group_id, OperatingModel.ROLLING_GROUP),
                a.region_group_id,
                a.id,
                inp.branch_id,
            ),
            area_type=a.area_type,
        )
        for a in inp.areas
    )
    techs = tuple(
        t.model_copy(update={"region_group_id": technician_unit(t, models, area_group, inp.branch_id)})
        for t in inp.technicians
    )
    return inp.model_copy(update={"areas": areas, "technicians": techs})


# --------------------------------------------------------------------------------------------------
# stored per group
# --------------------------------------------------------------------------------------------------


def group_operations(session: Session, branch_id: str) -> dict[str, GroupOperation]:
    """Operating model and roster preset of every region group of the branch."""
    rows = session.scalars(select(RegionGroupRow).where(RegionGroupRow.branch_id == branch_id))
    return {r.id: GroupOperation.parse(r.operating_model) for r in rows}


def group_operation(session: Session, group_id: str) -> GroupOperation:
    """The operating model and roster preset of one region group (404 when unknown)."""
    row = session.get(RegionGroupRow, group_id)
    if row is None:
        raise NotFound(f"region group {group_id}: not found; rule: name a stored region group")
    return GroupOperation.parse(row.operating_model)


def set_group_operation(session: Session, group_id: str, op: GroupOperation) -> GroupOperation:
    """Store a region group's operating model and preset; returns what was stored before."""
    row = session.get(RegionGroupRow, group_id)
    if row is None:
        raise NotFound(f"region group {group_id}: not found; rule: name a stored region group")
    before = GroupOperation.parse(row.operating_model)
    row.operating_model = op.stored()
    session.flush()
    return before
