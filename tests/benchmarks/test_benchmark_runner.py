"""The benchmark runner prints plain tables and finds (or cleanly misses) the shared data."""

from pathlib import Path

import pytest

from benchmarks import format_table, shared_data_dir
from benchmarks.__main__ import main


def test_format_table_aligns_columns_in_first_seen_order() -> None:
    """Columns appear in first-seen order; missing cells print '-', floats 4 significant digits."""
    text = format_table([{"instance": "C101", "gap_pct": 0.123456}, {"instance": "MEAN", "note": "x"}])
    lines = text.splitlines()
    assert lines[0].split() == ["instance", "gap_pct", "note"]
    assert lines[2].split() == ["C101", "0.1235", "-"]
    assert lines[3].split() == ["MEAN", "-", "x"]
    assert format_table([]) == "(no rows)"


def test_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """Asking for a benchmark that does not exist is a usage error naming the known ones."""
    with pytest.raises(SystemExit) as exc:
        main(["--only", "nope"])
    assert exc.value.code == 2
    assert "unknown benchmark(s) ['nope']" in capsys.readouterr().err


def test_shared_data_dir_is_none_when_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the shared benchmark data the locator returns None (benchmarks skip), with it the folder."""
    monkeypatch.setenv("FIELDCREW_SHARED_DIR", str(tmp_path))
    assert shared_data_dir("nrp", "best_known.csv") is None
    (tmp_path / "data" / "nrp").mkdir(parents=True)
    (tmp_path / "data" / "nrp" / "best_known.csv").write_text("instance,lower_bound,best_known\n")
    assert shared_data_dir("nrp", "best_known.csv") == tmp_path / "data" / "nrp"
