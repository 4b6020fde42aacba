"""The KPIs: one function per KPI, each returning numerator, denominator, value and the orders behind it.

Every function has the signature ``kpi(orders, window, settings) -> KpiResult``. ``orders`` are
the orders of one unit (technician, region group or branch; the caller selects them); the
function itself decides which of them fall in ``window``, by the rule stated in its docstring,
so a figure can always be traced: ``order_ids`` are the orders of the denominator,
``numerator_ids`` those of the numerator. ``value`` is None when the denominator is 0.

Attribution rules, in short:

- outcome KPIs (timeliness, waiting time, repeat faults, callback survey, complaints) count
  orders **completed** in the window (completion = first ``completed`` event in the history),
  credited to the order's ``technician_id``;
- the first response counts orders **created** in the window;
- overdue reminders count orders whose **deadline** falls in the window.

Cancelled orders never count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from quality.domain import KpiResult, KpiSettings, Window
from vocabulary.orders import OrderStatus, OrderType, WorkOrder

KpiFunction = Callable[[Sequence[WorkOrder], Window, KpiSettings], KpiResult]

#: z of a two-sided 95% interval
Z95 = Decimal("1.959963984540054")
_Q = Decimal("0.000001")
_ONE = Decimal(1)
INSTALL_TYPES = frozenset({OrderType.INSTALL, OrderType.MOVE})


def completed_at(order: WorkOrder) -> dt.datetime | None:
    """Completion time of a completed order (its ``completed`` event), None otherwise.

    ``completed`` is final, so with a history it is the last event (``WorkOrder`` checks that the
    last event agrees with the status): O(1) instead of a scan.
    """
    if order.status != OrderStatus.COMPLETED or not order.history:
        return None
    return order.history[-1].at


def first_response_at(order: WorkOrder) -> dt.datetime | None:
    """Time of the first event after creation that is not ``created`` (normally the dispatch)."""
    return next((e.at for e in order.history if e.status != OrderStatus.CREATED), None)


def completed_in(orders: Sequence[WorkOrder], window: Window) -> list[WorkOrder]:
    """Orders completed inside ``window``, in input order."""
    return [o for o in orders if window.contains(completed_at(o))]


def wilson_interval(successes: int, n: int, z: Decimal = Z95) -> tuple[Decimal, Decimal] | None:
    """Wilson score interval of a proportion ``successes / n`` (None when ``n == 0``).

    Unlike the normal approximation it stays inside [0, 1] and is honest for tiny samples: a
    technician with 3 of 3 satisfied callbacks gets roughly [0.44, 1.00], not [1, 1].
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} must be within [0, n={n}]")
    nn, p, z2 = Decimal(n), Decimal(successes) / Decimal(n), z * z
    centre = (p + z2 / (2 * nn)) / (1 + z2 / nn)
    half = (z / (1 + z2 / nn)) * (p * (1 - p) / nn + z2 / (4 * nn * nn)).sqrt()
    low, high = max(Decimal(0), centre - half), min(_ONE, centre + half)
    return low.quantize(_Q, ROUND_HALF_UP), high.quantize(_Q, ROUND_HALF_UP)


def rate_result(
    name: str, denominator: Sequence[WorkOrder], numerator: Sequence[WorkOrder], scale: int = 1
) -> KpiResult:
    """Build a rate KPI ``scale * |numerator| / |denominator|`` with its Wilson interval."""
    num, den = len(numerator), len(denominator)
    value = ci_low = ci_high = None
    if den:
        value = (Decimal(scale * num) / Decimal(den)).quantize(_Q, ROUND_HALF_UP)
        interval = wilson_interval(num, den)
        assert interval is not None
        ci_low, ci_high = interval[0] * scale, interval[1] * scale
    return KpiResult(
        name=name,
        numerator=Decimal(num),
        denominator=den,
        value=value,
        order_ids=tuple(o.id for o in denominator),
        numerator_ids=tuple(o.id for o in numerator),
        ci_low=ci_low,
        ci_high=ci_high,
    )


def _on_time(order: WorkOrder) -> bool:
    done = completed_at(order)
    return done is not None and done <= order.deadline


def repair_timeliness(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Repair timeliness (修障及时率): repair orders completed by their deadline / repair orders completed.

    Denominator: repair orders completed in the window. Numerator: those completed at or before
    their deadline. Break it down by customer grade or line type by filtering ``orders``.
    """
    den = [o for o in completed_in(orders, window) if o.order_type == OrderType.REPAIR]
    return rate_result("repair_timeliness", den, [o for o in den if _on_time(o)])


def install_timeliness(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Install timeliness (装移机及时率): install/move orders completed by their deadline / completed.

    Denominator: install and move orders completed in the window. Numerator: those completed at
    or before their deadline.
    """
    den = [o for o in completed_in(orders, window) if o.order_type in INSTALL_TYPES]
    return rate_result("install_timeliness", den, [o for o in den if _on_time(o)])


def install_wait_hours(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Install waiting time: mean hours from creation to completion of install/move orders.

    Denominator: install and move orders completed in the window. Numerator: the sum of their
    waits in hours (exact minutes / 60). Value: the mean, hours to 0.000001. No interval.
    """
    den = [o for o in completed_in(orders, window) if o.order_type in INSTALL_TYPES]
    total_minutes = Decimal(0)
    for o in den:
        done = completed_at(o)
        assert done is not None
        total_minutes += Decimal(int((done - o.created).total_seconds())) / 60
    hours = (total_minutes / 60).quantize(_Q, ROUND_HALF_UP)
    value = (total_minutes / 60 / len(den)).quantize(_Q, ROUND_HALF_UP) if den else None
    ids = tuple(o.id for o in den)
    return KpiResult(
        name="install_wait_hours", numerator=hours, denominator=len(den), value=value,
        order_ids=ids, numerator_ids=ids,
    )


def repeat_report_rate(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Repeat-report rate (重复报障率): repaired customers who report a fault again within N days.

    Denominator: repair orders completed in the window. Numerator: those whose outcome has
    ``repeat_fault_within_days <= settings.repeat_days``. Lower is better. Repairs completed
    less than N days before the data was taken may still gain repeats later; VIP and ordinary
    customers are reported separately by filtering ``orders`` on the customer grade.
    """
    n = settings.repeat_days
    den = [o for o in completed_in(orders, window) if o.order_type == OrderType.REPAIR]
    num = [
        o for o in den
        if o.outcome is not None and o.outcome.repeat_fault_within_days is not None
        and o.outcome.repeat_fault_within_days <= n
    ]
    return rate_result("repeat_report_rate", den, num)


def _survey_answer(name: str, attribute: str) -> KpiFunction:
    def kpi(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
        den = [
            o for o in completed_in(orders, window)
            if o.outcome is not None and getattr(o.outcome, attribute) is not None
        ]
        return rate_result(name, den, [o for o in den if getattr(o.outcome, attribute) is True])

    kpi.__name__ = name
    return kpi


def callback_contact_timely(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Callback survey, contact timeliness (联系及时率): share of "yes" among answered callbacks.

    Denominator: orders completed in the window whose callback answered ``contact_timely``.
    Numerator: those answering yes.
    """
    return _survey_answer("callback_contact_timely", "contact_timely")(orders, window, settings)


def callback_appointment_kept(
    orders: Sequence[WorkOrder], window: Window, settings: KpiSettings
) -> KpiResult:
    """Callback survey, appointment kept (准时上门率): share of "yes" among answered callbacks."""
    return _survey_answer("callback_appointment_kept", "appointment_kept")(orders, window, settings)


def callback_skill(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Callback survey, technical skill (技术水平满意率): share satisfied among answered callbacks."""
    return _survey_answer("callback_skill", "skill_satisfied")(orders, window, settings)


def callback_attitude(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Callback survey, attitude (服务态度满意率): share satisfied among answered callbacks."""
    return _survey_answer("callback_attitude", "attitude_satisfied")(orders, window, settings)


def overall_satisfaction(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Overall satisfaction (满意度): share of callback scores >= ``settings.satisfied_min`` (4 of 5).

    Denominator: orders completed in the window with a 1–5 satisfaction answer. Numerator:
    answers of 4 or 5 (by default). The operator's target is >= 80%.
    """
    den = [
        o for o in completed_in(orders, window)
        if o.outcome is not None and o.outcome.satisfaction is not None
    ]
    num = [
        o for o in den
        if o.outcome is not None and (o.outcome.satisfaction or 0) >= settings.satisfied_min
    ]
    return rate_result("overall_satisfaction", den, num)


def first_response_30min(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """First response within 30 minutes (30分钟响应率): first event within N minutes of creation.

    Denominator: orders created in the window, not cancelled, whose response is known: either
    they have an event after creation, or their N minutes ran out before ``as_of`` (default: the
    window end) without one — those count as late. Orders still inside their first N minutes
    are left out. Numerator: first event (normally the dispatch) at most N minutes after creation.
    """
    limit = dt.timedelta(minutes=settings.first_response_minutes)
    as_of = settings.as_of or window.end
    den: list[WorkOrder] = []
    num: list[WorkOrder] = []
    for o in orders:
        if o.status == OrderStatus.CANCELLED or not window.contains(o.created):
            continue
        first = first_response_at(o)
        if first is None and o.created + limit > as_of:
            continue
        den.append(o)
        if first is not None and first - o.created <= limit:
            num.append(o)
    return rate_result("first_response_30min", den, num)


def complaints_per_1000(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Complaints per 1,000 orders (万投比 on a per-mille scale): complaints / completed orders × 1000.

    Denominator: orders completed in the window. Numerator: those with a complaint. The service
    norm "complaint rate <= 1%" is 10 per 1,000. Lower is better.
    """
    den = completed_in(orders, window)
    num = [o for o in den if o.outcome is not None and o.outcome.complaint]
    return rate_result("complaints_per_1000", den, num, scale=1000)


def is_overdue(order: WorkOrder, as_of: dt.datetime) -> bool:
    """Whether an order missed its deadline: completed after it, or still open after it at ``as_of``."""
    if order.status == OrderStatus.CANCELLED or order.deadline >= as_of:
        return False
    done = completed_at(order)
    return done is None or done > order.deadline


def overdue_reminders(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Overdue reminders (超时催单): share of orders due in the window that passed their deadline unfinished.

    Each such order triggers a timeout warning and a reminder call. Denominator: orders, not
    cancelled, whose deadline falls in the window and before ``as_of`` (default the window end).
    Numerator: those not completed by their deadline (completed late or still open). Lower is
    better.
    """
    as_of = settings.as_of or window.end
    den = [
        o for o in orders
        if o.status != OrderStatus.CANCELLED and window.contains(o.deadline) and o.deadline < as_of
    ]
    return rate_result("overdue_reminders", den, [o for o in den if is_overdue(o, as_of)])


#: Registry: KPI key → function. Keys are stable (see ``quality.scorecard.KPI_NAMES``).
KPI_FUNCTIONS: dict[str, KpiFunction] = {
    "repair_timeliness": repair_timeliness,
    "install_timeliness": install_timeliness,
    "repeat_report_rate": repeat_report_rate,
    "callback_contact_timely": callback_contact_timely,
    "callback_appointment_kept": callback_appointment_kept,
    "callback_skill": callback_skill,
    "callback_attitude": callback_attitude,
    "overall_satisfaction": overall_satisfaction,
    "first_response_30min": first_response_30min,
    "complaints_per_1000": complaints_per_1000,
    "install_wait_hours": install_wait_hours,
    "overdue_reminders": overdue_reminders,
}

#: KPIs whose value is a proportion in [0, 1] (scale 1); complaints_per_1000 is a proportion × 1000.
RATE_KPIS: frozenset[str] = frozenset(KPI_FUNCTIONS) - {"install_wait_hours", "complaints_per_1000"}
#: Scale of each KPI's value relative to numerator / denominator.
KPI_SCALE: dict[str, int] = {name: 1 for name in KPI_FUNCTIONS} | {"complaints_per_1000": 1000}

#: Which KPIs read the callback survey (left out of them: records with bad survey answers).
SURVEY_KPIS: frozenset[str] = frozenset(
    {"callback_contact_timely", "callback_appointment_kept", "callback_skill", "callback_attitude",
     "overall_satisfaction"}
)


def compute_kpis(
    orders: Sequence[WorkOrder],
    window: Window,
    settings: KpiSettings | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, KpiResult]:
    """Every KPI (or those in ``names``) of ``orders`` for ``window``."""
    settings = settings or KpiSettings()
    selected = list(names) if names is not None else list(KPI_FUNCTIONS)
    unknown = [n for n in selected if n not in KPI_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown KPI(s) {unknown}; known: {sorted(KPI_FUNCTIONS)}")
    return {name: KPI_FUNCTIONS[name](orders, window, settings) for name in selected}
