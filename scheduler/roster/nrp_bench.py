"""The Curtois–Qu benchmark through the roster engine: :func:`solve_nrp` (``fieldcrew bench nrp``).

The instance is read and mapped by :mod:`scheduler.roster.nrp` (format only, no solver: the
validator reads instances through it too) and solved by the LNS (:mod:`scheduler.roster.lns`).
"""

from __future__ import annotations

from scheduler.roster.domain import RosterResult
from scheduler.roster.lns import solve_lns
from scheduler.roster.nrp import NrpInstance, nrp_to_problem
from scheduler.roster.single import SolveParams


def solve_nrp(inst: NrpInstance, seconds: float = 60.0, workers: int = 2, seed: int = 0) -> RosterResult:
    """Solve a Curtois–Qu instance with the roster engine (CP-SAT, then our LNS)."""
    problem = nrp_to_problem(inst)
    return solve_lns(problem, SolveParams(seconds=seconds, workers=workers, seed=seed))
