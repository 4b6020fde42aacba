"""Travel times in integer minutes: great-circle distance × road factor at a speed per area type,
or a supplied matrix."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from scheduler.dispatch.domain import TravelModel
from scheduler.dispatch.errors import InputErrors, Problem
from vocabulary.organisation import AreaType, Location

EARTH_RADIUS_KM = 6371.0


class Point(NamedTuple):
    """A place the engine routes between: an order (key = order id) or a technician's start/end.

    A named tuple: a day holds about a thousand and a rolling event rebuilds them."""

    key: str
    location: Location
    area_type: AreaType = AreaType.URBAN


def tech_start_key(technician_id: str) -> str:
    """Matrix key of a technician's start position."""
    return f"tech:{technician_id}"


def tech_end_key(technician_id: str) -> str:
    """Matrix key of a technician's end of day location."""
    return f"tech_end:{technician_id}"


def travel_minutes(a: Location, b: Location, area_type: AreaType, model: TravelModel) -> int:
    """Minutes from ``a`` to ``b``: ``ceil(great-circle km × road factor / speed(area type) × 60)``.

    The speed is that of the destination's area type (where most of a short trip is driven).
    """
    km = a.distance_km(b) * model.road_factor
    return math.ceil(km / model.speed_kmh[area_type] * 60 - 1e-9)


def travel_matrix(points: list[Point], model: TravelModel) -> npt.NDArray[np.int64]:
    """Square integer-minute matrix between ``points`` (row = from, column = to).

    With a supplied ``model.matrix`` every pair must be present; a missing key is an input error
    naming the key.
    """
    n = len(points)
    if model.matrix is not None:
        out = np.zeros((n, n), dtype=np.int64)
        problems: list[Problem] = []
        for i, p in enumerate(points):
            row = model.matrix.get(p.key)
            if row is None:
                problems.append(Problem("travel.matrix", "every routed place needs a matrix row", p.key))
                continue
            for j, q in enumerate(points):
                if i == j:
                    continue
                value = row.get(q.key)
                if value is None or value < 0:
                    problems.append(
                        Problem(f"travel.matrix[{p.key}]", "needs a minutes value ≥ 0 to every place", q.key)
                    )
                    continue
                out[i, j] = int(value)
        if problems:
            raise InputErrors(problems)
        return out
    lat = np.radians(np.array([p.location.lat for p in points]))
    lon = np.radians(np.array([p.location.lon for p in points]))
    dlat = lat[None, :] - lat[:, None]
    dlon = lon[None, :] - lon[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))) * model.road_factor
    speed = np.array([model.speed_kmh[p.area_type] for p in points])
    minutes: npt.NDArray[np.int64] = np.ceil(km / speed[None, :] * 60 - 1e-9).astype(np.int64)
    np.fill_diagonal(minutes, 0)
    return minutes
