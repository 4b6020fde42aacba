"""The architecture a newcomer reads in the README is the one the code has.

The README's package table says what each package imports; these tests build the real import graph
(every import, function-local ones included) and require the table to say exactly that. They also
hold the rules import-linter cannot see: no module found by a string, no silent fallback when an
import fails, no instrument reading another instrument's tables.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "vocabulary", "fieldcrew", "timepool", "scheduler", "quality", "payroll", "simulator", "api", "cli",
    "benchmarks",
)
#: The instruments: one may read another only through its public functions, never its tables.
INSTRUMENTS = ("timepool", "scheduler.roster", "scheduler.dispatch", "quality", "payroll")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def readme_table() -> dict[str, set[str]]:
    """README "Architecture" table: package (dotted) → the packages its "imports" column names."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        package = cells[0].strip("`").strip("/").replace("/", ".")
        names = re.findall(r"`([a-z_/]+)`", cells[2])
        table[package] = {n.strip("/").replace("/", ".") for n in names}
    return table


def owner(module: str, units: list[str]) -> str | None:
    """The most specific table row (unit) a module belongs to."""
    best = None
    for unit in units:
        if (module == unit or module.startswith(unit + ".")) and (best is None or len(unit) > len(best)):
            best = unit
    return best


def test_readme_table_lists_every_package() -> None:
    """Every top-level package of the product has a row in the README's architecture table."""
    table = readme_table()
    for package in PACKAGES:
        assert any(unit == package or unit.startswith(package + ".") for unit in table), package


def test_readme_table_says_what_each_package_imports(graph: grimp.ImportGraph) -> None:
    """The "imports" column of each row is exactly the set of other rows its modules import."""
    table = readme_table()
    units = list(table)
    actual: dict[str, set[str]] = {unit: set() for unit in units}
    for module in graph.modules:
        source = owner(module, units)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = owner(imported, units)
            if target is not None and target != source:
                actual[source].add(target)
    wrong = {
        unit: (sorted(table[unit]), sorted(actual[unit])) for unit in units if table[unit] != actual[unit]
    }
    assert not wrong, f"README says / code does: {wrong}"


def test_readme_layers_match_the_import_linter_contract() -> None:
    """The layer line of the README is the layers contract CI checks (pyproject.toml)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    readme = (ROOT / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.startswith("Layers (import-linter):"))
    written = [part.strip(" `") for part in line.split(":", 1)[1].split("<")]
    assert [layer.replace(" | ", ", ") for layer in reversed(layers)] == [w.replace("`", "") for w in written]


def _project_sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_is_found_by_a_string() -> None:
    """No importlib / __import__ lookup of project modules: every dependency is a visible import."""
    offenders = []
    for path in _project_sources():
        text = path.read_text()
        if re.search(r"\bimportlib\b|__import__\(|import_module\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_import_is_silently_skipped() -> None:
    """A failed import is an error at start-up, never swallowed by ``except ImportError``."""
    offenders = []
    for path in _project_sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                if names & {"ImportError", "ModuleNotFoundError"}:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_instruments_do_not_read_each_others_tables(graph: grimp.ImportGraph) -> None:
    """An instrument imports no table class (``…Row``) of another instrument: it calls that
    instrument's public store functions, which return domain objects."""
    offenders = []
    for path in _project_sources():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        source = owner(module, list(INSTRUMENTS))
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            target = owner(node.module, list(INSTRUMENTS))
            if target is None or target == source:
                continue
            rows = [a.name for a in node.names if a.name.endswith("Row")]
            if rows:
                offenders.append(f"{module} imports {rows} from {node.module}")
    assert offenders == []
