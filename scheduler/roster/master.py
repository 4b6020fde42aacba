"""The restricted master LP of column generation: covers met by whole-horizon employee schedules.

Set-partitioning form: one column per schedule of one employee (its value λ says how much of the
roster is that schedule), one convexity row per employee (``Σ λ = 1``), one row per cover line
(``Σ heads + under - over = requirement``) whose under- and over-cover slacks cost the line's
weights. Solved with OR-Tools' GLOP (a real simplex; columns are added between solves and the
solver starts again from its last basis). The duals price the next columns
(:mod:`scheduler.roster.pricing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.linear_solver import pywraplp


@dataclass(frozen=True)
class CoverLine:
    """One cover row of the master: the heads wanted and what a head short or too many costs."""

    requirement: int
    weight_under: int
    weight_over: int


@dataclass(frozen=True)
class MasterSolution:
    """An optimal basic solution of the restricted master."""

    value: float
    #: per cover line, its dual (the worth of one more head on that line)
    cover_duals: tuple[float, ...]
    #: per employee, the dual of his convexity row
    employee_duals: tuple[float, ...]
    #: per column, its value
    column_values: tuple[float, ...]
    iterations: int


class MasterError(RuntimeError):
    """The LP solver did not return an optimal solution (never expected: the master is feasible)."""


class CoverMaster:
    """The restricted master LP; columns are added with :meth:`add_column`.

    Parameters
    ----------
    lines
        The cover rows.
    employees
        How many employees (convexity rows); every one needs a column before :meth:`solve`.
    """

    def __init__(self, lines: Sequence[CoverLine], employees: int) -> None:
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise MasterError("GLOP is not available in this OR-Tools build")
        self._solver = solver
        inf = solver.infinity()
        self._objective = solver.Objective()
        self._objective.SetMinimization()
        self._cover_rows = []
        for i, line in enumerate(lines):
            row = solver.Constraint(line.requirement, line.requirement, f"cover[{i}]")
            under = solver.NumVar(0.0, inf, f"under[{i}]")
            over = solver.NumVar(0.0, inf, f"over[{i}]")
            row.SetCoefficient(under, 1.0)
            row.SetCoefficient(over, -1.0)
            self._objective.SetCoefficient(under, float(line.weight_under))
            self._objective.SetCoefficient(over, float(line.weight_over))
            self._cover_rows.append(row)
        self._convexity = [solver.Constraint(1.0, 1.0, f"employee[{e}]") for e in range(employees)]
        self._columns: list[pywraplp.Variable] = []
        self._iterations = 0

    @property
    def columns(self) -> int:
        """How many schedule columns the master holds."""
        return len(self._columns)

    def add_column(self, employee: int, cost: float, lines: Sequence[int]) -> int:
        """Add one employee's schedule: its cost and the cover lines it counts a head in."""
        var = self._solver.NumVar(0.0, self._solver.infinity(), f"col[{len(self._columns)}]")
        self._objective.SetCoefficient(var, cost)
        self._convexity[employee].SetCoefficient(var, 1.0)
        for i in lines:
            self._cover_rows[i].SetCoefficient(var, 1.0)
        self._columns.append(var)
        return len(self._columns) - 1

    def fix(self, column: int) -> None:
        """Force a column into the roster (λ = 1), as a dive does; :meth:`release` undoes it."""
        self._columns[column].SetLb(1.0)

    def release(self, column: int) -> None:
        """Undo :meth:`fix`."""
        self._columns[column].SetLb(0.0)

    def solve(self) -> MasterSolution:
        """Solve the restricted master to optimality (raises :class:`MasterError` otherwise)."""
        status = self._solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise MasterError(f"restricted master LP not solved to optimality (status {status})")
        iterations = int(self._solver.iterations())
        self._iterations += iterations
        return MasterSolution(
            value=self._objective.Value(),
            cover_duals=tuple(row.dual_value() for row in self._cover_rows),
            employee_duals=tuple(row.dual_value() for row in self._convexity),
            column_values=tuple(var.solution_value() for var in self._columns),
            iterations=iterations,
        )
