"""The Curtois–Qu benchmark: reader round trip, validator, and the `fieldcrew bench nrp` contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from roster_factories import shared_dir
from typer.testing import CliRunner

from scheduler.roster.nrp import format_nrp, nrp_to_problem, parse_nrp, read_nrp
from scheduler.roster.solver import SolveParams, solve
from scheduler.roster.validate import check_nrp
from vocabulary.errors import InputErrors

DATA = Path(__file__).parent / "data"
INSTANCE1 = DATA / "nrp_Instance1.txt"


def _instances() -> list[Path]:
    shared = shared_dir()
    if shared is None or not (shared / "data" / "nrp").is_dir():
        return []
    return sorted((shared / "data" / "nrp").glob("Instance*.txt"), key=lambda p: int(p.stem[8:]))


@pytest.mark.parametrize(
    "path",
    _instances() or [pytest.param(None, marks=pytest.mark.skip("no shared data"))],
    ids=lambda p: p.stem if p else "absent",
)
def test_reader_round_trips_every_instance(path: Path) -> None:
    """Reading, writing and reading again gives the same instance."""
    inst = read_nrp(path)
    again = parse_nrp(format_nrp(inst), name=inst.name)
    assert again == inst
    assert inst.horizon % 7 == 0 and inst.staff and inst.cover
    nrp_to_problem(inst)  # maps onto the engine's problem without errors


def test_reader_reports_bad_rows() -> None:
    """A malformed staff row is named by line and field."""
    text = "SECTION_HORIZON\n7\n\nSECTION_SHIFTS\nD,480,\n\nSECTION_STAFF\nA,D=7,x,0,5,1,1,1\n"
    with pytest.raises(InputErrors) as err:
        parse_nrp(text)
    assert "MaxTotalMinutes" in str(err.value) and "row 8" in str(err.value)


def test_validator_recomputes_the_objective_of_a_known_roster() -> None:
    """Everyone resting: every cover line is fully under, every on-request refused."""
    inst = read_nrp(INSTANCE1)
    rep = check_nrp(inst, {e.id: [None] * inst.horizon for e in inst.staff})
    expected = sum(c.requirement * c.weight_under for c in inst.cover) + sum(
        r.weight for r in inst.on_requests
    )
    assert rep.objective == expected
    assert any(v.rule == "total_minutes" for v in rep.violations)


def test_instance1_solves_to_the_best_known() -> None:
    """Instance1 (best known 607) is solved to optimality; the validator agrees with the solver."""
    inst = read_nrp(INSTANCE1)
    r = solve(nrp_to_problem(inst), SolveParams(seconds=20, workers=2, seed=0))
    rep = check_nrp(inst, r.assignment)
    assert rep.feasible and rep.objective == r.objective == 607


def test_bench_nrp_cli_contract() -> None:
    """`fieldcrew bench nrp FILE --json` prints the contract's keys; objective = validator's."""
    from cli.main import app

    out = CliRunner().invoke(
        app, ["bench", "nrp", str(INSTANCE1), "--seconds", "5", "--workers", "2", "--seed", "1", "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {"instance", "objective", "bound", "status", "seconds", "assignment"} <= set(data)
    inst = read_nrp(INSTANCE1)
    assert check_nrp(inst, data["assignment"]).objective == data["objective"]
    assert data["bound"] <= data["objective"]
