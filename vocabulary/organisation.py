"""Where the work is: branches, districts, region groups and small areas."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

Identifier = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")


class AreaType(StrEnum):
    """Kind of territory; drives travel speed, travel allowance and operating model."""

    URBAN = "urban"
    SUBURBAN = "suburban"
    RURAL = "rural"


class Location(BaseModel):
    """A point in WGS-84 degrees."""

    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    def distance_km(self, other: Location) -> float:
        """Great-circle (haversine) distance in kilometres."""
        return haversine_km(self.lat, self.lon, other.lat, other.lon)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS-84 points, in kilometres (Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


class Branch(BaseModel):
    """A city branch (分公司) with its own dispatch centre."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    name: str = Field(min_length=1)
    province: str = Field(default="", description="province the branch reports to")
    #: bounding box of the branch's territory: (south, west, north, east)
    bbox: tuple[float, float, float, float] | None = None

    @model_validator(mode="after")
    def _bbox_ordered(self) -> Branch:
        if self.bbox is not None:
            south, west, north, east = self.bbox
            if not (south < north and west < east):
                raise ValueError("bbox must be (south, west, north, east) with south<north, west<east")
        return self

    def contains(self, loc: Location) -> bool:
        """Whether a location lies inside the branch's bounding box (True when none is set)."""
        if self.bbox is None:
            return True
        south, west, north, east = self.bbox
        return south <= loc.lat <= north and west <= loc.lon <= east


class District(BaseModel):
    """An administrative district of a branch."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    branch_id: str = Identifier
    name: str = Field(min_length=1)


class RegionGroup(BaseModel):
    """4–6 neighbouring small areas whose technicians share work and rotate rest (区域组)."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    branch_id: str = Identifier
    district_id: str = Identifier
    name: str = Field(min_length=1)
    operating_model: str = Field(default="urban_dense", description="name of a roster/dispatch preset")


class SmallArea(BaseModel):
    """The territory one technician owns (小包区)."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    region_group_id: str = Identifier
    name: str = Field(min_length=1)
    area_type: AreaType
    centroid: Location
