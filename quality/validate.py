"""Checking order records before they become KPIs: every bad record is reported with its rule.

Raw records (CSV/Excel rows, database rows) go through :func:`validate_records`; already built
:class:`~vocabulary.orders.WorkOrder` objects through :func:`check_orders`. Both return a
:class:`ValidatedOrders`: the orders fit for KPIs, the problems (row, field, value, rule) and the
exclusions (which KPIs lose which record and why), so a KPI cell can say how many records it
left out.

What happens to a bad record (the rules, also in :data:`RULES`):

- ``impossible_timestamps`` (completed/dispatched/started before created, events out of order,
  deadline not after creation), unparseable or missing required fields, unknown enum values,
  duplicate ids: the record is left out of **every** KPI.
- ``unknown_technician`` (a technician id not in the staff list): left out of every KPI, because
  it cannot be placed in a unit.
- ``survey_out_of_scale`` (satisfaction not an integer 1–5, a yes/no answer that is neither):
  only that answer is dropped; the record is left out of that survey KPI and counts everywhere else.
- ``bad_repeat_fault`` (negative or non-integer days): left out of the repeat-report rate only.
- a bad ``first_contact_at`` (unreadable, before creation): left out of the technician's response
  only; a bad ``customer_line_id``/``repeat_of``: left out of the repeat-report rate only.

Events come from the platform's ``history`` cell (``status time [technician]; …``, the order format
of :mod:`fieldcrew.io`), from an ``events`` list (the database loader), or, in the older KPI
layout, from the event-time columns ``dispatched_at``, ``started_at``, ``completed_at``,
``cancelled_at`` (:data:`EVENT_COLUMNS`). Times are read as the platform's import reads them
(:func:`fieldcrew.io.parse_order_time`).

Optional columns (older files without them read as before): ``customer_line_id``, ``repeat_of``,
``first_contact_at`` and ``contacts_recorded`` (:class:`~quality.domain.KpiOrder`). An order's
source records contacts when ``contacts_recorded`` says so or, where it is blank or missing, when
the file has a ``first_contact_at`` column: then a blank first contact means "no contact yet".
A bad ``contacts_recorded``, or false beside a first contact, leaves the record out of the
technician's response only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from fieldcrew.io import parse_history, parse_order_time
from quality.domain import Exclusion, KpiOrder
from vocabulary.booleans import BOOLEAN_RULE
from vocabulary.booleans import parse_bool as parse_bool_cell
from vocabulary.errors import Problem
from vocabulary.orders import (
    CustomerGrade,
    LineType,
    OrderStatus,
    OrderType,
    Outcome,
    ServiceDeadlines,
    StatusEvent,
    TimeWindow,
    WorkOrder,
    check_transition,
)
from vocabulary.organisation import Location

#: Rule key → the sentence reported to the user.
RULES: dict[str, str] = {
    "required": "the field is required",
    "bad_value": "the value cannot be read as the field's type",
    "unknown_enum": "the value is not one of the allowed values",
    "impossible_timestamps": "an event cannot happen before the order is created or before an earlier event",
    "deadline_before_created": "the deadline must be after the creation time",
    "duplicate_id": "order ids must be unique; the later record is ignored",
    "unknown_technician": "the technician id is not in the staff list",
    "survey_out_of_scale": "callback answers must be 1–5 (satisfaction) or yes/no",
    "bad_repeat_fault": "repeat_fault_within_days must be a whole number >= 0",
    "invalid_order": "the order breaks a rule of the order life cycle",
}

#: Survey answer field → KPI that loses the record when the answer is bad.
SURVEY_FIELDS: dict[str, str] = {
    "satisfaction": "overall_satisfaction",
    "contact_timely": "callback_contact_timely",
    "appointment_kept": "callback_appointment_kept",
    "skill_satisfied": "callback_skill",
    "attitude_satisfied": "callback_attitude",
}

#: Event-time columns of a flat record, in life-cycle order.
EVENT_COLUMNS: tuple[tuple[str, OrderStatus], ...] = (
    ("dispatched_at", OrderStatus.DISPATCHED),
    ("started_at", OrderStatus.STARTED),
    ("completed_at", OrderStatus.COMPLETED),
    ("cancelled_at", OrderStatus.CANCELLED),
)



class ValidatedOrders(BaseModel):
    """Orders fit for KPIs, with every problem found and every exclusion made."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    orders: tuple[WorkOrder, ...] = ()
    problems: tuple[Problem, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    records_read: int = 0

    def excluded_counts(self) -> dict[str, int]:
        """Rule → number of records left out of at least one KPI."""
        counts: dict[str, int] = {}
        for ex in self.exclusions:
            counts[ex.rule] = counts.get(ex.rule, 0) + 1
        return counts

    def summary(self) -> dict[str, Any]:
        """JSON-able summary: records read, orders kept, problems, exclusions by rule."""
        return {
            "records_read": self.records_read,
            "orders_kept": len(self.orders),
            "problems": [p.as_dict() for p in self.problems],
            "excluded_by_rule": self.excluded_counts(),
        }


def has_outcome(answers: Mapping[str, Any]) -> bool:
    """Whether a record's outcome answers say anything: an answer given, or a complaint or praise.

    An answer of 0 (a same-day repeat fault) or "no" (a callback answered no) is an answer: only a
    blank (None) is "not asked". ``complaint`` and ``praise`` default to False when blank, so only
    True tells. (``0 in (None, False)`` is true in Python, which is why this is spelled out.)
    """
    for name, value in answers.items():
        if name in ("complaint", "praise"):
            if value is True:
                return True
        elif value is not None:
            return True
    return False


class _Bad(ValueError):
    """A field that cannot be read; carries the rule key."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(detail or RULES[rule])
        self.rule = rule


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_datetime(value: Any) -> dt.datetime | None:
    """A timestamp as the platform's order import reads it (:func:`fieldcrew.io.parse_order_time`:
    a datetime or date, ISO ``2026-03-02T08:00[:00]`` or ``2026-03-02 08:00``, Excel's
    ``2026/3/2 8:00``; an offset converted to local time); blank → None."""
    if _blank(value):
        return None
    try:
        return parse_order_time(value)
    except ValueError as exc:
        raise _Bad("bad_value", str(exc)) from exc


def parse_bool(value: Any) -> bool | None:
    """A yes/no answer in the words every instrument reads (:mod:`vocabulary.booleans`); blank → None."""
    if _blank(value):
        return None
    try:
        return parse_bool_cell(value)
    except ValueError as exc:
        raise _Bad("bad_value", f"not a yes/no answer: {BOOLEAN_RULE}") from exc


def parse_int(value: Any) -> int | None:
    """A whole number from an int, an integral float/Decimal or a string; blank → None."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise _Bad("bad_value", "not a whole number")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _Bad("bad_value", "not a whole number") from exc
    if number != number.to_integral_value():
        raise _Bad("bad_value", "not a whole number")
    return int(number)


def _enum(cls: Any, value: Any, default: Any = None) -> Any:
    if _blank(value):
        if default is None:
            raise _Bad("required")
        return default
    try:
        return cls(str(value).strip().lower())
    except ValueError as exc:
        allowed = ", ".join(m.value for m in cls)
        raise _Bad("unknown_enum", f"not one of: {allowed}") from exc


class _RecordChecker:
    """Checks one raw record, collecting problems and exclusions; builds the order when it can."""

    def __init__(self, record: Mapping[str, Any], row: int | None, file: str | None) -> None:
        self.record = record
        self.row = row
        self.file = file
        self.problems: list[Problem] = []
        self.exclusions: list[Exclusion] = []
        self.order_id = str(record.get("id") or "").strip() or f"row-{row}"
        self.technician_id: str | None = None
        self.at: dt.datetime | None = None
        self.fatal = False
        #: the older KPI layout: events from the event-time columns (no history cell, no events list)
        self.flat = "events" not in record and "history" not in record
        #: the field a problem of the order's events names (a flat record's: a time column's, or this)
        self.events_field = "history" if "history" in record and "events" not in record else "events"

    def problem(self, field: str, rule: str, value: Any, detail: str = "") -> None:
        text = f"{rule}: order {self.order_id}: {detail or RULES[rule]}"
        self.problems.append(Problem(field=field, rule=text, value=value, row=self.row, file=self.file))

    def exclude(self, rule: str, kpis: Iterable[str] = ()) -> None:
        kpis = frozenset(kpis)
        if not kpis:  # left out of everything: partial exclusions of the same record are moot
            self.exclusions.clear()
        self.exclusions.append(
            Exclusion(record=self.order_id, rule=rule, kpis=frozenset(kpis),
                      technician_id=self.technician_id, at=self.at)
        )

    def read(self, field: str, parser: Any, *args: Any) -> Any:
        """``parser(value)``, or ``_enum(cls, value, default)`` when ``parser`` is ``_enum``."""
        value = self.record.get(field)
        try:
            return parser(args[0], value, *args[1:]) if parser is _enum else parser(value)
        except _Bad as bad:
            self.problem(field, bad.rule, value, str(bad))
            self.fatal = True
            return None

    def history(self, created: dt.datetime) -> tuple[list[StatusEvent], OrderStatus]:
        events: list[StatusEvent] = []
        raw_events = self.record.get("events")
        cell = self.record.get("history")
        if raw_events:
            for i, ev in enumerate(raw_events):
                try:
                    status = _enum(OrderStatus, ev.get("status"))
                    at = parse_datetime(ev.get("at"))
                except _Bad as bad:
                    self.problem(f"events[{i}]", bad.rule, dict(ev), str(bad))
                    self.fatal = True
                    continue
                if at is None:
                    self.problem(f"events[{i}].at", "required", None)
                    self.fatal = True
                    continue
                events.append(StatusEvent(status=status, at=at, technician_id=ev.get("technician_id")))
        elif not _blank(cell):
            try:
                events = list(parse_history(cell))
            except ValueError as exc:
                self.problem("history", "bad_value", cell, str(exc))
                self.fatal = True
        elif not self.flat:
            pass  # a history given as a cell or a list, empty: a created order
        else:
            for column, status in EVENT_COLUMNS:
                at = self.read(column, parse_datetime)
                if at is not None:
                    events.append(StatusEvent(status=status, at=at, technician_id=self.technician_id))
            events.sort(key=lambda e: e.at)
        previous, last_at = OrderStatus.CREATED, created
        for ev in events:
            if ev.at < last_at:
                field = self.events_field if not self.flat \
                    else next((c for c, s in EVENT_COLUMNS if s == ev.status), "events")
                what = "created" if last_at == created else f"the {previous} event at {last_at}"
                self.problem(field, "impossible_timestamps", ev.at.isoformat(sep=" "),
                             f"{ev.status} at {ev.at} is before {what}")
                self.fatal = True
                break
            try:
                check_transition(self.order_id, previous, ev.status)
            except ValueError as exc:
                self.problem(self.events_field, "impossible_timestamps", ev.status.value, str(exc))
                self.fatal = True
                break
            previous, last_at = ev.status, ev.at
        return events, previous

    def survey(self) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        value = self.record.get("satisfaction")
        try:
            score = parse_int(value)
        except _Bad:
            score = -1
        if score is not None and not 1 <= score <= 5:
            self.problem("satisfaction", "survey_out_of_scale", value, "satisfaction must be 1–5")
            self.exclude("survey_out_of_scale", ["overall_satisfaction"])
            score = None
        answers["satisfaction"] = score
        for field, kpi in SURVEY_FIELDS.items():
            if field == "satisfaction":
                continue
            value = self.record.get(field)
            try:
                answers[field] = parse_bool(value)
            except _Bad:
                self.problem(field, "survey_out_of_scale", value, f"{field} must be yes/no")
                self.exclude("survey_out_of_scale", [kpi])
                answers[field] = None
        value = self.record.get("repeat_fault_within_days")
        try:
            days = parse_int(value)
        except _Bad:
            days = -1
        if days is not None and days < 0:
            self.problem("repeat_fault_within_days", "bad_repeat_fault", value)
            self.exclude("bad_repeat_fault", ["repeat_report_rate"])
            days = None
        answers["repeat_fault_within_days"] = days
        for flag in ("complaint", "praise"):
            value = self.record.get(flag)
            try:
                answers[flag] = bool(parse_bool(value))
            except _Bad:
                self.problem(flag, "bad_value", value, f"{flag} must be yes/no")
                self.fatal = True
        return answers

    def facts(self, created: dt.datetime) -> dict[str, Any]:
        """The optional KPI facts: customer line, the order repeated, first contact (see KpiOrder)."""
        flag = self.record.get("contacts_recorded")
        try:
            recorded = parse_bool(flag)
        except _Bad as bad:
            self.problem("contacts_recorded", bad.rule, flag, str(bad))
            self.exclude(bad.rule, ["technician_response"])
            recorded = False
        facts: dict[str, Any] = {
            "contacts_recorded": "first_contact_at" in self.record if recorded is None else recorded
        }
        for field in ("customer_line_id", "repeat_of"):
            value = self.record.get(field)
            if not _blank(value):
                text = str(value).strip()
                if len(text) > 64:
                    self.problem(field, "bad_value", value, f"{field} must be at most 64 characters")
                    self.exclude("bad_value", ["repeat_report_rate"])
                    continue
                facts[field] = text
        value = self.record.get("first_contact_at")
        try:
            contact = parse_datetime(value)
        except _Bad as bad:
            self.problem("first_contact_at", bad.rule, value, str(bad))
            self.exclude(bad.rule, ["technician_response"])
            return facts
        if contact is not None and contact < created:
            self.problem("first_contact_at", "impossible_timestamps", contact.isoformat(sep=" "),
                         f"first contact at {contact} is before created")
            self.exclude("impossible_timestamps", ["technician_response"])
            return facts
        if contact is not None and recorded is False:
            self.problem("contacts_recorded", "bad_value", flag,
                         "contacts_recorded must not be false beside a first_contact_at")
            self.exclude("bad_value", ["technician_response"])
            return facts
        facts["first_contact_at"] = contact
        return facts

    def build(
        self, known_technicians: Collection[str] | None, deadlines: ServiceDeadlines
    ) -> WorkOrder | None:
        rec = self.record
        if _blank(rec.get("id")):
            self.problem("id", "required", rec.get("id"))
            self.fatal = True
        tech = rec.get("technician_id")
        self.technician_id = None if _blank(tech) else str(tech).strip()
        created = self.read("created", parse_datetime)
        if created is None and not self.fatal:
            self.problem("created", "required", None)
            self.fatal = True
        order_type = self.read("order_type", _enum, OrderType)
        grade = self.read("customer_grade", _enum, CustomerGrade, CustomerGrade.ORDINARY)
        line = self.read("line_type", _enum, LineType, LineType.BROADBAND)
        difficulty = self.read("difficulty", parse_int) or 1
        deadline = self.read("deadline", parse_datetime)
        app_start = self.read("appointment_start", parse_datetime)
        app_end = self.read("appointment_end", parse_datetime)
        if created is None or order_type is None:
            self.exclude("bad_value")
            return None
        self.at = created
        events, last = self.history(created)
        done = next((e.at for e in events if e.status == OrderStatus.COMPLETED), None)
        self.at = done or created
        if deadline is None and grade is not None:
            deadline = deadlines.deadline(order_type, grade, created)
        if deadline is not None and deadline <= created:
            self.problem("deadline", "deadline_before_created", deadline.isoformat(sep=" "))
            self.fatal = True
        answers = self.survey()
        facts = self.facts(created)
        if self.technician_id is not None and known_technicians is not None \
                and self.technician_id not in known_technicians:
            self.problem("technician_id", "unknown_technician", self.technician_id)
            self.exclude("unknown_technician")
            return None
        if self.fatal:
            rule = next((p.rule.split(":", 1)[0] for p in self.problems), "bad_value")
            self.exclude(rule)
            return None
        status_raw = rec.get("status")
        try:
            status = last if _blank(status_raw) else _enum(OrderStatus, status_raw)
            if status == OrderStatus.SUSPENDED and last == OrderStatus.STARTED and self.flat:
                status = last  # flat files have no suspension column; open either way for every KPI
            if events and status != last:
                raise _Bad("invalid_order", f"status {status} disagrees with the event times (last: {last})")
            if status == OrderStatus.COMPLETED and done is None:
                raise _Bad("required", "a completed order needs its completion time (a completed event in "
                                       "the history, or completed_at)")
            location = Location(lat=float(rec.get("lat") or 0.0), lon=float(rec.get("lon") or 0.0))
            left_out = frozenset(k for ex in self.exclusions for k in ex.kpis)
            return KpiOrder(
                id=self.order_id,
                order_type=order_type,
                difficulty=difficulty,
                area_id=str(rec.get("area_id") or "unknown"),
                location=location,
                customer_grade=grade,
                line_type=line,
                created=created,
                appointment=TimeWindow(start=app_start, end=app_end) if app_start and app_end else None,
                deadline=deadline,
                status=status,
                technician_id=self.technician_id,
                history=tuple(events),
                outcome=Outcome(**answers) if has_outcome(answers) else None,
                left_out_of=left_out,
                **facts,
            )
        except _Bad as bad:
            self.problem("status", bad.rule, status_raw, str(bad))
            self.exclude(bad.rule)
            return None
        except (ValidationError, ValueError) as exc:
            self.problem("record", "invalid_order", None, str(exc).replace("\n", " ")[:300])
            self.exclude("invalid_order")
            return None


def validate_records(
    records: Iterable[Mapping[str, Any]],
    known_technicians: Collection[str] | None = None,
    *,
    file: str | None = None,
    first_row: int = 2,
    deadlines: ServiceDeadlines | None = None,
    rows: Sequence[int] | None = None,
) -> ValidatedOrders:
    """Turn raw order records into orders, reporting every bad record with its row and rule.

    Parameters
    ----------
    records:
        Mappings with the columns of ``quality.io.ORDER_COLUMNS`` (strings, numbers, datetimes,
        booleans). Events come from the ``*_at`` columns or from an ``events`` list of
        ``{"status", "at", "technician_id"}``.
    known_technicians:
        Technician ids of the staff list; None: not checked.
    file, first_row:
        For the messages: the file name and the row number of the first record (2 = below a header).
    deadlines:
        Service deadlines used when a record has no ``deadline``.
    rows:
        The row number of each record, when they do not follow each other from ``first_row`` on
        (a file's blank rows are skipped; the rows after them keep their numbers).
    """
    deadlines = deadlines or ServiceDeadlines()
    known = set(known_technicians) if known_technicians is not None else None
    orders: list[WorkOrder] = []
    problems: list[Problem] = []
    exclusions: list[Exclusion] = []
    seen: set[str] = set()
    count = 0
    for i, record in enumerate(records):
        count += 1
        checker = _RecordChecker(record, rows[i] if rows is not None else first_row + i, file)
        order = checker.build(known, deadlines)
        if order is not None and order.id in seen:
            checker.problem("id", "duplicate_id", order.id)
            checker.exclude("duplicate_id")
            order = None
        problems.extend(checker.problems)
        exclusions.extend(checker.exclusions)
        if order is not None:
            seen.add(order.id)
            orders.append(order)
    return ValidatedOrders(
        orders=tuple(orders), problems=tuple(problems), exclusions=tuple(exclusions), records_read=count
    )


def check_orders(
    orders: Iterable[WorkOrder], known_technicians: Collection[str] | None = None
) -> ValidatedOrders:
    """Check already built orders: unknown technicians and duplicate ids (the model checks the rest)."""
    known = set(known_technicians) if known_technicians is not None else None
    kept: list[WorkOrder] = []
    problems: list[Problem] = []
    exclusions: list[Exclusion] = []
    seen: set[str] = set()
    count = 0
    for i, order in enumerate(orders):
        count += 1
        at = next((e.at for e in order.history if e.status == OrderStatus.COMPLETED), order.created)
        rule = None
        if order.id in seen:
            rule, field, value = "duplicate_id", "id", order.id
        elif known is not None and order.technician_id is not None and order.technician_id not in known:
            rule, field, value = "unknown_technician", "technician_id", order.technician_id
        if rule is None:
            seen.add(order.id)
            kept.append(order)
            continue
        text = f"{rule}: order {order.id}: {RULES[rule]}"
        problems.append(Problem(field=field, rule=text, value=value, row=i))
        exclusions.append(Exclusion(record=order.id, rule=rule, technician_id=order.technician_id, at=at))
    return ValidatedOrders(
        orders=tuple(kept), problems=tuple(problems), exclusions=tuple(exclusions), records_read=count
    )


def merge(first: ValidatedOrders, second: ValidatedOrders) -> ValidatedOrders:
    """Two validated sets as one (e.g. a file and the database)."""
    return ValidatedOrders(
        orders=first.orders + second.orders,
        problems=first.problems + second.problems,
        exclusions=first.exclusions + second.exclusions,
        records_read=first.records_read + second.records_read,
    )


__all__ = [
    "RULES",
    "SURVEY_FIELDS",
    "ValidatedOrders",
    "check_orders",
    "merge",
    "parse_bool",
    "parse_datetime",
    "parse_int",
    "validate_records",
]
