"""Speed and quality benchmarks: one module per instrument, each with ``run(quick) -> rows``.

Run them all with ``python -m benchmarks`` (or ``make bench``); ``--quick`` gives a short smoke run.
"""
