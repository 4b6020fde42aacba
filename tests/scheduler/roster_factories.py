"""Tiny hand-built roster problems for the roster tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scheduler.roster.domain import Cover, Employee, History, Request, RosterProblem, RuleSettings, ShiftType
from scheduler.roster.solver import SolveParams

DAY = ShiftType(id="D", minutes=480, start_minute=8 * 60)
FAST = SolveParams(seconds=10.0, workers=1, seed=0)
NO_RULES = RuleSettings(min_rest_per_7=0)


def employee(i: int, group: str = "G1", **kw: Any) -> Employee:
    return Employee(id=f"E{i}", group_id=None if kw.get("support") else group, **kw)


def problem(
    n: int = 3,
    horizon: int = 7,
    quota: int | list[int] | None = None,
    rules: RuleSettings | None = None,
    shifts: tuple[ShiftType, ...] = (DAY,),
    employees: tuple[Employee, ...] | None = None,
    under: int = 100,
    over: int = 0,
    **kw: Any,
) -> RosterProblem:
    """``n`` technicians of group G1, a daily group quota, one day shift, Monday start."""
    emps = employees if employees is not None else tuple(employee(i) for i in range(n))
    covers: tuple[Cover, ...] = kw.pop("covers", ())
    if quota is not None:
        per_day = quota if isinstance(quota, list) else [quota] * horizon
        covers = tuple(
            Cover(day=d, group_id="G1", requirement=q, weight_under=under, weight_over=over)
            for d, q in enumerate(per_day)
        )
    return RosterProblem(
        name="tiny",
        horizon=horizon,
        shifts=shifts,
        employees=emps,
        covers=covers,
        rules=rules or RuleSettings(),
        **kw,
    )


def shared_dir() -> Path | None:
    """``shared/`` next to the repository (or ``FIELDCREW_SHARED_DIR``); None when absent."""
    env = os.environ.get("FIELDCREW_SHARED_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"
    return path if path.is_dir() else None


__all__ = ["DAY", "FAST", "NO_RULES", "History", "Request", "employee", "problem", "shared_dir"]
