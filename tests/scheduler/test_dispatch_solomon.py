"""Solomon VRPTW: reader, DIMACS distances, the solver-independent validator, both engines, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scheduler.dispatch.errors import InvalidSolomonFile
from scheduler.dispatch.io import parse_solomon, read_solomon
from scheduler.dispatch.solomon import SolomonCustomer, SolomonInstance, dimacs_tenths
from scheduler.dispatch.validate import validate_solomon
from scheduler.dispatch.vrptw import solve_vrptw

DATA = Path(__file__).parent / "data"


def _shared_solomon() -> Path | None:
    env = os.environ.get("FIELDCREW_SHARED_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"
    folder = base / "data" / "solomon"
    return folder if folder.is_dir() else None


@pytest.fixture(scope="session")
def tiny() -> SolomonInstance:
    return read_solomon(DATA / "R101_25.txt")


def test_reader_reads_every_shared_instance() -> None:
    """Every shared instance parses: 100 customers plus the depot, fleet and capacity positive."""
    folder = _shared_solomon()
    if folder is None:
        pytest.skip("shared Solomon data not available")
    files = sorted(folder.glob("*.txt"))
    assert len(files) == 29
    for f in files:
        inst = read_solomon(f)
        assert inst.name == f.stem
        assert inst.num_clients == 100
        assert inst.vehicles > 0 and inst.capacity > 0
        assert inst.depot.number == 0 and inst.depot.demand == 0


def test_reader_tiny(tiny: SolomonInstance) -> None:
    """The 25-customer fixture: fleet 25, capacity 200, customer 1 as in the file."""
    assert (tiny.name, tiny.vehicles, tiny.capacity, tiny.num_clients) == ("R101_25", 25, 200, 25)
    assert tiny.customers[1] == SolomonCustomer(1, 41, 49, 10, 161, 171, 10)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty file"),
        ("X\nVEHICLE\nNUMBER CAPACITY\n 2 10\n", "missing VEHICLE or CUSTOMER"),
        ("X\nVEHICLE\n 0 10\nCUSTOMER\n 0 0 0 0 0 10 0\n 1 1 1 1 0 5 1\n", "two positive integers"),
        ("X\nVEHICLE\n 2 10\nCUSTOMER\n 0 0 0 0 0 10 0\n 2 1 1 1 0 5 1\n", "numbers run 0, 1, 2"),
        ("X\nVEHICLE\n 2 10\nCUSTOMER\n 0 0 0 0 0 10 0\n 1 1 1 1 0 5\n", "7 columns"),
        ("X\nVEHICLE\n 2 10\nCUSTOMER\n 0 0 0 0 0 10 0\n 1 1 1 1 9 5 1\n", "ready ≤ due"),
    ],
)
def test_reader_rejects_bad_files(text: str, fragment: str) -> None:
    """A malformed file raises an error naming the line/rule."""
    with pytest.raises(InvalidSolomonFile, match=fragment):
        parse_solomon(text.splitlines(), source="bad.txt")


def test_dimacs_truncation_is_exact() -> None:
    """Arc (0,0)→(3,4) is 5.0 → 50 tenths; (0,0)→(1,1) is 1.414… → 14 tenths (floor, never rounded up)."""
    a = SolomonCustomer(0, 0, 0, 0, 0, 0, 0)
    assert dimacs_tenths(a, SolomonCustomer(1, 3, 4, 0, 0, 0, 0)) == 50
    assert dimacs_tenths(a, SolomonCustomer(1, 1, 1, 0, 0, 0, 0)) == 14
    assert dimacs_tenths(a, SolomonCustomer(1, 1, 2, 0, 0, 0, 0)) == 22  # 2.236 → 2.2


def _mini() -> SolomonInstance:
    c = [
        SolomonCustomer(0, 0, 0, 0, 0, 100, 0),
        SolomonCustomer(1, 3, 4, 6, 0, 10, 1),  # 5.0 from the depot
        SolomonCustomer(2, 6, 8, 6, 0, 20, 1),  # 5.0 from customer 1
    ]
    return SolomonInstance("mini", vehicles=1, capacity=10, customers=tuple(c))


def test_validator_accepts_feasible_and_recomputes_distance() -> None:
    """Separate routes: 5+5 and 10+10 → 30.0 when the fleet allows two vehicles."""
    inst = SolomonInstance("mini2", vehicles=2, capacity=10, customers=_mini().customers)
    check = validate_solomon(inst, [[1], [2]])
    assert check.ok and check.distance == 30.0 and check.vehicles == 2


def test_validator_capacity_fleet_once_and_windows() -> None:
    """Capacity, fleet size, each-customer-once and time windows are each caught and named."""
    inst = _mini()
    rules = {v.rule for v in validate_solomon(inst, [[1, 2]]).violations}
    assert rules == {"capacity"}  # 12 > 10; times 5→6, 11 ≤ 20 fine
    rules = {v.rule for v in validate_solomon(inst, [[1], [2]]).violations}
    assert rules == {"fleet_size"}
    rules = {v.rule for v in validate_solomon(inst, [[1]]).violations}
    assert rules == {"each_customer_once"}
    late = SolomonInstance(
        "late", 2, 100, (inst.customers[0], inst.customers[1], SolomonCustomer(2, 6, 8, 6, 0, 5, 1))
    )
    assert {v.rule for v in validate_solomon(late, [[1, 2]]).violations} == {"time_window"}


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_engines_return_valid_routes(tiny: SolomonInstance, engine: str) -> None:
    """Both engines return a feasible route set whose reported distance matches the validator's."""
    res = solve_vrptw(tiny, seconds=0.5, seed=1, engine=engine)  # type: ignore[arg-type]
    check = validate_solomon(tiny, res.routes)
    assert check.ok, check.violations
    assert res.distance_tenths == check.distance_tenths
    assert sorted(c for r in res.routes for c in r) == list(range(1, 26))


def test_bench_cli_json_contract(tiny: SolomonInstance) -> None:
    """`fieldcrew bench vrptw FILE --seconds S --seed N --json` prints the agreed keys, feasible."""
    from cli.main import app

    result = CliRunner().invoke(
        app, ["bench", "vrptw", str(DATA / "R101_25.txt"), "--seconds", "0.5", "--seed", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"instance", "distance", "vehicles", "routes", "seconds"} <= set(out)
    assert out["instance"] == "R101_25"
    check = validate_solomon(tiny, out["routes"])
    assert check.ok and check.distance == out["distance"] and check.vehicles == out["vehicles"]
