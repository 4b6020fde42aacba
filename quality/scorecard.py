"""The scorecard: KPI values → points out of 100 → quality grade (A/B/C/D), and monthly grades.

:func:`monthly_grades` is the one function the payroll instrument reads grades through.

The scoring rule (operator's scheme by default, :func:`default_scheme`)
-----------------------------------------------------------------------
- Each KPI has a weight (its points), a target, a direction and a floor. It earns its full weight
  at or beyond the target, 0 at or beyond the floor, linearly in between.
- The weights of the customer-satisfaction part (the five callback KPIs) add up to 40, those of
  the operational scorecard (timeliness, repeat faults, the technician's first response,
  complaints) to 60. Only KPIs a technician answers for (:data:`quality.kpis.KPI_OWNER`) may
  carry weight: the dispatch centre's response is the centre's.
- A KPI without data, or with fewer records than its ``min_sample`` (default 5), is **not scored**:
  it is flagged and the remaining KPIs of its part are rescaled to the part's share. When a
  whole part has no scoreable KPI the other part is rescaled to 100. With fewer than
  ``min_scored_kpis`` (4) scored KPIs the score is ``no_data_score`` (80 = grade B, the neutral
  grade) with the flag ``insufficient_data``: a technician is never graded from too little evidence.
- In :func:`monthly_grades`, each KPI of a technician is in addition **shrunk toward the pooled
  value of the technician's group** (region group when technicians are given, otherwise all orders
  passed in) by empirical-Bayes shrinkage with ``shrinkage_strength`` m pseudo-records
  (default 10): ``v' = (n·v + m·g) / (n + m)``. With 5 callbacks the own value counts 1/3,
  with 90 it counts 90 %. m = 0 disables it. With ``estimate_strength`` m is estimated per rate
  KPI from the spread between the technicians (method of moments, :func:`estimate_strength`).
- The score is quantised to 0.01 (half-up); the grade is the first band whose ``min_score`` the
  score reaches (bands sorted descending), so grades are monotone in the score. The default bands
  (A >= 83, B >= 71, C >= 53) are calibrated on the demo month to the operator's intended shares
  (:data:`INTENDED_SHARES`, :func:`calibrate_bands`).
- Lights judge the technician's own value (before shrinkage), the same value and light the KPI
  table shows; the shrunk value only earns the points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quality.domain import (
    Direction,
    GradeBand,
    KpiResult,
    KpiRule,
    KpiSettings,
    Light,
    Part,
    ScoredGrade,
)
from quality.kpis import (
    KPI_FUNCTIONS,
    KPI_OWNER,
    KPI_SCALE,
    RATE_KPIS,
    TECHNICIAN,
    compute_kpis,
    link_repeats,
)
from quality.periods import month_window
from vocabulary.orders import WorkOrder
from vocabulary.staff import Technician

__all__ = [
    "KPI_NAMES",
    "GradeBand",
    "KpiRule",
    "ScoreScheme",
    "ScoredGrade",
    "INTENDED_SHARES",
    "calibrate_bands",
    "default_scheme",
    "estimate_strength",
    "grade_shares",
    "kpi_points",
    "monthly_grades",
    "score_and_grade",
    "shrink",
    "technician_scorecards",
]

#: The stable KPI keys (never renamed; new ones are appended).
KPI_NAMES: tuple[str, ...] = (
    "repair_timeliness",
    "install_timeliness",
    "repeat_report_rate",
    "callback_contact_timely",
    "callback_appointment_kept",
    "callback_skill",
    "callback_attitude",
    "overall_satisfaction",
    "first_response_30min",
    "complaints_per_1000",
    "install_wait_hours",
    "overdue_reminders",
    "dispatch_response",
    "technician_response",
)
assert set(KPI_NAMES) == set(KPI_FUNCTIONS), "every KPI key needs a function in quality.kpis"

_D = Decimal
_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")


def _higher(weight: str, target: str, warn: str, floor: str, part: Part) -> KpiRule:
    return KpiRule(weight=_D(weight), target=_D(target), warn=_D(warn), floor=_D(floor), part=part)


def _lower(weight: str, target: str, warn: str, floor: str, part: Part = Part.OPERATIONAL) -> KpiRule:
    return KpiRule(
        weight=_D(weight), target=_D(target), warn=_D(warn), floor=_D(floor), part=part,
        direction=Direction.LOWER,
    )


def _default_rules() -> dict[str, KpiRule]:
    sat, op = Part.SATISFACTION, Part.OPERATIONAL
    return {
        # customer satisfaction: 40 points; plan target "satisfaction >= 80%"
        "callback_contact_timely": _higher("8", "0.80", "0.70", "0.50", sat),
        "callback_appointment_kept": _higher("8", "0.80", "0.70", "0.50", sat),
        "callback_skill": _higher("8", "0.80", "0.70", "0.50", sat),
        "callback_attitude": _higher("8", "0.80", "0.70", "0.50", sat),
        "overall_satisfaction": _higher("8", "0.80", "0.70", "0.50", sat),
        # operational scorecard: 60 points; norms "repair rate >= 95%", "response <= 30 min",
        # "complaint rate <= 1%"
        "repair_timeliness": _higher("15", "0.95", "0.90", "0.80", op),
        "install_timeliness": _higher("12", "0.95", "0.90", "0.80", op),
        "repeat_report_rate": _lower("12", "0.05", "0.08", "0.15"),
        "technician_response": _higher("9", "0.95", "0.90", "0.70", op),
        "complaints_per_1000": _lower("12", "10", "15", "30"),
        # watched (lights, warnings) but not scored
        "install_wait_hours": _lower("0", "48", "72", "168"),
        "overdue_reminders": _lower("0", "0.05", "0.10", "0.20"),
        # the dispatch centre's part and the customer's view: never charged to a technician
        "dispatch_response": _higher("0", "0.95", "0.90", "0.70", op),
        "first_response_30min": _higher("0", "0.95", "0.90", "0.70", op),
    }


def _default_bands() -> tuple[GradeBand, ...]:
    # calibrated on the demo month (calibrate_bands to INTENDED_SHARES on June 2026, seed 20260401,
    # data taken 1 July; docs/kpis.md): the 21st, 63rd and 94th best of 104 scores, rounded down
    return (
        GradeBand(grade="A", min_score=_D(83)),
        GradeBand(grade="B", min_score=_D(71)),
        GradeBand(grade="C", min_score=_D(53)),
        GradeBand(grade="D", min_score=_D(0)),
    )


#: The share of technicians the operator intends in each grade in an ordinary month: a fifth
#: excellent, two fifths good, three tenths acceptable, a tenth to improve. The default bands are
#: checked against it on the demo month (``python -m benchmarks --only quality``).
INTENDED_SHARES: dict[str, Decimal] = {"A": _D("0.20"), "B": _D("0.40"), "C": _D("0.30"), "D": _D("0.10")}


class ScoreScheme(BaseModel):
    """A scoring scheme: per-KPI rules, grade bands and the small-sample rule.

    The default is the operator's scheme: customer satisfaction 40 % of the score, the
    operational scorecard 60 %; bands A >= 83, B >= 71, C >= 53, D below, calibrated so that the
    demo month gives about the intended 20 / 40 / 30 / 10 % (:data:`INTENDED_SHARES`).

    Attributes
    ----------
    rules:
        KPI key → :class:`KpiRule` (weight, target, direction, floor, warn, part, min_sample).
        Scored weights must add up to 100.
    bands:
        Grade bands; sorted descending by ``min_score``; the lowest must start at 0.
    shrinkage_strength:
        m of the empirical-Bayes shrinkage toward the group value in :func:`monthly_grades`.
    estimate_strength:
        Estimate m per rate KPI from the spread between technicians (method of moments of the
        beta-binomial, :func:`estimate_strength`) instead of the fixed ``shrinkage_strength``,
        which stays the fallback when fewer than 3 technicians have data.
    no_data_score:
        The neutral score, given when too few KPIs can be scored (flag ``insufficient_data``).
    min_scored_kpis:
        A grade departs from the neutral one only when at least this many KPIs are scored (enough
        records, ``min_sample`` each): a grade resting on one or two KPIs is noise.
    intended_shares:
        Grade → the share of technicians the operator intends in it (adding up to 1): what the
        bands are calibrated to (:func:`calibrate_bands`) and checked against.
    """

    model_config = ConfigDict(frozen=True)

    name: str = "operator-40-60"
    rules: dict[str, KpiRule] = Field(default_factory=_default_rules)
    bands: tuple[GradeBand, ...] = Field(default_factory=_default_bands)
    shrinkage_strength: Decimal = Field(default=Decimal(10), ge=0)
    estimate_strength: bool = False
    no_data_score: Decimal = Field(default=Decimal(80), ge=0, le=100)
    min_scored_kpis: int = Field(default=4, ge=1, le=len(KPI_NAMES))
    intended_shares: dict[str, Decimal] = Field(default_factory=lambda: dict(INTENDED_SHARES))

    @model_validator(mode="after")
    def _consistent(self) -> ScoreScheme:
        unknown = sorted(set(self.rules) - set(KPI_NAMES))
        if unknown:
            raise ValueError(f"unknown KPI key(s) {unknown} in the scheme; known: {list(KPI_NAMES)}")
        total = sum((r.weight for r in self.rules.values()), Decimal(0))
        if total != 100:
            raise ValueError(f"KPI weights must add up to 100 points, got {total}")
        if not self.bands:
            raise ValueError("a scheme needs at least one grade band")
        ordered = tuple(sorted(self.bands, key=lambda b: b.min_score, reverse=True))
        if ordered[-1].min_score != 0:
            raise ValueError(f"the lowest grade band must start at 0, got {ordered[-1].min_score}")
        if len({b.min_score for b in ordered}) != len(ordered):
            raise ValueError("grade bands must have distinct min_score values")
        if ordered != self.bands:
            raise ValueError("grade bands must be listed best first (descending min_score)")
        if set(self.intended_shares) != {b.grade for b in self.bands}:
            raise ValueError(f"intended_shares {sorted(self.intended_shares)} must name exactly the grades "
                             f"{[b.grade for b in self.bands]}")
        if sum(self.intended_shares.values(), Decimal(0)) != 1:
            raise ValueError(f"intended_shares must add up to 1, got {sum(self.intended_shares.values())}")
        charged = sorted(n for n, r in self.rules.items() if r.weight and KPI_OWNER[n] != TECHNICIAN)
        if charged:
            raise ValueError(
                f"KPI(s) {charged} are not the technician's to answer for: their weight must be 0"
            )
        return self

    def part_shares(self) -> dict[Part, Decimal]:
        """Points of each part (sum of its weights): 40 / 60 in the operator's scheme."""
        shares: dict[Part, Decimal] = defaultdict(Decimal)
        for rule in self.rules.values():
            shares[rule.part] += rule.weight
        return dict(shares)

    def grade_for(self, score: Decimal) -> str:
        """The grade letter of ``score``: the first band (descending) whose minimum it reaches."""
        for band in self.bands:
            if score >= band.min_score:
                return band.grade
        return self.bands[-1].grade


def grade_shares(grades: Iterable[str], scheme: ScoreScheme | None = None) -> dict[str, Decimal]:
    """Share of each of the scheme's grades among ``grades`` (to 0.001; every grade listed)."""
    scheme = scheme or default_scheme()
    counts = {b.grade: 0 for b in scheme.bands}
    total = 0
    for g in grades:
        counts[g] = counts.get(g, 0) + 1
        total += 1
    return {g: (Decimal(c) / total).quantize(Decimal("0.001"), ROUND_HALF_UP) if total else Decimal(0)
            for g, c in counts.items()}


def calibrate_bands(scores: Sequence[Decimal], intended: Mapping[str, Decimal]) -> tuple[GradeBand, ...]:
    """Band minimums that give ``intended`` shares (grade → share, best grade first) on ``scores``.

    The best ``⌊n·share⌉`` scores get the best grade, and so on: each band starts at the lowest
    score of its group rounded down to a whole point (ties may tip a technician up a grade); the
    last band starts at 0. Used to calibrate a scheme on a real month; the default bands are this
    function's answer on the demo month.
    """
    if not scores:
        raise ValueError("no scores to calibrate on")
    if sum(intended.values(), Decimal(0)) != 1:
        raise ValueError(f"intended shares must add up to 1, got {sum(intended.values())}")
    ranked = sorted(scores, reverse=True)
    n = len(ranked)
    grades = list(intended)
    bands: list[GradeBand] = []
    cumulative = Decimal(0)
    previous = Decimal(101)
    for grade in grades[:-1]:
        cumulative += intended[grade]
        k = int((cumulative * n).to_integral_value(ROUND_HALF_UP))
        cut = ranked[k - 1].to_integral_value(rounding="ROUND_FLOOR") if k > 0 else Decimal(100)
        cut = min(cut, previous - 1)
        bands.append(GradeBand(grade=grade, min_score=max(cut, Decimal(1))))
        previous = cut
    bands.append(GradeBand(grade=grades[-1], min_score=Decimal(0)))
    return tuple(bands)


def default_scheme() -> ScoreScheme:
    """The operator's scheme (satisfaction 40 %, operational 60 %; A/B/C/D at 83/71/53)."""
    return ScoreScheme()


def kpi_points(rule: KpiRule, value: Decimal) -> Decimal:
    """Points of one KPI value: full weight at/after the target, 0 at/after the floor, linear between."""
    if rule.direction == Direction.HIGHER:
        fraction = (value - rule.floor) / (rule.target - rule.floor)
    else:
        fraction = (rule.floor - value) / (rule.floor - rule.target)
    fraction = min(Decimal(1), max(Decimal(0), fraction))
    return rule.weight * fraction


def score_and_grade(
    kpi_values: Mapping[str, Decimal | None],
    scheme: ScoreScheme | None = None,
    sample_sizes: Mapping[str, int] | None = None,
    own_values: Mapping[str, Decimal | None] | None = None,
) -> ScoredGrade:
    """Score KPI values out of 100 and grade them.

    Parameters
    ----------
    kpi_values:
        KPI key → value to score (None: no data). Keys outside the scheme are ignored.
    scheme:
        The scoring scheme (default: the operator's, :func:`default_scheme`).
    sample_sizes:
        KPI key → records behind the value; a KPI with fewer than its rule's ``min_sample`` is
        not scored (flagged ``small_sample``). KPIs missing from this mapping are scored.
    own_values:
        The technician's own values when ``kpi_values`` were shrunk toward the group: the lights
        judge these, as the KPI table does (default: ``kpi_values``).

    Returns
    -------
    ScoredGrade
        Score in [0, 100] (0.01), grade, points per scored KPI, flags, lights. With fewer than
        ``scheme.min_scored_kpis`` scored KPIs the score is the neutral ``no_data_score``.
    """
    scheme = scheme or default_scheme()
    sizes = dict(sample_sizes or {})
    own = kpi_values if own_values is None else own_values
    points: dict[str, Decimal] = {}
    flags: list[str] = []
    lights: dict[str, Light] = {}
    values: dict[str, Decimal | None] = {}
    owned: dict[str, Decimal | None] = {}
    earned: dict[Part, Decimal] = defaultdict(Decimal)
    available: dict[Part, Decimal] = defaultdict(Decimal)
    for name, rule in scheme.rules.items():
        if KPI_OWNER[name] != TECHNICIAN:
            continue
        value = kpi_values.get(name)
        values[name], owned[name] = value, own.get(name)
        n = sizes.get(name)
        lights[name] = rule.light_for(owned[name], n)
        if rule.weight == 0:
            continue
        if value is None:
            flags.append(f"{name}: no data, not scored")
            continue
        if n is not None and n < rule.min_sample:
            flags.append(f"small_sample: {name} has {n} record(s) < {rule.min_sample}, not scored")
            continue
        earned[rule.part] += kpi_points(rule, value)
        points[name] = kpi_points(rule, value).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        available[rule.part] += rule.weight
    shares = scheme.part_shares()
    present = [p for p in available if available[p] > 0]
    neutral = scheme.no_data_score.quantize(_CENT, ROUND_HALF_UP)
    if not present:
        score = neutral
        flags.append(f"insufficient_data: no KPI could be scored; neutral score {score} given")
    else:
        total_share = sum((shares[p] for p in present), Decimal(0))
        raw = sum((shares[p] * earned[p] / available[p] for p in present), Decimal(0)) * 100 / total_share
        score = min(Decimal(100), max(Decimal(0), raw)).quantize(_CENT, ROUND_HALF_UP)
        for part in shares:
            if shares[part] > 0 and part not in present:
                flags.append(f"part {part} has no scoreable KPI; the score rests on the other part")
        if len(points) < scheme.min_scored_kpis:
            flags.append(
                f"insufficient_data: only {len(points)} KPI(s) could be scored, fewer than "
                f"{scheme.min_scored_kpis}; neutral score {neutral} given (they alone would give {score})"
            )
            score = neutral
    return ScoredGrade(
        score=score, grade=scheme.grade_for(score), points=points, flags=flags, values=values,
        own_values=owned, sample_sizes={k: v for k, v in sizes.items() if k in scheme.rules}, lights=lights,
    )


def shrink(result: KpiResult, group_value: Decimal | None, strength: Decimal) -> Decimal | None:
    """Empirical-Bayes shrinkage of a KPI toward its group: ``(n·v + m·g) / (n + m)``.

    Returns the own value unchanged when there is no group value or ``m == 0``, None when the KPI
    has no data.
    """
    if result.value is None:
        return None
    if group_value is None or strength == 0:
        return result.value
    n = Decimal(result.denominator)
    return ((n * result.value + strength * group_value) / (n + strength)).quantize(_MICRO, ROUND_HALF_UP)


#: Bounds of an estimated shrinkage strength (0: no pooling at all; 1000: all but the group value).
STRENGTH_BOUNDS = (Decimal(0), Decimal(1000))


def estimate_strength(counts: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """Empirical-Bayes strength m of a rate KPI from technicians' (successes, trials).

    Method of moments for the beta-binomial: with pooled rate p, N = Σ n_i and
    S = Σ n_i (p_i − p)², the between-technician variance is
    τ² = (S − (k − 1)·p(1 − p)) / (N − Σ n_i² / N), and a Beta prior of mean p and variance τ²
    has strength m = p(1 − p)/τ² − 1, clipped to :data:`STRENGTH_BOUNDS` (τ² <= 0: the
    technicians differ no more than chance, so m is the upper bound). None with fewer than 3
    technicians with data or a pooled rate of 0 or 1 (nothing to estimate).
    """
    data = [(Decimal(x), Decimal(n)) for x, n in counts if n > 0]
    if len(data) < 3:
        return None
    total = sum((n for _, n in data), Decimal(0))
    p = sum((x for x, _ in data), Decimal(0)) / total
    if p in (0, 1):
        return None
    spread = sum((n * (x / n - p) ** 2 for x, n in data), Decimal(0))
    denom = total - sum((n * n for _, n in data), Decimal(0)) / total
    tau2 = (spread - (len(data) - 1) * p * (1 - p)) / denom if denom > 0 else Decimal(0)
    low, high = STRENGTH_BOUNDS
    if tau2 <= 0:
        return high.quantize(Decimal("0.01"))
    m = p * (1 - p) / tau2 - 1
    return min(high, max(low, m)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def technician_scorecards(
    orders: Sequence[WorkOrder],
    month: str,
    technician_ids: Iterable[str] | None = None,
    scheme: ScoreScheme | None = None,
    *,
    technicians: Iterable[Technician] | None = None,
    settings: KpiSettings | None = None,
) -> dict[str, tuple[ScoredGrade, dict[str, KpiResult]]]:
    """Scorecards with the raw KPI results behind them (see :func:`monthly_grades`)."""
    scheme = scheme or default_scheme()
    settings = settings or KpiSettings()
    window = month_window(month)
    names = [n for n in scheme.rules if KPI_OWNER[n] == TECHNICIAN]
    group_of: dict[str, str] = {}
    for tech in technicians or ():
        group_of[tech.id] = tech.region_group_id or f"support:{tech.branch_id}"
    by_tech: dict[str, list[WorkOrder]] = defaultdict(list)
    for order in link_repeats(orders):  # a repeat may be another technician's order
        if order.technician_id is not None:
            by_tech[order.technician_id].append(order)
    ids = list(technician_ids) if technician_ids is not None else sorted(by_tech)
    all_results = {t: compute_kpis(os, window, settings, names) for t, os in by_tech.items()}
    # the group value pools the group's technicians: sum of numerators / sum of denominators
    pooled: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(lambda: [Decimal(0)] * 2))
    for tech_id, results in all_results.items():
        for name, result in results.items():
            acc = pooled[group_of.get(tech_id, "*")][name]
            acc[0] += result.numerator
            acc[1] += result.denominator
    strength: dict[str, Decimal] = {name: scheme.shrinkage_strength for name in names}
    if scheme.estimate_strength:
        for name in names:
            if KPI_SCALE[name] == 1000 or name in RATE_KPIS:
                pairs = [(r[name].numerator, r[name].denominator) for r in all_results.values()]
                est = estimate_strength(pairs)
                if est is not None:
                    strength[name] = est
    out: dict[str, tuple[ScoredGrade, dict[str, KpiResult]]] = {}
    for tech_id in ids:
        results = all_results.get(tech_id) or compute_kpis([], window, settings, names)
        group = pooled.get(group_of.get(tech_id, "*"), {})
        values: dict[str, Decimal | None] = {}
        notes: list[str] = []
        group_values: dict[str, Decimal | None] = {}
        for name, result in results.items():
            num, den = group.get(name, [Decimal(0), Decimal(0)])
            group_values[name] = None
            if den:
                group_values[name] = (KPI_SCALE[name] * num / den).quantize(_MICRO, ROUND_HALF_UP)
            values[name] = shrink(result, group_values[name], strength[name])
        scored = score_and_grade(values, scheme, {n: r.denominator for n, r in results.items()},
                                 own_values={n: r.value for n, r in results.items()})
        moved = [
            f"{name} {results[name].value}→{values[name]} (n={results[name].denominator}, "
            f"group {group_values[name]}, m={strength[name]})"
            for name in scored.points if values[name] != results[name].value
        ]
        if moved:
            notes.append("shrunk toward the group: " + "; ".join(moved))
        intervals = {
            name: (r.ci_low, r.ci_high) for name, r in results.items()
            if r.ci_low is not None and r.ci_high is not None
        }
        flags = [_with_interval(f, intervals) for f in scored.flags]
        open_kpis = [name for name in scored.points if results[name].provisional]
        if open_kpis:
            settle = max(r.settles_at for n, r in results.items() if n in open_kpis and r.settles_at)
            taken = (f"data taken {settings.as_of:%Y-%m-%d %H:%M}" if settings.as_of is not None
                     else "no data cut given: judged at the end of the month")
            flags.append(f"provisional: {', '.join(open_kpis)} can still change until "
                         f"{settle:%Y-%m-%d %H:%M} ({taken})")
        card = scored.model_copy(update={"flags": [*flags, *notes], "intervals": intervals})
        out[tech_id] = (card, results)
    return out


def _with_interval(flag: str, intervals: Mapping[str, tuple[Decimal, Decimal]]) -> str:
    """Append the 95 % interval to a small-sample flag ("... not scored; 95% interval [0.44, 1]")."""
    if not flag.startswith("small_sample: "):
        return flag
    name = flag.split()[1]
    if name not in intervals:
        return flag
    low, high = intervals[name]
    return f"{flag}; own value's 95% interval [{low.normalize()}, {high.normalize()}]"


def monthly_grades(
    orders: Iterable[WorkOrder],
    month: str,
    technician_ids: Iterable[str] | None = None,
    scheme: ScoreScheme | None = None,
    *,
    technicians: Iterable[Technician] | None = None,
    settings: KpiSettings | None = None,
) -> dict[str, ScoredGrade]:
    """Quality grade of each technician for a month: the one function payroll reads grades through.

    Parameters
    ----------
    orders:
        Work orders (any months; the month's are picked by each KPI's attribution rule, mostly
        completion inside the month), credited to ``WorkOrder.technician_id``.
    month:
        ``YYYY-MM``.
    technician_ids:
        Technicians to grade; those without orders get the neutral ``no_data_score`` grade with the
        flag ``insufficient_data``. Default: every technician with an order.
    scheme:
        Scoring scheme (default: the operator's 40/60 scheme).
    technicians:
        Optional staff records; when given, shrinkage pulls toward the technician's region group
        (support team: toward the branch's support team), otherwise toward all orders passed in.
    settings:
        KPI definitions (repeat-fault days, first-response minutes, satisfied threshold).

    Returns
    -------
    dict[str, ScoredGrade]
        Technician id → score, grade, points, flags (small samples, shrinkage, no data).
    """
    cards = technician_scorecards(
        list(orders), month, technician_ids, scheme, technicians=technicians, settings=settings
    )
    return {tech_id: card for tech_id, (card, _) in cards.items()}
