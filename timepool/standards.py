"""Standard hours from time-and-motion observations (工作写实 → 定额).

Per cell (order type, difficulty, area type):

1. normal time of each observation = observed time of the rated elements × rating;
2. outliers are set aside by a named, scale-invariant rule (:class:`~timepool.domain.OutlierRule`),
   each with its reason (never a silent drop);
3. standard time = mean normal time with the allowance, under a named convention
   (:class:`~timepool.domain.AllowanceConvention`);
4. a t confidence interval on every standard and the stopwatch sample-size formula to flag cells
   that need more observations.

Travel is unrated and gets its own standard per area type, screened by the same rule.

There are two implementations with the same arithmetic, operation for operation:
:func:`compute_standards` (pure Python, for small inputs and as the reference) and
:func:`compute_standards_arrays` (numpy, vectorised group-by by sorting and ``bincount``, for
the million-row case). Tests hold them equal.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, t

from timepool.domain import (
    METHOD_VERSION,
    AllowanceConvention,
    Observation,
    OutlierRule,
    SetAsideGroup,
    StandardCell,
    StandardParams,
    StandardTable,
    TravelCell,
)
from vocabulary.orders import OrderType
from vocabulary.organisation import AreaType

ORDER_TYPES: tuple[OrderType, ...] = tuple(OrderType)
AREA_TYPES: tuple[AreaType, ...] = tuple(AreaType)
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)
N_CELLS = len(ORDER_TYPES) * len(DIFFICULTIES) * len(AREA_TYPES)

#: Modified z-score constants of Iglewicz & Hoaglin (1993).
MAD_Z_FACTOR = 0.6745
MAD_Z_LIMIT = 3.5
#: Mean absolute deviation → standard-deviation-like scale when the MAD is 0 (√(π/2)).
MEAN_AD_FACTOR = 1.253314
MEAN_AD_NAME = "1.253314·meanAD (MAD is 0)"
#: Tukey's fence multiplier.
IQR_FENCE = 1.5
#: Outlier screening needs at least this many observations in a cell.
MIN_SCREEN_N = 3


# ---------------------------------------------------------------------------------------------
# Textbook formulas (one function per rule)
# ---------------------------------------------------------------------------------------------


def allowance_factor(allowance: float, convention: AllowanceConvention) -> float:
    """Multiplier from normal to standard time.

    ``on_normal_time``: × (1 + A). ``share_of_workday``: ÷ (1 − A), i.e. × 1/(1 − A).
    """
    if not 0 <= allowance < 1:
        raise ValueError(f"allowance must be in [0, 1), got {allowance}")
    if convention is AllowanceConvention.ON_NORMAL_TIME:
        return 1.0 + allowance
    return 1.0 / (1.0 - allowance)


def standard_time(
    observed_min: float, rating_pct: float, allowance: float, convention: AllowanceConvention
) -> float:
    """Standard time of one element: observed × rating/100, then the allowance."""
    return observed_min * rating_pct / 100.0 * allowance_factor(allowance, convention)


def stopwatch_sample_size(values: Sequence[float], accuracy: float = 0.05, z: float = 2.0) -> float:
    """Observations needed so the mean is within ±accuracy at the confidence of ``z``.

    The time-study formula ``n' = ((z/accuracy)·√(n·Σx² − (Σx)²) / Σx)²``; with the defaults
    (z = 2 ≈ 95%, ±5%) it is the textbook ``n' = (40·√(n·Σx² − (Σx)²) / Σx)²``.
    """
    n = len(values)
    if n == 0:
        raise ValueError("no observations")
    sx = sum(values)
    sxx = sum(v * v for v in values)
    if sx <= 0:
        raise ValueError("observations must have a positive sum")
    return ((z / accuracy) * math.sqrt(max(0.0, n * sxx - sx * sx)) / sx) ** 2


def work_sampling_sample_size(p: float, error: float = 0.05, confidence: float = 0.95) -> int:
    """Work-sampling observations needed: ``n = z²·p·(1 − p) / e²``, rounded up.

    ``p`` is the expected share of the activity (e.g. waiting), ``error`` the absolute precision.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not 0 < error < 1:
        raise ValueError(f"error must be in (0, 1), got {error}")
    z = float(norm.ppf(0.5 + confidence / 2))
    return math.ceil(z * z * p * (1 - p) / (error * error) - 1e-9)


def _required_n(mean: float, pop_var: float, params: StandardParams) -> int | None:
    """Stopwatch formula from the mean and population variance (the same quantity, stably)."""
    if mean <= 0:
        return None
    return math.ceil((params.adequacy_z / params.accuracy) ** 2 * pop_var / (mean * mean) - 1e-9)


def _ci(mean: float, sd: float, n: int, confidence: float) -> tuple[float | None, float | None]:
    if n < 2:
        return None, None
    half = float(t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


def cell_code(order_type: OrderType, difficulty: int, area_type: AreaType) -> int:
    """Dense code 0..26 of a cell."""
    return (ORDER_TYPES.index(order_type) * 3 + (difficulty - 1)) * 3 + AREA_TYPES.index(area_type)


def cell_of_code(code: int) -> tuple[OrderType, int, AreaType]:
    ot, rest = divmod(code, 9)
    d, at = divmod(rest, 3)
    return ORDER_TYPES[ot], d + 1, AREA_TYPES[at]


def _label(code: int) -> str:
    ot, d, at = cell_of_code(code)
    return f"{ot}/{d}/{at}"


@dataclass(frozen=True)
class _GroupStats:
    n_observed: int
    n_used: int
    mean: float
    dev2: float  # Σ (x − mean)² of the kept values


def _make_cell(code: int, s: _GroupStats, params: StandardParams) -> StandardCell:
    ot, d, at = cell_of_code(code)
    factor = allowance_factor(params.allowance, params.convention)
    n = s.n_used
    sd = math.sqrt(s.dev2 / (n - 1)) if n >= 2 else 0.0
    lo, hi = _ci(s.mean, sd, n, params.confidence)
    required = _required_n(s.mean, s.dev2 / n, params) if n >= 2 else None
    more = max(0, required - n) if required is not None else None
    return StandardCell(
        order_type=ot,
        difficulty=d,
        area_type=at,
        n_observed=s.n_observed,
        n_used=n,
        n_set_aside=s.n_observed - n,
        mean_normal_min=s.mean,
        sd_normal_min=sd,
        standard_min=s.mean * factor,
        ci_low_min=None if lo is None else lo * factor,
        ci_high_min=None if hi is None else hi * factor,
        required_n=required,
        more_needed=more,
        adequate=more == 0,
    )


def _make_travel(code: int, s: _GroupStats, confidence: float) -> TravelCell:
    n = s.n_used
    sd = math.sqrt(s.dev2 / (n - 1)) if n >= 2 else 0.0
    lo, hi = _ci(s.mean, sd, n, confidence)
    return TravelCell(
        area_type=AREA_TYPES[code],
        n_observed=s.n_observed,
        n_used=n,
        n_set_aside=s.n_observed - n,
        travel_min=s.mean,
        sd_travel_min=sd,
        ci_low_min=lo,
        ci_high_min=hi,
    )


# ---------------------------------------------------------------------------------------------
# Outlier rules, pure Python (reference)
# ---------------------------------------------------------------------------------------------


def _quantile_sorted(xs: Sequence[float], p: float) -> float:
    """Linear-interpolation quantile of sorted values (numpy's default 'linear' method)."""
    pos = (len(xs) - 1) * p
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _median_sorted(xs: Sequence[float]) -> float:
    n = len(xs)
    return (xs[(n - 1) // 2] + xs[n // 2]) / 2


@dataclass(frozen=True)
class _Screen:
    """Decision of an outlier rule on one cell: which values to keep and the statistics behind it."""

    keep: list[bool]
    statistics: dict[str, float]
    scale_name: str = ""
    low: float = -math.inf
    high: float = math.inf


def _screen_mad(values: Sequence[float]) -> _Screen:
    xs = sorted(values)
    med = _median_sorted(xs)
    dev = [abs(v - med) for v in values]
    mad = _median_sorted(sorted(dev))
    scale, what = mad, "MAD"
    if mad == 0:
        scale, what = sum(dev) / len(dev) * MEAN_AD_FACTOR, MEAN_AD_NAME
    if scale == 0:
        return _Screen([True] * len(values), {})
    keep = [not (MAD_Z_FACTOR * d > MAD_Z_LIMIT * scale) for d in dev]
    reach = MAD_Z_LIMIT * scale / MAD_Z_FACTOR
    return _Screen(keep, {"median": med, "scale": scale}, what, med - reach, med + reach)


def _screen_iqr(values: Sequence[float]) -> _Screen:
    xs = sorted(values)
    q1, q3 = _quantile_sorted(xs, 0.25), _quantile_sorted(xs, 0.75)
    iqr = q3 - q1
    low, high = q1 - IQR_FENCE * iqr, q3 + IQR_FENCE * iqr
    return _Screen([low <= v <= high for v in values], {"q1": q1, "q3": q3}, "IQR", low, high)


def _screen(values: Sequence[float], rule: OutlierRule) -> _Screen:
    if rule is OutlierRule.NONE or len(values) < MIN_SCREEN_N:
        return _Screen([True] * len(values), {})
    if rule is OutlierRule.MAD:
        return _screen_mad(values)
    return _screen_iqr(values)


def _group_python(
    ids: Sequence[str],
    codes: Sequence[int],
    values: Sequence[float],
    n_groups: int,
    rule: OutlierRule,
    quantity: str,
    label: Callable[[int], str],
) -> tuple[dict[int, _GroupStats], list[SetAsideGroup]]:
    members: dict[int, list[int]] = {}
    for i, c in enumerate(codes):
        members.setdefault(c, []).append(i)
    stats: dict[int, _GroupStats] = {}
    aside: list[SetAsideGroup] = []
    for code in range(n_groups):
        idx = members.get(code)
        if not idx:
            continue
        vals = [values[i] for i in idx]
        screen = _screen(vals, rule)
        kept = [v for v, k in zip(vals, screen.keep, strict=True) if k]
        total = 0.0
        for v in kept:
            total += v
        mean = total / len(kept)
        dev2 = 0.0
        for v in kept:
            dev2 += (v - mean) * (v - mean)
        stats[code] = _GroupStats(len(vals), len(kept), mean, dev2)
        out = [(ids[i], v) for i, v, k in zip(idx, vals, screen.keep, strict=True) if not k]
        if out:
            aside.append(
                SetAsideGroup(
                    cell=label(code),
                    quantity=quantity,
                    rule=rule,
                    statistics=screen.statistics,
                    scale_name=screen.scale_name,
                    low=screen.low,
                    high=screen.high,
                    observation_ids=[i for i, _ in out],
                    values=[v for _, v in out],
                )
            )
    return stats, aside


# ---------------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------------


def observations_digest(ids: Sequence[str], columns: Sequence[Sequence[float]]) -> str:
    """SHA-256 of the observations in id order: ids, then each numeric column as float64.

    Independent of the input order, so the same observations always give the same digest.
    """
    order = sorted(range(len(ids)), key=ids.__getitem__)
    h = hashlib.sha256()
    h.update("\n".join(ids[i] for i in order).encode())
    for col in columns:
        h.update(array("d", (float(col[i]) for i in order)).tobytes())
    return h.hexdigest()


def _digest_arrays(ids: np.ndarray, columns: Sequence[np.ndarray]) -> tuple[str, list[str]]:
    """:func:`observations_digest` for arrays; also returns the ids in sorted order."""
    order = np.argsort(ids, kind="stable")
    sorted_ids: list[str] = ids[order].tolist()
    h = hashlib.sha256()
    h.update("\n".join(sorted_ids).encode())
    for col in columns:
        h.update(np.ascontiguousarray(col[order], dtype=np.float64).tobytes())
    return h.hexdigest(), sorted_ids


# ---------------------------------------------------------------------------------------------
# The two implementations
# ---------------------------------------------------------------------------------------------


def compute_standards(
    observations: Sequence[Observation], params: StandardParams | None = None, scope: str = ""
) -> StandardTable:
    """Standard-hour table of a set of observations (pure Python reference implementation).

    Parameters
    ----------
    observations : sequence of Observation
        Validated observations (see :mod:`timepool.io`).
    params : StandardParams
        Allowance, convention, outlier rule, confidence and precision.
    scope : str
        What the table is for (a branch id, ``province:<name>``); kept as provenance.
    """
    params = params or StandardParams()
    if not observations:
        raise ValueError("no observations to compute standards from")
    ids = [o.id for o in observations]
    codes = [cell_code(o.order_type, o.difficulty, o.area_type) for o in observations]
    normal = [(o.onsite_min + o.paperwork_min) * o.rating_pct / 100.0 for o in observations]
    travel = [o.travel_min for o in observations]
    area_codes = [AREA_TYPES.index(o.area_type) for o in observations]
    work_stats, work_aside = _group_python(
        ids, codes, normal, N_CELLS, params.outlier_rule, "normal_min", _label
    )
    travel_stats, travel_aside = _group_python(
        ids,
        area_codes,
        travel,
        len(AREA_TYPES),
        params.outlier_rule,
        "travel_min",
        lambda c: str(AREA_TYPES[c]),
    )
    columns: list[Sequence[float]] = [
        codes,
        [o.travel_min for o in observations],
        [o.onsite_min for o in observations],
        [o.paperwork_min for o in observations],
        [o.waiting_min for o in observations],
        [o.rating_pct for o in observations],
    ]
    return StandardTable(
        scope=scope,
        method_version=METHOD_VERSION,
        params=params,
        observation_count=len(observations),
        observations_sha256=observations_digest(ids, columns),
        observation_ids=sorted(ids),
        cells=[_make_cell(c, s, params) for c, s in sorted(work_stats.items())],
        travel=[_make_travel(c, s, params.confidence) for c, s in sorted(travel_stats.items())],
        set_aside=work_aside + travel_aside,
    )


@dataclass(frozen=True)
class ObservationArrays:
    """Columnar observations for the vectorised path (one numpy array per field)."""

    ids: np.ndarray  # str
    order_type: np.ndarray  # int codes into ORDER_TYPES
    difficulty: np.ndarray  # 1..3
    area_type: np.ndarray  # int codes into AREA_TYPES
    travel_min: np.ndarray
    onsite_min: np.ndarray
    paperwork_min: np.ndarray
    waiting_min: np.ndarray
    rating_pct: np.ndarray

    @classmethod
    def from_observations(cls, observations: Sequence[Observation]) -> ObservationArrays:
        return cls(
            ids=np.array([o.id for o in observations], dtype=str),
            order_type=np.array([ORDER_TYPES.index(o.order_type) for o in observations], dtype=np.int64),
            difficulty=np.array([o.difficulty for o in observations], dtype=np.int64),
            area_type=np.array([AREA_TYPES.index(o.area_type) for o in observations], dtype=np.int64),
            travel_min=np.array([o.travel_min for o in observations], dtype=np.float64),
            onsite_min=np.array([o.onsite_min for o in observations], dtype=np.float64),
            paperwork_min=np.array([o.paperwork_min for o in observations], dtype=np.float64),
            waiting_min=np.array([o.waiting_min for o in observations], dtype=np.float64),
            rating_pct=np.array([o.rating_pct for o in observations], dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def scaled(self, k: float) -> ObservationArrays:
        """All durations × k (ratings unchanged)."""
        return ObservationArrays(
            self.ids,
            self.order_type,
            self.difficulty,
            self.area_type,
            self.travel_min * k,
            self.onsite_min * k,
            self.paperwork_min * k,
            self.waiting_min * k,
            self.rating_pct,
        )


def _group_order(codes: np.ndarray) -> np.ndarray:
    """Indices that group ``codes`` (stable counting sort on the small integer codes)."""
    return np.argsort(codes, kind="stable")


def _group_order_stats(
    grouped: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    positions: Callable[[int], list[tuple[int, int, float | None]]],
) -> list[np.ndarray]:
    """Order statistics per group without a full sort: ``np.partition`` of each group's slice.

    ``positions(n)`` gives, for a group of n values, the (lo, hi, frac) of each statistic wanted;
    the statistic is ``x[lo] + (x[hi] − x[lo])·frac`` on the sorted slice (0-based ranks), or the
    midpoint ``(x[lo] + x[hi]) / 2`` when frac is None (the median, as the reference computes it).
    """
    n_stats = len(positions(1))
    out = [np.zeros(counts.size) for _ in range(n_stats)]
    for g in np.flatnonzero(counts):
        n = int(counts[g])
        part = grouped[starts[g] : starts[g] + n]
        wanted = positions(n)
        ranks = sorted({r for lo, hi, _ in wanted for r in (lo, hi)})
        part = np.partition(part, ranks)
        for k, (lo, hi, frac) in enumerate(wanted):
            a, b = float(part[lo]), float(part[hi])
            out[k][g] = (a + b) / 2 if frac is None else a + (b - a) * frac
    return out


def _median_positions(n: int) -> list[tuple[int, int, float | None]]:
    return [((n - 1) // 2, n // 2, None)]


def _quartile_positions(n: int) -> list[tuple[int, int, float | None]]:
    result: list[tuple[int, int, float | None]] = []
    for p in (0.25, 0.75):
        pos = (n - 1) * p
        lo = math.floor(pos)
        result.append((lo, min(lo + 1, n - 1), pos - lo))
    return result


def _group_numpy(
    ids: np.ndarray,
    codes: np.ndarray,
    values: np.ndarray,
    n_groups: int,
    rule: OutlierRule,
    quantity: str,
    label: Callable[[int], str],
) -> tuple[dict[int, _GroupStats], list[SetAsideGroup]]:
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    keep = np.ones(values.size, dtype=bool)
    stat_arrays: dict[str, np.ndarray] = {}
    low = np.full(n_groups, -math.inf)
    high = np.full(n_groups, math.inf)
    scale_names = [""] * n_groups
    screened = counts >= MIN_SCREEN_N
    if rule is not OutlierRule.NONE and values.size:
        group_order = _group_order(codes)
        grouped = values[group_order]
        if rule is OutlierRule.MAD:
            (med,) = _group_order_stats(grouped, starts, counts, _median_positions)
            dev = np.abs(values - med[codes])
            (mad,) = _group_order_stats(dev[group_order], starts, counts, _median_positions)
            # Same summation order as the reference: bincount adds in input order.
            mean_ad = (
                np.bincount(codes, weights=dev, minlength=n_groups) / np.maximum(counts, 1) * MEAN_AD_FACTOR
            )
            scale = np.where(mad == 0, mean_ad, mad)
            active = screened & (scale > 0)
            keep = ~(active[codes] & (MAD_Z_FACTOR * dev > MAD_Z_LIMIT * scale[codes]))

            reach = MAD_Z_LIMIT * scale / MAD_Z_FACTOR
            low, high = med - reach, med + reach
            stat_arrays = {"median": med, "scale": scale}
            scale_names = [MEAN_AD_NAME if m == 0 else "MAD" for m in mad]
        else:
            q1, q3 = _group_order_stats(grouped, starts, counts, _quartile_positions)
            iqr = q3 - q1
            low, high = q1 - IQR_FENCE * iqr, q3 + IQR_FENCE * iqr
            inside = (values >= low[codes]) & (values <= high[codes])
            keep = ~screened[codes] | inside

            stat_arrays = {"q1": q1, "q3": q3}
            scale_names = ["IQR"] * n_groups
    kept_codes = codes[keep]
    kept_vals = values[keep]
    n_used = np.bincount(kept_codes, minlength=n_groups)
    sums = np.bincount(kept_codes, weights=kept_vals, minlength=n_groups)
    means = sums / np.maximum(n_used, 1)
    d = kept_vals - means[kept_codes]
    dev2 = np.bincount(kept_codes, weights=d * d, minlength=n_groups)
    stats = {
        c: _GroupStats(int(counts[c]), int(n_used[c]), float(means[c]), float(dev2[c]))
        for c in range(n_groups)
        if counts[c] > 0
    }
    aside_idx = np.flatnonzero(~keep)
    aside: list[SetAsideGroup] = []
    if aside_idx.size:
        aside_idx = aside_idx[np.argsort(codes[aside_idx], kind="stable")]
        aside_codes = codes[aside_idx]
        bounds = np.flatnonzero(np.diff(aside_codes)) + 1
        for chunk in np.split(aside_idx, bounds):
            c = int(codes[chunk[0]])
            aside.append(
                SetAsideGroup(
                    cell=label(c),
                    quantity=quantity,
                    rule=rule,
                    statistics={k: float(v[c]) for k, v in stat_arrays.items()},
                    scale_name=scale_names[c],
                    low=float(low[c]),
                    high=float(high[c]),
                    observation_ids=ids[chunk].tolist(),
                    values=values[chunk].tolist(),
                )
            )
    return stats, aside


def compute_standards_arrays(
    obs: ObservationArrays, params: StandardParams | None = None, scope: str = "", keep_ids: bool = True
) -> StandardTable:
    """Standard-hour table, vectorised (same arithmetic as :func:`compute_standards`).

    ``keep_ids=False`` leaves the id list out of the table (the digest still covers the ids).
    """
    params = params or StandardParams()
    if len(obs) == 0:
        raise ValueError("no observations to compute standards from")
    codes = (obs.order_type * 3 + (obs.difficulty - 1)) * 3 + obs.area_type
    normal = (obs.onsite_min + obs.paperwork_min) * obs.rating_pct / 100.0
    work_stats, work_aside = _group_numpy(
        obs.ids, codes, normal, N_CELLS, params.outlier_rule, "normal_min", _label
    )
    travel_stats, travel_aside = _group_numpy(
        obs.ids,
        obs.area_type,
        obs.travel_min,
        len(AREA_TYPES),
        params.outlier_rule,
        "travel_min",
        lambda c: str(AREA_TYPES[c]),
    )
    digest, sorted_ids = _digest_arrays(
        obs.ids, [codes, obs.travel_min, obs.onsite_min, obs.paperwork_min, obs.waiting_min, obs.rating_pct]
    )
    return StandardTable.model_construct(
        scope=scope,
        method_version=METHOD_VERSION,
        params=params,
        observation_count=len(obs),
        observations_sha256=digest,
        observation_ids=sorted_ids if keep_ids else [],
        cells=[_make_cell(c, s, params) for c, s in sorted(work_stats.items())],
        travel=[_make_travel(c, s, params.confidence) for c, s in sorted(travel_stats.items())],
        set_aside=work_aside + travel_aside,
        sources=[],
    )


def standards(
    observations: Sequence[Observation], params: StandardParams | None = None, scope: str = ""
) -> StandardTable:
    """Standard-hour table; picks the vectorised path for large inputs (same results)."""
    if len(observations) >= 5000:
        return compute_standards_arrays(ObservationArrays.from_observations(observations), params, scope)
    return compute_standards(observations, params, scope)


def standards_by_branch(
    observations: Sequence[Observation], params: StandardParams | None = None
) -> dict[str, StandardTable]:
    """One table per branch of the observations."""
    by: dict[str, list[Observation]] = {}
    for o in observations:
        by.setdefault(o.branch_id, []).append(o)
    return {b: standards(obs, params, scope=b) for b, obs in sorted(by.items())}


# ---------------------------------------------------------------------------------------------
# Branch → province
# ---------------------------------------------------------------------------------------------


def _pool_stats(parts: Sequence[tuple[int, int, float, float]]) -> _GroupStats:
    """Union statistics of kept observations from per-branch (n_observed, n_used, mean, dev2)."""
    n_obs = sum(p[0] for p in parts)
    n = sum(p[1] for p in parts)
    mean = sum(p[1] * p[2] for p in parts) / n
    dev2 = sum(p[3] + p[1] * (p[2] - mean) ** 2 for p in parts)
    return _GroupStats(n_obs, n, mean, dev2)


def aggregate_province(tables: Sequence[StandardTable], province: str) -> StandardTable:
    """Province table from branch tables, each cell weighted by the branches' observations used.

    The province mean is Σ nᵦ·meanᵦ / Σ nᵦ and its spread the exact variance of the union of the
    kept observations, so the confidence interval and sample adequacy are those of the pooled data.
    All tables must share the method parameters.
    """
    if not tables:
        raise ValueError("no branch tables to aggregate")
    params = tables[0].params
    for tab in tables[1:]:
        if tab.params != params or tab.method_version != tables[0].method_version:
            raise ValueError(f"table {tab.scope!r} uses other method parameters than {tables[0].scope!r}")
    work: dict[int, list[tuple[int, int, float, float]]] = {}
    trav: dict[int, list[tuple[int, int, float, float]]] = {}
    for tab in tables:
        for c in tab.cells:
            if c.n_used:
                work.setdefault(cell_code(c.order_type, c.difficulty, c.area_type), []).append(
                    (c.n_observed, c.n_used, c.mean_normal_min, c.sd_normal_min**2 * max(c.n_used - 1, 0))
                )
        for tc in tab.travel:
            if tc.n_used:
                trav.setdefault(AREA_TYPES.index(tc.area_type), []).append(
                    (tc.n_observed, tc.n_used, tc.travel_min, tc.sd_travel_min**2 * max(tc.n_used - 1, 0))
                )
    h = hashlib.sha256("\n".join(sorted(tab.observations_sha256 for tab in tables)).encode()).hexdigest()
    return StandardTable(
        scope=f"province:{province}",
        method_version=tables[0].method_version,
        params=params,
        observation_count=sum(tab.observation_count for tab in tables),
        observations_sha256=h,
        observation_ids=sorted(i for tab in tables for i in tab.observation_ids),
        cells=[_make_cell(c, _pool_stats(p), params) for c, p in sorted(work.items())],
        travel=[_make_travel(c, _pool_stats(p), params.confidence) for c, p in sorted(trav.items())],
        set_aside=[a for tab in tables for a in tab.set_aside],
        sources=[tab.scope for tab in tables],
    )
