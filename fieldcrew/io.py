"""Import and export of branch data as CSV or Excel: technicians, areas, orders, observations.

The export of a database (e.g. the demo city: ``fieldcrew demo`` then ``fieldcrew export orders
--format xlsx --out orders.xlsx``) is the template users fill with their own data, and an export
imports back unchanged (round trip). An import checks **every** cell and reference first and
reports all problems together in one :class:`~vocabulary.errors.InputErrors` (file, row, column,
value, rule); it writes only when there is none, inside the caller's transaction, so a bad file
leaves the database as it was. Rows are upserted by id (new ids inserted, known ids updated).

Files are read by :mod:`fieldcrew.tabular`, the reader every instrument shares: rows are numbered
as a spreadsheet shows them (the header is row 1, the first data row is row 2; blank rows are
skipped), CSV files are UTF-8 (with or without BOM) or GB18030 (Excel on Chinese Windows), Excel
files are read from their first sheet; exports are UTF-8 with BOM so Excel opens them correctly,
and are written by the same module: text that a spreadsheet would run as a formula (``=…``,
``+…``, ``-…``, ``@…``) is written with a leading apostrophe and reads back as it was, so such a
value is data on import and is never run on export.
Lists (skills) are separated by ``;``. Booleans: the words of :mod:`vocabulary.booleans`
(``true``/``false``, ``1/0``, ``yes/no``, ``是/否`` …). Times are local (Asia/Shanghai),
``YYYY-MM-DDTHH:MM[:SS]`` or ``YYYY-MM-DD HH:MM`` (also ``YYYY/M/D H:MM`` as Excel re-saves them);
a time with a UTC offset is converted to local.

Columns
-------
**areas** — one row per small area, with its region group, district and branch (repeated on every
row of the group; repeated values must agree):

=======================  ========  =====================================================================
column                   required  meaning / rule
=======================  ========  =====================================================================
branch_id                yes       branch identifier (letters, digits, ``_.-``)
branch_name              yes       branch name
province                 no        province the branch reports to
bbox_south, bbox_west,   no        branch bounding box in degrees (all four or none); every centroid
bbox_north, bbox_east              and order location must lie inside it
district_id              yes       district identifier
district_name            yes       district name
region_group_id          yes       region group (4–6 technicians sharing work and rest)
region_group_name        yes       region group name
operating_model          no        roster/dispatch preset of the group (default ``urban_dense``)
area_id                  yes       small-area identifier (unique)
area_name                yes       small-area name
area_type                yes       ``urban`` / ``suburban`` / ``rural``
lat, lon                 yes       centroid, WGS-84 degrees
=======================  ========  =====================================================================

**technicians**:

===============  ========  ==========================================================================
column           required  meaning / rule
===============  ========  ==========================================================================
id               yes       technician identifier (unique)
name             yes       full name (personal data)
branch_id        yes       a known branch
region_group_id  no        a known region group; required unless ``support_team`` is true
home_area_id     no        a known small area of that region group (the technician's own area)
skills           no        ``;``-separated: broadband, fixed_line, fibre_splicing, iptv, enterprise
post_grade       yes       post grade, key of the post wage (e.g. ``T1``..``T4``)
employment       no        ``own_staff`` (default) or ``partner`` (outsourcing partner)
support_team     no        true for the support team (no region group); default false
start_date       yes       first day of employment, ``YYYY-MM-DD``
end_date         no        last day of employment; not before ``start_date``
phone            no        mainland mobile ``1[3-9]`` + 9 digits (``+86`` allowed) or a landline
                           ``0AA(A)-NNNNNNN(N)[-ext]``; personal data: never logged, masked in
                           exports for roles other than HR and admin
email            no        an e-mail address ``name@domain.tld`` (at most 200 characters);
                           personal data like ``phone``
===============  ========  ==========================================================================

**orders** (status history in one cell: ``status time [technician]`` entries separated by ``;``,
e.g. ``dispatched 2026-06-01T08:12:00 T0001; started 2026-06-01T09:00:00 T0001``). This is the one
order format: every reader of order files (the service-quality KPIs among them) reads exactly these
files, through :func:`parse_history`, :func:`parse_order_time` and :func:`order_export_record`, so
an export of the platform is what they compute from:

========================  ========  ================================================================
column                    required  meaning / rule
========================  ========  ================================================================
id                        yes       order identifier (unique)
order_type                yes       ``install`` / ``move`` / ``repair``
difficulty                no        1 (routine, default) … 3 (hard)
area_id                   yes       a known small area
lat, lon                  no        customer location (default: the area centroid); inside the branch box
customer_grade            no        ``vip`` / ``gold`` / ``ordinary`` (default)
line_type                 no        ``broadband`` (default) / ``fixed_line``
created                   yes       creation time
appointment_start/_end    no        appointment window (both or none; end after start)
deadline                  no        service deadline (default: by order type and grade); after ``created``
required_skills           no        ``;``-separated skills
status                    no        created (default), dispatched, started, suspended, completed, cancelled
technician_id             no        a known technician
history                   no        status events in order; the last one must equal ``status``
satisfaction              no        callback score 1–5
contact_timely            no        callback: contacted in time (boolean)
appointment_kept          no        callback: appointment kept (boolean)
skill_satisfied           no        callback: satisfied with the technical skill (boolean)
attitude_satisfied        no        callback: satisfied with the attitude (boolean)
repeat_fault_within_days  no        days until the same fault was reported again (>= 0)
complaint, praise         no        boolean (default false)
fixed                     no        the technician's report on completion: fault fixed (boolean)
repeat_of                 no        id of the earlier order this one repeats (not the order's own)
first_contact_at          no        when the technician first contacted the customer; not before
                                    ``created``
contacts_recorded         no        boolean: the source records first contacts, so a blank
                                    ``first_contact_at`` means "no contact yet", not "unknown"
                                    (default: true in a file with a ``first_contact_at`` column,
                                    else false; false with a ``first_contact_at`` is an error)
========================  ========  ================================================================

**observations** (work study, one timed job per row):

=============  ========  ==========================================================================
column         required  meaning / rule
=============  ========  ==========================================================================
id             yes       observation identifier (unique)
date           yes       day of the observation
branch_id      yes       a known branch
observer       yes       who timed the job
technician_id  yes       a known technician
order_type     yes       ``install`` / ``move`` / ``repair``
difficulty     yes       1 … 3
area_type      yes       ``urban`` / ``suburban`` / ``rural``
travel_min     yes       minutes travelling (>= 0)
onsite_min     yes       minutes on site (> 0)
paperwork_min  yes       minutes of paperwork (>= 0)
waiting_min    yes       minutes waiting (>= 0)
rating_pct     yes       performance rating in percent (100 = normal pace; 0 < r <= 200)
notes          no        free text
=============  ========  ==========================================================================
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from fieldcrew import records
from fieldcrew import tables as t
from fieldcrew.db import Base
from fieldcrew.privacy import mask_email, mask_phone
from fieldcrew.tabular import FORMATS as FORMATS
from fieldcrew.tabular import Format, RawTable, csv_text, read_table
from fieldcrew.tabular import write_table as write_table
from vocabulary.booleans import BOOLEAN_RULE, parse_bool
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import (
    TRANSITIONS,
    CustomerGrade,
    LineType,
    OrderStatus,
    OrderType,
    Outcome,
    ServiceDeadlines,
    StatusEvent,
    TimeWindow,
    WorkOrder,
)
from vocabulary.organisation import AreaType, Branch, District, Location, RegionGroup, SmallArea
from vocabulary.staff import ContactData, Employment, Skill, Technician
from vocabulary.workstudy import Observation

Kind = Literal["technicians", "areas", "orders", "observations"]
KINDS: tuple[Kind, ...] = ("technicians", "areas", "orders", "observations")
_CHUNK = 2000
M = TypeVar("M", bound=BaseModel)


class _CellError(ValueError):
    """A cell that cannot be read; its message is the rule broken."""


# ---------------------------------------------------------------------------------------------
# cell parsers (value from CSV text or an Excel cell → Python value, or _CellError naming the rule)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _identifier(value: Any) -> str:
    text = _text(value)
    if len(text) > 64 or not all(c.isascii() and (c.isalnum() or c in "_.-") for c in text):
        raise _CellError("must be an identifier: 1–64 letters, digits, '_', '.' or '-'")
    return text


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise _CellError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _CellError("must be a whole number")
    try:
        return int(_text(value))
    except ValueError as exc:
        raise _CellError("must be a whole number") from exc


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise _CellError("must be a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(_text(value).replace(",", "."))
        except ValueError as exc:
            raise _CellError("must be a number") from exc
    if not math.isfinite(number):
        raise _CellError("must be a finite number")
    return number


def _bool(value: Any) -> bool:
    try:
        return parse_bool(value)
    except ValueError:
        raise _CellError(BOOLEAN_RULE) from None


#: What Excel makes of ISO dates when it re-saves a CSV (e.g. ``2026/6/1 8:05``), besides ISO itself.
_LOOSE_DATETIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


def _loose(text: str) -> dt.datetime | None:
    match = _LOOSE_DATETIME.match(text)
    if match is None:
        return None
    y, mo, d, h, mi, s = (int(g) if g is not None else 0 for g in match.groups())
    try:
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        at = _to_second(value)
        if at.time() != dt.time():
            raise _CellError("must be a date YYYY-MM-DD without a time")
        return at.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        loose = _loose(text)
        if loose is None or loose.time() != dt.time():
            raise _CellError("must be a date YYYY-MM-DD") from None
        return loose.date()


def _to_second(value: dt.datetime) -> dt.datetime:
    """Round to the second: Excel stores times as fractions of a day, so 08:00 may read as 07:59:59.9997."""
    if value.tzinfo is not None:
        value = _naive(value)
    return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return _to_second(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = _text(value)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        loose = _loose(text)
        if loose is None:
            raise _CellError("must be a date and time YYYY-MM-DDTHH:MM[:SS]") from None
        return loose
    return _naive(parsed) if parsed.tzinfo is not None else parsed


def _naive(value: dt.datetime) -> dt.datetime:
    # times are stored as local Asia/Shanghai (UTC+8) time without zone
    return (value.astimezone(dt.timezone(dt.timedelta(hours=8)))).replace(tzinfo=None)


def _enum(enum: type[StrEnum]) -> Callable[[Any], Any]:
    allowed = [e.value for e in enum]

    def parse(value: Any) -> Any:
        text = _text(value).lower()
        try:
            return enum(text)
        except ValueError as exc:
            raise _CellError(f"must be one of {', '.join(allowed)}") from exc

    parse.__name__ = f"enum_{enum.__name__}"
    return parse


def _skills(value: Any) -> frozenset[Skill]:
    items = [p.strip().lower() for p in _text(value).replace(",", ";").split(";") if p.strip()]
    bad = [p for p in items if p not in {s.value for s in Skill}]
    if bad:
        known = ", ".join(s.value for s in Skill)
        raise _CellError(f"must be known skills ({known}); unknown: {', '.join(bad)}")
    return frozenset(Skill(p) for p in items)


#: Mainland mobile (``1[3-9]`` + 9 digits, optionally ``+86``) or landline (area code, number, extension).
_PHONE = re.compile(r"^(?:(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _phone(value: Any) -> str:
    text = _text(value)
    if not _PHONE.match(text.replace(" ", "")):
        raise _CellError("must be a phone number: a mainland mobile 1[3-9]NNNNNNNNN (+86 allowed) or a "
                         "landline 0AA(A)-NNNNNNN(N)[-extension]")
    return text


def _email(value: Any) -> str:
    text = _text(value)
    if len(text) > 200 or not _EMAIL.match(text) or ".." in text:
        raise _CellError("must be an e-mail address name@domain.tld of at most 200 characters")
    return text


def parse_order_time(value: Any) -> dt.datetime:
    """A time cell of an order file, read as the import reads it: ISO ``YYYY-MM-DDTHH:MM[:SS]`` or
    ``YYYY-MM-DD HH:MM``, Excel's ``YYYY/M/D H:MM``, an Excel date-time rounded to the second; a
    time with a UTC offset converted to local time (Asia/Shanghai).

    Raises
    ------
    ValueError
        Naming the rule the cell breaks.
    """
    return _datetime(value)


def parse_history(value: Any) -> tuple[StatusEvent, ...]:
    """The ``history`` cell of an order file: ``status time [technician]`` entries separated by
    ``;`` (only the form of each entry is checked here, not the life cycle).

    Raises
    ------
    ValueError
        Naming the entry and the rule it breaks.
    """
    return _history(value)


def _history(value: Any) -> tuple[StatusEvent, ...]:
    events = []
    for n, part in enumerate((p.strip() for p in _text(value).split(";")), start=1):
        if not part:
            continue
        bits = part.split()
        if len(bits) not in (2, 3):
            raise _CellError(
                f"event {n} {part!r}: must be 'status time [technician]' entries separated by ';'"
            )
        try:
            status = OrderStatus(bits[0].lower())
        except ValueError as exc:
            statuses = ", ".join(s.value for s in OrderStatus)
            raise _CellError(f"event {n}: status must be one of {statuses}") from exc
        try:
            at = _datetime(bits[1])
        except _CellError as exc:
            raise _CellError(f"event {n}: {exc}") from exc
        tech = bits[2] if len(bits) == 3 else None
        events.append(StatusEvent(status=status, at=at, technician_id=tech))
    return tuple(events)


# ---------------------------------------------------------------------------------------------
# cell formatters (Python value → CSV text / Excel cell)


def _fmt_datetime(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds")


def _fmt_history(events: Sequence[StatusEvent]) -> str:
    return "; ".join(
        " ".join(x for x in (e.status.value, _fmt_datetime(e.at), e.technician_id) if x) for e in events
    )


def _csv_cell(value: Any) -> str:
    return csv_text(value)


# ---------------------------------------------------------------------------------------------
# schemas


@dataclass(frozen=True)
class Column:
    """One column of an import/export file."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = False
    doc: str = ""


def _c(name: str, parse: Callable[[Any], Any], required: bool = False, doc: str = "") -> Column:
    return Column(name, parse, required, doc)


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "areas": (
        _c("branch_id", _identifier, True), _c("branch_name", _text, True), _c("province", _text),
        _c("bbox_south", _float), _c("bbox_west", _float), _c("bbox_north", _float), _c("bbox_east", _float),
        _c("district_id", _identifier, True), _c("district_name", _text, True),
        _c("region_group_id", _identifier, True), _c("region_group_name", _text, True),
        _c("operating_model", _text),
        _c("area_id", _identifier, True), _c("area_name", _text, True),
        _c("area_type", _enum(AreaType), True), _c("lat", _float, True), _c("lon", _float, True),
    ),
    "technicians": (
        _c("id", _identifier, True), _c("name", _text, True), _c("branch_id", _identifier, True),
        _c("region_group_id", _identifier), _c("home_area_id", _identifier), _c("skills", _skills),
        _c("post_grade", _text, True), _c("employment", _enum(Employment)), _c("support_team", _bool),
        _c("start_date", _date, True), _c("end_date", _date), _c("phone", _phone), _c("email", _email),
    ),
    "orders": (
        _c("id", _identifier, True), _c("order_type", _enum(OrderType), True), _c("difficulty", _int),
        _c("area_id", _identifier, True), _c("lat", _float), _c("lon", _float),
        _c("customer_grade", _enum(CustomerGrade)), _c("line_type", _enum(LineType)),
        _c("created", _datetime, True), _c("appointment_start", _datetime), _c("appointment_end", _datetime),
        _c("deadline", _datetime), _c("required_skills", _skills), _c("status", _enum(OrderStatus)),
        _c("technician_id", _identifier), _c("history", _history),
        _c("satisfaction", _int), _c("contact_timely", _bool), _c("appointment_kept", _bool),
        _c("skill_satisfied", _bool), _c("attitude_satisfied", _bool), _c("repeat_fault_within_days", _int),
        _c("complaint", _bool), _c("praise", _bool),
        _c("fixed", _bool), _c("repeat_of", _identifier), _c("first_contact_at", _datetime),
        _c("contacts_recorded", _bool),
    ),
    "observations": (
        _c("id", _identifier, True), _c("date", _date, True), _c("branch_id", _identifier, True),
        _c("observer", _text, True), _c("technician_id", _identifier, True),
        _c("order_type", _enum(OrderType), True), _c("difficulty", _int, True),
        _c("area_type", _enum(AreaType), True), _c("travel_min", _float, True),
        _c("onsite_min", _float, True),
        _c("paperwork_min", _float, True), _c("waiting_min", _float, True), _c("rating_pct", _float, True),
        _c("notes", _text),
    ),
}


def columns(kind: str) -> list[str]:
    """Column names of ``kind``'s file, in order."""
    return [c.name for c in _schema(kind)]


def _schema(kind: str) -> tuple[Column, ...]:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise InputErrors([Problem(field="kind", rule=f"one of {', '.join(KINDS)}", value=kind)]) from None


# ---------------------------------------------------------------------------------------------
# reading and writing files


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# ---------------------------------------------------------------------------------------------
# export


def _area_export_rows(session: Session) -> Iterator[list[Any]]:
    branches = {b.id: b for b in records.read_branches(session)}
    districts = {d.id: d for d in records.read_districts(session)}
    groups = {g.id: g for g in records.read_region_groups(session)}
    for area in records.read_areas(session):
        group = groups[area.region_group_id]
        district = districts[group.district_id]
        branch = branches[group.branch_id]
        bbox: tuple[float | None, ...] = branch.bbox or (None, None, None, None)
        yield [branch.id, branch.name, branch.province, *bbox, district.id, district.name, group.id,
               group.name, group.operating_model, area.id, area.name, area.area_type, area.centroid.lat,
               area.centroid.lon]


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _technician_export_rows(session: Session, personal_data: bool = True) -> Iterator[list[Any]]:
    for x in records.read_technicians(session):
        phone, email = _secret(x.contact.phone), _secret(x.contact.email)
        if not personal_data:
            phone, email = phone and mask_phone(phone), email and mask_email(email)
        yield [x.id, x.name, x.branch_id, x.region_group_id, x.home_area_id,
               ";".join(sorted(s.value for s in x.skills)), x.post_grade, x.employment, x.support_team,
               x.start_date, x.end_date, phone, email]


def order_export_record(order: WorkOrder, facts: records.OrderFacts | None = None) -> dict[str, Any]:
    """An order as a row of the order file, by column (the columns of ``columns("orders")``): what
    :func:`export` writes and :func:`import_file` reads back, and what every other reader of
    order files (the quality KPIs) reads.
    """
    o, out, facts = order, order.outcome or Outcome(), facts or records.OrderFacts()
    return {
        "id": o.id, "order_type": o.order_type, "difficulty": o.difficulty, "area_id": o.area_id,
        "lat": o.location.lat, "lon": o.location.lon, "customer_grade": o.customer_grade,
        "line_type": o.line_type, "created": o.created,
        "appointment_start": o.appointment.start if o.appointment else None,
        "appointment_end": o.appointment.end if o.appointment else None, "deadline": o.deadline,
        "required_skills": ";".join(sorted(s.value for s in o.required_skills)), "status": o.status,
        "technician_id": o.technician_id, "history": _fmt_history(o.history),
        "satisfaction": out.satisfaction, "contact_timely": out.contact_timely,
        "appointment_kept": out.appointment_kept, "skill_satisfied": out.skill_satisfied,
        "attitude_satisfied": out.attitude_satisfied,
        "repeat_fault_within_days": out.repeat_fault_within_days,
        "complaint": out.complaint, "praise": out.praise, "fixed": facts.fixed, "repeat_of": facts.repeat_of,
        "first_contact_at": facts.first_contact_at, "contacts_recorded": facts.contacts_recorded,
    }


def _order_export_rows(session: Session) -> Iterator[list[Any]]:
    header = columns("orders")
    for order, facts in records.read_orders_with_facts(session):
        record = order_export_record(order, facts)
        yield [record[name] for name in header]


def _observation_export_rows(session: Session) -> Iterator[list[Any]]:
    for x in records.read_observations(session):
        yield [x.id, x.date, x.branch_id, x.observer, x.technician_id, x.order_type, x.difficulty,
               x.area_type,
               x.travel_min, x.onsite_min, x.paperwork_min, x.waiting_min, x.rating_pct, x.notes]


_EXPORTERS: dict[str, Callable[[Session], Iterator[list[Any]]]] = {
    "areas": _area_export_rows,
    "technicians": _technician_export_rows,
    "orders": _order_export_rows,
    "observations": _observation_export_rows,
}


def export(session: Session, kind: str, fmt: Format, out: BinaryIO, *, personal_data: bool = True) -> int:
    """Write every stored row of ``kind`` to ``out`` as CSV or Excel; returns the number of rows.

    The file has exactly the columns :func:`import_file` reads (see the module docstring), so it
    serves as the template for a branch's own data. Without ``personal_data`` technicians' phone
    numbers and e-mail addresses are masked (``138****1234``; for readers other than HR and admin,
    :mod:`fieldcrew.privacy`). Text cells are guarded against formula injection
    (:func:`fieldcrew.tabular.safe_cell`).
    """
    header = columns(kind)
    if kind == "technicians":
        rows = list(_technician_export_rows(session, personal_data))
    else:
        rows = list(_EXPORTERS[kind](session))
    write_table(header, rows, fmt, out, sheet=kind)
    return len(rows)


def export_bytes(session: Session, kind: str, fmt: Format, *, personal_data: bool = True) -> bytes:
    """:func:`export` into memory (for the API's download)."""
    buffer = io.BytesIO()
    export(session, kind, fmt, buffer, personal_data=personal_data)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# import: parse cells, check rows, check references, write


@dataclass
class _Row:
    """One data row: parsed values (``None`` for empty or unreadable cells), raw cells, bad columns."""

    number: int
    values: dict[str, Any]
    raw: dict[str, Any]
    bad: set[str] = field(default_factory=set)


#: Problems of one file kept in memory; beyond them a file's problems are only counted (an
#: all-bad file of a million rows must not hold millions of reports).
MAX_KEPT_PROBLEMS = 10_000


@dataclass
class _Checker:
    """Collects the problems of one file (the first :data:`MAX_KEPT_PROBLEMS`, and how many)."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, row: int | None, column: str, value: Any, rule: str) -> None:
        """A problem anywhere (header, file)."""
        self.total += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(Problem(field=column, rule=rule, value=_plain(value), row=row,
                                         file=self.file))

    def cell(self, row: _Row, column: str, rule: str, value: Any = ...) -> None:
        """A bad cell of ``row`` (reported with the cell as the file holds it)."""
        row.bad.add(column)
        self.add(row.number, column, row.raw.get(column) if value is ... else value, rule)

    def raise_if_any(self, schema: Sequence[Column]) -> None:
        """Raise every problem found, in row then column order."""
        if not self.problems:
            return
        order = {c.name: i for i, c in enumerate(schema)}
        ranked = sorted(enumerate(self.problems),
                        key=lambda ip: (ip[1].row or 0, order.get(ip[1].field, len(order)), ip[0]))
        raise InputErrors([p for _, p in ranked], total=max(self.total, len(self.problems)))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _fmt_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _parse_rows(table: RawTable, schema: Sequence[Column], check: _Checker) -> list[_Row]:
    """Parse every cell of every row; unreadable cells are reported and read as ``None``.

    An Excel cell is parsed from its typed value (a date cell is a date, not text), a CSV cell
    from its text.
    """
    for problem in table.header_problems(required=[c.name for c in schema if c.required],
                                         known=[c.name for c in schema]):
        check.add(problem.row, problem.field, problem.value, problem.rule)
    check.raise_if_any(schema)  # without the right header no cell can be read
    parsed = []
    for raw_row in table.rows:
        row = _Row(raw_row.number, {}, table.record(raw_row, typed=True))
        extra = table.beyond_header(raw_row)
        if extra:
            check.cell(row, "(beyond the header)", "cells outside the header's columns", extra)
        for column in schema:
            value = row.raw.get(column.name)
            row.values[column.name] = None
            if _blank(value):
                if column.required:
                    check.cell(row, column.name, "required: must not be empty")
                continue
            try:
                row.values[column.name] = column.parse(value)
            except _CellError as exc:
                check.cell(row, column.name, str(exc))
        parsed.append(row)
    return parsed


def _model(
    check: _Checker, row: _Row, model: type[M], field_to_column: dict[str, str], **fields: Any
) -> M | None:
    """Build a vocabulary object; its validation errors become problems on the right columns."""
    try:
        return model(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            # the longest known path names the column: location.lon is the lon column, not location's
            paths = (".".join(loc[:n]) for n in range(len(loc), 0, -1))
            column = next((field_to_column[p] for p in paths if p in field_to_column),
                          ".".join(loc) or "(row)")
            check.cell(row, column, err["msg"].removeprefix("Value error, "))
        return None


def _duplicates(check: _Checker, rows: Sequence[_Row], column: str) -> None:
    first: dict[Any, int] = {}
    for row in rows:
        key = row.values[column]
        if key is None:
            continue
        if key in first:
            check.cell(row, column, f"duplicate id: already on row {first[key]}")
        else:
            first[key] = row.number


def _in_chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def _existing_ids(session: Session, id_column: Any, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _in_chunks(list(ids)):
        found.update(session.scalars(select(id_column).where(id_column.in_(chunk))))
    return found


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    kind: str
    file: str
    inserted: int
    updated: int
    details: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON answers and the audit log."""
        return {"kind": self.kind, "file": self.file, "inserted": self.inserted, "updated": self.updated,
                **self.details}


def _upsert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert new ids, update known ones (bulk, by primary key); returns (inserted, updated)."""
    if not rows:
        return 0, 0
    id_col = model.__table__.c.id
    known = _existing_ids(session, id_col, [r["id"] for r in rows])
    new = [r for r in rows if r["id"] not in known]
    old = [r for r in rows if r["id"] in known]
    for chunk in _in_chunks(new):
        session.execute(insert(model), list(chunk))
    for chunk in _in_chunks(old):
        session.execute(update(model), list(chunk))
    return len(new), len(old)


# --- areas ------------------------------------------------------------------------------------

_BBOX = ("bbox_south", "bbox_west", "bbox_north", "bbox_east")


def _branch_bboxes(session: Session) -> dict[str, tuple[float, float, float, float] | None]:
    return {b.id: b.bbox for b in records.read_branches(session)}


def _import_areas(session: Session, table: RawTable, check: _Checker) -> ImportResult:
    schema = SCHEMAS["areas"]
    rows = _parse_rows(table, schema, check)
    _duplicates(check, rows, "area_id")
    branches: dict[str, Branch] = {}
    districts: dict[str, District] = {}
    groups: dict[str, RegionGroup] = {}
    areas: list[SmallArea] = []
    first_row: dict[tuple[str, str], int] = {}
    stored_groups = {g.id: g for g in records.read_region_groups(session)}
    stored_districts = {d.id: d for d in records.read_districts(session)}
    for row in rows:
        v = row.values
        given = [name for name in _BBOX if v[name] is not None or name in row.bad]
        if given and len(given) < 4:
            for name in _BBOX:
                if name not in given:
                    check.cell(row, name, "give all four bbox values or none")
        if row.bad:
            continue
        bbox = tuple(v[name] for name in _BBOX) if given else None
        branch = _model(
            check, row, Branch,
            {"id": "branch_id", "name": "branch_name", "province": "province", "bbox": "bbox_south"},
            id=v["branch_id"], name=v["branch_name"], province=v["province"] or "", bbox=bbox)
        district = _model(
            check, row, District, {"id": "district_id", "branch_id": "branch_id", "name": "district_name"},
            id=v["district_id"], branch_id=v["branch_id"], name=v["district_name"])
        group = _model(
            check, row, RegionGroup,
            {"id": "region_group_id", "branch_id": "branch_id", "district_id": "district_id",
             "name": "region_group_name", "operating_model": "operating_model"},
            id=v["region_group_id"], branch_id=v["branch_id"], district_id=v["district_id"],
            name=v["region_group_name"], operating_model=v["operating_model"] or "urban_dense")
        area = _model(
            check, row, SmallArea,
            {"id": "area_id", "region_group_id": "region_group_id", "name": "area_name",
             "area_type": "area_type", "centroid": "lat", "centroid.lat": "lat", "centroid.lon": "lon"},
            id=v["area_id"], region_group_id=v["region_group_id"], name=v["area_name"],
            area_type=v["area_type"], centroid={"lat": v["lat"], "lon": v["lon"]})
        if branch is None or district is None or group is None or area is None:
            continue
        for kind, obj, store, cols in (
            ("branch", branch, branches,
             {"name": "branch_name", "province": "province", "bbox": "bbox_south"}),
            ("district", district, districts, {"branch_id": "branch_id", "name": "district_name"}),
            ("region group", group, groups,
             {"branch_id": "branch_id", "district_id": "district_id", "name": "region_group_name",
              "operating_model": "operating_model"}),
        ):
            have = store.get(obj.id)
            if have is None:
                store[obj.id] = obj  # type: ignore[assignment]
                first_row[(kind, obj.id)] = row.number
                continue
            # repeated rows of one branch/district/group must carry the same values
            for attr, column in cols.items():
                if getattr(obj, attr) != getattr(have, attr):
                    check.cell(row, column, f"{kind} {obj.id} has {getattr(have, attr)!r} on row "
                                            f"{first_row[(kind, obj.id)]}; repeated rows must agree")
        old_district = stored_districts.get(district.id)
        if old_district is not None and old_district.branch_id != district.branch_id:
            check.cell(row, "district_id",
                       f"district belongs to branch {old_district.branch_id} in the database")
        old_group = stored_groups.get(group.id)
        if old_group is not None and (old_group.district_id, old_group.branch_id) != (group.district_id,
                                                                                      group.branch_id):
            check.cell(row, "region_group_id", f"region group belongs to district {old_group.district_id} of "
                                               f"branch {old_group.branch_id} in the database")
        box = branches[branch.id]
        if box.bbox is not None and not box.contains(area.centroid):
            for column in ("lat", "lon"):
                check.cell(row, column, f"centroid must lie inside the branch bbox {box.bbox} (S, W, N, E)")
        areas.append(area)
    check.raise_if_any(schema)
    counts: dict[str, int] = {}
    ins = upd = 0
    for name, model, objs in (
        ("branches", t.BranchRow, [records.branch_row(b) for b in branches.values()]),
        ("districts", t.DistrictRow, [records.district_row(d) for d in districts.values()]),
        ("region_groups", t.RegionGroupRow, [records.region_group_row(g) for g in groups.values()]),
        ("small_areas", t.SmallAreaRow, [records.area_row(a) for a in areas]),
    ):
        i, u = _upsert(session, model, objs)
        counts[name] = i + u
        if name == "small_areas":
            ins, upd = i, u
    return ImportResult("areas", table.file, ins, upd, counts)


# --- technicians ------------------------------------------------------------------------------

_TECH_FIELDS = {"id": "id", "name": "name", "branch_id": "branch_id", "region_group_id": "region_group_id",
                "home_area_id": "home_area_id", "skills": "skills", "post_grade": "post_grade",
                "employment": "employment", "support_team": "support_team", "start_date": "start_date",
                "end_date": "end_date", "contact": "phone"}


def _import_technicians(session: Session, table: RawTable, check: _Checker) -> ImportResult:
    schema = SCHEMAS["technicians"]
    rows = _parse_rows(table, schema, check)
    _duplicates(check, rows, "id")
    branches = set(_branch_bboxes(session))
    groups = {g.id: g for g in records.read_region_groups(session)}
    areas = {a.id: a for a in records.read_areas(session)}
    techs: list[Technician] = []
    for row in rows:
        v = row.values
        if v["branch_id"] is not None and v["branch_id"] not in branches:
            check.cell(row, "branch_id", "unknown branch (import the areas file first)")
        group = groups.get(v["region_group_id"]) if v["region_group_id"] else None
        if v["region_group_id"] and group is None:
            check.cell(row, "region_group_id", "unknown region group")
        elif group is not None and v["branch_id"] in branches and group.branch_id != v["branch_id"]:
            check.cell(row, "region_group_id", f"region group belongs to branch {group.branch_id}, "
                                               f"not {v['branch_id']}")
        if v["home_area_id"]:
            area = areas.get(v["home_area_id"])
            if area is None:
                check.cell(row, "home_area_id", "unknown small area")
            elif group is not None and area.region_group_id != group.id:
                check.cell(row, "home_area_id", f"home area belongs to region group {area.region_group_id}, "
                                                f"not {group.id}")
        support = bool(v["support_team"])
        if not support and not v["region_group_id"] and not {"support_team", "region_group_id"} & row.bad:
            check.cell(row, "region_group_id", "required unless support_team is true")
        if v["end_date"] is not None and v["start_date"] is not None and v["end_date"] < v["start_date"]:
            check.cell(row, "end_date", f"must not be before start_date {v['start_date']}")
        if row.bad:
            continue
        tech = _model(
            check, row, Technician, _TECH_FIELDS,
            id=v["id"], name=v["name"], branch_id=v["branch_id"], region_group_id=v["region_group_id"],
            home_area_id=v["home_area_id"], skills=v["skills"] if v["skills"] is not None else frozenset(),
            post_grade=v["post_grade"], employment=v["employment"] or Employment.OWN_STAFF,
            support_team=support, start_date=v["start_date"], end_date=v["end_date"],
            contact=ContactData(phone=SecretStr(v["phone"]) if v["phone"] else None,
                                email=SecretStr(v["email"]) if v["email"] else None),
        )
        if tech is not None:
            techs.append(tech)
    check.raise_if_any(schema)
    ins, upd = _upsert(session, t.TechnicianRow, [records.technician_row(x) for x in techs])
    return ImportResult("technicians", table.file, ins, upd, {"technicians": ins + upd})


# --- orders -----------------------------------------------------------------------------------

_ORDER_FIELDS = {"id": "id", "order_type": "order_type", "difficulty": "difficulty", "area_id": "area_id",
                 "location": "lat", "location.lat": "lat", "location.lon": "lon",
                 "customer_grade": "customer_grade",
                 "line_type": "line_type", "created": "created", "appointment": "appointment_start",
                 "deadline": "deadline", "required_skills": "required_skills", "status": "status",
                 "technician_id": "technician_id", "history": "history", "outcome": "satisfaction",
                 "satisfaction": "satisfaction", "repeat_fault_within_days": "repeat_fault_within_days"}
_OUTCOME_COLUMNS = ("satisfaction", "contact_timely", "appointment_kept", "skill_satisfied",
                    "attitude_satisfied", "repeat_fault_within_days", "complaint", "praise")


def _check_facts(check: _Checker, row: _Row) -> None:
    """The completion report and the first contact: ``repeat_of`` names another order, the first
    contact is not before creation, and a file that says it records no contacts gives none."""
    v = row.values
    if v["repeat_of"] is not None and v["repeat_of"] == v["id"]:
        check.cell(row, "repeat_of", "must name another order than the order itself")
    contact, created = v["first_contact_at"], v["created"]
    if contact is not None and created is not None and contact < created:
        check.cell(row, "first_contact_at", f"must not be before created {_fmt_datetime(created)}")
    if v["contacts_recorded"] is False and contact is not None:
        check.cell(row, "contacts_recorded",
                   "must not be false when first_contact_at is given (a first contact is recorded)")
    if v["contacts_recorded"] is None:  # a file with first contacts records them (blank: none yet)
        v["contacts_recorded"] = "first_contact_at" in row.raw


def _check_history(check: _Checker, row: _Row, technicians: set[str]) -> None:
    """The status history follows the life cycle, in time order, after creation, ending in ``status``."""
    v = row.values
    history: tuple[StatusEvent, ...] = v["history"] or ()
    previous, last_at = OrderStatus.CREATED, v["created"]
    for n, event in enumerate(history, start=1):
        if event.status not in TRANSITIONS[previous]:
            check.cell(row, "history", f"event {n}: cannot go from {previous} to {event.status}")
        if last_at is not None and event.at < last_at:
            check.cell(row, "history", f"event {n} ({event.status} at {_fmt_datetime(event.at)}) is before "
                                       f"the previous event or the creation time")
        if event.technician_id is not None and event.technician_id not in technicians:
            check.cell(row, "history", f"event {n}: unknown technician {event.technician_id}")
        previous, last_at = event.status, event.at
    if "status" in row.bad:
        return
    status = v["status"] or (previous if history else OrderStatus.CREATED)
    if history and status != previous:
        check.cell(row, "status", f"must equal the status of the last history event ({previous})")
    v["status"] = status


def _import_orders(session: Session, table: RawTable, check: _Checker,
                   deadlines: ServiceDeadlines | None = None) -> ImportResult:
    deadlines = deadlines or ServiceDeadlines()
    schema = SCHEMAS["orders"]
    rows = _parse_rows(table, schema, check)
    _duplicates(check, rows, "id")
    areas = {a.id: a for a in records.read_areas(session)}
    group_branch = {g.id: g.branch_id for g in records.read_region_groups(session)}
    branches = {bid: Branch(id=bid, name=bid, bbox=box) for bid, box in _branch_bboxes(session).items()}
    technicians = set(session.scalars(select(t.TechnicianRow.id)))
    orders: list[WorkOrder] = []
    facts: dict[str, records.OrderFacts] = {}
    for row in rows:
        v = row.values
        area = areas.get(v["area_id"]) if v["area_id"] is not None else None
        if v["area_id"] is not None and area is None:
            check.cell(row, "area_id", "unknown small area (import the areas file first)")
        if v["technician_id"] is not None and v["technician_id"] not in technicians:
            check.cell(row, "technician_id", "unknown technician")
        lat, lon = v["lat"], v["lon"]
        if (lat is None) != (lon is None) and not {"lat", "lon"} & row.bad:
            check.cell(row, "lat" if lat is None else "lon", "give both lat and lon or neither")
        if area is not None and lat is None and lon is None and not {"lat", "lon"} & row.bad:
            lat, lon = area.centroid.lat, area.centroid.lon
        if area is not None and lat is not None and lon is not None:
            branch = branches.get(group_branch.get(area.region_group_id, ""))
            inside_world = -90 <= lat <= 90 and -180 <= lon <= 180
            if branch is not None and inside_world and not branch.contains(Location(lat=lat, lon=lon)):
                for column in ("lat", "lon"):
                    check.cell(row, column,
                               f"location must lie inside the branch bbox {branch.bbox} (S, W, N, E)")
        start, end = v["appointment_start"], v["appointment_end"]
        if (start is None) != (end is None) and not {"appointment_start", "appointment_end"} & row.bad:
            check.cell(row, "appointment_start" if start is None else "appointment_end",
                       "give both ends of the appointment window or neither")
        elif start is not None and end is not None and end <= start:
            check.cell(row, "appointment_end", f"must be after appointment_start {_fmt_datetime(start)}")
        grade = v["customer_grade"] or CustomerGrade.ORDINARY
        deadline = v["deadline"]
        if deadline is None and v["order_type"] is not None and v["created"] is not None:
            deadline = deadlines.deadline(v["order_type"], grade, v["created"])
        if v["deadline"] is not None and v["created"] is not None and v["deadline"] <= v["created"]:
            check.cell(row, "deadline", f"must be after created {_fmt_datetime(v['created'])}")
        if v["difficulty"] is not None and not 1 <= v["difficulty"] <= 3:
            check.cell(row, "difficulty", "must be 1, 2 or 3")
        if v["satisfaction"] is not None and not 1 <= v["satisfaction"] <= 5:
            check.cell(row, "satisfaction", "must be 1 … 5")
        if v["repeat_fault_within_days"] is not None and v["repeat_fault_within_days"] < 0:
            check.cell(row, "repeat_fault_within_days", "must be >= 0")
        _check_facts(check, row)
        _check_history(check, row, technicians)
        if row.bad:
            continue
        outcome = Outcome(**{c: v[c] for c in _OUTCOME_COLUMNS if v[c] is not None})
        order = _model(
            check, row, WorkOrder, _ORDER_FIELDS,
            id=v["id"], order_type=v["order_type"], difficulty=v["difficulty"] or 1, area_id=v["area_id"],
            location={"lat": lat, "lon": lon}, customer_grade=grade,
            line_type=v["line_type"] or LineType.BROADBAND, created=v["created"],
            appointment=TimeWindow(start=v["appointment_start"], end=v["appointment_end"])
            if v["appointment_start"] is not None else None,
            deadline=deadline, required_skills=v["required_skills"] or frozenset(), status=v["status"],
            technician_id=v["technician_id"], history=v["history"] or (),
            outcome=None if outcome == Outcome() else outcome,
        )
        if order is not None:
            orders.append(order)
            facts[order.id] = records.OrderFacts(
                fixed=v["fixed"], repeat_of=v["repeat_of"], first_contact_at=v["first_contact_at"],
                contacts_recorded=bool(v["contacts_recorded"]),
            )
    check.raise_if_any(schema)
    ins, upd = _upsert(session, t.WorkOrderRow,
                       [records.order_row(o) | records.facts_row(facts[o.id]) for o in orders])
    ids = [o.id for o in orders]
    for chunk in _in_chunks(ids):
        session.execute(delete(t.OrderEventRow).where(t.OrderEventRow.order_id.in_(chunk)))
    events = [e for o in orders for e in records.event_rows(o)]
    for chunk in _in_chunks(events):
        session.execute(insert(t.OrderEventRow), list(chunk))
    return ImportResult("orders", table.file, ins, upd,
                        {"work_orders": ins + upd, "order_events": len(events)})


# --- observations -----------------------------------------------------------------------------


def _import_observations(session: Session, table: RawTable, check: _Checker) -> ImportResult:
    schema = SCHEMAS["observations"]
    rows = _parse_rows(table, schema, check)
    _duplicates(check, rows, "id")
    branches = set(_branch_bboxes(session))
    technicians = set(session.scalars(select(t.TechnicianRow.id)))
    observations: list[Observation] = []
    names = {c.name: c.name for c in schema}
    for row in rows:
        v = row.values
        if v["branch_id"] is not None and v["branch_id"] not in branches:
            check.cell(row, "branch_id", "unknown branch")
        if v["technician_id"] is not None and v["technician_id"] not in technicians:
            check.cell(row, "technician_id", "unknown technician")
        if row.bad:
            continue
        obs = _model(check, row, Observation, names, **{**v, "notes": v["notes"] or ""})
        if obs is not None:
            observations.append(obs)
    check.raise_if_any(schema)
    ins, upd = _upsert(session, t.ObservationRow, [records.observation_row(o) for o in observations])
    return ImportResult("observations", table.file, ins, upd, {"observations": ins + upd})


_IMPORTERS: dict[str, Callable[[Session, RawTable, _Checker], ImportResult]] = {
    "areas": _import_areas,
    "technicians": _import_technicians,
    "orders": _import_orders,
    "observations": _import_observations,
}


def import_table(session: Session, kind: str, table: RawTable) -> ImportResult:
    """Check a read file and, when it has no problem, upsert its rows (caller's transaction)."""
    _schema(kind)
    check = _Checker(table.file)
    result = _IMPORTERS[kind](session, table, check)
    session.flush()
    return result


def import_file(session: Session, kind: str, data: bytes | Path, name: str | None = None,
                fmt: str | None = None) -> ImportResult:
    """Import a CSV or Excel file of ``kind`` (``technicians``, ``areas``, ``orders``, ``observations``).

    Parameters
    ----------
    session
        Session of the caller's transaction; nothing is written when a problem is found.
    kind
        What the file holds.
    data
        The file's bytes, or a path to it.
    name
        File name used in problem reports (and to detect the format); default: the path's name.
    fmt
        ``csv`` or ``xlsx``; default: from the file name's suffix.

    Returns
    -------
    ImportResult
        Rows inserted and updated.

    Raises
    ------
    vocabulary.errors.InputErrors
        Every bad cell and reference of the file (file, row, column, value, rule).
    """
    _schema(kind)  # an unknown kind is named before the file is read
    if isinstance(data, bytes):
        name = name or f"{kind}.{fmt or 'csv'}"
    return import_table(session, kind, read_table(data, name, fmt))
