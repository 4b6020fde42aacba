"""Service-quality KPIs, scorecards, grades and warnings: between the completed orders and pay.

Data flow: orders (files: :mod:`quality.io`; database: :func:`quality.io.load_orders_db`) →
:mod:`quality.validate` (bad records reported with row and rule) → :mod:`quality.kpis` (one
function per KPI, numerator / denominator / value / order ids, provisional until it settles; the
response KPIs run on the working-hours clocks of :mod:`quality.clock`) → :mod:`quality.table` (per unit
and period) → :mod:`quality.scorecard` (points, grade; :func:`quality.scorecard.monthly_grades`
is what payroll reads) → :mod:`quality.warnings` (lights, two-months trigger, escalations) →
:mod:`quality.store` (monthly snapshots and grades). :mod:`quality.service` holds the use cases
shared by ``quality/cli.py`` (``fieldcrew kpi``) and ``api/routes/quality.py``.
"""
