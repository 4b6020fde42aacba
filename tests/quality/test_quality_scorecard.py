"""The scorecard: exact points, the 40/60 split, small samples, neutral grade, bands, monthly grades."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError
from quality_factories import T0, order, technician

from quality.domain import Direction, GradeBand, KpiRule, Light, Part
from quality.scorecard import (
    KPI_NAMES,
    ScoreScheme,
    default_scheme,
    kpi_points,
    monthly_grades,
    score_and_grade,
    technician_scorecards,
)

D = Decimal

AT_TARGET = {
    "callback_contact_timely": D("0.80"), "callback_appointment_kept": D("0.80"), "callback_skill": D("0.80"),
    "callback_attitude": D("0.80"), "overall_satisfaction": D("0.80"), "repair_timeliness": D("0.95"),
    "install_timeliness": D("0.95"), "repeat_report_rate": D("0.05"), "technician_response": D("0.95"),
    "complaints_per_1000": D("10"),
}


def test_kpi_names_stable() -> None:
    """The first ten keys are the ones payroll codes against, in this order."""
    assert KPI_NAMES[:10] == (
        "repair_timeliness", "install_timeliness", "repeat_report_rate", "callback_contact_timely",
        "callback_appointment_kept", "callback_skill", "callback_attitude", "overall_satisfaction",
        "first_response_30min", "complaints_per_1000",
    )


def test_operator_scheme_is_40_60() -> None:
    """Customer satisfaction is 40 points of 100, the operational scorecard 60."""
    shares = default_scheme().part_shares()
    assert shares[Part.SATISFACTION] == 40 and shares[Part.OPERATIONAL] == 60


def test_all_targets_met_scores_100_grade_a() -> None:
    """Every KPI at its target earns its full weight: 100 points, grade A, all green."""
    card = score_and_grade(AT_TARGET)
    assert card.score == D("100.00") and card.grade == "A"
    assert all(card.lights[k] == Light.GREEN for k in AT_TARGET)


def test_exact_points_half_way() -> None:
    """Satisfaction at target (40) + repair 0.875 (7.5) + install 0.95 (12) + repeat 0.10 (6)
    + technician response 0.825 (4.5) + complaints 20/1000 (6) = 76.00 → grade B (71 <= 76 < 83)."""
    values = AT_TARGET | {
        "repair_timeliness": D("0.875"), "repeat_report_rate": D("0.10"),
        "technician_response": D("0.825"), "complaints_per_1000": D("20"),
    }
    card = score_and_grade(values)
    assert card.score == D("76.00") and card.grade == "B"
    assert card.points["repair_timeliness"] == D("7.5")
    assert card.points["repeat_report_rate"] == D("6")
    assert card.points["technician_response"] == D("4.5")
    assert card.lights["repair_timeliness"] == Light.RED  # below the 0.90 warning limit
    assert card.lights["repeat_report_rate"] == Light.RED  # above the 0.08 warning limit


def test_points_clamped_beyond_floor_and_target() -> None:
    """Better than target earns no more than the weight; worse than the floor earns 0."""
    rule = default_scheme().rules["repair_timeliness"]
    assert kpi_points(rule, D("1")) == rule.weight
    assert kpi_points(rule, D("0.5")) == 0
    lower = default_scheme().rules["complaints_per_1000"]
    assert kpi_points(lower, D("0")) == lower.weight
    assert kpi_points(lower, D("100")) == 0


def test_missing_kpi_rescales_within_its_part() -> None:
    """Without overall satisfaction the other four callback KPIs carry the 40 points."""
    values = dict(AT_TARGET) | {"overall_satisfaction": None}
    card = score_and_grade(values)
    assert card.score == D("100.00")
    assert any("overall_satisfaction: no data" in f for f in card.flags)


def test_missing_part_rests_on_the_other() -> None:
    """Without any survey the score is the operational part scaled to 100: 36/60 → 60.00, grade C."""
    values = {k: v for k, v in AT_TARGET.items() if not k.startswith(("callback", "overall"))}
    values |= {"repair_timeliness": D("0.875"), "repeat_report_rate": D("0.10"),
               "technician_response": D("0.825"), "complaints_per_1000": D("20")}
    card = score_and_grade(values)
    assert card.score == D("60.00") and card.grade == "C"
    assert any("part satisfaction" in f for f in card.flags)


def test_small_sample_not_scored() -> None:
    """A technician with 3 callbacks: the survey KPIs are flagged and left out, not graded from noise."""
    values = dict(AT_TARGET) | {k: D("0") for k in AT_TARGET if k.startswith(("callback", "overall"))}
    sizes = {k: 3 for k in AT_TARGET if k.startswith(("callback", "overall"))}
    card = score_and_grade(values, sample_sizes=sizes)
    assert card.score == D("100.00")
    assert sum("small_sample" in f for f in card.flags) == 5
    assert card.lights["callback_skill"] == Light.GREY
    harsh = score_and_grade(values)  # without sample sizes the zeros count
    assert harsh.score == D("60.00")


def test_no_data_gives_neutral_grade() -> None:
    """No scoreable KPI: the neutral score 80 (grade B) with the insufficient_data flag."""
    card = score_and_grade({})
    assert card.score == D("80.00") and card.grade == "B"
    assert any(f.startswith("insufficient_data") for f in card.flags)


def test_bands() -> None:
    """A >= 83 > B >= 71 > C >= 53 > D; the neutral score 80 is a B."""
    scheme = default_scheme()
    assert [scheme.grade_for(D(s)) for s in ("100", "83", "82.99", "71", "70.99", "53", "52.99", "0")] == [
        "A", "A", "B", "B", "C", "C", "D", "D"
    ]
    assert scheme.grade_for(scheme.no_data_score) == "B"


def test_scheme_rejects_weights_not_100() -> None:
    """A scheme whose weights do not add up to 100 is refused with the total."""
    rules = dict(default_scheme().rules)
    rules["repair_timeliness"] = rules["repair_timeliness"].model_copy(update={"weight": D(5)})
    with pytest.raises(ValidationError, match="add up to 100"):
        ScoreScheme(rules=rules)


def test_scheme_rejects_bad_bands_and_keys() -> None:
    """Bands must start at 0 and be listed best first; KPI keys must be known."""
    with pytest.raises(ValidationError, match="start at 0"):
        ScoreScheme(bands=(GradeBand(grade="A", min_score=D(50)),))
    with pytest.raises(ValidationError, match="best first"):
        ScoreScheme(bands=(GradeBand(grade="D", min_score=D(0)), GradeBand(grade="A", min_score=D(90))))
    rules = dict(default_scheme().rules)
    rules["speed"] = rules.pop("repair_timeliness")
    with pytest.raises(ValidationError, match="unknown KPI"):
        ScoreScheme(rules=rules)


def test_rule_rejects_floor_on_wrong_side() -> None:
    """A higher-is-better rule needs floor < warn <= target."""
    with pytest.raises(ValidationError, match="floor"):
        KpiRule(weight=D(10), target=D("0.9"), warn=D("0.8"), floor=D("0.95"))
    with pytest.raises(ValidationError, match="floor"):
        KpiRule(weight=D(10), target=D("0.1"), warn=D("0.2"), floor=D("0.05"), direction=Direction.LOWER)


def _month(tech: str, n: int, late: int, start: int = 0) -> list:
    return [
        order(f"{tech}-{i}", tech=tech, created=T0 + dt.timedelta(hours=start + i),
              done_h=30 if i < late else 2)
        for i in range(n)
    ]


def test_monthly_grades_hand_checked_without_shrinkage() -> None:
    """t1: 10 repairs, 1 late → timeliness 0.9 (10 of 15 points), the rest of the operational part
    perfect (repeat 0, complaints 0); no survey, no installs and no recorded contacts (the
    technician's response is unknown, not scored) → score = (10 + 12 + 12) / 39 × 100 = 87.18
    when three scored KPIs suffice; the default minimum of four gives the neutral 80."""
    scheme = default_scheme().model_copy(update={"shrinkage_strength": D(0), "min_scored_kpis": 3})
    grades = monthly_grades(_month("t1", 10, 1), "2026-03", scheme=scheme)
    assert grades["t1"].score == D("87.18")
    neutral = monthly_grades(_month("t1", 10, 1), "2026-03")["t1"]
    assert neutral.score == D("80.00") and neutral.grade == default_scheme().grade_for(D(80))
    assert any("only 3 KPI(s) could be scored, fewer than 4" in f and "would give 87.18" in f
               for f in neutral.flags)
    assert grades["t1"].points["repair_timeliness"] == D("10")


def test_monthly_grades_shrinks_toward_the_group() -> None:
    """t1 has 10 repairs with 1 late (0.9), t2 has 10 with 5 late (0.5): the group value is 0.7 and
    with m = 10, t1's timeliness becomes (10·0.9 + 10·0.7)/20 = 0.8 (0 points)."""
    orders = _month("t1", 10, 1) + _month("t2", 10, 5, start=20)
    techs = [technician("t1"), technician("t2")]
    cards = technician_scorecards(orders, "2026-03", technicians=techs)
    card, raw = cards["t1"]
    assert raw["repair_timeliness"].value == D("0.9")
    assert card.values["repair_timeliness"] == D("0.8")
    assert card.points["repair_timeliness"] == D("0")
    assert any("shrunk toward the group" in f for f in card.flags)


def test_monthly_grades_technician_without_orders() -> None:
    """A technician asked for but without orders gets the neutral grade and the flag."""
    scheme = default_scheme().model_copy(update={"min_scored_kpis": 3})
    grades = monthly_grades(_month("t1", 10, 0), "2026-03", ["t1", "t9"], scheme=scheme)
    assert set(grades) == {"t1", "t9"}
    assert grades["t9"].score == D(80) and any("insufficient_data" in f for f in grades["t9"].flags)
    assert grades["t1"].grade == "A"


def test_monthly_grades_other_month_is_empty() -> None:
    """Orders of March do not grade April."""
    grades = monthly_grades(_month("t1", 10, 10), "2026-04", ["t1"])
    assert any("insufficient_data" in f for f in grades["t1"].flags)


def test_three_callbacks_get_an_interval_and_a_flag() -> None:
    """A technician with 3 satisfied callbacks is not graded from them: the flag carries the Wilson
    interval [0.438503, 1] of the own value, and the grade rests on the other KPIs."""
    orders = _month("t1", 10, 0)
    orders += [order(f"s{i}", tech="t1", created=T0 + dt.timedelta(days=1, hours=i), done_h=2,
                     satisfaction=5) for i in range(3)]
    cards = technician_scorecards(orders, "2026-03")
    card, raw = cards["t1"]
    assert raw["overall_satisfaction"].denominator == 3
    assert card.intervals["overall_satisfaction"] == (D("0.438503"), D("1.000000"))
    (flag,) = [f for f in card.flags if f.startswith("small_sample: overall_satisfaction")]
    assert "[0.438503, 1]" in flag
    assert "overall_satisfaction" not in card.points


def test_estimate_strength_method_of_moments() -> None:
    """1/10, 9/10, 5/10: p = 0.5, S = 3.2, τ² = (3.2 − 2·0.25)/(30 − 10) = 0.135, m = 0.25/0.135 − 1
    = 0.85; identical technicians give the upper bound; fewer than 3 give None."""
    from quality.scorecard import estimate_strength

    assert estimate_strength([(D(1), 10), (D(9), 10), (D(5), 10)]) == D("0.85")
    assert estimate_strength([(D(5), 10)] * 3) == D("1000.00")
    assert estimate_strength([(D(5), 10)] * 2) is None
    assert estimate_strength([(D(0), 10)] * 4) is None


def test_estimated_strength_used_in_scorecards() -> None:
    """With estimate_strength, technicians who differ far beyond chance are barely shrunk."""
    orders = _month("t1", 20, 0) + _month("t2", 20, 20, start=30) + _month("t3", 20, 10, start=60)
    scheme = default_scheme().model_copy(update={"estimate_strength": True})
    card, raw = technician_scorecards(orders, "2026-03", scheme=scheme)["t1"]
    assert raw["repair_timeliness"].value == D(1)
    estimated = card.values["repair_timeliness"]
    assert estimated is not None and D("0.95") < estimated < D(1)
    fixed, _ = technician_scorecards(orders, "2026-03")["t1"]
    fixed_value = fixed.values["repair_timeliness"]
    assert fixed_value is not None and estimated > fixed_value
