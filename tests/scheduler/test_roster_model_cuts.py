"""The redundant window-capacity cuts of :mod:`scheduler.roster.model` never cut off a valid roster."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.roster.model import window_capacity, window_cut_lengths


def _runs(days: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and runs[-1][0] == day:
            runs[-1] = (day, runs[-1][1] + 1)
        else:
            runs.append((day, 1))
    return runs


def _valid(days: list[int], max_run: int, min_work: int, min_rest: int) -> bool:
    """The roster rules over a horizon: runs touching the first or last day are exempt from minima."""
    runs = _runs(days)
    if any(v and n > max_run for v, n in runs):
        return False
    return all(n >= (min_work if v else min_rest) for v, n in runs[1:-1])


def test_capacity_known_values() -> None:
    # at most 5 in a row, rest runs of 2: 6 working days in 7 would leave a lone rest day
    assert window_capacity(7, 5, 2, 2) == 5
    assert window_capacity(14, 5, 2, 2) == 10
    assert window_capacity(7, 5, 1, 1) == 6
    # only the windows not implied by shorter ones become cuts
    assert window_cut_lengths(5, 2, 2, 14) == (7,)
    assert window_cut_lengths(5, 1, 1, 14) == ()


@settings(max_examples=300, deadline=None)
@given(
    first=st.integers(0, 1),
    run_lengths=st.lists(st.integers(1, 6), min_size=2, max_size=12),
    max_run=st.integers(3, 6),
    min_work=st.integers(1, 3),
    min_rest=st.integers(1, 3),
)
def test_cuts_keep_every_valid_roster(
    first: int, run_lengths: list[int], max_run: int, min_work: int, min_rest: int
) -> None:
    days = [(first + i) % 2 for i, n in enumerate(run_lengths) for _ in range(n)]
    if not _valid(days, max_run, min_work, min_rest):
        return
    for length in window_cut_lengths(max_run, min_work, min_rest, min(14, len(days))):
        cap = window_capacity(length, max_run, min_work, min_rest)
        for t in range(len(days) - length + 1):
            assert sum(days[t : t + length]) <= cap
