"""The work-hour pool (工时池): from time-and-motion observations to standard hours, quotas and team size.

Data flows through one module per step:

- :mod:`timepool.io`: observations (minutes or start/end timestamps), areas, history, forecasts
  from CSV/Excel with all-errors validation; result tables to CSV/Excel.
- :mod:`timepool.standards`: normal time × rating, allowances (two named conventions), named
  scale-invariant outlier rules with a report, sample adequacy, confidence intervals,
  branch → province aggregation, provenance digest; pure-Python and numpy paths kept equal.
- :mod:`timepool.forecast`: order forecasts from history (weekday profile × trend × uplift).
- :mod:`timepool.pool`: forecast orders × standard hours + travel, per region group per day.
- :mod:`timepool.quotas`: :func:`~timepool.quotas.daily_quotas`, the roster engine's coverage
  input, and :func:`~timepool.quotas.quotas_for_branch` from the database.
- :mod:`timepool.headcount`: FTE with shrinkage, overflow to volunteers/partners with cost.
- :mod:`timepool.erlang`: Erlang C / Erlang A sizing.
- :mod:`timepool.whatif`: baseline vs. scenario technicians per group and branch.
- :mod:`timepool.store`: versioned standard and quota tables with provenance.
"""
