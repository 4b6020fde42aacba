"""The demo city: a deterministic, seeded branch built on the operator's own figures (DOMAIN.md).

One branch in Hefei (安徽合肥) with three districts, about 104 technicians in region groups of 4–6
plus a support team, and one month of work (June 2026, which holds the Dragon Boat holiday and
the start of the plum-rain season) with exactly the operator's monthly volumes: **6,766
install/move** and **16,818 repair** orders. Orders carry appointment windows (installs and
moves), deadlines by customer grade (:class:`~vocabulary.orders.ServiceDeadlines`), a status
history and callback outcomes calibrated to the operator's reported quarter figures. A work-study
data set (observations per order type × difficulty × area type) feeds the work-hour pool.

The figures the generator aims at
---------------------------------
=====================================  ==========================  =================================
figure                                 operator's value            how the demo meets it
=====================================  ==========================  =================================
technicians                            about 104                   100 in groups + 4 support team
region group size                      4–6                         every group 4, 5 or 6
install + move orders / month          6,766                       exact (largest-remainder split)
repair orders / month                  16,818                      exact
repair timeliness broadband / fixed    96.99 % / 93.89 %           drawn per line type
repeat-report rate VIP / ordinary      7.42 % / 8.15 %             drawn per grade (repairs)
contact timely / appointment kept      73.08 % / 70.16 %           drawn, shifted per technician
technical skill / attitude             72.48 % / 76.03 %           drawn, shifted per technician
install/repair complaints              707 in one month (~3 %)     drawn from lateness and mood
=====================================  ==========================  =================================

:func:`generate_city` builds the city in memory (a couple of seconds); :func:`load_demo` writes
it into the platform tables in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy import MetaData, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from fieldcrew import records, tables
from fieldcrew.db import Base
from vocabulary.calendar import DayKind, day_kind, working_days
from vocabulary.errors import Conflict
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
)
from vocabulary.organisation import AreaType, Branch, District, Location, RegionGroup, SmallArea
from vocabulary.staff import ContactData, Employment, Skill, Technician
from vocabulary.workstudy import Observation

#: The operator's monthly volumes (DOMAIN.md): install+move and repair orders in one month.
TARGET_INSTALL_MOVE = 6766
TARGET_REPAIR = 16818
#: Share of moves among install/move orders (the plan gives only the sum).
MOVE_SHARE = 0.25
#: The demo month: June 2026 (Dragon Boat holiday 19–21 June, plum-rain surge in its fourth week).
DEMO_MONTH = "2026-06"
MONTH_START = dt.date(2026, 6, 1)
MONTH_DAYS = 30
#: The rainy-season surge week (梅雨): repair volume up, installs slightly down.
SURGE_START = dt.date(2026, 6, 22)
SURGE_END = dt.date(2026, 6, 28)
SURGE_REPAIR_FACTOR = 1.6
SURGE_INSTALL_FACTOR = 0.9
#: The data set is a snapshot taken at the end of the month: later events have not happened yet.
AS_OF = dt.datetime(2026, 7, 1, 0, 0)

#: Hefei, south-west of the city centre to Feixi county: (south, west, north, east) in degrees.
HEFEI_BBOX: tuple[float, float, float, float] = (31.62, 117.05, 31.98, 117.45)

#: Customer grade shares (VIP share of orders 8 %).
GRADE_SHARES: dict[CustomerGrade, float] = {
    CustomerGrade.VIP: 0.08,
    CustomerGrade.GOLD: 0.17,
    CustomerGrade.ORDINARY: 0.75,
}
#: Weekday profile (Monday first): repairs pile up over the weekend, installs are booked on weekdays.
REPAIR_WEEKDAY = (1.18, 1.06, 1.0, 0.98, 0.97, 0.88, 0.85)
INSTALL_WEEKDAY = (1.06, 1.05, 1.04, 1.03, 1.02, 0.95, 0.78)
#: Volume factor on public holidays (the Dragon Boat break).
HOLIDAY_REPAIR_FACTOR = 0.9
HOLIDAY_INSTALL_FACTOR = 0.55

#: Repair timeliness by line type (operator's quarter figures).
REPAIR_ON_TIME: dict[LineType, float] = {LineType.BROADBAND: 0.9699, LineType.FIXED_LINE: 0.9389}
#: Repeat-report rate by customer grade (repairs).
REPEAT_RATE: dict[CustomerGrade, float] = {
    CustomerGrade.VIP: 0.0742,
    CustomerGrade.GOLD: 0.0780,
    CustomerGrade.ORDINARY: 0.0815,
}
CONTACT_TIMELY = 0.7308
APPOINTMENT_KEPT = 0.7016
SKILL_SATISFIED = 0.7248
ATTITUDE_SATISFIED = 0.7603
#: Share of completed orders reached by the callback survey.
SURVEY_SHARE = 0.7

_DISTRICTS: tuple[tuple[str, str, float, float, int, dict[AreaType, float]], ...] = (
    # id suffix, name, centre lat, centre lon, technicians in groups, area-type mix of the groups
    ("SS", "蜀山区", 31.852, 117.215, 36, {AreaType.URBAN: 0.8, AreaType.SUBURBAN: 0.2, AreaType.RURAL: 0.0}),
    ("BH", "包河区", 31.785, 117.315, 36, {AreaType.URBAN: 0.6, AreaType.SUBURBAN: 0.4, AreaType.RURAL: 0.0}),
    ("FX", "肥西县", 31.712, 117.165, 28,
     {AreaType.URBAN: 0.0, AreaType.SUBURBAN: 0.45, AreaType.RURAL: 0.55}),
)
_OPERATING_MODEL = {AreaType.URBAN: "urban_dense", AreaType.SUBURBAN: "suburban", AreaType.RURAL: "rural"}
#: Spread of a group's areas around its centre and of orders around an area's centroid (degrees).
_GROUP_SPREAD = {AreaType.URBAN: 0.008, AreaType.SUBURBAN: 0.016, AreaType.RURAL: 0.03}
_ORDER_SPREAD = {AreaType.URBAN: 0.004, AreaType.SUBURBAN: 0.008, AreaType.RURAL: 0.015}
_AREA_VOLUME = {AreaType.URBAN: 1.25, AreaType.SUBURBAN: 1.0, AreaType.RURAL: 0.65}
_DIFFICULTY_P = {
    OrderType.INSTALL: (0.55, 0.33, 0.12),
    OrderType.MOVE: (0.42, 0.40, 0.18),
    OrderType.REPAIR: (0.60, 0.30, 0.10),
}
#: Mean on-site minutes by order type and difficulty 1..3.
_ONSITE_MEAN = {
    OrderType.INSTALL: (50.0, 70.0, 100.0),
    OrderType.MOVE: (45.0, 65.0, 90.0),
    OrderType.REPAIR: (25.0, 40.0, 65.0),
}
_TRAVEL_MEAN = {AreaType.URBAN: 12.0, AreaType.SUBURBAN: 18.0, AreaType.RURAL: 30.0}
#: Hour-of-day profile of order creation (0..23).
_REPAIR_HOURS = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 1.6, 3.2, 3.6, 3.4, 2.8, 2.0, 2.4, 2.8, 2.9,
                 2.7, 2.4, 2.2, 2.3, 2.1, 1.4, 0.8, 0.4)
_INSTALL_HOURS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.5, 2.0, 3.0, 3.2, 2.9, 2.0, 2.4, 2.9, 3.0,
                  2.8, 2.4, 2.0, 1.8, 1.4, 0.8, 0.2, 0.0)
_APPOINTMENT_SLOTS = ((9, 0), (11, 0), (14, 0), (16, 0), (18, 30))  # two-hour windows
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华飞鹏辉斌宇浩凯健俊帆志鑫波亮林峰宁晨阳"
_OBSERVERS = ("方晓红", "蒋立新", "陶文静", "储国庆")
_POST_GRADES = ("T1", "T2", "T3", "T4")
_POST_GRADE_P = (0.25, 0.36, 0.27, 0.12)
PARTNER_SHARE = 0.16
SUPPORT_TEAM_SIZE = 4


class DemoCity(BaseModel):
    """The whole demo city, as vocabulary objects."""

    model_config = ConfigDict(frozen=True)

    seed: int
    month: str = DEMO_MONTH
    branch: Branch
    districts: tuple[District, ...]
    region_groups: tuple[RegionGroup, ...]
    areas: tuple[SmallArea, ...]
    technicians: tuple[Technician, ...]
    orders: tuple[WorkOrder, ...]
    observations: tuple[Observation, ...]
    deadlines: ServiceDeadlines = ServiceDeadlines()

    def counts(self) -> dict[str, int]:
        """Number of objects of each kind (and orders per type)."""
        per_type = Counter(o.order_type for o in self.orders)
        return {
            "branches": 1,
            "districts": len(self.districts),
            "region_groups": len(self.region_groups),
            "small_areas": len(self.areas),
            "technicians": len(self.technicians),
            "work_orders": len(self.orders),
            "order_events": sum(len(o.history) for o in self.orders),
            "observations": len(self.observations),
            "install_orders": per_type[OrderType.INSTALL],
            "move_orders": per_type[OrderType.MOVE],
            "repair_orders": per_type[OrderType.REPAIR],
        }


# --------------------------------------------------------------------------------------------
# organisation and staff


@dataclass
class _Org:
    branch: Branch
    districts: list[District] = field(default_factory=list)
    groups: list[RegionGroup] = field(default_factory=list)
    areas: list[SmallArea] = field(default_factory=list)
    technicians: list[Technician] = field(default_factory=list)


def _clip(lat: float, lon: float, bbox: tuple[float, float, float, float], margin: float = 0.002) -> Location:
    south, west, north, east = bbox
    return Location(
        lat=round(min(max(lat, south + margin), north - margin), 6),
        lon=round(min(max(lon, west + margin), east - margin), 6),
    )


def split_sizes(total: int, rng: np.random.Generator, low: int = 4, high: int = 6) -> list[int]:
    """Split ``total`` technicians into region groups of ``low``..``high`` (mostly 5).

    Raises ``ValueError`` when no such split exists (e.g. ``total`` = 7).
    """
    sizes: list[int] = []
    remaining = total
    while remaining > 0:
        options = [s for s in range(low, high + 1) if _splittable(remaining - s, low, high)]
        if not options:
            raise ValueError(f"cannot split {total} technicians into groups of {low}..{high}")
        weights = np.array([3.0 if s == 5 else 1.0 for s in options])
        sizes.append(int(rng.choice(options, p=weights / weights.sum())))
        remaining -= sizes[-1]
    return sizes


def _splittable(n: int, low: int, high: int) -> bool:
    if n == 0:
        return True
    if n < low:
        return False
    groups_min = math.ceil(n / high)
    return groups_min * low <= n


def _name(rng: np.random.Generator) -> str:
    surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
    given = "".join(_GIVEN[int(rng.integers(len(_GIVEN)))] for _ in range(int(rng.integers(1, 3))))
    return surname + given


def _phone(rng: np.random.Generator) -> str:
    prefix = ("139", "138", "186", "177", "153", "181")[int(rng.integers(6))]
    return prefix + f"{int(rng.integers(0, 10**8)):08d}"


def _skills(rng: np.random.Generator, must: set[Skill]) -> frozenset[Skill]:
    skills = {Skill.BROADBAND, Skill.FIXED_LINE} | must
    if rng.random() < 0.35:
        skills.add(Skill.FIBRE_SPLICING)
    if rng.random() < 0.5:
        skills.add(Skill.IPTV)
    if rng.random() < 0.1:
        skills.add(Skill.ENTERPRISE)
    return frozenset(skills)


def _build_org(rng: np.random.Generator) -> _Org:
    branch = Branch(id="HF", name="合肥分公司", province="安徽", bbox=HEFEI_BBOX)
    org = _Org(branch=branch)
    tech_no = 0
    for suffix, dname, clat, clon, heads, mix in _DISTRICTS:
        district = District(id=f"HF-{suffix}", branch_id=branch.id, name=dname)
        org.districts.append(district)
        sizes = split_sizes(heads, rng)
        types = list(mix)
        probs = np.array([mix[a] for a in types])
        for g, size in enumerate(sizes, start=1):
            gtype = types[int(rng.choice(len(types), p=probs / probs.sum()))]
            # groups lie on a rough ring around the district centre, rural ones further out
            ring = {AreaType.URBAN: 0.025, AreaType.SUBURBAN: 0.05, AreaType.RURAL: 0.075}[gtype]
            angle = rng.uniform(0, 2 * math.pi)
            dist = ring * math.sqrt(rng.uniform(0.15, 1.0))
            glat, glon = clat + dist * math.sin(angle), clon + dist * math.cos(angle) * 1.15
            group = RegionGroup(
                id=f"{district.id}-G{g:02d}",
                branch_id=branch.id,
                district_id=district.id,
                name=f"{dname}第{g}区域组",
                operating_model=_OPERATING_MODEL[gtype],
            )
            org.groups.append(group)
            # every group has at least one fibre splicer and one IPTV technician
            must_fibre, must_iptv = int(rng.integers(size)), int(rng.integers(size))
            for a in range(1, size + 1):
                atype = gtype
                if rng.random() < 0.25:
                    atype = AreaType.SUBURBAN if gtype != AreaType.SUBURBAN else types[
                        int(rng.choice(len(types), p=probs / probs.sum()))]
                spread = _GROUP_SPREAD[gtype]
                area = SmallArea(
                    id=f"{group.id}-A{a}",
                    region_group_id=group.id,
                    name=f"{dname}{g}组{a}片区",
                    area_type=atype,
                    centroid=_clip(glat + rng.normal(0, spread), glon + rng.normal(0, spread * 1.15),
                                   HEFEI_BBOX),
                )
                org.areas.append(area)
                tech_no += 1
                must: set[Skill] = set()
                if a - 1 == must_fibre:
                    must.add(Skill.FIBRE_SPLICING)
                if a - 1 == must_iptv:
                    must.add(Skill.IPTV)
                org.technicians.append(_technician(rng, tech_no, branch.id, group.id, area.id, must))
    for s in range(1, SUPPORT_TEAM_SIZE + 1):
        tech_no += 1
        tech = _technician(rng, tech_no, branch.id, None, None, set(Skill))
        org.technicians.append(tech.model_copy(update={
            "support_team": True, "employment": Employment.OWN_STAFF,
            "post_grade": "T3" if s % 2 else "T4",
        }))
    return org


def _technician(
    rng: np.random.Generator, no: int, branch_id: str, group_id: str | None, area_id: str | None,
    must: set[Skill],
) -> Technician:
    tid = f"T{no:04d}"
    partner = group_id is not None and rng.random() < PARTNER_SHARE
    start = dt.date(2012, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 13)))
    if partner:
        start = dt.date(2021, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 5)))
    phone = _phone(rng)
    domain = "partner.example.cn" if partner else "hf.example.cn"
    return Technician(
        id=tid,
        name=_name(rng),
        branch_id=branch_id,
        region_group_id=group_id,
        home_area_id=area_id,
        skills=_skills(rng, must),
        post_grade=_POST_GRADES[int(rng.choice(4, p=_POST_GRADE_P))],
        employment=Employment.PARTNER if partner else Employment.OWN_STAFF,
        support_team=group_id is None,
        start_date=start,
        contact=ContactData(phone=SecretStr(phone), email=SecretStr(f"{tid.lower()}@{domain}")),
    )


# --------------------------------------------------------------------------------------------
# order volumes


def _day_weights(order_kind: str) -> np.ndarray:
    """Relative volume of each day of the month for ``repair`` or ``install`` orders."""

    weights = []
    for d in range(MONTH_DAYS):
        day = MONTH_START + dt.timedelta(days=d)
        if order_kind == "repair":
            w = REPAIR_WEEKDAY[day.weekday()]
            if day_kind(day) == DayKind.HOLIDAY:
                w *= HOLIDAY_REPAIR_FACTOR
            if SURGE_START <= day <= SURGE_END:
                w *= SURGE_REPAIR_FACTOR
        else:
            w = INSTALL_WEEKDAY[day.weekday()]
            if day_kind(day) == DayKind.HOLIDAY:
                w *= HOLIDAY_INSTALL_FACTOR
            if SURGE_START <= day <= SURGE_END:
                w *= SURGE_INSTALL_FACTOR
        weights.append(w)
    return np.array(weights)


def apportion(total: int, weights: Sequence[float] | np.ndarray) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` that sum exactly to ``total``.

    Largest-remainder method (Hamilton), ties broken by position, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError("apportion needs total >= 0 and non-negative weights with a positive sum")
    quotas = total * w / w.sum()
    base = np.floor(quotas).astype(int)
    rest = total - int(base.sum())
    order = sorted(range(len(w)), key=lambda i: (-(quotas[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return [int(x) for x in base]


# --------------------------------------------------------------------------------------------
# orders


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _p(base: float, shift: float) -> float:
    return 1.0 / (1.0 + math.exp(-(_logit(base) + shift)))


def _night_shift(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    """Field work happens 08:00–21:30: move a start at night to the next morning."""
    minutes = moment.hour * 60 + moment.minute
    if minutes >= 21 * 60 + 30:
        nxt = (moment + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0)
        return nxt + dt.timedelta(minutes=rng.randrange(60))
    if minutes < 8 * 60:
        return moment.replace(hour=8, minute=0, second=0) + dt.timedelta(minutes=rng.randrange(60))
    return moment


def _appointment(
    rng: random.Random, created: dt.datetime, deadline: dt.datetime, grade: CustomerGrade
) -> TimeWindow:
    """A two-hour window the customer booked, from the next day on, before the deadline when possible."""
    slots = []
    for day_offset in (1, 2, 3):
        day = created.date() + dt.timedelta(days=day_offset)
        for hour, minute in _APPOINTMENT_SLOTS:
            start = dt.datetime.combine(day, dt.time(hour, minute))
            if start + dt.timedelta(hours=2) <= deadline:
                slots.append(start)
    if not slots:
        start = dt.datetime.combine(created.date() + dt.timedelta(days=1), dt.time(9, 0))
    elif grade == CustomerGrade.VIP:
        start = slots[rng.randrange(min(3, len(slots)))]
    else:
        start = slots[rng.randrange(len(slots))]
    return TimeWindow(start=start, end=start + dt.timedelta(hours=2))


def _lognormal_minutes(rng: random.Random | np.random.Generator, mean: float, sigma: float = 0.35) -> float:
    mu = math.log(mean) - sigma * sigma / 2
    if isinstance(rng, random.Random):
        return rng.lognormvariate(mu, sigma)
    return float(rng.lognormal(mu, sigma))


def _orders(
    rng: np.random.Generator, org: _Org, deadlines: ServiceDeadlines, seed: int, scale: float = 1.0
) -> list[WorkOrder]:
    """One month of orders: volumes per day with numpy, each order's story with ``random.Random``."""
    r = random.Random(seed * 7919 + 1)  # scalar draws: random.Random is ~20x faster than numpy per call
    areas = org.areas
    area_w = np.array([_AREA_VOLUME[a.area_type] * rng.lognormal(0, 0.25) for a in areas])
    area_w /= area_w.sum()
    group_members: dict[str, list[Technician]] = {}
    for tech in org.technicians:
        if tech.region_group_id is not None:
            group_members.setdefault(tech.region_group_id, []).append(tech)
    owner = {tech.home_area_id: tech for tech in org.technicians if tech.home_area_id is not None}
    support = [tech for tech in org.technicians if tech.support_team]
    quality = {tech.id: float(rng.normal(0, 0.45)) for tech in org.technicians}
    group_offset = {g.id: int(rng.integers(0, 6)) for g in org.groups}

    install_move = round(TARGET_INSTALL_MOVE * scale)
    n_move = round(install_move * MOVE_SHARE)
    plan = (
        (OrderType.INSTALL, install_move - n_move, "install"),
        (OrderType.MOVE, n_move, "install"),
        (OrderType.REPAIR, round(TARGET_REPAIR * scale), "repair"),
    )
    raw: list[tuple[dt.datetime, OrderType, int]] = []  # (created, type, area index)
    for order_type, total, kind in plan:
        per_day = apportion(total, _day_weights(kind))
        hours = np.array(_INSTALL_HOURS if kind == "install" else _REPAIR_HOURS)
        for d, n in enumerate(per_day):
            hrs = rng.choice(24, size=n, p=hours / hours.sum())
            secs = rng.integers(0, 3600, size=n)
            area_idx = rng.choice(len(areas), size=n, p=area_w)
            day = dt.datetime.combine(MONTH_START + dt.timedelta(days=d), dt.time())
            for h, s, a in zip(hrs.tolist(), secs.tolist(), area_idx.tolist(), strict=True):
                raw.append((day + dt.timedelta(seconds=h * 3600 + s), order_type, a))
    raw.sort(key=lambda x: (x[0], x[1].value, x[2]))

    grades = list(GRADE_SHARES)
    grade_cum = list(np.cumsum([GRADE_SHARES[g] for g in grades]))
    diff_cum = {k: list(np.cumsum(v)) for k, v in _DIFFICULTY_P.items()}
    orders: list[WorkOrder] = []
    for seq, (created, order_type, a_idx) in enumerate(raw, start=1):
        area = areas[a_idx]
        grade = grades[_pick(r.random(), grade_cum)]
        line = LineType.BROADBAND if r.random() < 0.8 else LineType.FIXED_LINE
        difficulty = _pick(r.random(), diff_cum[order_type]) + 1
        spread = _ORDER_SPREAD[area.area_type]
        loc = _clip(area.centroid.lat + r.gauss(0, spread), area.centroid.lon + r.gauss(0, spread * 1.15),
                    HEFEI_BBOX)
        required = {Skill.BROADBAND if line == LineType.BROADBAND else Skill.FIXED_LINE}
        if difficulty == 3 and r.random() < 0.5:
            required.add(Skill.FIBRE_SPLICING)
        if order_type == OrderType.INSTALL and line == LineType.BROADBAND and r.random() < 0.3:
            required.add(Skill.IPTV)
        deadline = deadlines.deadline(order_type, grade, created)
        appointment = None
        if order_type != OrderType.REPAIR:
            appointment = _appointment(r, created, deadline, grade)
        tech = _pick_technician(r, created, area, owner, group_members, group_offset, support, required)
        history, kept, late = _timeline(r, created, order_type, difficulty, area, line, grade, deadline,
                                        appointment, tech.id)
        history = [e for e in history if e.at < AS_OF]
        status = history[-1].status if history else OrderStatus.CREATED
        assigned = next((e.technician_id for e in reversed(history) if e.technician_id), None)
        outcome = None
        if status == OrderStatus.COMPLETED:
            outcome = _outcome(r, order_type, grade, kept, late, quality[tech.id])
        orders.append(WorkOrder(
            id=f"WO{created:%y%m%d}{seq:05d}",
            order_type=order_type,
            difficulty=difficulty,
            area_id=area.id,
            location=loc,
            customer_grade=grade,
            line_type=line,
            created=created,
            appointment=appointment,
            deadline=deadline,
            required_skills=frozenset(required),
            status=status,
            technician_id=assigned,
            history=tuple(history),
            outcome=outcome,
        ))
    return orders


def _pick(u: float, cumulative: Sequence[float]) -> int:
    """Index of the category a uniform draw ``u`` falls in."""
    for i, c in enumerate(cumulative):
        if u < c:
            return i
    return len(cumulative) - 1


def _pick_technician(
    rng: random.Random,
    created: dt.datetime,
    area: SmallArea,
    owner: dict[str, Technician],
    group_members: dict[str, list[Technician]],
    group_offset: dict[str, int],
    support: list[Technician],
    required: set[Skill],
) -> Technician:
    """Own-area first; the group covers the owner's rest day (one member rests each day) and missing
    skills; the support team takes a share in the surge week."""
    members = group_members[area.region_group_id]
    day_no = (created.date() - MONTH_START).days
    resting = members[(day_no + group_offset[area.region_group_id]) % len(members)]
    if SURGE_START <= created.date() <= SURGE_END and rng.random() < 0.1:
        return support[rng.randrange(len(support))]
    able = [m for m in members if m is not resting and required <= m.skills]
    if not able:
        able = [m for m in members if required <= m.skills] or members
    own = owner[area.id]
    if any(m is own for m in able) and rng.random() < 0.8:
        return own
    return able[rng.randrange(len(able))]


def _event(status: OrderStatus, at: dt.datetime, tech_id: str | None) -> StatusEvent:
    return StatusEvent(status=status, at=at.replace(microsecond=0), technician_id=tech_id)


def _timeline(
    rng: random.Random,
    created: dt.datetime,
    order_type: OrderType,
    difficulty: int,
    area: SmallArea,
    line: LineType,
    grade: CustomerGrade,
    deadline: dt.datetime,
    appointment: TimeWindow | None,
    tech_id: str,
) -> tuple[list[StatusEvent], bool | None, bool]:
    """Status events after creation; returns (events, appointment kept, completed late).

    The dispatch centre works 07:30–22:00 except for VIP repairs; field work happens 08:00–21:30
    unless the deadline needs a night call-out.
    """
    minute = dt.timedelta(minutes=1)
    urgent = order_type == OrderType.REPAIR and grade == CustomerGrade.VIP
    response = min(240.0, rng.lognormvariate(math.log(5 if urgent else 10), 0.9))
    dispatch_at = created
    if not urgent and not (dt.time(7, 30) <= created.time() <= dt.time(22, 0)):
        base = created if created.time() < dt.time(7, 30) else created + dt.timedelta(days=1)
        dispatch_at = dt.datetime.combine(base.date(), dt.time(7, 30))
    dispatched = dispatch_at + response * minute

    cancel_p = 0.02 if order_type == OrderType.REPAIR else 0.03
    if rng.random() < cancel_p:
        cancelled = created + rng.uniform(20, 600) * minute
        if cancelled <= dispatched:
            return [_event(OrderStatus.CANCELLED, cancelled, None)], None, False
        return [
            _event(OrderStatus.DISPATCHED, dispatched, tech_id),
            _event(OrderStatus.CANCELLED, cancelled, tech_id),
        ], None, False

    onsite = _lognormal_minutes(rng, _ONSITE_MEAN[order_type][difficulty - 1])
    travel = _lognormal_minutes(rng, _TRAVEL_MEAN[area.area_type])
    kept: bool | None = None
    if appointment is not None:
        kept = rng.random() < APPOINTMENT_KEPT + 0.02
        if kept:
            slack = max(0.0, (appointment.end - appointment.start).total_seconds() / 60 - 30)
            started = appointment.start + rng.uniform(0, slack) * minute
        else:
            started = appointment.end + rng.uniform(15, 180) * minute
    else:
        span = (deadline - created).total_seconds() / 60
        on_time = rng.random() < REPAIR_ON_TIME[line] + 0.004
        # on time: somewhere before the deadline, early more often; late: mostly a little late
        target = span * rng.betavariate(1.6, 4.0) if on_time else span * (1.0 + rng.expovariate(4.0)) + 5
        started = max(created + target * minute - onsite * minute, dispatched + travel * minute)
        daytime = _night_shift(started, rng)
        if not on_time or daytime + onsite * minute <= deadline:
            started = daytime
    started = max(started, dispatched + 5 * minute)
    events = [
        _event(OrderStatus.DISPATCHED, dispatched, tech_id),
        _event(OrderStatus.STARTED, started, tech_id),
    ]
    if rng.random() < 0.06:  # suspended: customer away, material missing, access refused
        suspended = started + rng.uniform(10, max(11.0, onsite)) * minute
        # a repair waits hours (part, access), an install may wait for the customer until the next day
        pause = rng.uniform(30, 240) if order_type == OrderType.REPAIR else rng.uniform(60, 1200)
        resumed = _night_shift(suspended + pause * minute, rng)
        events.append(_event(OrderStatus.SUSPENDED, suspended, tech_id))
        events.append(_event(OrderStatus.STARTED, resumed, tech_id))
        completed = resumed + max(10.0, onsite - (suspended - started).total_seconds() / 60) * minute
    else:
        completed = started + onsite * minute
    events.append(_event(OrderStatus.COMPLETED, completed, tech_id))
    return events, kept, events[-1].at > deadline


def _outcome(
    rng: random.Random, order_type: OrderType, grade: CustomerGrade, kept: bool | None, late: bool,
    quality: float,
) -> Outcome | None:
    """Callback answers, repeat fault and complaint of a completed order; a better technician
    (``quality`` > 0, a logit shift) gets better answers and fewer repeat faults."""
    repeat: int | None = None
    if order_type == OrderType.REPAIR and rng.random() < REPEAT_RATE[grade] * math.exp(-0.5 * quality):
        repeat = 1 + min(29, int(rng.expovariate(0.12)))
    surveyed = rng.random() < SURVEY_SHARE
    contact = skill = attitude = appointment_kept = None
    satisfaction: int | None = None
    if surveyed:
        contact = rng.random() < _p(CONTACT_TIMELY, quality - (0.6 if late else 0.0) + 0.08)
        skill = rng.random() < _p(SKILL_SATISFIED, quality - (0.5 if repeat else 0.0) + 0.05)
        attitude = rng.random() < _p(ATTITUDE_SATISFIED, quality + 0.05)
        appointment_kept = kept if kept is not None else rng.random() < _p(APPOINTMENT_KEPT, quality + 0.05)
        misses = sum(1 for x in (contact, skill, attitude, appointment_kept) if not x)
        satisfaction = int(min(5, max(1, round(5.2 - 0.95 * misses + rng.gauss(0, 0.6)))))
    unhappy = satisfaction is not None and satisfaction <= 2
    complaint_p = 0.022 + 0.05 * late + 0.08 * unhappy + 0.02 * (kept is False) + 0.03 * (repeat is not None)
    complaint = rng.random() < complaint_p
    praise = satisfaction == 5 and not complaint and rng.random() < 0.04
    if not surveyed and repeat is None and not complaint:
        return None
    return Outcome(
        satisfaction=satisfaction,
        contact_timely=contact,
        appointment_kept=appointment_kept,
        skill_satisfied=skill,
        attitude_satisfied=attitude,
        repeat_fault_within_days=repeat,
        complaint=complaint,
        praise=praise,
    )


# --------------------------------------------------------------------------------------------
# work study

#: The observed jobs and the order histories are one world: the time on site an observer times
#: (hands-on work plus the paperwork done on site: closing the order in the app, the customer's
#: signature, photos) is, at normal pace, the span the histories record between start and
#: completion (mean ``_ONSITE_MEAN`` by order type and difficulty). Paperwork is carved out of
#: that span, not added to it; travel has the histories' means by area type; waiting at the door
#: happens before the start and belongs to the delay allowance, outside both.
_STUDY_SPREAD = 0.25  # lognormal sigma of a studied job's span (typical jobs, observed in daylight)
_PAPERWORK_ON_SITE_MEAN = (4.0, 5.0, 6.0)  # minutes of the span, by difficulty 1..3
_STUDY_TRAVEL_SPREAD = 0.4
_DOOR_WAIT_SHARE, _DOOR_WAIT_MEAN = 0.6, 6.0  # jobs that wait for the customer, mean minutes


def _observations(rng: np.random.Generator, org: _Org) -> list[Observation]:
    """About 1,100 timed jobs: every order type × difficulty × area type, in May 2026, drawn from the
    same job durations as the order histories (see ``_PAPERWORK_ON_SITE_MEAN``)."""

    study_days = working_days(dt.date(2026, 5, 6), dt.date(2026, 5, 29))
    area_type = {a.id: a.area_type for a in org.areas}
    by_type: dict[AreaType, list[Technician]] = {}
    for tech in org.technicians:
        if tech.home_area_id:
            by_type.setdefault(area_type[tech.home_area_id], []).append(tech)
    rows: list[Observation] = []
    for order_type in OrderType:
        for difficulty in (1, 2, 3):
            for atype in AreaType:
                techs = by_type.get(atype) or [t for ts in by_type.values() for t in ts]
                n = int(rng.integers(30, 56)) if difficulty < 3 else int(rng.integers(22, 40))
                for _ in range(n):
                    tech = techs[int(rng.integers(len(techs)))]
                    rating = float(np.clip(rng.normal(100, 9), 70, 135))
                    # a faster technician (rating > 100) takes less time than the normal time
                    pace = 100.0 / rating
                    span = _lognormal_minutes(rng, _ONSITE_MEAN[order_type][difficulty - 1], _STUDY_SPREAD)
                    paper = _lognormal_minutes(rng, _PAPERWORK_ON_SITE_MEAN[difficulty - 1], 0.3)
                    paper = min(span / 2, paper)
                    onsite, paperwork = (span - paper) * pace, paper * pace
                    travel = _lognormal_minutes(rng, _TRAVEL_MEAN[atype], _STUDY_TRAVEL_SPREAD)
                    waits = rng.random() < _DOOR_WAIT_SHARE
                    waiting = float(rng.exponential(_DOOR_WAIT_MEAN)) if waits else 0.0
                    note = ""
                    if waiting > 15:
                        note = "客户不在家,等待"
                    elif difficulty == 3 and rng.random() < 0.3:
                        note = "需要熔纤" if order_type != OrderType.MOVE else "跨楼移机"
                    rows.append(Observation(
                        id=f"OBS{len(rows) + 1:05d}",
                        date=study_days[int(rng.integers(len(study_days)))],
                        branch_id=org.branch.id,
                        observer=_OBSERVERS[int(rng.integers(len(_OBSERVERS)))],
                        technician_id=tech.id,
                        order_type=order_type,
                        difficulty=difficulty,
                        area_type=atype,
                        travel_min=round(travel, 1),
                        onsite_min=round(onsite, 1),
                        paperwork_min=round(paperwork, 1),
                        waiting_min=round(waiting, 1),
                        rating_pct=round(rating, 1),
                        notes=note,
                    ))
    rows.sort(key=lambda o: (o.date, o.id))
    return rows


# --------------------------------------------------------------------------------------------
# public API


def generate_city(
    seed: int = 20260401, deadlines: ServiceDeadlines | None = None, scale: float = 1.0
) -> DemoCity:
    """Build the demo city for ``seed`` (same seed, same city; a couple of seconds).

    Parameters
    ----------
    seed
        Seed of the random generator (``numpy.random.default_rng``).
    deadlines
        Service deadlines per order type and customer grade (default: the vocabulary's defaults).
    scale
        Share of the operator's monthly order volume to generate (1 = the real month; a small
        share such as 0.02 gives a quick city for tests, with the same organisation).

    Returns
    -------
    DemoCity
        Branch, districts, region groups, small areas, technicians, one month of orders and the
        work-study observations.
    """
    deadlines = deadlines or ServiceDeadlines()
    rng = np.random.default_rng(seed)
    org = _build_org(rng)
    if not 0 < scale <= 10:
        raise ValueError(f"scale must be in (0, 10], got {scale}")
    orders = _orders(np.random.default_rng([seed, 1]), org, deadlines, seed, scale)
    observations = _observations(np.random.default_rng([seed, 2]), org)
    return DemoCity(
        seed=seed,
        branch=org.branch,
        districts=tuple(org.districts),
        region_groups=tuple(org.groups),
        areas=tuple(org.areas),
        technicians=tuple(org.technicians),
        orders=tuple(orders),
        observations=tuple(observations),
        deadlines=deadlines,
    )


#: The platform tables the demo (and the importers) fill, parents first.
DOMAIN_TABLES: tuple[str, ...] = tuple(row.__tablename__ for row in (
    tables.BranchRow, tables.DistrictRow, tables.RegionGroupRow, tables.SmallAreaRow, tables.TechnicianRow,
    tables.WorkOrderRow, tables.OrderEventRow, tables.ObservationRow,
))


def _dependent_tables(session: Session) -> list[Table]:
    """Every table holding domain data: the platform's and any table that references them, children first.

    The tables are read from the database itself (reflection), so every instrument's tables are
    found without the platform naming any instrument.
    """
    schema = MetaData()
    schema.reflect(bind=session.connection())
    names = set(DOMAIN_TABLES)
    changed = True
    tables = schema.sorted_tables
    while changed:
        changed = False
        for table in tables:
            if table.name in names:
                continue
            if any(fk.column.table.name in names for fk in table.foreign_keys):
                names.add(table.name)
                changed = True
    return [table for table in reversed(tables) if table.name in names]


def existing_counts(session: Session) -> dict[str, int]:
    """Rows already in the platform's domain tables."""
    tables = Base.metadata.tables
    return {name: int(session.execute(select(func.count()).select_from(tables[name])).scalar_one())
            for name in DOMAIN_TABLES}


def clear_domain_data(session: Session) -> None:
    """Delete the branch data (organisation, staff, orders, observations and what refers to them).

    Users, API keys, the audit log and jobs are kept.
    """
    for table in _dependent_tables(session):
        session.execute(delete(table))


def city_rows(city: DemoCity) -> dict[str, list[dict[str, Any]]]:
    """The rows of every platform table for ``city`` (via :mod:`fieldcrew.records`)."""
    rows: dict[str, list[dict[str, Any]]] = {
        "branches": [records.branch_row(city.branch)],
        "districts": [records.district_row(d) for d in city.districts],
        "region_groups": [records.region_group_row(g) for g in city.region_groups],
        "small_areas": [records.area_row(a) for a in city.areas],
        "technicians": [records.technician_row(x) for x in city.technicians],
        "work_orders": [records.order_row(o) for o in city.orders],
        "order_events": [e for o in city.orders for e in records.event_rows(o)],
        "observations": [records.observation_row(o) for o in city.observations],
    }
    return rows


def load_demo(session: Session, seed: int = 20260401, force: bool = False) -> dict[str, int]:
    """Write the demo city for ``seed`` into the platform tables, inside the caller's transaction.

    Parameters
    ----------
    session
        An open session; the caller commits (e.g. :func:`fieldcrew.db.session_scope`), so a
        failure leaves the database as it was.
    seed
        Seed of the city (:func:`generate_city`).
    force
        Replace branch data already present (organisation, technicians, orders, observations and
        every row of other tables referring to them). Without it, existing data is an error.

    Returns
    -------
    dict
        Rows written per table, plus orders per type.

    Raises
    ------
    vocabulary.errors.Conflict
        When the database already holds branch data and ``force`` is false.
    """
    present = {k: v for k, v in existing_counts(session).items() if v}
    if present and not force:
        summary = ", ".join(f"{k}={v}" for k, v in present.items())
        raise Conflict(f"the database already holds data ({summary}); use --force to replace it")
    city = generate_city(seed)
    if present:
        clear_domain_data(session)
    tables = Base.metadata.tables
    for name, rows in city_rows(city).items():
        if rows:
            session.execute(insert(tables[name]), rows)
    session.flush()
    return city.counts()


# --------------------------------------------------------------------------------------------
# a live day: open orders to dispatch


#: The morning a live demo day is seeded at: orders created before it are waiting for the plan.
LIVE_MORNING = dt.time(8, 0)
#: Share of a day's repair reports that arrive between the previous evening and the morning.
_OVERNIGHT_REPAIR_SHARE = 0.3


def live_day_orders(
    areas: Sequence[SmallArea], day: dt.date, seed: int = 20260401, deadlines: ServiceDeadlines | None = None
) -> list[WorkOrder]:
    """The open orders waiting for dispatch on the morning of ``day`` (status ``created``).

    Installs and moves booked for ``day`` (created one to three days before, each with its
    two-hour appointment window that day) and the repair reports that came in from 18:00 the
    evening before until :data:`LIVE_MORNING`, in the demo month's volumes per weekday, areas,
    grades, difficulties and skills. Same ``seed`` and ``day``, same orders; their ids
    (``WO<yymmdd>L<n>``) never collide with the demo month's.
    """
    if not areas:
        return []
    deadlines = deadlines or ServiceDeadlines()
    r = random.Random(seed * 104729 + day.toordinal())
    weekday = day.weekday()
    holiday = day_kind(day) == DayKind.HOLIDAY
    install_per_day = TARGET_INSTALL_MOVE / MONTH_DAYS * INSTALL_WEEKDAY[weekday]
    repair_per_day = TARGET_REPAIR / MONTH_DAYS * REPAIR_WEEKDAY[weekday]
    if holiday:
        install_per_day *= HOLIDAY_INSTALL_FACTOR
        repair_per_day *= HOLIDAY_REPAIR_FACTOR
    weights = [_AREA_VOLUME[a.area_type] for a in areas]
    grades = list(GRADE_SHARES)
    grade_w = [GRADE_SHARES[g] for g in grades]
    morning = dt.datetime.combine(day, LIVE_MORNING)
    evening = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(18, 0))
    overnight_s = int((morning - evening).total_seconds())
    plan: list[tuple[OrderType, dt.datetime, TimeWindow | None]] = []
    n_install = round(install_per_day)
    for k in range(n_install):
        order_type = OrderType.MOVE if r.random() < MOVE_SHARE else OrderType.INSTALL
        created = dt.datetime.combine(day - dt.timedelta(days=r.randint(1, 3)), dt.time(9, 0)) + dt.timedelta(
            seconds=r.randrange(9 * 3600)
        )
        hour, minute = _APPOINTMENT_SLOTS[k % len(_APPOINTMENT_SLOTS)]
        start = dt.datetime.combine(day, dt.time(hour, minute))
        plan.append((order_type, created, TimeWindow(start=start, end=start + dt.timedelta(hours=2))))
    for _ in range(round(repair_per_day * _OVERNIGHT_REPAIR_SHARE)):
        plan.append((OrderType.REPAIR, evening + dt.timedelta(seconds=r.randrange(overnight_s)), None))
    plan.sort(key=lambda p: (p[1], p[0].value))
    orders: list[WorkOrder] = []
    for seq, (order_type, created, window) in enumerate(plan, start=1):
        area = r.choices(areas, weights)[0]
        grade = r.choices(grades, grade_w)[0]
        line = LineType.BROADBAND if r.random() < 0.8 else LineType.FIXED_LINE
        difficulty = r.choices((1, 2, 3), _DIFFICULTY_P[order_type])[0]
        required = {Skill.BROADBAND if line == LineType.BROADBAND else Skill.FIXED_LINE}
        if difficulty == 3 and r.random() < 0.5:
            required.add(Skill.FIBRE_SPLICING)
        deadline = deadlines.deadline(order_type, grade, created)
        if window is not None and deadline < window.end:
            deadline = window.end + dt.timedelta(hours=2)  # a booked visit is never due before it ends
        spread = _ORDER_SPREAD[area.area_type]
        loc = _clip(area.centroid.lat + r.gauss(0, spread), area.centroid.lon + r.gauss(0, spread * 1.15),
                    HEFEI_BBOX)
        orders.append(WorkOrder(
            id=f"WO{day:%y%m%d}L{seq:04d}",
            order_type=order_type,
            difficulty=difficulty,
            area_id=area.id,
            location=loc,
            customer_grade=grade,
            line_type=line,
            created=created,
            appointment=window,
            deadline=deadline,
            required_skills=frozenset(required),
        ))
    return orders


def load_live_day(session: Session, day: dt.date, seed: int = 20260401) -> int:
    """Write the open orders of a live demo ``day`` (:func:`live_day_orders`) unless that day already
    has them; returns how many were written. The caller commits."""
    prefix = f"WO{day:%y%m%d}L"
    present = session.scalar(
        select(func.count()).select_from(tables.WorkOrderRow).where(tables.WorkOrderRow.id.startswith(prefix))
    )
    if present:
        return 0
    orders = live_day_orders(records.read_areas(session), day, seed)
    if orders:
        session.execute(insert(Base.metadata.tables["work_orders"]), [records.order_row(o) for o in orders])
        session.flush()
    return len(orders)
