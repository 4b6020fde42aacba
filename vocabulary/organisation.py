"""Where the work is: branches, districts, region groups and small areas."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Identifier = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
#: The longest name of a branch, district, region group or small area (what the database column holds).
MAX_NAME_CHARS = 200
#: A name of a place: 1 to :data:`MAX_NAME_CHARS` characters.
PlaceName = Field(min_length=1, max_length=MAX_NAME_CHARS)
#: A latitude in WGS-84 degrees.
Latitude = Annotated[float, Field(ge=-90, le=90)]
#: A longitude in WGS-84 degrees.
Longitude = Annotated[float, Field(ge=-180, le=180)]


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
    name: str = PlaceName
    province: str = Field(default="", max_length=100, description="province the branch reports to")
    #: bounding box of the branch's territory: (south, west, north, east), in WGS-84 degrees
    bbox: tuple[Latitude, Longitude, Latitude, Longitude] | None = None

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
    name: str = PlaceName


class RegionGroup(BaseModel):
    """4–6 neighbouring small areas whose technicians share work and rotate rest (区域组)."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    branch_id: str = Identifier
    district_id: str = Identifier
    name: str = PlaceName
    operating_model: str = Field(default="urban_dense", description="name of a roster/dispatch preset")


class OperatingModel(StrEnum):
    """How a region group shares its work (the province's operating models, dispatch side).

    - ``small_area_contract`` (小包区包干制): an order goes only to the owner of its small area; nobody
      covers for him.
    - ``rolling_group`` (滚动派单, the plan's model): orders roll inside the region group, own area
      first; the support team covers.
    - ``branch_wide``: the group's orders may go to any technician of the branch's branch-wide pool,
      the support team included.
    """

    SMALL_AREA_CONTRACT = "small_area_contract"
    ROLLING_GROUP = "rolling_group"
    BRANCH_WIDE = "branch_wide"

    @property
    def default_preset(self) -> str:
        """The roster preset (``scheduler/roster/presets.yaml``) the model names by default."""
        return _DEFAULT_PRESET[self]


_DEFAULT_PRESET = {
    OperatingModel.SMALL_AREA_CONTRACT: "urban",
    OperatingModel.ROLLING_GROUP: "urban_dense",
    OperatingModel.BRANCH_WIDE: "peak_season",
}


class GroupOperation(BaseModel):
    """A region group's operating model and its roster preset, as stored in one string
    (``region_groups.operating_model``): ``"<model>"``, ``"<model>/<preset>"``, or a bare preset name
    (the values stored before operating models existed: ``urban_dense``, ``suburban``, … are presets of
    the plan's model, ``rolling_group``)."""

    model_config = ConfigDict(frozen=True)

    model: OperatingModel = OperatingModel.ROLLING_GROUP
    preset: str = Field(default="urban_dense", min_length=1, pattern=r"^[a-z0-9_]+$")

    @classmethod
    def parse(cls, stored: str | None) -> GroupOperation:
        """Read the stored string (see the class); empty means the plan's model and its preset."""
        text = (stored or "").strip()
        if not text:
            return cls()
        head, _, preset = text.partition("/")
        if head in OperatingModel.__members__.values():
            model = OperatingModel(head)
            return cls(model=model, preset=preset or model.default_preset)
        return cls(model=OperatingModel.ROLLING_GROUP, preset=text)

    def stored(self) -> str:
        """The string stored in ``region_groups.operating_model``."""
        return f"{self.model.value}/{self.preset}"


class SmallArea(BaseModel):
    """The territory one technician owns (小包区)."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    region_group_id: str = Identifier
    name: str = PlaceName
    area_type: AreaType
    centroid: Location
