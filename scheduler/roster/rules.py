"""The roster rules: one function per business rule, listed in one registry.

Each function adds its constraints to the model and returns named :class:`Penalty` terms (empty for
hard rules), so the objective is the sum of what each rule costs and a score breakdown comes for
free. Hard rules accept the diagnosis guard (``v.guard(...)``) so an infeasibility core can name
them. The order of :data:`REGISTRY` is the order the rules are shown to users.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.roster.domain import RosterProblem, Severity
from scheduler.roster.variables import Known, Penalty, RosterVars

RuleFn = Callable[[RosterVars, RosterProblem], list[Penalty]]


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: its name, the sentence users read, whether hard, and its function."""

    name: str
    sentence: str
    severity: Severity | None  # None: hard or soft as the rule settings say
    fn: RuleFn


REGISTRY: dict[str, RuleSpec] = {}


def rule(name: str, sentence: str, severity: Severity | None) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under ``name``."""

    def deco(fn: RuleFn) -> RuleFn:
        REGISTRY[name] = RuleSpec(name, sentence, severity, fn)
        return fn

    return deco


def _pattern_clause(
    v: RosterVars, pattern: Sequence[tuple[Known, bool]], guard: list[cp_model.IntVar]
) -> None:
    """Forbid a pattern of (day value, wanted) pairs; history constants simplify the clause.

    A pattern reaching into unknown days (before the history) is not checked; a pattern fixed
    entirely by the history is not ours to judge.
    """
    clause: list[cp_model.IntVar] = []
    for value, wanted in pattern:
        if value is None:
            return
        if isinstance(value, bool):
            if value != wanted:
                return  # the history already breaks the pattern
            continue
        clause.append(value.Not() if wanted else value)  # type: ignore[arg-type]
    if clause:
        v.model.add_bool_or(clause).only_enforce_if(guard)


# --- hard rules ------------------------------------------------------------------------------


@rule("leave", "No work on leave or unavailable days.", Severity.HARD)
def leave_and_unavailability(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        for d in sorted(p.days_off.get(emp.id, ())):
            v.model.add(v.works(e, d) == 0).only_enforce_if(v.guard("leave", emp.id))
    return []


@rule("fixed_days", "Published days stay as published.", Severity.HARD)
def fixed_published_days(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        for d, s in p.fixed.get(emp.id, {}).items():
            g = v.guard("fixed_days", emp.id)
            if s is None:
                v.model.add(v.works(e, d) == 0).only_enforce_if(g)
            else:
                v.model.add(v.shift(e, d, s) == 1).only_enforce_if(g)
    return []


@rule("max_shifts_per_type", "At most the allowed number of shifts of each type.", Severity.HARD)
def max_shifts_per_type(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        for s, limit in emp.max_shifts.items():
            if 0 < limit < p.horizon:
                v.model.add(sum(v.shift(e, d, s) for d in range(p.horizon)) <= limit).only_enforce_if(
                    v.guard("max_shifts_per_type", emp.id)
                )
    return []


@rule("total_minutes", "Total working minutes within the technician's minimum and maximum.", Severity.HARD)
def total_minutes_within_limits(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        total = sum(s.minutes * v.shift(e, d, s.id) for d in range(p.horizon) for s in p.shifts)
        g = v.guard("total_minutes", emp.id)
        if emp.min_total_minutes > 0:
            v.model.add(total >= emp.min_total_minutes).only_enforce_if(g)
        if emp.max_total_minutes is not None:
            v.model.add(total <= emp.max_total_minutes).only_enforce_if(g)
        # redundant: bounds on the number of working days help the LP relaxation
        lengths = [s.minutes for s in p.shifts if v.shift_allowed(e, s.id)]
        if lengths:
            days = sum(v.works(e, d) for d in range(p.horizon))
            if emp.min_total_minutes > 0:
                v.model.add(days >= -(-emp.min_total_minutes // max(lengths))).only_enforce_if(g)
            if emp.max_total_minutes is not None:
                v.model.add(days <= emp.max_total_minutes // min(lengths)).only_enforce_if(g)
    return []


@rule("max_consecutive_work", "No more working days in a row than allowed (history included).", Severity.HARD)
def max_consecutive_work_days(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        k = emp.max_consecutive_work
        if k is None or k >= p.horizon + v.history_len(e):
            continue
        g = v.guard("max_consecutive_work", emp.id)
        for t in range(-v.history_len(e), p.horizon - k):
            window = [v.works_at(e, d) for d in range(t, t + k + 1)]
            if t + k < 0:
                continue
            const = sum(1 for x in window if x is True)
            lits = [x for x in window if not isinstance(x, bool) and x is not None]
            v.model.add(sum(lits) <= k - const).only_enforce_if(g)
    return []


@rule("min_work_run", "Every run of working days at least the minimum length.", Severity.HARD)
def min_work_run_length(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    return _min_runs(v, p, work=True)


@rule("min_rest_run", "Every run of rest days at least the minimum length.", Severity.HARD)
def min_rest_run_length(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    return _min_runs(v, p, work=False)


def _min_runs(v: RosterVars, p: RosterProblem, work: bool) -> list[Penalty]:
    """A run that starts on day t continues on days t+1 .. t+min-1 (and, mirrored, a run that
    ends on day t began on t-min+1 or earlier).

    Written as 3-literal clauses ``w[t-1] ∨ ¬w[t] ∨ w[t+j]``: logically the same as forbidding
    every short pattern ``off, on×l, off`` but with a much tighter LP relaxation. Runs touching
    the last day are exempt (the next roster continues them); so are runs touching the first day
    unless the history tells what came before.
    """
    name = "min_work_run" if work else "min_rest_run"
    for e, emp in enumerate(p.employees):
        m = emp.min_consecutive_work if work else emp.min_consecutive_off
        if m <= 1:
            continue
        g = v.guard(name, emp.id)
        lo = -v.history_len(e)
        for t in range(lo + 1, p.horizon):
            before, here = v.works_at(e, t - 1), v.works_at(e, t)
            for j in range(1, m):
                if t + j < p.horizon and t + j >= 0:
                    _pattern_clause(
                        v, [(before, not work), (here, work), (v.works_at(e, t + j), not work)], g
                    )
        # mirrored: a run ending on t (next day differs) must have begun min-1 days before
        for t in range(0, p.horizon - 1):
            here, after = v.works_at(e, t), v.works_at(e, t + 1)
            for j in range(1, m):
                if t - j >= lo:
                    _pattern_clause(v, [(after, not work), (here, work), (v.works_at(e, t - j), not work)], g)
    return []


@rule("max_weekends", "At most the allowed number of weekends worked (Saturday or Sunday).", Severity.HARD)
def max_weekends_worked(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        if emp.max_weekends is None or emp.max_weekends >= len(p.weekends()):
            continue
        flags = [weekend_worked(v, e, days) for days in p.weekends()]
        v.model.add(sum(flags) <= emp.max_weekends).only_enforce_if(v.guard("max_weekends", emp.id))
    return []


def weekend_worked(v: RosterVars, e: int, days: tuple[int, ...]) -> cp_model.IntVar:
    """A literal true iff employee ``e`` works on any day of the weekend ``days`` (cached)."""
    key = ("weekend", e, days)
    cache: dict[object, cp_model.IntVar] = v.__dict__.setdefault("_weekend_cache", {})
    if key not in cache:
        lit = v.model.new_bool_var(f"weekend[{v.employees[e].id},{days[0]}]")
        day_lits = [v.works(e, d) for d in days]
        v.model.add_max_equality(lit, day_lits)
        cache[key] = lit
    return cache[key]


@rule("forbidden_successions", "Forbidden shift successions on consecutive days.", Severity.HARD)
def forbidden_successions(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    for e, emp in enumerate(p.employees):
        g = v.guard("forbidden_successions", emp.id)
        hist = p.history.get(emp.id)
        for s in p.shifts:
            for t in s.not_followed_by:
                if hist and hist.last_shift == s.id and hist.worked and hist.worked[-1]:
                    v.model.add(v.shift(e, 0, t) == 0).only_enforce_if(g)
                for d in range(p.horizon - 1):
                    a, b = v.shift(e, d, s.id), v.shift(e, d + 1, t)
                    if not isinstance(a, int) and not isinstance(b, int):
                        v.model.add_bool_or([a.Not(), b.Not()]).only_enforce_if(g)
    return []


def rest_minutes_between(p: RosterProblem, first: str, second: str) -> int | None:
    """Minutes between the end of ``first`` on one day and the start of ``second`` the next day."""
    a, b = p.shift(first), p.shift(second)
    if a.start_minute is None or b.start_minute is None:
        return None
    return 24 * 60 + b.start_minute - (a.start_minute + a.minutes)


@rule("min_rest_hours", "At least the minimum rest between the end of one shift and the next.", Severity.HARD)
def min_rest_between_shifts(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    need = p.rules.min_rest_minutes
    if need is None:
        return []
    for e, emp in enumerate(p.employees):
        g = v.guard("min_rest_hours", emp.id)
        hist = p.history.get(emp.id)
        for s in p.shifts:
            for t in p.shifts:
                gap = rest_minutes_between(p, s.id, t.id)
                if gap is None or gap >= need:
                    continue
                if hist and hist.last_shift == s.id and hist.worked and hist.worked[-1]:
                    v.model.add(v.shift(e, 0, t.id) == 0).only_enforce_if(g)
                for d in range(p.horizon - 1):
                    a, b = v.shift(e, d, s.id), v.shift(e, d + 1, t.id)
                    if not isinstance(a, int) and not isinstance(b, int):
                        v.model.add_bool_or([a.Not(), b.Not()]).only_enforce_if(g)
    return []


@rule(
    "rest_in_every_7_days",
    "At least R rest days in every rolling 7-day window, across the previous roster too.",
    None,
)
def rest_days_in_every_7_day_window(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    r = p.rules.min_rest_per_7
    if r <= 0:
        return []
    hard = p.rules.rest_window_severity == Severity.HARD
    out: list[Penalty] = []
    for e, emp in enumerate(p.employees):
        g = v.guard("rest_in_every_7_days", emp.id)
        for t in range(-min(v.history_len(e), 6), p.horizon - 6):
            window = [v.works_at(e, d) for d in range(t, t + 7)]
            if any(x is None for x in window):
                continue
            worked_before = sum(1 for x in window if x is True)
            lits = [x for x in window if not isinstance(x, bool) and x is not None]
            allowed = 7 - r - worked_before
            if hard:
                v.model.add(sum(lits) <= allowed).only_enforce_if(g)
            else:
                short = v.model.new_int_var(0, 7, f"rest_short[{emp.id},{t}]")
                v.model.add_max_equality(short, [0, sum(lits) - allowed])
                out.append(
                    Penalty(
                        "rest_in_every_7_days",
                        p.rules.rest_window_weight,
                        short,
                        emp.id,
                        emp.group_id,
                        t + 6,
                        f"window days {t}..{t + 6}",
                    )
                )
    return out


# --- soft rules ------------------------------------------------------------------------------


def cover_count(v: RosterVars, p: RosterProblem, cover_index: int) -> cp_model.LinearExprT:
    """Heads counted towards one cover line."""
    c = p.covers[cover_index]
    terms: list[cp_model.LinearExprT] = []
    for e, emp in enumerate(p.employees):
        if c.skill is not None and c.skill not in emp.skills:
            continue
        if c.group_id is not None and emp.group_id != c.group_id:
            if emp.support:
                terms.append(v.serves(e, c.day, c.group_id, c.shift))
            continue
        terms.append(v.works(e, c.day) if c.shift is None else v.shift(e, c.day, c.shift))
    return sum(terms)


def cover_quota(
    v: RosterVars, p: RosterProblem, cover_index: int, count: cp_model.LinearExprT
) -> list[Penalty]:
    """The quota of one cover line met by ``count`` heads: its under- and over-cover terms.

    ``count`` is normally :func:`cover_count`; a solver strategy may count more heads (the
    decomposition's relaxation adds priced virtual support heads) and reuse the same quota rule.
    """
    c = p.covers[cover_index]
    where = (
        f"day {c.day}" + (f" shift {c.shift}" if c.shift else "") + (f" skill {c.skill}" if c.skill else "")
    )
    under = v.model.new_int_var(0, c.requirement, f"under[{cover_index}]")
    over = v.model.new_int_var(0, len(p.employees), f"over[{cover_index}]")
    # one equality, no Boolean "short or over" and no big-M: the LP relaxation stays tight.
    # A solution with both > 0 only costs more; :func:`scheduler.roster.model.tighten` lowers
    # both before any solution is read, so every objective reported is the exact one.
    v.model.add(cp_model.LinearExpr.sum([count, under, -over]) == c.requirement)
    v.cover_slack.append((under, over))
    if c.weight_under == 0 and c.weight_over == 0:
        return []
    out = [Penalty("cover_under", c.weight_under, under, None, c.group_id, c.day, where)]
    if c.weight_over > 0:
        out.append(Penalty("cover_over", c.weight_over, over, None, c.group_id, c.day, where))
    return out


@rule("cover", "Heads per group, day and shift meet the quota (under- and over-cover cost).", Severity.SOFT)
def coverage(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    """Policy: "heads per group, day and shift meet the quota"; each missing head costs the cover
    line's under-cover weight, each head too many its over-cover weight."""
    out: list[Penalty] = []
    for i in range(len(p.covers)):
        out.extend(cover_quota(v, p, i, cover_count(v, p, i)))
    return out


@rule("requests", "Day-off and shift requests are granted where possible.", Severity.SOFT)
def shift_and_day_off_requests(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    out: list[Penalty] = []
    index = {emp.id: e for e, emp in enumerate(p.employees)}
    for r in p.requests:
        e = index[r.employee]
        lit = v.works(e, r.day) if r.shift is None else v.shift(e, r.day, r.shift)
        what = r.shift or "any shift"
        if r.on:
            out.append(
                Penalty("shift_on_request", r.weight, 1 - lit, r.employee, None, r.day, f"wants {what}")
            )
        else:
            out.append(
                Penalty("shift_off_request", r.weight, lit, r.employee, None, r.day, f"wants no {what}")
            )
    return out


@rule("rest_spread", "About one technician of each group rests every day.", Severity.SOFT)
def rest_spread(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    need = p.rules.rest_spread_min
    if need <= 0 or p.rules.rest_spread_weight == 0:
        return []
    out: list[Penalty] = []
    for g in p.groups():
        members = [e for e, emp in enumerate(p.employees) if emp.group_id == g and not emp.support]
        if len(members) <= need:
            continue
        for d in range(p.horizon):
            short = v.model.new_int_var(0, need, f"rest_spread_short[{g},{d}]")
            # shortfall = max(0, need - resting), resting = size - working (exact, not only >=)
            v.model.add_max_equality(short, [0, need - len(members) + sum(v.works(e, d) for e in members)])
            out.append(
                Penalty(
                    "rest_spread", p.rules.rest_spread_weight, short, None, g, d, f"fewer than {need} resting"
                )
            )
    return out


def _spread(
    v: RosterVars, name: str, values: list[cp_model.LinearExprT], lo: int, hi: int
) -> cp_model.IntVar:
    mx = v.model.new_int_var(lo, hi, f"{name}_max")
    mn = v.model.new_int_var(lo, hi, f"{name}_min")
    v.model.add_max_equality(mx, values)
    v.model.add_min_equality(mn, values)
    dev = v.model.new_int_var(0, hi - lo, f"{name}_dev")
    v.model.add(dev == mx - mn)
    return dev


@rule(
    "fairness",
    "Weekend rests and working days spread evenly in each group (largest deviation).",
    Severity.SOFT,
)
def fairness(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    out: list[Penalty] = []
    weekends = p.weekends()
    for g in p.groups():
        members = [e for e, emp in enumerate(p.employees) if emp.group_id == g and not emp.support]
        if len(members) < 2:
            continue
        if p.rules.fairness_weekend_weight > 0 and weekends:
            rests = [len(weekends) - sum(weekend_worked(v, e, days) for days in weekends) for e in members]
            dev = _spread(v, f"weekend_rest[{g}]", rests, 0, len(weekends))  # type: ignore[arg-type]
            out.append(
                Penalty(
                    "fairness_weekend_rests",
                    p.rules.fairness_weekend_weight,
                    dev,
                    None,
                    g,
                    None,
                    "largest difference of weekend rests in the group",
                )
            )
        if p.rules.fairness_workdays_weight > 0:
            totals = [sum(v.works(e, d) for d in range(p.horizon)) for e in members]
            dev = _spread(v, f"workdays[{g}]", totals, 0, p.horizon)  # type: ignore[arg-type]
            out.append(
                Penalty(
                    "fairness_working_days",
                    p.rules.fairness_workdays_weight,
                    dev,
                    None,
                    g,
                    None,
                    "largest difference of working days in the group",
                )
            )
    return out


@rule("support_use", "The support team is used only where a group needs it.", Severity.SOFT)
def support_use(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    if p.rules.support_use_weight == 0:
        return []
    return [
        Penalty("support_use", p.rules.support_use_weight, v.works(e, d), emp.id, None, d, "support day")
        for e, emp in enumerate(p.employees)
        if emp.support
        for d in range(p.horizon)
    ]


@rule("minimal_change", "Re-rostering changes as few published assignments as possible.", Severity.SOFT)
def minimal_change(v: RosterVars, p: RosterProblem) -> list[Penalty]:
    if p.rules.change_weight == 0 or not p.reference:
        return []
    out: list[Penalty] = []
    for e, emp in enumerate(p.employees):
        ref = p.reference.get(emp.id)
        if ref is None:
            continue
        for d in range(min(p.horizon, len(ref))):
            # a changed cell: the published shift is not worked (or, on a rest day, any work)
            published = ref[d]
            changed = 1 - v.shift(e, d, published) if published is not None else v.works(e, d)
            out.append(
                Penalty(
                    "minimal_change",
                    p.rules.change_weight,
                    changed,
                    emp.id,
                    emp.group_id,
                    d,
                    f"published {ref[d] or 'rest'}",
                )
            )
    return out
