"""From the operator's world (technicians, dated quotas, leave) to a :class:`RosterProblem`, and back.

- :func:`build_problem`: technicians + :class:`~timepool.domain.Quotas` (heads per group and date,
  from the work-hour pool) + an operating model → problem,
  with every bad input reported at once (unknown technicians, quotas for groups that do not
  exist, overlapping leave, requests outside the period);
- :func:`history_from`: the last days of a roster as the history of the next one (rolling horizon);
- :func:`next_period`: the next week continues from the published days;
- :func:`reroster`: after a sick call or leave, keep the published roster and change as few
  assignments as possible; returns the new roster and the diff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from scheduler.roster.domain import (
    Assignment,
    Cover,
    Employee,
    History,
    Request,
    RosterProblem,
    RosterResult,
    ShiftType,
)
from scheduler.roster.presets import Preset, get_preset
from scheduler.roster.solver import SolveParams, solve
from timepool.domain import Quotas, SkillQuotas
from vocabulary.errors import InputErrors, NotFound, Problem
from vocabulary.staff import Technician

DAY_SHIFT = ShiftType(id="D", minutes=480, start_minute=8 * 60)
SHIFT_MINUTES = DAY_SHIFT.minutes


class Leave(BaseModel):
    """A technician away from ``start`` to ``end`` inclusive (leave, sickness, training)."""

    model_config = ConfigDict(frozen=True)

    technician_id: str
    start: dt.date
    end: dt.date
    reason: str = "leave"


class DayRequest(BaseModel):
    """A technician's wish: to rest (``on=False``) or to work (``on=True``) on a date."""

    model_config = ConfigDict(frozen=True)

    technician_id: str
    day: dt.date
    on: bool = False
    weight: int = Field(default=3, ge=0)


def build_problem(
    technicians: Sequence[Technician],
    quotas: Quotas,
    start: dt.date,
    days: int,
    preset: str | Preset = "urban_dense",
    leave: Sequence[Leave] = (),
    requests: Sequence[DayRequest] = (),
    history: Mapping[str, History] | None = None,
    fixed: Mapping[str, Mapping[int, str | None]] | None = None,
    name: str = "roster",
    shifts: Sequence[ShiftType] = (DAY_SHIFT,),
    skill_quotas: SkillQuotas | None = None,
    group_presets: Mapping[str, str] | None = None,
) -> RosterProblem:
    """Build the roster problem of one branch and period.

    Parameters
    ----------
    technicians
        The branch's technicians; support-team members (``support_team=True``) serve any group.
    quotas
        Heads needed per region group per date (e.g. ``timepool.quotas.quotas_for_branch``; a plain
        ``{group: {date: heads}}`` mapping is converted with :meth:`Quotas.of <timepool.domain.Quotas.of>`).
    start, days
        First date and length of the period.
    preset
        Operating model (name in ``presets.yaml`` or a :class:`Preset`): the rules, cover weights
        and the staff limits of every group without its own preset.
    group_presets
        Region group → its own preset (its operating model's, ``region_groups.operating_model``):
        the per-technician limits of that group's technicians (consecutive days, days worked,
        weekends) come from it.
    skill_quotas
        Heads with a skill needed per region group per date (:class:`~timepool.domain.SkillQuotas`,
        ``group -> skill -> date -> heads``),
        e.g. fibre splicers: a subset of the group's heads, so only under-cover costs. Members of
        the group and of the support team who hold the skill count.

    Raises
    ------
    InputErrors
        Every bad input, each naming the field, value and rule.
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    quotas, skills = Quotas.of(quotas), SkillQuotas.of(skill_quotas)
    problems: list[Problem] = []
    staff_of: dict[str, Preset] = {}  # a group's own preset decides its technicians' limits
    for group, name in sorted((group_presets or {}).items()):
        try:
            staff_of[group] = get_preset(name)
        except NotFound as exc:
            problems.append(Problem(f"group_presets[{group}]", str(exc), name))
    if days <= 0:
        problems.append(Problem("days", "the period needs at least one day", days))
    end = start + dt.timedelta(days=max(days, 1) - 1)
    by_id = {t.id: t for t in technicians}
    if len(by_id) != len(technicians):
        problems.append(Problem("technicians", "technician ids must be unique"))
    groups = {t.region_group_id for t in technicians if not t.support_team and t.region_group_id}
    for g in quotas.groups:
        if g not in groups:
            problems.append(Problem("quotas", "quota for a group that has no technicians", g))
        for day, heads in quotas[g].items():
            if not start <= day <= end:
                problems.append(Problem(f"quotas[{g}]", f"date outside the period {start}..{end}", str(day)))
            if heads < 0:
                problems.append(Problem(f"quotas[{g}][{day}]", "heads must be >= 0", heads))
    problems.extend(_skill_quota_problems(technicians, groups, skills, start, end))
    days_off: dict[str, set[int]] = {}
    spans: dict[str, list[Leave]] = {}
    for i, lv in enumerate(leave):
        if lv.technician_id not in by_id:
            problems.append(
                Problem("technician_id", "leave of an unknown technician", lv.technician_id, row=i)
            )
            continue
        if lv.end < lv.start:
            problems.append(Problem("end", "leave ends before it starts", str(lv.end), row=i))
            continue
        for other in spans.get(lv.technician_id, []):
            if lv.start <= other.end and other.start <= lv.end:
                problems.append(
                    Problem(
                        "start",
                        f"leave overlaps {other.start}..{other.end} of the same technician",
                        str(lv.start),
                        row=i,
                    )
                )
        spans.setdefault(lv.technician_id, []).append(lv)
        d = max(lv.start, start)
        while d <= min(lv.end, end):
            days_off.setdefault(lv.technician_id, set()).add((d - start).days)
            d += dt.timedelta(days=1)
    reqs: list[Request] = []
    for i, rq in enumerate(requests):
        if rq.technician_id not in by_id:
            problems.append(
                Problem("technician_id", "request of an unknown technician", rq.technician_id, row=i)
            )
        elif not start <= rq.day <= end:
            problems.append(Problem("day", f"request outside the period {start}..{end}", str(rq.day), row=i))
        else:
            reqs.append(
                Request(employee=rq.technician_id, day=(rq.day - start).days, on=rq.on, weight=rq.weight)
            )
    for key in history or {}:
        if key not in by_id:
            problems.append(Problem("history", "history of an unknown technician", key))
    if problems:
        raise InputErrors(problems)
    scale = days / 28
    employees = []
    for t in technicians:
        if not t.employed_on(start) and not t.employed_on(end):
            continue
        off = days_off.get(t.id, set())
        staff = staff_of.get(t.region_group_id or "", p).staff if not t.support_team else p.staff
        min_days = max(0, round(staff.min_total_days * scale) - len(off))
        max_days = None if staff.max_total_days is None else round(staff.max_total_days * scale + 0.49)
        employees.append(
            Employee(
                id=t.id,
                group_id=None if t.support_team else t.region_group_id,
                support=t.support_team,
                skills=frozenset(str(s) for s in t.skills),
                min_total_minutes=min_days * SHIFT_MINUTES,
                max_total_minutes=None if max_days is None else max_days * SHIFT_MINUTES,
                max_consecutive_work=staff.max_consecutive_work,
                min_consecutive_work=staff.min_consecutive_work,
                min_consecutive_off=staff.min_consecutive_off,
                max_weekends=None
                if staff.max_weekends is None
                else round(staff.max_weekends * scale + 0.49),
            )
        )
        for k in range(days):
            if not t.employed_on(start + dt.timedelta(days=k)):
                days_off.setdefault(t.id, set()).add(k)
    covers = [
        Cover(
            day=(day - start).days,
            group_id=g,
            requirement=heads,
            weight_under=p.cover.weight_under,
            weight_over=p.cover.weight_over,
        )
        for g, day, heads in quotas.cells()
    ]
    covers += [
        Cover(
            day=(day - start).days,
            group_id=g,
            skill=skill,
            requirement=heads,
            weight_under=p.cover.weight_under,
            weight_over=0,
        )
        for g, skill, day, heads in skills.cells()
    ]
    return RosterProblem(
        name=name,
        horizon=days,
        first_weekday=start.weekday(),
        start_date=start.isoformat(),
        shifts=tuple(shifts),
        employees=tuple(employees),
        covers=tuple(covers),
        requests=tuple(reqs),
        days_off={k: frozenset(v) for k, v in days_off.items()},
        history=dict(history or {}),
        fixed={k: dict(v) for k, v in (fixed or {}).items()},
        rules=p.rules,
    )


def _skill_quota_problems(
    technicians: Sequence[Technician],
    groups: set[str],
    skill_quotas: SkillQuotas,
    start: dt.date,
    end: dt.date,
) -> list[Problem]:
    """Skill quotas for unknown groups, outside the period, negative, or that nobody could meet."""
    problems: list[Problem] = []
    support_skills = {str(s) for t in technicians if t.support_team for s in t.skills}
    for g, per_skill in skill_quotas.items():
        if g not in groups:
            problems.append(Problem("skill_quotas", "skill quota for a group that has no technicians", g))
            continue
        held = {
            str(s) for t in technicians if t.region_group_id == g and not t.support_team for s in t.skills
        }
        for skill, per_day in per_skill.items():
            where = f"skill_quotas[{g}][{skill}]"
            able = sum(
                1
                for t in technicians
                if str(skill) in {str(s) for s in t.skills} and (t.support_team or t.region_group_id == g)
            )
            if skill not in held | support_skills:
                problems.append(
                    Problem(where, "no technician of the group or the support team has this skill", skill)
                )
            for day, heads in per_day.items():
                if not start <= day <= end:
                    problems.append(Problem(where, f"date outside the period {start}..{end}", str(day)))
                elif heads < 0:
                    problems.append(Problem(f"{where}[{day}]", "heads must be >= 0", heads))
                elif heads > able:
                    problems.append(
                        Problem(
                            f"{where}[{day}]",
                            f"asks for more heads than the {able} technician(s) who have the skill",
                            heads,
                        )
                    )
    return problems


def history_from(assignment: Assignment, upto: int, days: int = 7) -> dict[str, History]:
    """The ``days`` days before day ``upto`` of a roster, as the history of the roster starting there."""
    out = {}
    for e_id, row in assignment.items():
        past = row[max(0, upto - days) : upto]
        out[e_id] = History(worked=tuple(s is not None for s in past), last_shift=past[-1] if past else None)
    return out


def diff(before: Assignment, after: Assignment) -> list[dict[str, object]]:
    """Cells that differ: ``{"employee", "day", "before", "after"}``."""
    out: list[dict[str, object]] = []
    for e_id in sorted(set(before) | set(after)):
        a, b = before.get(e_id, []), after.get(e_id, [])
        for d in range(max(len(a), len(b))):
            x = a[d] if d < len(a) else None
            y = b[d] if d < len(b) else None
            if x != y:
                out.append({"employee": e_id, "day": d, "before": x, "after": y})
    return out


def reroster_problem(
    problem: RosterProblem,
    published: Assignment,
    absences: Mapping[str, Sequence[int]],
    from_day: int = 0,
    change_weight: int = 50,
) -> RosterProblem:
    """The problem of re-rostering after absences: days before ``from_day`` fixed as published,
    the absentees' days off added, and a minimal-change penalty against the published roster.
    """
    problems = [
        Problem("absences", "unknown technician", e)
        for e in absences
        if e not in {x.id for x in problem.employees}
    ]
    problems += [
        Problem(f"absences[{e}]", "day outside the horizon", d)
        for e, ds in absences.items()
        for d in ds
        if not 0 <= d < problem.horizon
    ]
    if problems:
        raise InputErrors(problems)
    days_off = {k: set(v) for k, v in problem.days_off.items()}
    for e, ds in absences.items():
        days_off.setdefault(e, set()).update(ds)
    fixed: dict[str, dict[int, str | None]] = {k: dict(v) for k, v in problem.fixed.items()}
    for e_id, row in published.items():
        for d in range(min(from_day, len(row))):
            if d not in days_off.get(e_id, set()):
                fixed.setdefault(e_id, {})[d] = row[d]
    return problem.model_copy(
        update={
            "days_off": {k: frozenset(v) for k, v in days_off.items()},
            "fixed": fixed,
            "reference": {k: tuple(v) for k, v in published.items()},
            "rules": problem.rules.model_copy(update={"change_weight": change_weight}),
        }
    )


def reroster(
    problem: RosterProblem,
    published: RosterResult,
    absences: Mapping[str, Sequence[int]],
    from_day: int = 0,
    seconds: float = 10.0,
    workers: int = 2,
    seed: int = 0,
) -> tuple[RosterResult, list[dict[str, object]]]:
    """Re-roster after absences with a minimal-change objective; returns the roster and the diff."""
    new_problem = reroster_problem(problem, published.assignment, absences, from_day)
    # start from the published roster with the absentees taken off
    hint = {
        e: [None if d in absences.get(e, ()) else s for d, s in enumerate(row)]
        for e, row in published.assignment.items()
    }
    result = solve(new_problem, SolveParams(seconds=seconds, workers=workers, seed=seed), hint=hint)
    return result, diff(published.assignment, result.assignment)
