"""The Curtois–Qu employee scheduling benchmark: instance data, reader, writer, mapping.

Format as described in ``shared/data/README.md`` (schedulingbenchmarks.org): sections
``SECTION_HORIZON``, ``SECTION_SHIFTS``, ``SECTION_STAFF``, ``SECTION_DAYS_OFF``,
``SECTION_SHIFT_ON_REQUESTS``, ``SECTION_SHIFT_OFF_REQUESTS``, ``SECTION_COVER``; ``#`` comments;
CRLF tolerated. The raw data class :class:`NrpInstance` is kept apart from the engine's
:class:`~scheduler.roster.domain.RosterProblem` so the validator can recompute the benchmark's
objective without trusting the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scheduler.roster.domain import Cover, Employee, Request, RosterProblem, RuleSettings, ShiftType
from vocabulary.errors import InputErrors, Problem


@dataclass(frozen=True)
class NrpShift:
    id: str
    minutes: int
    not_follow: tuple[str, ...]


@dataclass(frozen=True)
class NrpStaff:
    id: str
    max_shifts: dict[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive: int
    min_consecutive: int
    min_consecutive_off: int
    max_weekends: int


@dataclass(frozen=True)
class NrpRequest:
    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class NrpCover:
    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass
class NrpInstance:
    """One Curtois–Qu instance, exactly as the file states it."""

    name: str
    horizon: int
    shifts: list[NrpShift] = field(default_factory=list)
    staff: list[NrpStaff] = field(default_factory=list)
    days_off: dict[str, list[int]] = field(default_factory=dict)
    on_requests: list[NrpRequest] = field(default_factory=list)
    off_requests: list[NrpRequest] = field(default_factory=list)
    cover: list[NrpCover] = field(default_factory=list)


_SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


def parse_nrp(text: str, name: str = "instance", file: str | None = None) -> NrpInstance:
    """Parse the text of a Curtois–Qu instance.

    Raises
    ------
    InputErrors
        Naming the line, field and value of every malformed row.
    """
    rows: dict[str, list[tuple[int, list[str]]]] = {s: [] for s in _SECTIONS}
    section: str | None = None
    problems: list[Problem] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in rows:
                problems.append(Problem("section", "unknown section", line, row=lineno, file=file))
                section = None
            else:
                section = line
            continue
        if section is None:
            problems.append(Problem("line", "data outside a section", line, row=lineno, file=file))
            continue
        rows[section].append((lineno, [p.strip() for p in line.split(",")]))

    def num(value: str, lineno: int, fld: str) -> int:
        try:
            return int(value)
        except ValueError:
            problems.append(Problem(fld, "must be an integer", value, row=lineno, file=file))
            return 0

    horizon = 0
    if len(rows["SECTION_HORIZON"]) != 1:
        problems.append(
            Problem("SECTION_HORIZON", "exactly one line with the number of days", None, file=file)
        )
    else:
        ln, parts = rows["SECTION_HORIZON"][0]
        horizon = num(parts[0], ln, "horizon")
    inst = NrpInstance(name=name, horizon=horizon)
    for ln, p in rows["SECTION_SHIFTS"]:
        if len(p) < 2:
            problems.append(Problem("SECTION_SHIFTS", "ShiftID,LengthMins,NotFollow", ",".join(p), ln, file))
            continue
        nf = tuple(t for t in (p[2].split("|") if len(p) > 2 else []) if t)
        inst.shifts.append(NrpShift(p[0], num(p[1], ln, "LengthMins"), nf))
    for ln, p in rows["SECTION_STAFF"]:
        if len(p) != 8:
            problems.append(Problem("SECTION_STAFF", "8 fields expected", ",".join(p), ln, file))
            continue
        maxs: dict[str, int] = {}
        for item in p[1].split("|"):
            if "=" not in item:
                problems.append(Problem("MaxShifts", "ShiftID=count expected", item, ln, file))
                continue
            k, v = item.split("=", 1)
            maxs[k.strip()] = num(v.strip(), ln, "MaxShifts")
        n = [
            num(v, ln, f)
            for v, f in zip(
                p[2:],
                (
                    "MaxTotalMinutes",
                    "MinTotalMinutes",
                    "MaxConsecutiveShifts",
                    "MinConsecutiveShifts",
                    "MinConsecutiveDaysOff",
                    "MaxWeekends",
                ),
                strict=True,
            )
        ]
        inst.staff.append(NrpStaff(p[0], maxs, n[0], n[1], n[2], n[3], n[4], n[5]))
    for ln, p in rows["SECTION_DAYS_OFF"]:
        inst.days_off.setdefault(p[0], []).extend(num(v, ln, "Day") for v in p[1:] if v)
    for key, target in (
        ("SECTION_SHIFT_ON_REQUESTS", inst.on_requests),
        ("SECTION_SHIFT_OFF_REQUESTS", inst.off_requests),
    ):
        for ln, p in rows[key]:
            if len(p) != 4:
                problems.append(Problem(key, "EmployeeID,Day,ShiftID,Weight", ",".join(p), ln, file))
                continue
            target.append(NrpRequest(p[0], num(p[1], ln, "Day"), p[2], num(p[3], ln, "Weight")))
    for ln, p in rows["SECTION_COVER"]:
        if len(p) != 5:
            problems.append(
                Problem(
                    "SECTION_COVER", "Day,ShiftID,Requirement,WeightUnder,WeightOver", ",".join(p), ln, file
                )
            )
            continue
        inst.cover.append(
            NrpCover(
                num(p[0], ln, "Day"),
                p[1],
                num(p[2], ln, "Requirement"),
                num(p[3], ln, "WeightUnder"),
                num(p[4], ln, "WeightOver"),
            )
        )
    if problems:
        raise InputErrors(problems)
    return inst


def read_nrp(path: str | Path) -> NrpInstance:
    """Read a Curtois–Qu instance file (name taken from the file stem)."""
    path = Path(path)
    return parse_nrp(path.read_text(encoding="utf-8-sig"), name=path.stem, file=str(path))


def format_nrp(inst: NrpInstance) -> str:
    """Write an instance back in the benchmark's text format (round-trips with :func:`parse_nrp`)."""
    out = ["SECTION_HORIZON", str(inst.horizon), "", "SECTION_SHIFTS"]
    out += [f"{s.id},{s.minutes},{'|'.join(s.not_follow)}" for s in inst.shifts]
    out += ["", "SECTION_STAFF"]
    for e in inst.staff:
        maxs = "|".join(f"{k}={v}" for k, v in e.max_shifts.items())
        out.append(
            f"{e.id},{maxs},{e.max_total_minutes},{e.min_total_minutes},{e.max_consecutive},"
            f"{e.min_consecutive},{e.min_consecutive_off},{e.max_weekends}"
        )
    out += ["", "SECTION_DAYS_OFF"]
    out += [",".join([k, *map(str, v)]) for k, v in inst.days_off.items()]
    out += ["", "SECTION_SHIFT_ON_REQUESTS"]
    out += [f"{r.employee},{r.day},{r.shift},{r.weight}" for r in inst.on_requests]
    out += ["", "SECTION_SHIFT_OFF_REQUESTS"]
    out += [f"{r.employee},{r.day},{r.shift},{r.weight}" for r in inst.off_requests]
    out += ["", "SECTION_COVER"]
    out += [f"{c.day},{c.shift},{c.requirement},{c.weight_under},{c.weight_over}" for c in inst.cover]
    return "\n".join(out) + "\n"


BENCHMARK_RULES = RuleSettings(
    min_rest_per_7=0,
    rest_spread_min=0,
    fairness_weekend_weight=0,
    fairness_workdays_weight=0,
    min_rest_minutes=None,
)


def nrp_to_problem(inst: NrpInstance) -> RosterProblem:
    """Map a benchmark instance onto the engine's problem (its rules are a subset of ours)."""
    shifts = tuple(ShiftType(id=s.id, minutes=s.minutes, not_followed_by=s.not_follow) for s in inst.shifts)
    employees = tuple(
        Employee(
            id=e.id,
            group_id="all",
            max_shifts=dict(e.max_shifts),
            min_total_minutes=e.min_total_minutes,
            max_total_minutes=e.max_total_minutes,
            max_consecutive_work=e.max_consecutive,
            min_consecutive_work=e.min_consecutive,
            min_consecutive_off=e.min_consecutive_off,
            max_weekends=e.max_weekends,
        )
        for e in inst.staff
    )
    requests = tuple(
        [
            Request(employee=r.employee, day=r.day, shift=r.shift, on=True, weight=r.weight)
            for r in inst.on_requests
        ]
        + [
            Request(employee=r.employee, day=r.day, shift=r.shift, on=False, weight=r.weight)
            for r in inst.off_requests
        ]
    )
    covers = tuple(
        Cover(
            day=c.day,
            shift=c.shift,
            requirement=c.requirement,
            weight_under=c.weight_under,
            weight_over=c.weight_over,
        )
        for c in inst.cover
    )
    return RosterProblem(
        name=inst.name,
        horizon=inst.horizon,
        first_weekday=0,
        shifts=shifts,
        employees=employees,
        covers=covers,
        requests=requests,
        days_off={k: frozenset(v) for k, v in inst.days_off.items()},
        rules=BENCHMARK_RULES,
    )
