"""The branch as the simulator sees it: areas, technicians, standard minutes; from the demo city or
built by hand (tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from fieldcrew.demo import SUPPORT_TEAM_SIZE, DemoCity, generate_city
from scheduler.dispatch.demo_day import DEFAULT_MINUTES
from scheduler.dispatch.domain import Area, OnDutyTechnician
from vocabulary.orders import OrderType, ServiceDeadlines
from vocabulary.organisation import Location
from vocabulary.staff import Technician

#: The demo city the simulator draws its branch and order profile from.
CITY_SEED = 20260401
#: Volume of the generated month the order profile is sampled from (templates, not the volume simulated).
PROFILE_SCALE = 0.25


@dataclass(frozen=True)
class World:
    """One branch: its small areas (with centroids), technicians, standard minutes and deadlines."""

    branch_id: str
    areas: tuple[Area, ...]
    centroids: Mapping[str, Location]
    technicians: tuple[Technician, ...]
    bbox: tuple[float, float, float, float] | None = None
    minutes: Mapping[OrderType, Mapping[int, int]] = field(default_factory=lambda: DEFAULT_MINUTES)
    deadlines: ServiceDeadlines = field(default_factory=ServiceDeadlines)

    @property
    def groups(self) -> list[str]:
        """Region groups with technicians, in order."""
        return sorted(
            {t.region_group_id for t in self.technicians if t.region_group_id and not t.support_team}
        )

    def start_location(self, tech: Technician) -> Location:
        """Where a technician's day starts: his home area's centroid (support team: the branch centre)."""
        if tech.home_area_id is not None and tech.home_area_id in self.centroids:
            return self.centroids[tech.home_area_id]
        lats = [c.lat for c in self.centroids.values()]
        lons = [c.lon for c in self.centroids.values()]
        return Location(lat=sum(lats) / len(lats), lon=sum(lons) / len(lons))

    def on_duty(
        self, tech: Technician, start: dt.datetime, end: dt.datetime, group: str | None
    ) -> OnDutyTechnician:
        """The technician on duty for a rostered shift; a support member deployed to ``group`` works
        as one of its members that day (as :mod:`scheduler.dispatch.db_day` does)."""
        return OnDutyTechnician(
            id=tech.id,
            region_group_id=group or tech.region_group_id,
            home_area_id=tech.home_area_id,
            skills=tech.skills,
            support_team=tech.support_team and group is None,
            shift_start=start,
            shift_end=end,
            start_location=self.start_location(tech),
        )


@lru_cache(maxsize=2)
def demo_city(seed: int = CITY_SEED, scale: float = PROFILE_SCALE) -> DemoCity:
    """The demo city (cached per process: a couple of seconds to build)."""
    return generate_city(seed, scale=scale)


def world_from_city(city: DemoCity, technicians: int | None = None) -> World:
    """The demo city's branch, or its first region groups holding at least ``technicians`` people
    (whole groups, with a proportional share of the support team)."""
    members: dict[str, list[Technician]] = {}
    for t in city.technicians:
        if t.region_group_id and not t.support_team:
            members.setdefault(t.region_group_id, []).append(t)
    chosen: list[Technician] = []
    kept_groups: set[str] = set()
    for g in sorted(members):
        if technicians is not None and len(chosen) >= technicians:
            break
        chosen.extend(members[g])
        kept_groups.add(g)
    support = [t for t in city.technicians if t.support_team]
    if technicians is not None:
        support = support[: round(SUPPORT_TEAM_SIZE * len(chosen) / 100)]
    areas = [a for a in city.areas if a.region_group_id in kept_groups]
    return World(
        branch_id=city.branch.id,
        areas=tuple(Area(id=a.id, region_group_id=a.region_group_id, area_type=a.area_type) for a in areas),
        centroids={a.id: a.centroid for a in areas},
        technicians=tuple(chosen + support),
        bbox=city.branch.bbox,
        deadlines=city.deadlines,
    )


def hand_world(
    branch_id: str,
    areas: Sequence[tuple[str, str, Location]],
    technicians: Sequence[Technician],
) -> World:
    """A hand-built branch: ``(area id, region group id, centroid)`` per small area."""
    return World(
        branch_id=branch_id,
        areas=tuple(Area(id=a, region_group_id=g) for a, g, _ in areas),
        centroids={a: loc for a, _, loc in areas},
        technicians=tuple(technicians),
    )
