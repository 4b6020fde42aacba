"""The routing engine of day plans: OR-Tools routing per region group, plus cheap insertion.

Morning plan (:func:`plan_day`): the problem decomposes by region group (orders roll only inside
their group), so each group is one small OR-Tools model (time windows with waiting, drop penalties
by grade, allowed technicians from the skills rule via ``SetAllowedVehiclesForIndex``, soft
deadlines, own-area and stability costs per technician, workload balance as soft bounds around the
group mean), solved with guided local search within its share of the time budget. Orders left over,
and the support team, are solved in a second pass across groups. A started order is a lock: it stays
first on its technician's timeline and his remaining day starts where and when it ends.

Urgent work (:func:`best_insertion`) does not re-solve: it tries every allowed technician and
position of the current plan and keeps the cheapest feasible one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scheduler.dispatch import rules
from scheduler.dispatch.domain import (
    DayInput,
    DayPlan,
    DispatchOrder,
    Stop,
    StopStatus,
    TechRoute,
    Unassigned,
    is_contract_unit,
)
from scheduler.dispatch.model import FAR, DispatchContext, RouteTiming, schedule_route
from scheduler.dispatch.operating import NO_COVER_REASON
from scheduler.dispatch.warnings import compute_warnings
from vocabulary.orders import CustomerGrade, OrderStatus

Routes = dict[str, list[str]]


@dataclass(frozen=True)
class SolveParams:
    """Typed solve parameters: total time budget (seconds) of a morning plan; OR-Tools routing is
    single-threaded and deterministic for a given model, so no seed or worker count is needed."""

    time_limit_s: float = 6.0
    #: never spend more than this on one group (small groups converge fast)
    max_group_s: float = 2.0

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s={self.time_limit_s} not understood; rule: must be > 0")


# ============================================================================ morning plan


def plan_day(inp: DayInput, params: SolveParams | None = None, previous: DayPlan | None = None) -> DayPlan:
    """Assign and sequence every open order of the branch to the on-duty technicians, with ETAs.

    Parameters
    ----------
    inp
        The day input (validated eagerly: bad input raises :class:`~vocabulary.errors.InputErrors`).
    params
        Time budget.
    previous
        The plan in force, for a re-optimisation: its routes are the starting solution and moving a
        dispatched order to another technician costs ``policy.stability_penalty``.
    """
    params = params or SolveParams()
    t0 = time.perf_counter()
    ctx = DispatchContext(inp)
    open_orders = ctx.open_orders()
    unassigned: dict[str, tuple[str, str]] = {}
    candidates: list[str] = []
    ends = _fixed_ends(ctx)
    for o in open_orders:
        # an order no allowed technician could do even alone (no skills, window passed, created too
        # late for any shift) is out before the solver sees it, with its reason
        alone = o.model_copy(update={"depends_on": ()}) if o.depends_on else o  # predecessors: solver's job
        ctx.orders[o.id] = alone
        fits = any(schedule_route(ctx, t, [o.id], ends).feasible for t in ctx.allowed(o))
        ctx.orders[o.id] = o
        if not fits:
            unassigned[o.id] = diagnose(ctx, o.id)
        else:
            candidates.append(o.id)
    initial: Routes = {}
    if previous is not None:
        for r in previous.routes:
            if r.technician_id in ctx.techs:
                initial[r.technician_id] = [
                    s.order_id for s in r.stops if s.order_id in ctx.orders and s.status == StopStatus.PLANNED
                ]
    # pass 1: each region group with its own technicians
    groups: dict[str, list[str]] = {}
    for oid in candidates:
        groups.setdefault(ctx.group_of(ctx.orders[oid]), []).append(oid)
    regular = [t for t in inp.technicians if not t.support_team and t.available]
    support = [t.id for t in inp.technicians if t.support_team and t.available]
    total_orders = max(1, len(candidates))
    routes: Routes = {t.id: [] for t in inp.technicians}
    leftovers: list[str] = []
    budget = params.time_limit_s * 0.85
    for group, oids in sorted(groups.items()):
        techs = [t.id for t in regular if t.region_group_id == group]
        own = [oid for oid in oids if set(ctx.allowed(ctx.orders[oid])) & set(techs)]
        leftovers.extend(oid for oid in oids if oid not in own)
        if not techs or not own:
            continue
        # a group's share of the budget, capped by its size (small groups converge in a fraction)
        share = min(params.max_group_s, 0.05 + 0.015 * len(own), max(0.05, budget * len(own) / total_orders))
        solved = solve_routes(ctx, techs, own, share, initial)
        routes.update(solved)
        planned = {o for r in solved.values() for o in r}
        leftovers.extend(oid for oid in own if oid not in planned)
    # pass 2: leftovers with the support team (and everyone's remaining capacity via insertion)
    if leftovers and support:
        remaining = max(
            0.05,
            min(
                params.max_group_s,
                0.05 + 0.015 * len(leftovers),
                params.time_limit_s - (time.perf_counter() - t0) - 0.3,
            ),
        )
        solved = solve_routes(ctx, support, leftovers, remaining, initial)
        routes.update(solved)
    planned = {o for r in routes.values() for o in r}
    for oid in sorted(set(leftovers) - planned, key=lambda o: priority_key(ctx, o)):
        ins = best_insertion(ctx, routes, oid)
        if ins is not None:
            routes[ins.technician_id].insert(ins.position, oid)
    repair_vip(ctx, routes)
    planned = {o for r in routes.values() for o in r}
    for oid in candidates:
        if oid not in planned:
            unassigned[oid] = diagnose(ctx, oid)
    return build_plan(ctx, routes, unassigned, version=(previous.version + 1) if previous else 1)


def priority_key(ctx: DispatchContext, oid: str) -> tuple[int, int]:
    """Customer priority order: grade first, then nearest deadline."""
    o = ctx.orders[oid]
    return (o.customer_grade.rank, ctx.deadline(o))


def solve_routes(
    ctx: DispatchContext,
    tech_ids: list[str],
    order_ids: list[str],
    seconds: float,
    initial: Routes | None = None,
) -> Routes:
    """Solve one OR-Tools routing model for ``tech_ids`` × ``order_ids`` within ``seconds``.

    Returns the planned order sequence per technician (dropped orders are absent).
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    v = len(tech_ids)
    orders = [ctx.orders[o] for o in order_ids]
    w = rules.effective_weights(ctx.inp.policy, len(orders), v)
    starts = [ctx.tech_start(t) for t in tech_ids]
    # nodes: v starts, v ends, then the orders
    place = [s.point for s in starts] + [s.end_point if s.end_point is not None else -1 for s in starts]
    place += [ctx.point_index[o.id] for o in orders]
    n = len(place)
    service = [0] * (2 * v) + [o.duration_min for o in orders]
    real = sorted({p for p in place if p >= 0})
    block = ctx.tt_block(real)
    at = {p: k for k, p in enumerate(real)}
    travel = [
        [0 if place[i] < 0 or place[j] < 0 else block[at[place[i]]][at[place[j]]] for j in range(n)]
        for i in range(n)
    ]
    manager = pywrapcp.RoutingIndexManager(n, v, list(range(v)), list(range(v, 2 * v)))
    routing = pywrapcp.RoutingModel(manager)
    time_cb = routing.RegisterTransitMatrix([[travel[i][j] + service[i] for j in range(n)] for i in range(n)])
    # per-technician arc cost: travel (nearest), plus own-area and stability penalties on arrival
    techs = [ctx.techs[t] for t in tech_ids]
    for k, tech in enumerate(techs):
        pref = [0] * (2 * v)
        for o in orders:
            p = 0 if o.area_id == tech.home_area_id else w.own_area
            if o.status == OrderStatus.DISPATCHED and o.technician_id not in (None, tech.id):
                p += w.stability
            pref.append(p)
        cost = [[travel[i][j] * w.travel + pref[j] for j in range(n)] for i in range(n)]
        routing.SetArcCostEvaluatorOfVehicle(routing.RegisterTransitMatrix(cost), k)
    horizon = FAR
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for k, s in enumerate(starts):
        tdim.CumulVar(routing.Start(k)).SetRange(s.minute, max(s.minute, s.shift_end))
        tdim.CumulVar(routing.End(k)).SetMax(max(s.minute, s.shift_end))
    latest_end = max(s.shift_end for s in starts)
    tech_pos = {t: k for k, t in enumerate(tech_ids)}
    for i, o in enumerate(orders):
        idx = manager.NodeToIndex(2 * v + i)
        lo, hi = ctx.window(o)
        hi = min(hi, latest_end - o.duration_min)
        if lo <= hi:
            tdim.CumulVar(idx).SetRange(lo, hi)
        else:
            tdim.CumulVar(idx).SetRange(lo, lo)
        allowed = [tech_pos[t] for t in ctx.allowed(o) if t in tech_pos]
        if len(allowed) < v:
            _allow_vehicles(routing, idx, allowed)
        due = ctx.deadline(o) - o.duration_min
        if due < horizon:
            tdim.SetCumulVarSoftUpperBound(idx, max(0, due), w.late[o.customer_grade])
        routing.AddDisjunction([idx], w.drop[o.customer_grade] + _urgency_bonus(ctx, o))
    # dependencies inside the model
    local = {o.id: i for i, o in enumerate(orders)}
    solver = routing.solver()
    for i, o in enumerate(orders):
        for d in o.depends_on:
            if d in local:
                a = manager.NodeToIndex(2 * v + local[d])
                b = manager.NodeToIndex(2 * v + i)
                solver.Add(routing.ActiveVar(b) <= routing.ActiveVar(a))
                solver.Add(tdim.CumulVar(b) >= tdim.CumulVar(a) + orders[local[d]].duration_min)
    # balanced workload: busy minutes (travel + on-site) held near the group mean from both sides
    if w.balance > 0 and v > 1:
        busy_cb = routing.RegisterTransitMatrix(
            [[travel[i][j] + service[i] for j in range(n)] for i in range(n)]
        )
        routing.AddDimension(busy_cb, 0, horizon, True, "busy")
        bdim = routing.GetDimensionOrDie("busy")
        mean = (sum(o.duration_min for o in orders) + 15 * len(orders)) // v
        # spread = max − min: the global span prices the longest day; a convex band below the
        # mean (linear, then doubled under half the mean) prices the shortest, so moving work
        # from a full day to an empty one always pays
        bdim.SetGlobalSpanCostCoefficient(w.balance)
        for k in range(v):
            bdim.SetCumulVarSoftLowerBound(routing.End(k), mean, w.balance)
            bdim.SetCumulVarSoftLowerBound(routing.End(k), mean // 2, w.balance)
    for k in range(v):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.Start(k)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(20, int(seconds * 1000)))
    solution = None
    if initial:
        seq = [[2 * v + local[o] for o in initial.get(t, []) if o in local] for t in tech_ids]
        routing.CloseModelWithParameters(params)
        guess = routing.ReadAssignmentFromRoutes(seq, True)
        if guess is not None:
            solution = routing.SolveFromAssignmentWithParameters(guess, params)
    if solution is None:
        solution = routing.SolveWithParameters(params)
    out: Routes = {t: [] for t in tech_ids}
    if solution is None:
        return out
    for k, t in enumerate(tech_ids):
        idx = solution.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(idx):
            out[t].append(orders[manager.IndexToNode(idx) - 2 * v].id)
            idx = solution.Value(routing.NextVar(idx))
    # the model times service by cumul; the plan uses earliest-start timing, which must also hold
    for t in tech_ids:
        while out[t] and not schedule_route(ctx, t, out[t], _fixed_ends(ctx)).feasible:
            timing = schedule_route(ctx, t, out[t], _fixed_ends(ctx))
            out[t].remove(timing.broken_by or out[t][-1])
    return out


def _allow_vehicles(routing: object, idx: int, allowed: list[int]) -> None:
    """Allowed technicians for an order (skills, region group).

    ``SetAllowedVehiclesForIndex`` is the API for this, but the Python wrapper of OR-Tools 9.15
    rejects every Python sequence for its ``absl::Span<const int>`` argument; restricting the
    node's vehicle variable to the allowed vehicles (plus -1, "not performed") is the equivalent
    constraint that the allowed-vehicles API installs.
    """
    try:
        routing.SetAllowedVehiclesForIndex(allowed, idx)  # type: ignore[attr-defined]
    except TypeError:
        routing.VehicleVar(idx).SetValues([-1, *allowed])  # type: ignore[attr-defined]


def _urgency_bonus(ctx: DispatchContext, o: DispatchOrder) -> int:
    """Orders closer to their deadline weigh a little more when something must be left out."""
    slack_h = max(0, (ctx.deadline(o) - ctx.now) // 60)
    return max(0, 48 - slack_h) * 10


def _fixed_ends(ctx: DispatchContext) -> dict[str, int]:
    return ctx.fixed_ends()


# ============================================================================ insertion


@dataclass(frozen=True)
class Insertion:
    """Where an order goes: technician, position in his remaining sequence, added cost."""

    technician_id: str
    position: int
    cost: int


def route_cost(
    ctx: DispatchContext, tech_id: str, seq: list[str], timing: RouteTiming, w: rules.Weights
) -> int:
    """Cost of one timed route under the policy weights (travel, own area, lateness, stability)."""
    tech = ctx.techs[tech_id]
    cost = timing.travel * w.travel
    for s in timing.stops:
        o = ctx.orders[s.order_id]
        if o.area_id != tech.home_area_id:
            cost += w.own_area
        if o.status == OrderStatus.DISPATCHED and o.technician_id not in (None, tech_id):
            cost += w.stability
        late = max(0, s.end - ctx.deadline(o))
        cost += late * w.late[o.customer_grade]
    return cost


def best_insertion(
    ctx: DispatchContext, routes: Routes, oid: str, only: list[str] | None = None
) -> Insertion | None:
    """Cheapest feasible (technician, position) for ``oid`` in the current routes, or None.

    Only the allowed technicians (skills, region group) are tried; each position is checked with
    the forward pass, so the result respects windows, dependencies and shift ends. Cheap: no solver.
    """
    w = rules.effective_weights(ctx.inp.policy, 1, 1)
    order = ctx.orders[oid]
    ends = _fixed_ends(ctx)
    best: Insertion | None = None
    p = ctx.point_index[oid]
    lo, hi = ctx.window(order)
    for tech_id in only if only is not None else ctx.allowed(order):
        start = ctx.tech_start(tech_id)
        if max(lo, start.minute) + order.duration_min > start.shift_end:
            continue  # cannot fit in this technician's shift wherever it goes
        seq = routes.get(tech_id, [])
        base = schedule_route(ctx, tech_id, seq, ends)
        if not base.feasible:
            continue
        base_cost = route_cost(ctx, tech_id, seq, base, w)
        for pos in range(len(seq) + 1):
            # quick reject: cannot arrive before the window closes even leaving at the previous end
            prev_end = base.stops[pos - 1].end if pos > 0 else start.minute
            prev_point = ctx.point_index[seq[pos - 1]] if pos > 0 else start.point
            if prev_end + ctx.tt(prev_point, p) > hi:
                break
            cand = seq[:pos] + [oid] + seq[pos:]
            timing = schedule_route(ctx, tech_id, cand, ends)
            if not timing.feasible:
                continue
            delta = route_cost(ctx, tech_id, cand, timing, w) - base_cost
            if best is None or delta < best.cost:
                best = Insertion(tech_id, pos, delta)
    return best


def repair_vip(ctx: DispatchContext, routes: Routes, only: list[str] | None = None) -> None:
    """Never leave a VIP unserved to serve an ordinary order: for each unplanned VIP that no free
    capacity can take, swap out the lower-grade order whose removal lets the VIP in (lowest grade
    first, then least added cost). The bumped order is re-inserted elsewhere when it fits.

    ``only`` limits the repair to those orders (rolling events repair just what they touched).
    """
    planned = {o for r in routes.values() for o in r}
    vips = [
        o.id
        for o in ctx.open_orders()
        if o.customer_grade == CustomerGrade.VIP
        and o.id not in planned
        and ctx.allowed(o)
        and (only is None or o.id in only)
    ]
    for vid in sorted(vips, key=lambda o: priority_key(ctx, o)):
        ins = best_insertion(ctx, routes, vid)
        if ins is not None:
            routes[ins.technician_id].insert(ins.position, vid)
            continue
        best: tuple[tuple[int, int], str, Insertion] | None = None
        # lowest grade first: a gold order is bumped only when no ordinary one can make room
        for grade in (CustomerGrade.ORDINARY, CustomerGrade.GOLD):
            for tech_id in ctx.allowed(ctx.orders[vid]):
                for victim in routes.get(tech_id, []):
                    vo = ctx.orders[victim]
                    if vo.customer_grade != grade:
                        continue
                    trial = {tech_id: [o for o in routes[tech_id] if o != victim]}
                    ins = best_insertion(ctx, trial, vid, only=[tech_id])
                    if ins is not None:
                        key = (-vo.customer_grade.rank, ins.cost)
                        if best is None or key < best[0]:
                            best = (key, victim, ins)
            if best is not None:
                break
        if best is not None:
            _, victim, ins = best
            routes[ins.technician_id].remove(victim)
            routes[ins.technician_id].insert(ins.position, vid)
            again = best_insertion(ctx, routes, victim)
            if again is not None:
                routes[again.technician_id].insert(again.position, victim)


# ============================================================================ plan building


def diagnose(ctx: DispatchContext, oid: str) -> tuple[str, str]:
    """Why an order is not in today's plan: (rule, reason in words)."""
    o = ctx.orders[oid]
    if o.status == OrderStatus.SUSPENDED:
        return "suspended", "the order is suspended; it returns to the plan when resumed"
    group = ctx.group_of(o)
    if (
        not ctx.allowed(o)
        and is_contract_unit(group)
        and not any(t.available and t.region_group_id == group for t in ctx.inp.technicians)
    ):
        return "small_area_contract", NO_COVER_REASON
    if not ctx.allowed(o):
        skilled = [t for t in ctx.inp.technicians if rules.has_required_skills(t, o)]
        if not skilled:
            return (
                "skills",
                f"no technician on duty has the skills {sorted(s.value for s in o.required_skills)}",
            )
        return "skills", (
            f"no on-duty technician of region group {group} or the support team has the skills "
            f"{sorted(s.value for s in o.required_skills)}"
        )
    lo, hi = ctx.window(o)
    if lo > hi:
        return "appointment_window", "the appointment window has already passed"
    latest = max(ctx.tech_start(t).shift_end for t in ctx.allowed(o))
    if lo + o.duration_min > latest:
        return "shift_end", (
            f"it can start no earlier than {ctx.at(lo):%H:%M}, too late to finish within today's "
            f"shifts (last ends {ctx.at(latest):%H:%M}); carry it to the next day"
        )
    broken: dict[str, int] = {}
    ends = _fixed_ends(ctx)
    for tid in ctx.allowed(o):
        timing = schedule_route(ctx, tid, [oid], ends)
        if timing.feasible:
            return "capacity", (
                "every technician who may take it has a full day of orders of equal or higher "
                "priority; escalate or hand to a partner"
            )
        assert timing.broken_rule is not None
        broken[timing.broken_rule] = broken.get(timing.broken_rule, 0) + 1
    rule = max(broken, key=lambda r: broken[r])
    words = {
        "shift_end": "no technician who may take it can reach and finish it before his shift ends",
        "appointment_window": "no technician who may take it can arrive within the appointment window",
        "dependencies": "an order it depends on is not planned or finished",
    }
    return rule, words.get(rule, rules.HARD_RULES[rule].sentence if rule in rules.HARD_RULES else rule)


def build_plan(
    ctx: DispatchContext,
    routes: Routes,
    unassigned: dict[str, tuple[str, str]],
    version: int = 1,
    previous: DayPlan | None = None,
) -> DayPlan:
    """Time every route (earliest start), add locked started/completed stops, warnings and score.

    A route that the forward pass finds infeasible (e.g. after a delay) loses the order that breaks
    it; that order goes to the unassigned list with the rule broken. With ``previous``, a route whose
    sequence, locked work and start are unchanged is reused as it was (rolling events touch few routes).
    """
    routes = {t: list(r) for t, r in routes.items()}
    locked: dict[str, list[DispatchOrder]] = {}
    for o in ctx.inp.orders:
        if (
            o.technician_id is not None
            and o.started_at is not None
            and o.status in (OrderStatus.COMPLETED, OrderStatus.STARTED)
        ):
            locked.setdefault(o.technician_id, []).append(o)
    old = {r.technician_id: r for r in previous.routes} if previous is not None else {}
    has_deps = any(o.depends_on for o in ctx.inp.orders)

    def reusable(tid: str) -> TechRoute | None:
        r = old.get(tid)
        if r is None or has_deps:
            return None
        if [s.order_id for s in r.stops if s.status == StopStatus.PLANNED] != routes.get(tid, []):
            return None
        was = [(s.order_id, s.status) for s in r.stops if s.status != StopStatus.PLANNED]
        now = sorted(
            (o.id, StopStatus.COMPLETED if o.status == OrderStatus.COMPLETED else StopStatus.STARTED)
            for o in locked.get(tid, [])
        )
        if sorted(was) != now:
            return None
        ready = ctx.at(ctx.tech_start(tid).minute)
        if r.ready_at == ready:
            return r
        if not routes.get(tid) and all(s.status == StopStatus.COMPLETED for s in r.stops):
            # an idle technician: only his "free from" time moved with the clock
            return r.model_copy(update={"ready_at": ready})
        return None

    ends = _fixed_ends(ctx)
    timings: dict[str, RouteTiming] = {}
    kept: dict[str, TechRoute] = {}
    for _ in range(3 if has_deps else 1):  # cross-route dependencies settle in a few passes
        for tid in ctx.techs:
            seq = routes.setdefault(tid, [])
            prev_route = reusable(tid)
            if prev_route is not None:
                kept[tid] = prev_route
                ends.update({s.order_id: ctx.minutes(s.end) for s in prev_route.stops})
                continue
            timing = schedule_route(ctx, tid, seq, ends)
            while not timing.feasible and seq:
                victim = timing.broken_by or seq[-1]
                seq.remove(victim)
                unassigned[victim] = (
                    timing.broken_rule or "shift_end",
                    f"no longer fits {tid}'s day ({timing.broken_rule})",
                )
                timing = schedule_route(ctx, tid, seq, ends)
            timings[tid] = timing
            ends.update({s.order_id: s.end for s in timing.stops})
    out_routes: list[TechRoute] = []
    for tech in ctx.inp.technicians:
        if tech.id in kept:
            out_routes.append(kept[tech.id])
            continue
        out_routes.append(_timed_route(ctx, tech.id, locked.get(tech.id, []), timings[tech.id]))
    for o in ctx.inp.orders:
        if o.status == OrderStatus.SUSPENDED and o.id not in unassigned:
            unassigned[o.id] = diagnose(ctx, o.id)
    was = {u.order_id: u for u in previous.unassigned} if previous is not None else {}

    def entry(oid: str, rule: str, why: str) -> Unassigned:
        old = was.get(oid)
        if old is not None and old.rule == rule and old.reason == why:
            return old  # unchanged: reuse (rolling events leave most of the list as it was)
        return Unassigned.model_construct(order_id=oid, rule=rule, reason=why)

    un = tuple(entry(oid, r, why) for oid, (r, why) in sorted(unassigned.items()))
    plan = DayPlan(
        branch_id=ctx.inp.branch_id,
        day=ctx.inp.day,
        now=ctx.inp.now,
        routes=tuple(out_routes),
        unassigned=un,
        version=version,
    )
    plan = plan.model_copy(update={"warnings": tuple(compute_warnings(ctx, plan, previous, frozenset(kept)))})
    return plan.model_copy(update={"score": rules.score_plan(plan, ctx.inp)})


def _timed_route(
    ctx: DispatchContext, tech_id: str, locked: list[DispatchOrder], timing: RouteTiming
) -> TechRoute:
    """A technician's timeline: completed work, the started order (locked), then the planned stops."""
    stops: list[Stop] = []
    work = 0
    for o in sorted(locked, key=lambda x: x.started_at or ctx.origin):
        assert o.started_at is not None
        if o.status == OrderStatus.COMPLETED:
            end = o.completed_at or o.started_at
            stops.append(
                Stop(
                    order_id=o.id,
                    arrival=o.started_at,
                    start=o.started_at,
                    end=end,
                    travel_min=0,
                    deadline=o.deadline,
                    late_min=max(0, ctx.minutes(end) - ctx.deadline(o)),
                    status=StopStatus.COMPLETED,
                    locked=True,
                )
            )
            work += ctx.minutes(end) - ctx.minutes(o.started_at)
    started = ctx.started_order(tech_id)
    if started is not None and started.started_at is not None:
        end_min = max(ctx.minutes(started.started_at) + started.duration_min, ctx.now)
        stops.append(
            Stop(
                order_id=started.id,
                arrival=started.started_at,
                start=started.started_at,
                end=ctx.at(end_min),
                travel_min=0,
                deadline=started.deadline,
                late_min=max(0, end_min - ctx.deadline(started)),
                status=StopStatus.STARTED,
                locked=True,
            )
        )
        work += end_min - ctx.minutes(started.started_at)
    for s in timing.stops:
        o = ctx.orders[s.order_id]
        stops.append(
            # hot path of every rolling event: values come from validated inputs, skip re-validation
            Stop.model_construct(
                order_id=s.order_id,
                arrival=ctx.at(s.arrival),
                start=ctx.at(s.start),
                end=ctx.at(s.end),
                travel_min=s.travel,
                deadline=o.deadline,
                late_min=max(0, s.end - ctx.deadline(o)),
            )
        )
    work += timing.travel + sum(s.end - s.start for s in timing.stops) if timing.stops else 0
    return TechRoute(
        technician_id=tech_id,
        stops=tuple(stops),
        work_min=work,
        travel_min=timing.travel if timing.stops else 0,
        finish=ctx.at(timing.finish) if timing.stops else None,
        ready_at=ctx.at(ctx.tech_start(tech_id).minute),
    )
