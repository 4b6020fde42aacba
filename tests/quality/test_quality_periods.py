"""Reporting periods: labels, windows and their errors."""

from __future__ import annotations

import datetime as dt

import pytest

from quality.periods import label_of, labeler, month_window, previous_month, window_for, windows_between


@pytest.mark.parametrize(
    ("kind", "label", "start", "days"),
    [("month", "2026-02", dt.datetime(2026, 2, 1), 28), ("month", "2026-12", dt.datetime(2026, 12, 1), 31),
     ("week", "2026-W01", dt.datetime(2025, 12, 29), 7), ("day", "2026-03-02", dt.datetime(2026, 3, 2), 1)],
)
def test_windows(kind: str, label: str, start: dt.datetime, days: int) -> None:
    """Each label names a half-open window; the label of its start is the label again."""
    w = window_for(kind, label)
    assert w.start == start and (w.end - w.start).days == days
    assert label_of(kind, w.start) == label == labeler(kind)(w.start)
    assert not w.contains(w.end) and w.contains(w.start)


@pytest.mark.parametrize(("kind", "label"), [("month", "2026-13"), ("month", "26-01"), ("week", "2026-W54"),
                                             ("day", "2026-02-30")])
def test_bad_labels(kind: str, label: str) -> None:
    """Impossible periods are errors naming the expected form."""
    with pytest.raises(ValueError, match=label):
        window_for(kind, label)


def test_previous_month_and_ranges() -> None:
    """January's previous month is December of the year before; a month has its days as windows."""
    assert previous_month("2026-01") == "2025-12"
    w = month_window("2026-03")
    assert len(windows_between("day", w.start, w.end)) == 31
    assert [x.label for x in windows_between("week", w.start, w.end)][:2] == ["2026-W09", "2026-W10"]
