"""The Curtois–Qu benchmark through the roster engine: :func:`solve_nrp` (``fieldcrew bench nrp``).

The instance is read and mapped by :mod:`scheduler.roster.nrp` (format only, no solver: the
validator reads instances through it too) and solved by one of two methods, chosen by the
instance's structure (never its name):

- **column generation** (:func:`scheduler.roster.colgen.solve_colgen`: LP bound, a dive for the
  first roster, then the LNS from it) when the pricing is cheap against the size of the model:
  :func:`scheduler.roster.colgen.pricing_probe` (label extensions per shift variable of pricing
  a few employees, a deterministic count) at most :data:`COLGEN_PROBE_LIMIT`;
- otherwise the LNS alone (:func:`scheduler.roster.lns.solve_lns`).

Measured at 60 s with 2 workers on the odd instances 1–11 (the only ones tuned on): column
generation proved 3443 on Instance 11 and found 3454 where the LNS found 3562; on Instances 7
and 9 (probe 369 and 284: pricing states multiplied by per-type limits and a 600-minute shift) it
found 1060 and 520 where the LNS finds 1057 and 443, so they stay with the LNS, as do all larger
instances (the probe stops past the limit: 13, 15, 19, 21, 23 within a second or so).
"""

from __future__ import annotations

from scheduler.roster.colgen import pricing_probe, solve_colgen
from scheduler.roster.domain import RosterProblem, RosterResult
from scheduler.roster.lns import solve_lns
from scheduler.roster.nrp import NrpInstance, nrp_to_problem
from scheduler.roster.single import SolveParams

#: most label extensions per shift variable for which column generation is used (probes on the
#: odd instances: 1: 23, 3: 86, 11: 106 chosen; 9: 284, 7: 369, 5: 379, 17: 1411, others above)
COLGEN_PROBE_LIMIT = 200.0


def method_for(problem: RosterProblem) -> str:
    """``"colgen"`` or ``"lns"``: which method :func:`solve_nrp` uses for ``problem``."""
    probe = pricing_probe(problem, COLGEN_PROBE_LIMIT)
    return "colgen" if probe is not None and probe <= COLGEN_PROBE_LIMIT else "lns"


def solve_nrp(inst: NrpInstance, seconds: float = 60.0, workers: int = 2, seed: int = 0) -> RosterResult:
    """Solve a Curtois–Qu instance with the roster engine (see the module's description)."""
    problem = nrp_to_problem(inst)
    params = SolveParams(seconds=seconds, workers=workers, seed=seed)
    method = method_for(problem)
    result = solve_colgen(problem, params) if method == "colgen" else solve_lns(problem, params)
    return result.model_copy(update={"info": {**result.info, "method": method}})
