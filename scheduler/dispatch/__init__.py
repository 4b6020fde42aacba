"""Rolling dispatch: assigning and sequencing work orders to on-duty technicians through the day.

Layers: ``domain`` (inputs/results), ``rules`` (hard work rules, policy objectives, registry),
``model`` (engine view of a day: minutes, places, forward-pass timing), ``engine`` (OR-Tools
routing per region group, cheap insertion), ``events`` (rolling re-plans), ``warnings``,
``travel``, ``io``, ``validate`` (solver-independent), ``store``, ``cli``; the Solomon VRPTW
benchmark in ``solomon``/``vrptw``. See ``scheduler/dispatch/README.md``.
"""
