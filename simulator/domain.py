"""Parameters, simulated orders, logs and outcomes of the operations simulator (no engine imports)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from scheduler.dispatch.domain import DispatchOrder
from vocabulary.organisation import OperatingModel

#: The operating models the simulator compares (dispatch side, :mod:`scheduler.dispatch.operating`).
MODELS: tuple[OperatingModel, ...] = (
    OperatingModel.SMALL_AREA_CONTRACT,
    OperatingModel.ROLLING_GROUP,
    OperatingModel.BRANCH_WIDE,
)

#: The outcomes of one replication, in report order.
OUTCOMES: tuple[str, ...] = (
    "repair_timeliness",
    "repair_timeliness_kpi",
    "install_wait_hours_mean",
    "first_response_30min",
    "min_rest_days_in_any_7",
    "overtime_hours",
    "workload_cv",
    "orders_arrived",
    "orders_completed",
    "orders_remote",
    "orders_cancelled",
    "orders_open_at_end",
    "orders_to_partners",
)


class SimParams(BaseModel):
    """How one simulated period runs (every random draw depends on ``seed`` and the replication only,
    never on the operating model: common random numbers)."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    days: int = Field(default=28, ge=1, le=366)
    #: share of the demo city's order volume (1 = the operator's month)
    scale: float = Field(default=1.0, gt=0, le=10)
    #: share of repair orders resolved remotely without a visit (line test, guided fix by phone)
    remote_share: float = Field(default=0.0, ge=0, le=1)
    #: minutes a remote resolution takes after the report
    remote_minutes: int = Field(default=20, ge=1)
    #: probability that a rostered technician calls in sick on a day
    sick_rate: float = Field(default=0.02, ge=0, le=1)
    #: probability that a visit is suspended on site (customer absent) and re-booked for the next day
    suspend_rate: float = Field(default=0.03, ge=0, le=1)
    #: lognormal sigma of real on-site minutes around the standard minutes (0: exactly the standard)
    duration_sigma: float = Field(default=0.3, ge=0, le=2)
    #: OR-Tools budget of a morning plan (seconds) and of one group in it
    plan_seconds: float = Field(default=2.0, gt=0)
    plan_group_seconds: float = Field(default=0.1, gt=0)
    #: roster engine budget per week (seconds; the engine stops on deterministic time)
    roster_seconds: float = Field(default=4.0, gt=0)
    #: repairs arriving during the shift are inserted at once (``new_order``) until this many minutes
    #: before the shift ends; later ones wait for the next morning
    insert_until_min_before_end: int = Field(default=30, ge=0)


@dataclass(frozen=True)
class SimOrder:
    """An order of the simulated period with what the world will do to it (drawn in advance)."""

    order: DispatchOrder
    #: real on-site minutes of a visit (the plan uses ``order.duration_min``, the standard)
    actual_min: int
    #: resolved remotely, without a visit
    remote: bool = False
    #: the first visit is suspended on site after a few minutes and re-booked for the next day
    suspend: bool = False


@dataclass(frozen=True)
class LogEvent:
    """One line of a replication's event log."""

    at: dt.datetime
    order_id: str
    technician_id: str
    event: str


@dataclass(frozen=True)
class RosterCell:
    """One line of a replication's roster: a technician's day (shift id, ``rest``, ``leave``, ``sick``)."""

    technician_id: str
    day: dt.date
    cell: str
    #: the region group a support-team member served that day
    group: str = ""


class ReplicationResult(BaseModel):
    """Outcomes of one replication of one operating model, with its logs."""

    model: OperatingModel
    replication: int
    outcomes: dict[str, float | None]
    #: order id → how it ended (completed, remote, cancelled, partner, open)
    ends: dict[str, str] = Field(default_factory=dict)
    events: list[tuple[dt.datetime, str, str, str]] = Field(default_factory=list)
    roster: list[tuple[str, dt.date, str, str]] = Field(default_factory=list)
    #: (technician, day, [(start, end, order), …]) of the visits actually made
    visits: list[tuple[str, dt.date, list[tuple[dt.datetime, dt.datetime, str]]]] = Field(
        default_factory=list
    )


class OutcomeSummary(BaseModel):
    """Mean and 95 % confidence interval (Student t over replications) of one outcome."""

    mean: float | None
    ci95: tuple[float, float] | None


class ModelSummary(BaseModel):
    """One operating model over all replications."""

    model: OperatingModel
    replications: int
    outcomes: dict[str, OutcomeSummary]

    def as_json(self) -> dict[str, object]:
        """``{"model", "replications", <outcome>: {"mean", "ci95"}, …}`` (the CLI's contract)."""
        out: dict[str, object] = {"model": self.model.value, "replications": self.replications}
        for name, s in self.outcomes.items():
            out[name] = {"mean": s.mean, "ci95": list(s.ci95) if s.ci95 is not None else None}
        return out
