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
- the customer's first response and the dispatch centre's response count orders **created** in
  the window; the technician's response counts orders **dispatched** (to the technician) in it;
- overdue reminders count orders whose **deadline** falls in the window.

Cancelled orders never count. Who answers for each KPI is :data:`KPI_OWNER`: the dispatch
centre's KPI and the customer's view of the first response are reported for region groups and
branches, never charged to a technician.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from quality.clock import due_after
from quality.domain import AROUND_THE_CLOCK, KpiOrder, KpiResult, KpiSettings, Window, WorkingHours
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


def latest_record(orders: Iterable[WorkOrder]) -> dt.datetime | None:
    """The latest moment any of ``orders`` records (creation, event, first contact): the data cut of
    a data set that does not state its own (it knows nothing after its last record)."""
    latest: dt.datetime | None = None
    for o in orders:
        times = [o.created, *(e.at for e in o.history[-1:])]
        if isinstance(o, KpiOrder) and o.first_contact_at is not None:
            times.append(o.first_contact_at)
        top = max(times)
        if latest is None or top > latest:
            latest = top
    return latest


def completed_in(orders: Sequence[WorkOrder], window: Window) -> list[WorkOrder]:
    """Orders completed inside ``window``, in input order."""
    return [o for o in orders if window.contains(completed_at(o))]


def counted(orders: Sequence[WorkOrder], kpi: str) -> Sequence[WorkOrder]:
    """``orders`` without the records left out of ``kpi`` for a bad field (``KpiOrder.left_out_of``)."""
    if not any(getattr(o, "left_out_of", None) for o in orders):  # the usual case: nothing left out
        return orders
    return [o for o in orders if kpi not in getattr(o, "left_out_of", ())]


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


def link_repeats(orders: Sequence[WorkOrder]) -> list[WorkOrder]:
    """``orders`` with each completed repair linked to its first repeat fault report.

    A later report R repeats a repair F when R is a repair order, not cancelled, created at or after
    F's completion, and either names F (``R.repeat_of == F.id``) or is on the same customer line
    (``customer_line_id``). F is returned as a :class:`KpiOrder` copy with ``repeated_by`` = the
    earliest such R and ``repeated_after`` = R's creation − F's completion; other orders are
    returned as they are. Run it over all orders of a report before splitting them by unit: the
    repeat may be another technician's order.
    """
    by_line: dict[str, list[WorkOrder]] = {}
    naming: dict[str, list[WorkOrder]] = {}
    for o in orders:
        if not isinstance(o, KpiOrder) or o.order_type != OrderType.REPAIR \
                or o.status == OrderStatus.CANCELLED:
            continue
        if o.customer_line_id is not None:
            by_line.setdefault(o.customer_line_id, []).append(o)
        if o.repeat_of is not None:
            naming.setdefault(o.repeat_of, []).append(o)
    if not by_line and not naming:
        return list(orders)
    out: list[WorkOrder] = []
    for o in orders:
        done = completed_at(o)
        if done is None or o.order_type != OrderType.REPAIR:
            out.append(o)
            continue
        line = o.customer_line_id if isinstance(o, KpiOrder) else None
        candidates = [*naming.get(o.id, ()), *(by_line.get(line, ()) if line is not None else ())]
        later = [r for r in candidates if r.id != o.id and r.created >= done]
        if not later:
            out.append(o)
            continue
        first = min(later, key=lambda r: (r.created, r.id))
        out.append(KpiOrder(**(dict(o) | {"repeated_by": first.id, "repeated_after": first.created - done})))
    return out


def repeat_of_order(order: WorkOrder, repeat_days: int) -> tuple[bool, str | None]:
    """Whether a completed repair counts as repeated within ``repeat_days``, and the repeat order's id
    when it is known: the recorded ``repeat_fault_within_days`` or a linked later report."""
    limit = dt.timedelta(days=repeat_days)
    if isinstance(order, KpiOrder) and order.repeated_after is not None and order.repeated_after <= limit:
        return True, order.repeated_by
    out = order.outcome
    recorded = out is not None and out.repeat_fault_within_days is not None \
        and out.repeat_fault_within_days <= repeat_days
    return recorded, None


def repeat_report_rate(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Repeat-report rate (重复报障率): repaired customers who report a fault again within N days.

    Denominator: repair orders completed in the window. Numerator: those repeated within
    ``settings.repeat_days``: the outcome records ``repeat_fault_within_days <= N`` (0 = the same
    day), or a later fault report of the same customer line (``customer_line_id``), or one naming
    the repair (``repeat_of``), was created within N days of the completion (:func:`link_repeats`;
    ``links`` maps the repair to that report). Lower is better. A repair completed less than N
    days before ``as_of`` without a repeat yet may still get one: it is ``pending`` and the figure
    provisional. VIP and ordinary customers are reported separately by filtering ``orders`` on the
    customer grade.
    """
    n = settings.repeat_days
    linked = link_repeats(orders)
    den = [o for o in completed_in(linked, window) if o.order_type == OrderType.REPAIR]
    num: list[WorkOrder] = []
    links: dict[str, str] = {}
    pending = 0
    horizon = settings.cut(window) - dt.timedelta(days=n)
    for o in den:
        repeated, by = repeat_of_order(o, n)
        if repeated:
            num.append(o)
            if by is not None:
                links[o.id] = by
        elif (completed_at(o) or window.end) > horizon:
            pending += 1
    result = rate_result("repeat_report_rate", den, num)
    return result.model_copy(update={"links": links, "pending": pending})


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


def _response_rate(
    name: str,
    orders: Iterable[tuple[WorkOrder, dt.datetime, dt.datetime | None]],
    minutes: int,
    hours: WorkingHours,
    as_of: dt.datetime,
    excluded: dict[str, int] | None = None,
) -> KpiResult:
    """A response rate from ``(order, clock start, response or None)``: on time when the response
    comes at or before ``minutes`` on the ``hours`` clock after the start.

    An order without a response is late once its norm has run out before ``as_of``; while the norm
    still runs at ``as_of`` (due >= as_of: a response at exactly the due moment is on time, and the
    data cut has no events at or after ``as_of``) it is left out.
    """
    den: list[WorkOrder] = []
    num: list[WorkOrder] = []
    pending = 0
    for o, start, response in orders:
        due = due_after(start, minutes, hours)
        if response is None and due >= as_of:
            pending += 1
            continue
        den.append(o)
        if response is not None and response <= due:
            num.append(o)
    result = rate_result(name, den, num)
    return result.model_copy(update={"excluded": dict(excluded or {}), "pending": pending})


def first_response_30min(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """First response, the customer's view (30分钟响应率): first event within N minutes of creation,
    around the clock.

    What the customer waits from the order to the SMS naming the technician, night or day; the
    dispatch centre's part and the technician's part are :func:`dispatch_response` and
    :func:`technician_response`, each on its own clock, and only those are charged to anyone.
    Denominator: orders created in the window, not cancelled, whose response is known: either
    they have an event after creation, or their N minutes ran out before ``as_of`` (default: the
    window end) without one — those count as late. Orders still inside their first N minutes
    at ``as_of`` (``created + N >= as_of``: a response at exactly +N:00 would still be on time)
    are left out. Numerator: first event (normally the dispatch) at most N minutes after creation.
    """
    as_of = settings.cut(window)
    rows = [
        (o, o.created, first_response_at(o)) for o in orders
        if o.status != OrderStatus.CANCELLED and window.contains(o.created)
    ]
    return _response_rate("first_response_30min", rows, settings.first_response_minutes, AROUND_THE_CLOCK,
                          as_of)


def dispatch_response(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Dispatch within 30 minutes on the dispatch centre's clock (综调派单及时率): the centre's part.

    The centre answers for the time from the order's creation to its dispatch, counted in its
    working hours (``settings.dispatch_hours``, default 07:30–22:00): an order created at 02:00
    is due by 08:00. Denominator: orders created in the window, not cancelled, dispatched or past
    their due time at ``as_of`` (never-dispatched orders count as late; those still inside their
    N minutes are left out). Numerator: dispatched at or before the due time (a night dispatch
    before the centre opens is on time). Reported for region groups and the branch, never charged
    to a technician.
    """
    as_of = settings.cut(window)
    rows = [
        (o, o.created, o.time_of(OrderStatus.DISPATCHED)) for o in orders
        if o.status != OrderStatus.CANCELLED and window.contains(o.created)
    ]
    return _response_rate("dispatch_response", rows, settings.dispatch_minutes, settings.dispatch_hours,
                          as_of)


def responsible_dispatch(order: WorkOrder) -> dt.datetime | None:
    """The dispatch the technician's response is measured from: the last dispatch before the first
    start (a re-dispatch restarts the technician's clock), or the last dispatch of an order not
    started yet."""
    last: dt.datetime | None = None
    for e in order.history:
        if e.status == OrderStatus.DISPATCHED:
            last = e.at
        elif e.status == OrderStatus.STARTED:
            break
    return last


def technician_response_at(order: WorkOrder, dispatched: dt.datetime) -> dt.datetime | None:
    """The technician's first response after ``dispatched``: the first contact with the customer or
    the start on site, whichever comes first (None: neither yet)."""
    times = [e.at for e in order.history if e.status == OrderStatus.STARTED and e.at >= dispatched][:1]
    if isinstance(order, KpiOrder) and order.first_contact_at is not None \
            and order.first_contact_at >= dispatched:
        times.append(order.first_contact_at)
    return min(times, default=None)


def technician_response(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Technician's first response (接单响应及时率): first contact or start within N minutes of the field
    clock after the dispatch — the technician's part.

    The technician answers for the time from the dispatch to them (the last one before the start)
    to their first contact with the customer, or the start on site when that comes first, counted
    in field hours (``settings.field_hours``, default 08:00–21:30). Denominator: orders not
    cancelled whose dispatch falls in the window and whose response is known: a response, or the
    norm run out at ``as_of`` without one (late). Numerator: response at or before the due time.
    Only sources that record first contacts (a ``first_contact_at`` column) can say when a
    technician responded; orders of other sources are left out and counted under
    ``no_contact_times``: their start alone (often an appointment the customer chose) is no
    response time.
    """
    as_of = settings.cut(window)
    rows: list[tuple[WorkOrder, dt.datetime, dt.datetime | None]] = []
    unknown = 0
    for o in orders:
        dispatched = responsible_dispatch(o)
        if o.status == OrderStatus.CANCELLED or not window.contains(dispatched):
            continue
        assert dispatched is not None
        if not (isinstance(o, KpiOrder) and o.contacts_recorded):
            unknown += 1
            continue
        rows.append((o, dispatched, technician_response_at(o, dispatched)))
    return _response_rate("technician_response", rows, settings.technician_response_minutes,
                          settings.field_hours, as_of, {"no_contact_times": unknown} if unknown else None)


def complaints_per_1000(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
    """Complaints per 1,000 completed orders (千单投诉率): complaints / completed orders × 1000.

    Denominator: orders completed in the window. Numerator: those with a complaint. The service
    norm "complaint rate <= 1%" is 10 per 1,000. Lower is better. This is *not* the operator's
    万投比 (complaints per 10,000 subscribers): that needs the subscriber base of each unit, which
    the order data does not hold; per completed order is what it measures, so that is its name.
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
    as_of = settings.cut(window)
    den = [
        o for o in orders
        if o.status != OrderStatus.CANCELLED and window.contains(o.deadline) and o.deadline < as_of
    ]
    return rate_result("overdue_reminders", den, [o for o in den if is_overdue(o, as_of)])


def _at_window_end(window: Window, settings: KpiSettings) -> dt.datetime:
    """at the end of the period"""
    return window.end


def _after_outcomes(window: Window, settings: KpiSettings) -> dt.datetime:
    """outcome_days after the end of the period (callbacks and complaints come later)"""
    return window.end + dt.timedelta(days=settings.outcome_days)


def _after_repeats(window: Window, settings: KpiSettings) -> dt.datetime:
    """repeat_days after the end of the period (a repeat may still be reported)"""
    return window.end + dt.timedelta(days=settings.repeat_days)


def _after_first_response(window: Window, settings: KpiSettings) -> dt.datetime:
    """first_response_minutes after the end of the period"""
    return due_after(window.end, settings.first_response_minutes, AROUND_THE_CLOCK)


def _after_dispatch(window: Window, settings: KpiSettings) -> dt.datetime:
    """dispatch_minutes of the centre's hours after the end of the period"""
    return due_after(window.end, settings.dispatch_minutes, settings.dispatch_hours)


def _after_technician_response(window: Window, settings: KpiSettings) -> dt.datetime:
    """technician_response_minutes of field hours after the end of the period"""
    return due_after(window.end, settings.technician_response_minutes, settings.field_hours)


#: When each KPI of a window settles: after this moment no later record can change it. Completion
#: KPIs settle at the window's end; callback and complaint KPIs ``outcome_days`` later (the survey
#: and complaints come after the job); the repeat rate ``repeat_days`` later; the response KPIs
#: when the norm of an order created at the window's very end has run out on its clock.
KPI_SETTLES: dict[str, Callable[[Window, KpiSettings], dt.datetime]] = {
    "repair_timeliness": _at_window_end,
    "install_timeliness": _at_window_end,
    "install_wait_hours": _at_window_end,
    "overdue_reminders": _at_window_end,
    "repeat_report_rate": _after_repeats,
    "callback_contact_timely": _after_outcomes,
    "callback_appointment_kept": _after_outcomes,
    "callback_skill": _after_outcomes,
    "callback_attitude": _after_outcomes,
    "overall_satisfaction": _after_outcomes,
    "complaints_per_1000": _after_outcomes,
    "first_response_30min": _after_first_response,
    "dispatch_response": _after_dispatch,
    "technician_response": _after_technician_response,
}


def _registered(name: str, fn: KpiFunction) -> KpiFunction:
    """``fn`` as registered: without the records left out of KPI ``name`` for a bad field they carry,
    and marked provisional when the data was taken before the figure settles."""
    settles = KPI_SETTLES[name]

    @functools.wraps(fn)
    def kpi(orders: Sequence[WorkOrder], window: Window, settings: KpiSettings) -> KpiResult:
        result = fn(counted(orders, name), window, settings)
        at = settles(window, settings)
        return result.model_copy(update={"settles_at": at, "provisional": settings.cut(window) < at})

    return kpi


#: Registry: KPI key → function. Keys are stable (see ``quality.scorecard.KPI_NAMES``).
_KPI_RULES: dict[str, KpiFunction] = {
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
    "dispatch_response": dispatch_response,
    "technician_response": technician_response,
}
KPI_FUNCTIONS: dict[str, KpiFunction] = {n: _registered(n, f) for n, f in _KPI_RULES.items()}

#: The one catalog of KPI names for people: key → (English, Chinese). The keys are stable.
KPI_LABELS: dict[str, tuple[str, str]] = {
    "repair_timeliness": ("Repair timeliness", "修障及时率"),
    "install_timeliness": ("Install/move timeliness", "装移机及时率"),
    "repeat_report_rate": ("Repeat-report rate", "重复报障率"),
    "callback_contact_timely": ("Callback: contacted in time", "回访联系及时率"),
    "callback_appointment_kept": ("Callback: appointment kept", "回访准时上门率"),
    "callback_skill": ("Callback: satisfied with the technical skill", "回访技术水平满意率"),
    "callback_attitude": ("Callback: satisfied with the attitude", "回访服务态度满意率"),
    "overall_satisfaction": ("Overall satisfaction (4 or 5 of 5)", "满意度"),
    "first_response_30min": ("First response in time, customer's view (around the clock)",
                             "首次响应及时率(客户视角)"),
    "complaints_per_1000": ("Complaints per 1,000 completed orders", "千单投诉率"),
    "install_wait_hours": ("Install waiting time (mean hours)", "装机平均等待时长"),
    "overdue_reminders": ("Orders overdue (reminder calls)", "超时催单率"),
    "dispatch_response": ("Dispatched in time on the dispatch centre's clock", "综调派单及时率"),
    "technician_response": ("Technician's first response in time on the field clock", "装维人员响应及时率"),
}

#: What each KPI counts (its denominator), in words, for ``fieldcrew kpi rules`` and docs/kpis.md.
KPI_BASIS: dict[str, str] = {
    "repair_timeliness": "repairs completed in the period; numerator: completed by the deadline",
    "install_timeliness": "installs and moves completed in the period; numerator: by the deadline",
    "install_wait_hours": "installs and moves completed in the period; value: mean hours created → completed",
    "repeat_report_rate": "repairs completed in the period; numerator: the line reported a fault again "
                          "within repeat_days",
    "callback_contact_timely": "orders completed in the period whose callback answered the question",
    "callback_appointment_kept": "orders completed in the period whose callback answered the question",
    "callback_skill": "orders completed in the period whose callback answered the question",
    "callback_attitude": "orders completed in the period whose callback answered the question",
    "overall_satisfaction": "orders completed in the period with a 1–5 score; numerator: >= satisfied_min",
    "complaints_per_1000": "orders completed in the period; numerator: with a complaint (× 1000)",
    "first_response_30min": "orders created in the period; first event within first_response_minutes, "
                            "around the clock",
    "dispatch_response": "orders created in the period; dispatched within dispatch_minutes of the "
                         "centre's hours",
    "technician_response": "orders dispatched in the period (sources recording first contacts); contact or "
                           "start within technician_response_minutes of field hours",
    "overdue_reminders": "orders due in the period (before as_of); numerator: not completed by the deadline",
}

#: Who answers for each KPI: ``technician`` (charged to the order's technician, graded),
#: ``dispatch_centre`` (the centre's part of the first response) or ``customer`` (what the customer
#: experiences end to end). Technician tables and grades show only the technicians' KPIs.
TECHNICIAN, DISPATCH_CENTRE, CUSTOMER = "technician", "dispatch_centre", "customer"
KPI_OWNER: dict[str, str] = {name: TECHNICIAN for name in KPI_FUNCTIONS} | {
    "dispatch_response": DISPATCH_CENTRE,
    "first_response_30min": CUSTOMER,
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
