"""Quality KPIs at the operator's volume: one month of the demo city (104 technicians, 23,584 orders).

Measures the wall time of each stage (validating raw records, the KPI table per technician per
month and per region group per day, the monthly grades payroll reads) against a goal of 10 s for
the whole month on one core (ratio on CPU seconds, as the machine may be shared; wall
seconds shown too), and prints the demo branch's KPIs against the operator's targets
(ratio = value / target; for lower-is-better KPIs target / value) next to the quarter figures the
operator reported (broadband repair timeliness 96.99 %, fixed line 93.89 %, repeat reports VIP
7.42 % / ordinary 8.15 %, callback contact 73.08 %, appointment 70.16 %, skill 72.48 %,
attitude 76.03 %). Beside them: the demo month's grade distribution next to the one the operator
intends (``quality.scorecard.INTENDED_SHARES``; the default bands are calibrated on this month),
and the first response split into the dispatch centre's part on its own clock for orders created
inside and outside the centre's hours. The data cut is the demo's (1 July 00:00).
``python -m benchmarks.quality [--quick]`` (quick: a fifth of the orders).
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from benchmarks import run_cli
from fieldcrew.demo import AS_OF, generate_city
from quality.domain import KpiSettings
from quality.io import order_record
from quality.kpis import KPI_FUNCTIONS
from quality.periods import month_window, windows_between
from quality.scorecard import (
    INTENDED_SHARES,
    calibrate_bands,
    default_scheme,
    grade_shares,
    monthly_grades,
)
from quality.table import kpi_table
from quality.validate import validate_records

GOAL_SECONDS = 10.0
REPORTED = {
    "repair_timeliness|line_type=broadband": "0.9699",
    "repair_timeliness|line_type=fixed_line": "0.9389",
    "repeat_report_rate|customer_grade=vip": "0.0742",
    "repeat_report_rate|customer_grade=ordinary": "0.0815",
    "callback_contact_timely|all": "0.7308",
    "callback_appointment_kept|all": "0.7016",
    "callback_skill|all": "0.7248",
    "callback_attitude|all": "0.7603",
}


def _timed(label: str, rows: list[dict[str, Any]], fn: Any, *args: Any, **kw: Any) -> Any:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    rows.append({"stage": label, "seconds": round(time.perf_counter() - t0, 3),
                 "cpu_seconds": round(time.process_time() - c0, 3)})
    return out


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Stage timings (+ a TOTAL row with the ratio to the goal) and the branch's KPIs vs targets."""

    city = generate_city()
    orders = list(city.orders)
    if quick:
        orders = orders[::5]
    techs = list(city.technicians)
    month = city.month
    records = [order_record(o) for o in orders]
    rows: list[dict[str, Any]] = []
    cut = KpiSettings(as_of=AS_OF)
    data = _timed(f"validate {len(records)} records", rows, validate_records, records, {t.id for t in techs})
    _timed("table technician x month", rows, kpi_table, data, "technician", "month", [month],
           technicians=techs, settings=cut)

    w = month_window(month)
    days = [x.label for x in windows_between("day", w.start, w.end)]
    _timed(f"table region_group x day ({len(days)} days)", rows, kpi_table, data, "region_group", "day", days,
           technicians=techs, settings=cut)
    grades = _timed("monthly_grades (104 technicians)", rows, monthly_grades, data.orders, month,
                    [t.id for t in techs], technicians=techs, settings=cut)
    total = sum(r["seconds"] for r in rows)
    cpu = sum(r["cpu_seconds"] for r in rows)
    rows.append({"stage": "TOTAL", "seconds": round(total, 3), "cpu_seconds": round(cpu, 3),
                 "goal_seconds": GOAL_SECONDS, "ratio_to_goal": round(cpu / GOAL_SECONDS, 3),
                 "orders_per_cpu_second": round(len(records) / cpu)})
    scheme = default_scheme()
    shares = grade_shares((g.grade for g in grades.values()), scheme)
    bands = {b.grade: b.min_score for b in scheme.bands}
    for grade, intended in INTENDED_SHARES.items():
        count = sum(g.grade == grade for g in grades.values())
        rows.append({"stage": f"grade {grade} (score >= {bands[grade]})", "value": str(shares[grade]),
                     "target": str(intended),
                     "note": f"{count} of {len(grades)} technicians; target = intended share"})
    again = ", ".join(f"{b.grade} >= {b.min_score}"
                      for b in calibrate_bands([g.score for g in grades.values()], INTENDED_SHARES))
    default = ", ".join(f"{k} >= {v}" for k, v in bands.items())
    rows.append({"stage": "bands calibrated on this month", "note": f"{again} (default: {default})"})
    opens, closes = dt.time(7, 30), dt.time(22, 0)
    window = month_window(month)
    for label, inside in (("inside", True), ("outside", False)):
        part = [o for o in data.orders if (opens <= o.created.time() < closes) == inside]
        for name in ("first_response_30min", "dispatch_response"):
            result = KPI_FUNCTIONS[name](part, window, cut)
            rows.append({"stage": f"{name} created {label} 07:30-22:00", "value": str(result.value),
                         "note": f"{result.numerator}/{result.denominator}"})

    branch = kpi_table(data, "branch", "month", [month], technicians=techs, breakdown="customer_grade",
                       settings=cut)
    by_line = kpi_table(data, "branch", "month", [month], technicians=techs, breakdown="line_type",
                        settings=cut)
    branch += [r for r in by_line if r.breakdown != "all"]
    for r in branch:
        key = f"{r.kpi}|{r.breakdown}"
        if r.value is None or r.unit_id != city.branch.id or (r.breakdown != "all" and key not in REPORTED):
            continue
        rule = scheme.rules[r.kpi]
        ratio = r.value / rule.target if rule.direction == "higher" else (
            rule.target / r.value if r.value else Decimal("inf"))
        rows.append({"stage": f"branch {key}", "value": str(r.value.quantize(Decimal("0.0001"))),
                     "target": str(rule.target), "ratio_to_goal": round(float(ratio), 3),
                     "light": r.light.value, "reported_by_operator": REPORTED.get(key, ""),
                     "note": f"{r.numerator}/{r.denominator}" + (" provisional" if r.provisional else "")})
    return rows


def main() -> None:
    """Command-line entry: print the table."""
    run_cli(run, __doc__)


if __name__ == "__main__":
    main()
