"""The KPI table: every KPI for every unit (technician, region group, branch) and period (day/week/month).

Each row carries the numerator, denominator, value, Wilson interval, light against the target
(grey when the denominator is below the KPI's ``min_sample``: too few records to judge)
and the records left out (by rule), so a figure can be traced to its orders and its gaps.
Orders without a technician (never dispatched, taken back) are reported under the technician
unit ``(unassigned)``, and in the region group and branch of their small area (:class:`UnitMap`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quality.domain import Exclusion, KpiSettings, Light, PeriodKind, UnitKind
from quality.kpis import (
    KPI_FUNCTIONS,
    KPI_OWNER,
    TECHNICIAN,
    completed_at,
    link_repeats,
    responsible_dispatch,
)
from quality.periods import label_of, labeler, window_for
from quality.scorecard import KPI_NAMES, ScoreScheme, default_scheme
from quality.validate import ValidatedOrders
from vocabulary.orders import WorkOrder
from vocabulary.staff import Technician

UNASSIGNED = "(unassigned)"
UNKNOWN = "(unknown technician)"
ALL = "all"
BREAKDOWNS: dict[str, Callable[[WorkOrder], str]] = {
    "customer_grade": lambda o: o.customer_grade.value,
    "line_type": lambda o: o.line_type.value,
    "order_type": lambda o: o.order_type.value,
}


class KpiRow(BaseModel):
    """One cell of the KPI table."""

    model_config = ConfigDict(frozen=True)

    unit_kind: UnitKind
    unit_id: str
    period: str
    breakdown: str = ALL
    kpi: str
    numerator: Decimal
    denominator: int
    value: Decimal | None
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None
    target: Decimal | None = None
    light: Light = Light.GREY
    excluded: dict[str, int] = Field(default_factory=dict)
    order_ids: tuple[str, ...] = ()
    numerator_ids: tuple[str, ...] = ()
    provisional: bool = False
    settles_at: dt.datetime | None = None
    pending: int = 0
    links: dict[str, str] = Field(default_factory=dict)

    def flat(self, with_ids: bool = False) -> dict[str, Any]:
        """A flat, JSON-able dict (Decimals as strings) for CSV/Excel/JSON."""
        out: dict[str, Any] = {
            "unit_kind": self.unit_kind.value, "unit_id": self.unit_id, "period": self.period,
            "breakdown": self.breakdown, "kpi": self.kpi,
            "numerator": str(self.numerator), "denominator": self.denominator,
            "value": None if self.value is None else str(self.value),
            "ci_low": None if self.ci_low is None else str(self.ci_low),
            "ci_high": None if self.ci_high is None else str(self.ci_high),
            "target": None if self.target is None else str(self.target),
            "light": self.light.value,
            "excluded_total": sum(self.excluded.values()),
            "excluded": "; ".join(f"{k}={v}" for k, v in sorted(self.excluded.items())),
            "provisional": self.provisional,
            "settles_at": None if self.settles_at is None else self.settles_at.isoformat(sep=" "),
            "pending": self.pending,
        }
        if with_ids:
            out["order_ids"] = list(self.order_ids)
            out["numerator_ids"] = list(self.numerator_ids)
            out["links"] = [f"{a}→{b}" for a, b in sorted(self.links.items())]
        return out


#: Small area id → (region group id, branch id): where an order without a technician belongs.
AreaPlaces = Mapping[str, tuple[str, str]]


def area_places(technicians: Iterable[Technician]) -> dict[str, tuple[str, str]]:
    """Small area → (region group, branch) from the technicians' home areas (each owns one)."""
    return {
        t.home_area_id: (t.region_group_id, t.branch_id)
        for t in technicians if t.home_area_id is not None and t.region_group_id is not None
    }


class UnitMap:
    """Order → technician / region group / branch unit ids.

    An order with a technician belongs to that technician, their region group (support team:
    ``support:<branch>``) and branch. An order without one (never dispatched, or taken back)
    belongs to no technician, but to the region group and branch of its small area when the area
    is known (``areas``, or the technicians' home areas), and to the branch when the staff has a
    single branch; only otherwise is it ``(unassigned)`` at every level.
    """

    def __init__(self, technicians: Iterable[Technician] | None, areas: AreaPlaces | None = None) -> None:
        self.known = technicians is not None
        self.techs = {t.id: t for t in technicians or ()}
        self.areas: dict[str, tuple[str, str]] = area_places(self.techs.values()) | dict(areas or {})
        branches = {t.branch_id for t in self.techs.values()} | {b for _, b in self.areas.values()}
        self.only_branch = next(iter(branches)) if len(branches) == 1 else None

    def unit_of(self, kind: UnitKind, technician_id: str | None, area_id: str | None = None) -> str:
        """The unit id at level ``kind`` of an order of ``technician_id`` in small area ``area_id``."""
        if kind == UnitKind.TECHNICIAN:
            return technician_id or UNASSIGNED
        if not self.known:
            raise ValueError(f"KPIs per {kind} need the staff list (technicians → region group/branch)")
        if technician_id is None:
            place = self.areas.get(area_id) if area_id is not None else None
            if place is not None:
                return place[1] if kind == UnitKind.BRANCH else place[0]
            if kind == UnitKind.BRANCH and self.only_branch is not None:
                return self.only_branch
            return UNASSIGNED
        tech = self.techs.get(technician_id)
        if tech is None:
            return UNKNOWN
        if kind == UnitKind.BRANCH:
            return tech.branch_id
        return tech.region_group_id or f"support:{tech.branch_id}"


def _touch_times(order: WorkOrder) -> list[dt.datetime]:
    """The moments by which an order can count in a period: created, due, dispatched, completed."""
    times = [order.created, order.deadline]
    for at in (completed_at(order), responsible_dispatch(order)):
        if at is not None:
            times.append(at)
    return times


def kpi_table(
    data: ValidatedOrders | Sequence[WorkOrder],
    unit: UnitKind | str = UnitKind.TECHNICIAN,
    period: PeriodKind | str = PeriodKind.MONTH,
    labels: Sequence[str] | None = None,
    *,
    technicians: Iterable[Technician] | None = None,
    names: Sequence[str] | None = None,
    breakdown: str | None = None,
    settings: KpiSettings | None = None,
    scheme: ScoreScheme | None = None,
    units: Sequence[str] | None = None,
    areas: AreaPlaces | None = None,
) -> list[KpiRow]:
    """The KPI table of ``data`` per ``unit`` and ``period``.

    Parameters
    ----------
    data:
        Validated orders (their exclusions are counted per cell) or plain orders.
    unit, period:
        Unit level and period length.
    labels:
        Periods to report (``2026-03``, ``2026-W10``, ``2026-03-02``); default: every period in
        which some order was created, completed or due.
    technicians:
        Staff list; needed for region-group and branch units.
    names:
        KPI keys (default: all, in :data:`~quality.scorecard.KPI_NAMES` order; for technicians only
        the KPIs they answer for, :data:`~quality.kpis.KPI_OWNER`).
    breakdown:
        Also report each KPI split by ``customer_grade``, ``line_type`` or ``order_type``
        (rows with ``breakdown="customer_grade=vip"`` and so on, next to the ``all`` rows).
    settings, scheme:
        KPI definitions and the targets used for the lights.
    units:
        Only these unit ids (default: every unit with data).
    areas:
        Small area → (region group, branch), to place orders without a technician (default: the
        technicians' home areas). See :class:`UnitMap`.
    """
    unit, period = UnitKind(unit), PeriodKind(period)
    settings = settings or KpiSettings()
    scheme = scheme or default_scheme()
    if names is not None:
        kpi_names = list(names)
    elif unit == UnitKind.TECHNICIAN:  # a technician answers only for the technicians' KPIs
        kpi_names = [n for n in KPI_NAMES if KPI_OWNER[n] == TECHNICIAN]
    else:
        kpi_names = list(KPI_NAMES)
    unknown = [n for n in kpi_names if n not in KPI_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown KPI(s) {unknown}; known: {list(KPI_NAMES)}")
    if breakdown is not None and breakdown not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {breakdown!r}; known: {sorted(BREAKDOWNS)}")
    if isinstance(data, ValidatedOrders):
        orders, exclusions = link_repeats(data.orders), list(data.exclusions)
    else:
        orders, exclusions = link_repeats(list(data)), []
    mapping = UnitMap(technicians, areas)

    # bucket each order into the periods it can count in (created, completed, due)
    buckets: dict[tuple[str, str], list[WorkOrder]] = defaultdict(list)
    seen_labels: set[str] = set()
    label_at = labeler(period)
    for order in orders:
        key_unit = mapping.unit_of(unit, order.technician_id, order.area_id)
        for label in {label_at(t) for t in _touch_times(order)}:
            buckets[(key_unit, label)].append(order)
            seen_labels.add(label)
    excl_by_cell: dict[tuple[str, str], list[Exclusion]] = defaultdict(list)
    for ex in exclusions:
        key_unit = mapping.unit_of(unit, ex.technician_id)
        if ex.at is None:
            for label in labels or sorted(seen_labels):
                excl_by_cell[(key_unit, label)].append(ex)
        else:
            excl_by_cell[(key_unit, label_of(period, ex.at))].append(ex)
            seen_labels.add(label_of(period, ex.at))
    wanted_labels = list(labels) if labels is not None else sorted(seen_labels)
    windows = [window_for(period, label) for label in wanted_labels]
    all_units = {u for u, _ in buckets} | {u for u, _ in excl_by_cell}
    unit_ids = list(units) if units is not None else sorted(all_units)

    rows: list[KpiRow] = []
    for unit_id in unit_ids:
        for window in windows:
            cell_orders = buckets.get((unit_id, window.label), [])
            cell_excl = excl_by_cell.get((unit_id, window.label), [])
            groups: list[tuple[str, list[WorkOrder]]] = [(ALL, cell_orders)]
            if breakdown is not None:
                split: dict[str, list[WorkOrder]] = defaultdict(list)
                for o in cell_orders:
                    split[BREAKDOWNS[breakdown](o)].append(o)
                groups += [(f"{breakdown}={k}", v) for k, v in sorted(split.items())]
            for name in kpi_names:
                rule = scheme.rules.get(name)
                for label, group in groups:
                    result = KPI_FUNCTIONS[name](group, window, settings)
                    excluded: dict[str, int] = dict(result.excluded)
                    if label == ALL:
                        for ex in cell_excl:
                            if ex.applies_to(name):
                                excluded[ex.rule] = excluded.get(ex.rule, 0) + 1
                    light = Light.GREY if rule is None else rule.light_for(result.value, result.denominator)
                    rows.append(
                        KpiRow(
                            unit_kind=unit, unit_id=unit_id, period=window.label, breakdown=label,
                            kpi=name, numerator=result.numerator, denominator=result.denominator,
                            value=result.value, ci_low=result.ci_low, ci_high=result.ci_high,
                            target=rule.target if rule else None,
                            light=light,
                            excluded=excluded, order_ids=result.order_ids,
                            numerator_ids=result.numerator_ids, provisional=result.provisional,
                            settles_at=result.settles_at, pending=result.pending, links=result.links,
                        )
                    )
    return rows
