"""The operator's dispatch rules, one function per rule, with a registry.

Hard work rules decide whether a technician *may* do an order at a time; soft rules (the policy,
in the operator's order: customer priority, own-area priority, nearest technician, balanced
workload) price a finished plan. ``score_plan`` recomputes every soft rule from a plan alone, so a
dispatcher can ask "why is this plan like this?" and get a breakdown by rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scheduler.dispatch.domain import (
    DayInput,
    DayPlan,
    DispatchOrder,
    DispatchPolicy,
    OnDutyTechnician,
    is_contract_unit,
)
from vocabulary.orders import CustomerGrade

# --------------------------------------------------------------------------- hard work rules


def has_required_skills(tech: OnDutyTechnician, order: DispatchOrder) -> bool:
    """Skills: "a technician only takes orders whose required skills he has"."""
    return order.required_skills <= tech.skills


def serves_region_group(tech: OnDutyTechnician, order_group: str) -> bool:
    """Rolling inside the group: "orders roll across the areas of their region group; the support
    team covers every group". ``order_group`` is the order's dispatch unit
    (:mod:`scheduler.dispatch.operating`); a small-area contract unit is served by its owner only:
    "an order goes only to its area's owner, nobody covers"."""
    if is_contract_unit(order_group):
        return tech.region_group_id == order_group
    return tech.support_team or tech.region_group_id == order_group


def keeps_claimed_order(tech: OnDutyTechnician, order: DispatchOrder) -> bool:
    """Claims (认领): "a volunteer who claimed an unassigned order keeps it": the technician who
    claimed an order may do it, whatever its group (any other order keeps its group's rule)."""
    return order.claimed_by is not None and order.claimed_by == tech.id


def within_appointment_window(start_min: int, window: tuple[int, int] | None) -> bool:
    """Appointment windows: "service starts inside the window agreed with the customer"."""
    return window is None or window[0] <= start_min <= window[1]


def within_shift(finish_min: int, shift_end_min: int) -> bool:
    """Shift end: "the day's last job (and the way back, when there is one) ends by the shift end"."""
    return finish_min <= shift_end_min


def after_dependencies(start_min: int, predecessor_ends: list[int]) -> bool:
    """Order dependencies: "an order starts only after every order it depends on is finished"."""
    return all(start_min >= end for end in predecessor_ends)


@dataclass(frozen=True)
class Rule:
    """A registered rule: its name, the sentence a user sees, hard or soft."""

    name: str
    sentence: str
    hard: bool


HARD_RULES: dict[str, Rule] = {
    "skills": Rule("skills", "A technician only takes orders whose required skills he has.", True),
    "region_group": Rule(
        "region_group", "Orders roll inside their region group; the support team covers all.", True
    ),
    "small_area_contract": Rule(
        "small_area_contract",
        "Under a small-area contract an order goes only to its area's owner; nobody covers.",
        True,
    ),
    "claim": Rule("claim", "A volunteer who claimed an unassigned order keeps it.", True),
    "appointment_window": Rule(
        "appointment_window", "Service starts inside the agreed appointment window.", True
    ),
    "shift_end": Rule("shift_end", "The day's work ends by the technician's shift end.", True),
    "dependencies": Rule(
        "dependencies", "An order starts only after the orders it depends on are finished.", True
    ),
}

# --------------------------------------------------------------------------- soft rules (policy)


def customer_priority_penalty(plan: DayPlan, inp: DayInput, w: Weights) -> int:
    """Customer priority: "higher grades and orders closest to their deadline first; never leave a VIP
    unserved to serve an ordinary order": drop penalty per unserved order by grade, plus lateness
    past the deadline per minute by grade."""
    orders = {o.id: o for o in inp.orders}
    total = sum(w.drop[orders[u.order_id].customer_grade] for u in plan.unassigned if u.order_id in orders)
    for route in plan.routes:
        for stop in route.stops:
            if stop.order_id in orders:
                total += stop.late_min * w.late[orders[stop.order_id].customer_grade]
    return total


def own_area_penalty(plan: DayPlan, inp: DayInput, w: Weights) -> int:
    """Own-area priority: "a technician first serves his own small area": a penalty per order served
    outside the technician's home area."""
    orders = {o.id: o for o in inp.orders}
    techs = {t.id: t for t in inp.technicians}
    count = 0
    for route in plan.routes:
        home = techs[route.technician_id].home_area_id if route.technician_id in techs else None
        count += sum(1 for s in route.stops if s.order_id in orders and orders[s.order_id].area_id != home)
    return count * w.own_area


def nearest_penalty(plan: DayPlan, inp: DayInput, w: Weights) -> int:
    """Nearest technician: "the closest technician goes": a penalty per travel minute."""
    return sum(r.travel_min for r in plan.routes) * w.travel


def balance_penalty(plan: DayPlan, inp: DayInput, w: Weights) -> int:
    """Balanced workload: "spread work evenly across the group", measured as the spread (max − min)
    of working minutes (travel + on-site) among the on-duty technicians of each region group."""
    by_group: dict[str, list[int]] = {}
    work = {r.technician_id: r.work_min for r in plan.routes}
    for t in inp.technicians:
        if t.region_group_id is not None and not t.support_team:
            by_group.setdefault(t.region_group_id, []).append(work.get(t.id, 0))
    return sum(max(v) - min(v) for v in by_group.values()) * w.balance


SOFT_RULES: dict[str, tuple[Rule, Callable[[DayPlan, DayInput, Weights], int]]] = {
    "customer_priority": (
        Rule(
            "customer_priority",
            "Higher grades and nearer deadlines first; VIPs are "
            "never left unserved to serve an ordinary order.",
            False,
        ),
        customer_priority_penalty,
    ),
    "own_area": (Rule("own_area", "A technician first serves his own small area.", False), own_area_penalty),
    "nearest": (Rule("nearest", "The nearest technician goes.", False), nearest_penalty),
    "balance": (Rule("balance", "Working time is spread evenly across the group.", False), balance_penalty),
}


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class Weights:
    """Integer weights the engine uses (the policy's, or lexicographically scaled)."""

    drop: dict[CustomerGrade, int]
    late: dict[CustomerGrade, int]
    own_area: int
    travel: int
    balance: int
    stability: int


def effective_weights(policy: DispatchPolicy, n_orders: int, n_techs: int, day_min: int = 720) -> Weights:
    """Weights for a (sub)problem of ``n_orders`` orders and ``n_techs`` technicians.

    In both modes the VIP drop penalty exceeds the drop penalties of all lower-grade orders together,
    so serving ordinary orders can never pay for leaving a VIP out. In ``lexicographic`` mode each
    level outweighs the largest possible total of every level below it (bounds from the day length
    ``day_min``): balance (1) < travel < own area / stability < lateness < drops.
    """
    n = max(1, n_orders)
    v = max(1, n_techs)
    if policy.mode == "weighted":
        drop = dict(policy.drop_penalty)
        late = dict(policy.late_per_min)
        own, travel, balance, stab = (
            policy.own_area_penalty,
            policy.travel_per_min,
            policy.balance_per_min,
            policy.stability_penalty,
        )
    else:
        balance = 1
        travel = 2 * v * day_min * balance + 1  # balance deviations sum to at most 2·v·day_min
        own = travel * v * day_min + 1  # total travel is at most v·day_min
        stab = own
        # customer priority is one level: drops and lateness keep the policy's ratios, and one unit
        # of it outweighs every own-area and stability penalty of the subproblem together
        unit = (own + stab) * n + 1
        late = {g: unit * max(0, policy.late_per_min[g]) for g in CustomerGrade}
        drop = {g: unit * max(1, policy.drop_penalty[g]) for g in CustomerGrade}
    # VIP guarantee: a VIP outweighs every lower-grade order one technician's day can hold (a swap
    # never needs to drop more than one route's worth of orders)
    k = min(n, MAX_ORDERS_PER_ROUTE)
    lower = drop[CustomerGrade.GOLD] + drop[CustomerGrade.ORDINARY]
    drop[CustomerGrade.VIP] = max(drop[CustomerGrade.VIP], lower * k + 1)
    drop[CustomerGrade.GOLD] = max(drop[CustomerGrade.GOLD], drop[CustomerGrade.ORDINARY] + 1)
    # Routing costs are int64: keep the largest possible total (every order dropped as a VIP)
    # below 2**60. For very large subproblems this coarsens the lowest levels (ties broken less
    # finely); the order of the levels and the VIP guarantee are kept.
    bound = drop[CustomerGrade.VIP] * n
    if bound > LIMIT:
        f = -(-bound // LIMIT)
        drop = {g: max(1, x // f) for g, x in drop.items()}
        late = {g: max(1, x // f) if x else 0 for g, x in late.items()}
        own, travel, balance, stab = (max(1, x // f) if x else 0 for x in (own, travel, balance, stab))
    return Weights(drop=drop, late=late, own_area=own, travel=travel, balance=balance, stability=stab)


#: Ceiling of any cost total handed to the routing solver (int64 with room for sums).
LIMIT = 2**60
#: More orders than one technician can do in a day (720 min / 20 min shortest job).
MAX_ORDERS_PER_ROUTE = 36


def score_plan(plan: DayPlan, inp: DayInput) -> dict[str, int]:
    """Penalty of every soft rule, recomputed from the finished plan (weights in force, unscaled)."""
    w = effective_weights(
        inp.policy.model_copy(update={"mode": "weighted"}), len(inp.orders), len(inp.technicians)
    )
    return {name: fn(plan, inp, w) for name, (_rule, fn) in SOFT_RULES.items()}
