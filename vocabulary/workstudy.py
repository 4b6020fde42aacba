"""Work study (工作写实): one time-and-motion observation of a real job.

Observers time, for each order type, difficulty and area type, how long a job takes (travel,
on-site work, paperwork, waiting) and rate the pace of the technician observed (performance
rating, 100 % = normal pace). The work-hour pool aggregates these into standard work-hours.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType, Identifier


class Observation(BaseModel):
    """One observed job, as recorded on the work-study sheet (a row of the ``observations`` table)."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    date: dt.date
    branch_id: str = Identifier
    observer: str = Field(min_length=1, max_length=100)
    technician_id: str = Identifier
    order_type: OrderType
    difficulty: int = Field(ge=1, le=3)
    area_type: AreaType
    travel_min: float = Field(ge=0, le=24 * 60)
    onsite_min: float = Field(gt=0, le=24 * 60)
    paperwork_min: float = Field(ge=0, le=24 * 60)
    waiting_min: float = Field(ge=0, le=24 * 60)
    #: performance rating (评定系数) in percent: 100 = normal pace, 120 = 20 % faster than normal
    rating_pct: float = Field(gt=0, le=200)
    notes: str = ""

    @property
    def total_min(self) -> float:
        """Observed minutes of the job (travel + on-site + paperwork + waiting)."""
        return self.travel_min + self.onsite_min + self.paperwork_min + self.waiting_min

    @property
    def normal_min(self) -> float:
        """Observed minutes of work at normal pace: work time × rating (waiting is not rated)."""
        work = self.travel_min + self.onsite_min + self.paperwork_min
        return work * self.rating_pct / 100.0
