"""Operations simulator: replay a period of a branch through the real engines (issue #14).

A discrete-event simulation on a SimPy clock. Orders arrive from the demo city's profile; the rest
roster comes from the real roster engine week by week; each morning the real dispatch engine plans
the day (:func:`scheduler.dispatch.events.start_day`) and every visit, insertion, suspension and
sick call of the day is a real dispatch event (:func:`scheduler.dispatch.events.apply_event`). The
outcomes are the quality instrument's own KPI functions. See ``docs/simulator.md``.

- :mod:`simulator.domain`: parameters, simulated orders, outcomes (pydantic);
- :mod:`simulator.arrivals`: the random order stream, durations and sick calls (common random numbers);
- :mod:`simulator.world`: the branch as the simulator sees it (demo city or hand-built);
- :mod:`simulator.rostering`: the rolling weekly roster through the real roster engine;
- :mod:`simulator.branch`: one replication of one operating model on the SimPy clock;
- :mod:`simulator.outcomes`: KPIs, rest, overtime, workload, conservation;
- :mod:`simulator.executor` and :mod:`simulator.runner`: replications fanned out, summaries with CIs;
- :mod:`simulator.io`: event log and roster CSVs; :mod:`simulator.cli`: ``fieldcrew simulate``.
"""
