"""Building problems from the operator's data, re-rostering, diagnosis, presets and exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from roster_factories import FAST, problem

from scheduler.roster.diagnose import diagnose
from scheduler.roster.planning import Leave, build_problem, reroster
from scheduler.roster.presets import get_preset, load_presets
from scheduler.roster.solver import SolveParams, solve, solve_roster
from scheduler.roster.synthetic import synthetic_branch
from scheduler.roster.validate import check_roster
from vocabulary.errors import InputErrors, NotFound
from vocabulary.staff import Skill, Technician

START = dt.date(2025, 3, 3)  # a Monday


def tech(i: int, group: str | None = "G7", support: bool = False) -> Technician:
    return Technician(
        id=f"T{i}",
        name=f"T {i}",
        branch_id="B1",
        region_group_id=None if support else group,
        support_team=support,
        post_grade="T1",
        start_date=dt.date(2020, 1, 1),
    )


def quotas(group: str, heads: int, days: int = 14) -> dict[str, dict[dt.date, int]]:
    return {group: {START + dt.timedelta(days=d): heads for d in range(days)}}


def test_twelve_operating_models_are_configured() -> None:
    """The province's 12 operating models are presets in configuration, with R = 2 among them."""
    presets = load_presets()
    assert len(presets) == 12
    assert {"urban_dense", "suburban", "rural", "peak_season"} <= set(presets)
    assert any(p.rules.min_rest_per_7 == 2 for p in presets.values())
    with pytest.raises(NotFound):
        get_preset("atlantis")


def test_bad_input_is_reported_all_at_once() -> None:
    """Unknown technician, quota of a missing group, overlapping leave: one error naming each."""
    techs = [tech(1), tech(2)]
    bad_quotas = quotas("G7", 1) | quotas("G99", 1)
    leave = [
        Leave(technician_id="T1", start=START, end=START + dt.timedelta(days=3)),
        Leave(technician_id="T1", start=START + dt.timedelta(days=2), end=START + dt.timedelta(days=5)),
        Leave(technician_id="T404", start=START, end=START),
    ]
    with pytest.raises(InputErrors) as err:
        build_problem(techs, bad_quotas, START, 14, leave=leave)
    text = str(err.value)
    assert "G99" in text and "T404" in text and "overlaps" in text


def test_branch_roster_passes_the_validator() -> None:
    """A small synthetic branch (groups + support team) solved by groups then as a whole."""
    techs, q = synthetic_branch(seed=3, technicians=14, support=2, start=START, days=14)
    p = build_problem(techs, q, START, 14, "urban_dense")
    r = solve_roster(p, SolveParams(seconds=8, workers=2, seed=0))
    assert r.feasible
    rep = check_roster(p, r.assignment, r.support_groups)
    assert rep.feasible, [str(v) for v in rep.violations]
    assert rep.objective == r.objective
    assert r.bound is not None and r.bound <= r.objective


def test_reroster_after_a_sick_call_changes_little() -> None:
    """E0 falls sick on day 2: the new roster rests him that day and changes only a few cells."""
    p = problem(n=4, horizon=7, quota=3, over=1)
    published = solve(p, FAST)
    worked_day2 = next(e for e, row in published.assignment.items() if row[2] is not None)
    new, changes = reroster(p, published, {worked_day2: [2]}, from_day=0, seconds=5, workers=1)
    assert new.feasible and new.assignment[worked_day2][2] is None
    assert {"employee": worked_day2, "day": 2, "before": "D", "after": None} in changes
    assert len(changes) <= 4
    assert check_roster(
        p.model_copy(update={"days_off": {worked_day2: frozenset({2})}}), new.assignment
    ).feasible


def test_diagnosis_names_the_group_and_the_missing_heads() -> None:
    """4 technicians, quota 4 every day, a rest day each week: the diagnosis says so, from the core."""
    techs = [tech(i) for i in range(4)]
    p = build_problem(techs, quotas("G7", 4), START, 14, "peak_season")
    findings = diagnose(p, seconds=5)
    assert findings and findings[0].group_id == "G7"
    msg = findings[0].message
    assert msg.startswith("group G7 has 4 technicians") and "8 more head(s)" in msg
    assert findings[0].rules  # taken from the infeasibility core


def test_infeasible_roster_is_explained() -> None:
    """Fixed work 7 days in a row: the core names the rest rule and the technician."""
    p = problem(n=1, horizon=7, fixed={"E0": {d: "D" for d in range(7)}})
    result = solve(p, FAST)
    findings = diagnose(p, result, seconds=5)
    assert "E0" in findings[0].message and "rest" in findings[0].message


def test_exports_excel_csv_and_heatmap(tmp_path: Path) -> None:
    from scheduler.roster import io as rio

    p = problem(n=3, horizon=7, quota=2, start_date="2025-03-03")
    r = solve(p, FAST)
    for name in ("r.xlsx", "r.csv", "r.json"):
        assert rio.write_roster(p, r, tmp_path / name).stat().st_size > 0
    assert (
        (tmp_path / "r.csv")
        .read_text(encoding="utf-8")
        .splitlines()[0]
        .startswith("group,technician,2025-03-03")
    )
    png = rio.heatmap_png(p, r, tmp_path / "r.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_reroster_prints_the_diff(tmp_path: Path) -> None:
    """`fieldcrew roster reroster X.json --absent E0:2` rests E0 on day 2 and prints the changes."""
    import json

    from typer.testing import CliRunner

    from cli.main import app
    from scheduler.roster import io as rio

    p = problem(n=3, horizon=7, quota=2, over=1)
    rio.write_roster(p, solve(p, FAST), tmp_path / "r.json")
    out = CliRunner().invoke(
        app,
        [
            "roster",
            "reroster",
            str(tmp_path / "r.json"),
            "--absent",
            "E0:2",
            "--seconds",
            "3",
            "--out",
            str(tmp_path / "new.json"),
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["status"] in ("OPTIMAL", "FEASIBLE")
    _, new = rio.read_roster_json(tmp_path / "new.json")
    assert new.assignment["E0"][2] is None


def _skilled(i: int, group: str | None = "G7", support: bool = False) -> Technician:
    return tech(i, group, support).model_copy(update={"skills": frozenset({Skill.FIBRE_SPLICING})})


def test_skill_quota_met_by_the_one_splicer() -> None:
    """Feasible: the group's only splicer works every day a splicer is asked for."""
    techs = [_skilled(1), tech(2), tech(3), tech(4)]
    asked = {START + dt.timedelta(days=d): 1 for d in (0, 2, 4)}
    p = build_problem(
        techs, quotas("G7", 2), START, 14, "urban_dense", skill_quotas={"G7": {"fibre_splicing": asked}}
    )
    skill_covers = [c for c in p.covers if c.skill == "fibre_splicing"]
    assert [(c.day, c.requirement, c.weight_over) for c in skill_covers] == [(0, 1, 0), (2, 1, 0), (4, 1, 0)]
    r = solve(p, FAST)
    assert r.feasible and all(r.assignment["T1"][d] is not None for d in (0, 2, 4))
    assert check_roster(p, r.assignment).feasible
    assert not [line for line in r.breakdown if line.rule == "cover_under"]


def test_skill_quota_nobody_can_meet_is_refused_with_its_field() -> None:
    """Infeasible input: a skill no one holds, more splicers than exist, a group that does not exist."""
    techs = [_skilled(1), tech(2), tech(3)]
    day = START + dt.timedelta(days=1)
    with pytest.raises(InputErrors) as caught:
        build_problem(
            techs,
            quotas("G7", 1),
            START,
            14,
            "urban_dense",
            skill_quotas={"G7": {"iptv": {day: 1}, "fibre_splicing": {day: 2}}, "G9": {"iptv": {day: 1}}},
        )
    text = str(caught.value)
    assert "skill_quotas[G7][iptv]" in text and "no technician" in text
    assert "skill_quotas[G7][fibre_splicing]" in text and "more heads than the 1" in text
    assert "skill quota for a group that has no technicians" in text


def test_skill_quota_short_costs_exactly_the_under_cover_weight() -> None:
    """Exact penalty: two splicers asked on a day the one splicer is on leave → 2 × 100 under-cover."""
    techs = [_skilled(1), _skilled(2), tech(3), tech(4)]
    day = START + dt.timedelta(days=3)
    p = build_problem(
        techs,
        quotas("G7", 1),
        START,
        14,
        "urban_dense",
        skill_quotas={"G7": {"fibre_splicing": {day: 2}}},
        leave=[Leave(technician_id="T2", start=day, end=day)],
    )
    r = solve(p, FAST)
    short = [line for line in r.breakdown if line.rule == "cover_under" and line.day == 3]
    assert [line.cost for line in short] == [get_preset("urban_dense").cover.weight_under]
    assert check_roster(p, r.assignment).objective == r.objective


def test_a_groups_own_preset_sets_its_technicians_limits() -> None:
    """Exact: with ``group_presets`` a group's technicians get that preset's staff limits (rural:
    rest in pairs, work blocks of 3) while another group and the support team keep the branch
    preset's; the roster still passes the validator. Infeasible: an unknown preset is reported
    naming the group, with every other problem."""
    techs = [tech(i, "G7") for i in range(4)] + [tech(i, "G8") for i in range(4, 8)]
    techs.append(tech(9, support=True))
    q = {**quotas("G7", 2), **quotas("G8", 2)}
    p = build_problem(techs, q, START, 14, "urban_dense", group_presets={"G8": "rural"})
    rural, dense = get_preset("rural").staff, get_preset("urban_dense").staff
    limits = {e.id: (e.min_consecutive_off, e.min_consecutive_work) for e in p.employees}
    assert {limits[f"T{i}"] for i in range(4, 8)} == {(rural.min_consecutive_off, rural.min_consecutive_work)}
    dense_limits = (dense.min_consecutive_off, dense.min_consecutive_work)
    assert {limits[f"T{i}"] for i in (0, 1, 2, 3, 9)} == {dense_limits}
    r = solve_roster(p, FAST)
    assert r.feasible and check_roster(p, r.assignment, r.support_groups).feasible
    with pytest.raises(InputErrors) as info:
        build_problem(techs, q, START, 14, "urban_dense", group_presets={"G8": "no_such_model"})
    assert any(pr.field == "group_presets[G8]" for pr in info.value.problems)
