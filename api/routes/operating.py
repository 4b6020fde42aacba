"""Operating models of region groups (issue #13): read and set a group's model and roster preset.

Any signed-in role reads a group's operating model; dispatchers (and admins) set it, audited. The
dispatch side of the models is :mod:`scheduler.dispatch.operating` (who may take a group's orders);
the preset names the group's roster rules (``scheduler/roster/presets.yaml``). Unknown group 404; an
unknown model or preset 422 naming the field and the allowed values. A change applies to the next
day planned; a day already planned keeps the model it was planned with.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DbSession, require_roles
from fieldcrew import audit
from fieldcrew.auth import AuthUser
from scheduler.dispatch import operating
from scheduler.roster.presets import load_presets
from vocabulary.errors import InputErrors, Problem
from vocabulary.organisation import GroupOperation, OperatingModel

router = APIRouter(prefix="/reference/region-groups", tags=["operating models"])

Dispatcher = Annotated[AuthUser, Depends(require_roles("dispatcher"))]


class OperatingModelView(BaseModel):
    """A region group's operating model, its roster preset, and what may be chosen."""

    region_group_id: str
    model: OperatingModel
    preset: str = Field(description="roster preset (scheduler/roster/presets.yaml)")
    models: list[OperatingModel] = Field(description="the operating models that may be set")
    presets: list[str] = Field(description="the roster presets that may be set")


class OperatingModelUpdate(BaseModel):
    """The operating model to set, and optionally a roster preset (default: the model's own)."""

    model: OperatingModel
    preset: str | None = Field(default=None, min_length=1, max_length=64)


def _view(group_id: str, op: GroupOperation) -> OperatingModelView:
    return OperatingModelView(
        region_group_id=group_id,
        model=op.model,
        preset=op.preset,
        models=list(OperatingModel),
        presets=sorted(load_presets()),
    )


@router.get("/{group_id}/operating-model", response_model=OperatingModelView)
def get_operating_model(group_id: str, session: DbSession, user: CurrentUser) -> OperatingModelView:
    """The group's operating model and roster preset (any signed-in role); 404 for an unknown group."""
    return _view(group_id, operating.group_operation(session, group_id))


@router.put("/{group_id}/operating-model", response_model=OperatingModelView)
def set_operating_model(
    group_id: str, body: OperatingModelUpdate, session: DbSession, user: Dispatcher
) -> OperatingModelView:
    """Set the group's operating model (and roster preset; default the model's own), audited.
    422 for an unknown model or preset (the field and the allowed values), 404 for an unknown group."""
    known = sorted(load_presets())
    preset = body.preset or body.model.default_preset
    if preset not in known:
        raise InputErrors([Problem("preset", f"one of the roster presets: {', '.join(known)}", preset)])
    op = GroupOperation(model=body.model, preset=preset)
    before = operating.set_group_operation(session, group_id, op)
    audit.record(
        session,
        user,
        "reference.operating_model",
        "region_group",
        group_id,
        before.model_dump(mode="json"),
        op.model_dump(mode="json"),
    )
    return _view(group_id, op)
