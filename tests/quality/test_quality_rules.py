"""`fieldcrew kpi rules` and docs/kpis.md: weights, targets, limits, floors and norms in one place."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from quality import service
from quality.cli import app
from quality.scorecard import KPI_NAMES, default_scheme

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


def test_rules_list_every_kpi_with_the_schemes_numbers() -> None:
    """Every KPI is listed once with its scheme's weight, target, warning limit, floor and minimum
    sample; weights add up to 100; repair timeliness is 15 points, target 0.95, warn 0.90, floor 0.80."""
    report = service.rules_report()
    rows = {r["kpi"]: r for r in report["rows"]}
    assert list(rows) == list(KPI_NAMES)
    assert sum(Decimal(r["weight"]) for r in rows.values()) == 100
    assert {k: rows["repair_timeliness"][k] for k in ("weight", "target", "warn", "floor", "min_sample")} == {
        "weight": "15", "target": "0.95", "warn": "0.90", "floor": "0.80", "min_sample": 5}
    scheme = default_scheme()
    for name, rule in scheme.rules.items():
        assert (rows[name]["target"], rows[name]["floor"]) == (str(rule.target), str(rule.floor))
    assert report["definitions"]["dispatch_hours"] == "07:30-22:00"
    assert report["deadlines_hours"]["repair"] == {"vip": 4, "gold": 12, "ordinary": 24}
    assert [g["min_score"] for g in report["grades"]] == ["83", "71", "53", "0"]


def test_docs_carry_the_generated_rules() -> None:
    """The tables in docs/kpis.md are exactly `fieldcrew kpi rules --markdown` (regenerate them when a
    rule changes)."""
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index("<!-- rules:start -->\n"), text.index("<!-- rules:end -->")
    assert text[start + len("<!-- rules:start -->\n"):end] == service.rules_markdown(service.rules_report())


def test_cli_rules() -> None:
    """`kpi rules` prints the table, JSON and Markdown; other hours show in the definitions; hours that
    close before they open exit 2 naming the rule."""
    runner = CliRunner()
    text = runner.invoke(app, ["rules"])
    assert text.exit_code == 0 and "grades: A >= 83 (intended 0.20)" in text.output
    data = json.loads(runner.invoke(app, ["rules", "--json", "--field-hours", "07:00-20:00"]).output)
    assert data["definitions"]["field_hours"] == "07:00-20:00"
    markdown = runner.invoke(app, ["rules", "--markdown"]).output
    assert markdown == service.rules_markdown(service.rules_report())
    bad = runner.invoke(app, ["rules", "--dispatch-hours", "23:00-01:00"])
    assert bad.exit_code == 2 and "close after they open" in bad.output
