"""``fieldcrew pool ...`` end to end on files: CSV/Excel in and out, JSON, bad input exits 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from timepool_factories import areas, forecast, study
from typer.testing import CliRunner

from timepool.cli import app
from timepool.io import read_rows, write_rows

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    obs_rows = [o.model_dump(mode="json") | {"observation_id": o.id} for o in study(300, seed=9)]
    for r in obs_rows:
        del r["id"]
    paths = {
        "obs": write_rows(tmp_path / "obs.csv", obs_rows),
        "areas": write_rows(tmp_path / "areas.xlsx", [a.model_dump(mode="json") for a in areas()]),
        "forecast": write_rows(tmp_path / "forecast.csv", [
            c.model_dump(mode="json") | {"date": c.day.isoformat()} for c in forecast(6.0, days=7).cells]),
    }
    history = []
    for i in range(35):
        day = dt.date(2026, 4, 27) + dt.timedelta(days=i)
        history += [{"area_id": "A1", "order_type": "repair", "difficulty": 1, "created": f"{day}T10:00"}] * 3
        history += [{"area_id": "A3", "order_type": "install", "difficulty": 2, "created": f"{day}T11:00"}]
    paths["history"] = write_rows(tmp_path / "history.csv", history)
    return paths


def test_standards_to_excel_and_json(files: dict[str, Path], tmp_path: Path) -> None:
    """Standards per cell with intervals, to Excel; the JSON has the provenance and the set-aside report."""
    out = tmp_path / "standards.xlsx"
    res = runner.invoke(app, ["standards", str(files["obs"]), "--allowance", "0.12", "--convention",
                              "share_of_workday", "--province", "Anhui", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [t["scope"] for t in data["tables"]] == ["B1", "province:Anhui"]
    assert len(data["tables"][0]["observations_sha256"]) == 64
    assert data["tables"][0]["params"]["convention"] == "share_of_workday"
    rows = read_rows(out)
    assert len(rows) == len(data["rows"]) and {"standard_min", "ci_low_min", "more_needed"} <= set(rows[0])


def test_forecast_from_history(files: dict[str, Path]) -> None:
    """Forecast command: 3 repairs a day in A1 → 3 a day; the rainy uplift lifts repairs only."""
    res = runner.invoke(app, ["forecast", "--history", str(files["history"]), "--start", "2026-06-01",
                              "--days", "3", "--uplift", "rainy:2026-06-02:2026-06-30:1.5:repair", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    a1 = {r["day"]: r["orders"] for r in rows if r["area_id"] == "A1"}
    assert a1["2026-06-01"] == pytest.approx(3) and a1["2026-06-02"] == pytest.approx(4.5)


def test_quotas_headcount_whatif_from_files(files: dict[str, Path], tmp_path: Path) -> None:
    """quotas, headcount and whatif run on the same files and agree on the groups."""
    common = ["--observations", str(files["obs"]), "--areas", str(files["areas"]),
              "--forecast", str(files["forecast"])]
    q = runner.invoke(app, ["quotas", *common, "--productive-minutes", "420", "--min-heads", "1",
                            "--out", str(tmp_path / "q.csv"), "--json"])
    assert q.exit_code == 0, q.output
    quota_rows = json.loads(q.output)["rows"]
    assert {r["region_group_id"] for r in quota_rows} == {"G1", "G2"} and len(quota_rows) == 14
    assert all(r["heads"] >= 1 for r in quota_rows)
    h = runner.invoke(app, ["headcount", *common, "--employed", "G1=2,G2=1", "--volunteer-cap", "3",
                            "--json"])
    assert h.exit_code == 0, h.output
    units = {r["unit"]: r for r in json.loads(h.output)["rows"]}
    assert set(units) == {"G1", "G2", "branch:B1"} and units["G1"]["employed"] == 2
    w = runner.invoke(app, ["whatif", *common, "--scenario-rest-days", "2", "--scenario-uplift",
                            "rainy:2026-06-01:2026-06-07:1.2", "--json"])
    assert w.exit_code == 0, w.output
    assert all(r["delta_heads"] >= 0 for r in json.loads(w.output)["rows"])


def test_bad_observations_exit_2_with_every_problem(tmp_path: Path) -> None:
    """A bad file prints each problem (row, field, value, rule) and exits 2; nothing else happens."""
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "observation_id,date,branch_id,observer,technician_id,order_type,difficulty,area_type,"
        "travel_min,onsite_min,paperwork_min,rating_pct\n"
        "OB1,2026-05-06,B1,Obs,T-001,install,1,urban,-1,60,5,100\n"
        "OB2,2026-05-06,B1,Obs,T-001,install,1,urban,5,60,5,0\n", encoding="utf-8")
    res = runner.invoke(app, ["standards", str(bad), "--json"])
    assert res.exit_code == 2
    payload = json.loads(res.output[: res.output.rindex("}") + 1])
    assert {(p["row"], p["field"]) for p in payload["problems"]} == {(2, "travel_min"), (3, "rating_pct")}


def test_database_mode_saves_versions(db_url: str) -> None:
    """``--branch`` reads the stored observations and history; ``--save`` stores versions (1, then 2)."""
    from timepool_factories import seed_branch

    from fieldcrew.db import session_scope
    from timepool.store import list_standard_versions, load_quotas

    with session_scope(db_url) as s:
        seed_branch(s)
    for _ in range(2):
        res = runner.invoke(app, ["standards", "--branch", "B1", "--save", "--db-url", db_url, "--json"])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["quotas", "--branch", "B1", "--start", "2026-06-29", "--days", "7", "--save",
                              "--db-url", db_url, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["saved_version"] == 1
    with session_scope(db_url) as s:
        assert [v["version"] for v in list_standard_versions(s, "B1")] == [2, 1]
        assert len(load_quotas(s, "B1")["G1"]) == 7


def test_standards_take_the_study_accuracy_and_confidence(files: dict[str, Path]) -> None:
    """--accuracy and --confidence reach the method (recorded as provenance) and change the sample
    adequacy: a looser accuracy asks for no more observations than a tighter one."""
    def run(*extra: str) -> dict[str, Any]:
        res = runner.invoke(app, ["standards", str(files["obs"]), "--json", *extra])
        assert res.exit_code == 0, res.output
        return dict(json.loads(res.output))

    tight = run("--accuracy", "0.02", "--confidence", "0.99")
    loose = run("--accuracy", "0.2", "--confidence", "0.9")
    assert tight["tables"][0]["params"]["accuracy"] == 0.02
    assert tight["tables"][0]["params"]["confidence"] == 0.99
    assert loose["tables"][0]["params"]["accuracy"] == 0.2
    assert sum(int(r["more_needed"] or 0) for r in loose["rows"]) <= sum(
        int(r["more_needed"] or 0) for r in tight["rows"]
    )
    bad = runner.invoke(app, ["standards", str(files["obs"]), "--accuracy", "0"])
    assert bad.exit_code == 2 and "accuracy" in bad.output
