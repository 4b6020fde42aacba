"""Explaining infeasible rosters and under-covered groups in plain words, from the solver's core.

Every hard rule is guarded by an assumption literal per subject (rule × technician, and the quota
of a group made hard), CP-SAT is asked to satisfy all of them, and
``SufficientAssumptionsForInfeasibility`` returns a subset that already clashes. The message is
built from that core, not from guesswork: which rules, which technicians, which quota, and how
many heads are missing (the shortfall of the group's best roster).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.roster.domain import RosterProblem, RosterResult
from scheduler.roster.groups import group_subproblem
from scheduler.roster.model import build_model
from scheduler.roster.rules import REGISTRY, cover_count
from scheduler.roster.solver import SolveParams, solve_roster

_RULE_WORDS = {
    "rest_in_every_7_days": "each needs {r} rest day(s) in every 7 days",
    "leave": "leave and unavailable days are respected",
    "fixed_days": "published days stay fixed",
    "max_consecutive_work": "nobody works more than {maxc} days in a row",
    "min_work_run": "working runs have a minimum length",
    "min_rest_run": "rest runs have a minimum length",
    "total_minutes": "each works between the minimum and maximum days of the period",
    "max_weekends": "nobody works more than the allowed weekends",
    "forbidden_successions": "some shifts may not follow others",
    "min_rest_hours": "minimum rest between shifts",
    "max_shifts_per_type": "per-shift-type limits",
}


@dataclass
class Finding:
    """One explanation: the group, the clashing rules and people, and what would fix it."""

    group_id: str | None
    message: str
    heads_short: int = 0
    days_short: list[int] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    employees: list[str] = field(default_factory=list)


def infeasibility_core(
    problem: RosterProblem, hard_cover_groups: list[str] | None = None, seconds: float = 10.0
) -> tuple[str, list[tuple[str, str | None, str | None]]]:
    """Solve with every hard rule (and the named groups' quotas) under assumptions.

    Returns the status and, when infeasible, the clashing (rule, technician, group) subjects.
    """
    built = build_model(problem, diagnose=True)
    v = built.vars
    for i, c in enumerate(problem.covers):
        if hard_cover_groups is not None and c.group_id in hard_cover_groups:
            v.model.add(cover_count(v, problem, i) >= c.requirement).only_enforce_if(
                v.guard("quota", None, c.group_id)
            )
    v.model.clear_objective()  # type: ignore[no-untyped-call]  # unannotated in ortools 9.15
    keys = list(v.guards)
    lits = [v.guards[k] for k in keys]
    v.model.add_assumptions(lits)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1  # the core needs the sequential search
    status = solver.solve(v.model)
    if status != cp_model.INFEASIBLE:
        return solver.status_name(status), []
    core = sorted(set(solver.sufficient_assumptions_for_infeasibility()))
    # shrink the core: drop each assumption in turn and keep it out if the rest still clash
    # (a few small solves; the core CP-SAT returns is sufficient, not always minimal)
    for idx in list(core)[:12]:
        trial = [i for i in core if i != idx]
        v.model.clear_assumptions()
        v.model.add_assumptions([v.model.get_bool_var_from_proto_index(i) for i in trial])
        if solver.solve(v.model) == cp_model.INFEASIBLE:
            core = trial
    by_index = {lit.index: k for k, lit in zip(keys, lits, strict=True)}
    return "INFEASIBLE", [by_index[i] for i in core if i in by_index]


def _rule_words(problem: RosterProblem, rules: list[str]) -> str:
    maxc = max((e.max_consecutive_work or 0) for e in problem.employees) if problem.employees else 0
    words = [
        _RULE_WORDS.get(r, REGISTRY[r].sentence if r in REGISTRY else r).format(
            r=problem.rules.min_rest_per_7, maxc=maxc
        )
        for r in rules
        if r != "quota"
    ]
    return " and ".join(words) if words else "the hard rules"


def diagnose(
    problem: RosterProblem, result: RosterResult | None = None, seconds: float = 10.0, max_groups: int = 10
) -> list[Finding]:
    """Explain why the roster is infeasible or which groups stay under their quota, and why.

    Parameters
    ----------
    problem
        The roster problem.
    result
        A solved roster (solved here when not given).
    seconds
        Time limit of each solve.
    max_groups
        Explain at most this many under-covered groups.
    """
    result = result or solve_roster(problem, SolveParams(seconds=seconds))
    findings: list[Finding] = []
    if not result.feasible:
        status, core = infeasibility_core(problem, None, seconds)
        if status != "INFEASIBLE":
            return [
                Finding(
                    None,
                    f"no roster found in {seconds:g} s (status {result.status}); try a longer time limit",
                )
            ]
        rules = sorted({k[0] for k in core})
        people = sorted({k[1] for k in core if k[1]})
        return [
            Finding(
                None,
                f"no roster can satisfy {_rule_words(problem, rules)} for "
                f"{', '.join(people) or 'the branch'}: these rules clash for these technicians "
                f"(rules: {', '.join(rules)})",
                rules=rules,
                employees=people,
            )
        ]
    short: dict[str, dict[int, int]] = {}
    for line in result.breakdown:
        if line.rule == "cover_under" and line.group_id is not None and line.day is not None:
            weight = (
                next(
                    (
                        c.weight_under
                        for c in problem.covers
                        if c.group_id == line.group_id and c.day == line.day
                    ),
                    1,
                )
                or 1
            )
            short.setdefault(line.group_id, {})[line.day] = line.cost // weight
    support = sum(1 for e in problem.employees if e.support)
    for g, days in sorted(short.items(), key=lambda kv: -sum(kv[1].values()))[:max_groups]:
        sub = group_subproblem(problem, g)
        status, core = infeasibility_core(sub, [g], seconds)
        members = len(sub.employees)
        quotas = [c.requirement for c in sub.covers]
        heads = sum(days.values())
        full_days = sum(1 for q in quotas if q >= members)
        rules = sorted({k[0] for k in core})
        people = sorted({k[1] for k in core if k[1]})
        if quotas and min(quotas) == max(quotas):
            ask = f"the quota asks for {max(quotas)} every day"
        elif full_days:
            ask = f"the quota asks for up to {max(quotas)} a day ({full_days} days ask for all {members})"
        else:
            ask = f"the quota asks for up to {max(quotas)} a day"
        why = _rule_words(sub, rules) if status == "INFEASIBLE" else "the rules together"
        helper = " or a support-team member" if support else ""
        msg = (
            f"group {g} has {members} technicians, {ask} and {why}: on {len(days)} day(s) "
            f"({', '.join(map(str, sorted(days)[:10]))}{'…' if len(days) > 10 else ''}) "
            f"{heads} more head(s){helper} {'is' if heads == 1 else 'are'} needed"
        )
        findings.append(Finding(g, msg, heads, sorted(days), rules, people))
    return findings
