"""The roster engine's layout: each module's public solve is reachable, and modules import downwards only."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from roster_factories import FAST, NO_RULES, employee, problem

from scheduler.roster import decompose, groups, lns, nrp_bench, single, solver
from scheduler.roster.domain import Cover, RosterProblem, RosterResult, RuleSettings
from scheduler.roster.model import build_model
from scheduler.roster.nrp import read_nrp
from scheduler.roster.validate import check_nrp, check_roster

ROSTER = Path(solver.__file__).parent
DATA = Path(__file__).parent / "data"

#: the engine's modules, lowest first: each may import only those before it
LAYERS = (
    "domain",
    "pricing",
    "master",
    "variables",
    "rules",
    "model",
    "single",
    "lns",
    "groups",
    "decompose",
    "colgen",
    "nrp_bench",
    "solver",
    "diagnose",
)
#: modules that read or check rosters without any solver (the validator trusts no solver code)
SOLVER_FREE = ("nrp", "validate", "presets")


def _imports(module: str) -> tuple[set[str], list[str]]:
    """The ``scheduler.roster`` modules ``module`` imports, and its imports inside functions."""
    tree = ast.parse((ROSTER / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    local: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "scheduler.roster":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("scheduler.roster."):
                found.add(node.module.removeprefix("scheduler.roster.").split(".")[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            local += [
                ast.unparse(inner)
                for inner in ast.walk(node)
                if isinstance(inner, ast.Import | ast.ImportFrom)
            ]
    return found, local


@pytest.mark.parametrize("module", LAYERS)
def test_engine_modules_import_downwards_only(module: str) -> None:
    """Each engine module imports only engine modules below it (or the solver-free readers)."""
    below = set(LAYERS[: LAYERS.index(module)]) | set(SOLVER_FREE)
    found, _ = _imports(module)
    assert found <= below, f"{module} imports {sorted(found - below)} from above it"


@pytest.mark.parametrize("module", SOLVER_FREE)
def test_readers_and_the_validator_import_no_solver_module(module: str) -> None:
    """The benchmark reader, the validator and the presets import the problem's data only."""
    found, _ = _imports(module)
    assert found <= {"domain", "nrp"}, f"{module} imports {sorted(found)}"


@pytest.mark.parametrize("module", LAYERS + SOLVER_FREE)
def test_no_function_local_imports(module: str) -> None:
    """Imports sit at module top, where the import graph (and import-linter) can see them."""
    _, local = _imports(module)
    assert not local, f"{module}: {local}"


def _two_groups(support: bool) -> RosterProblem:
    """Groups G1 and G2 of two technicians each (and one support member), quota 2 a day for 7 days."""
    emps = (employee(0, "G1"), employee(1, "G1"), employee(2, "G2"), employee(3, "G2"))
    if support:
        emps += (employee(9, support=True),)
    covers = tuple(Cover(day=d, group_id=g, requirement=2) for g in ("G1", "G2") for d in range(7))
    return problem(employees=emps, horizon=7, covers=covers, rules=RuleSettings(support_use_weight=1))


ENTRY_POINTS: dict[str, Callable[[], tuple[RosterProblem, RosterResult]]] = {
    "single.solve": lambda: (p := problem(n=2, horizon=7, quota=1, rules=NO_RULES), single.solve(p, FAST)),
    "single.solve_model": lambda: (
        p := problem(n=2, horizon=7, quota=1, rules=NO_RULES),
        single.solve_model(build_model(p), FAST),
    ),
    "lns.solve_lns": lambda: (
        p := _two_groups(support=True),
        lns.solve_lns(
            p,
            single.SolveParams(seconds=20, workers=2, seed=0),
            lns.LnsParams(step_seconds=1.0, deterministic_per_second=0.05),
        ),
    ),
    "groups.solve_groups": lambda: (
        p := _two_groups(support=False),
        groups.solve_groups(p, single.SolveParams(seconds=4, workers=2, seed=0)),
    ),
    "decompose.solve_branch": lambda: (
        p := _two_groups(support=True),
        decompose.solve_branch(p, single.SolveParams(seconds=4, workers=2, seed=0)),
    ),
    "solver.solve_roster": lambda: (
        p := _two_groups(support=True),
        solver.solve_roster(p, single.SolveParams(seconds=4, workers=2, seed=0)),
    ),
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_each_module_public_solve_returns_a_validated_roster(name: str) -> None:
    """Every strategy's public function, called on its own, returns a roster the validator accepts
    with the objective it reports (the rest days of the default rules make the 7-day rosters non-trivial)."""
    p, result = ENTRY_POINTS[name]()
    assert result.feasible, result.status
    report = check_roster(p, result.assignment, result.support_groups)
    assert report.feasible, [str(v) for v in report.violations]
    assert report.objective == result.objective
    assert result.bound is not None and result.objective is not None and result.bound <= result.objective


def test_the_bench_function_solves_a_curtois_qu_instance() -> None:
    """``nrp_bench.solve_nrp`` (``fieldcrew bench nrp``) on Instance1: optimal 607, validated."""
    inst = read_nrp(DATA / "nrp_Instance1.txt")
    result = nrp_bench.solve_nrp(inst, seconds=20, workers=2, seed=0)
    assert (result.status, result.objective, result.bound) == ("OPTIMAL", 607, 607)
    assert check_nrp(inst, result.assignment).objective == 607


def test_the_facade_re_exports_what_the_api_jobs_and_cli_import() -> None:
    """``scheduler.roster.solver`` hands out the very objects of the modules that hold them."""
    assert solver.SolveParams is single.SolveParams
    assert solver.solve is single.solve
    assert solver.solve_nrp is nrp_bench.solve_nrp
    assert {"SolveParams", "solve", "solve_nrp", "solve_roster"} <= set(solver.__all__)


def test_the_problem_carries_no_solver_strategy_fields() -> None:
    """``RosterProblem`` describes the roster only: the relaxation's heads belong to the decomposition."""
    assert not {name for name in RosterProblem.model_fields if "virtual" in name}
