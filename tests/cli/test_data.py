"""Data commands on a fresh data directory: they create the schema instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from fieldcrew.settings import get_settings


def test_export_and_import_on_a_fresh_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`export` on a data directory that has no database yet writes the empty template; `import` of a
    file with missing columns names every one of them and writes nothing (no "no such table")."""
    monkeypatch.setenv("FIELDCREW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("FIELDCREW_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        out = tmp_path / "technicians.csv"
        exported = CliRunner().invoke(app, ["export", "technicians", "--out", str(out)])
        assert exported.exit_code == 0, exported.output
        assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("id,name,branch_id")
        bad = tmp_path / "bad.csv"
        bad.write_text("id,name\nT1,王伟\n", encoding="utf-8")
        imported = CliRunner().invoke(app, ["import", "technicians", str(bad)])
        assert imported.exit_code == 1
        assert "branch_id" in imported.output and "nothing was written" in imported.output
    finally:
        get_settings.cache_clear()
