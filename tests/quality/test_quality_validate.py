"""Bad input: every bad record is reported with its row and rule, and KPIs say what they left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quality_factories import order, technician

from quality.domain import UnitKind
from quality.table import kpi_table
from quality.validate import check_orders, validate_records


def rec(oid: str, **over: Any) -> dict[str, Any]:
    """A good raw repair record of technician t1 (strings, as read from CSV), overridden by ``over``."""
    base = {
        "id": oid, "order_type": "repair", "customer_grade": "ordinary", "line_type": "broadband",
        "created": "2026-03-02 08:00", "deadline": "2026-03-03 08:00", "technician_id": "t1",
        "dispatched_at": "2026-03-02 08:10", "started_at": "2026-03-02 09:00",
        "completed_at": "2026-03-02 10:00", "satisfaction": "5", "contact_timely": "yes",
        "appointment_kept": "1", "skill_satisfied": "true", "attitude_satisfied": "是",
        "repeat_fault_within_days": "", "complaint": "no",
    }
    return base | over


def rules_of(result) -> list[str]:
    return [p.rule.split(":", 1)[0] for p in result.problems]


def test_good_record_builds_an_order() -> None:
    """A clean record becomes an order with its events and survey answers; no problems."""
    result = validate_records([rec("a")], {"t1"})
    assert not result.problems and len(result.orders) == 1
    o = result.orders[0]
    assert o.status == "completed" and len(o.history) == 3
    assert o.outcome is not None and o.outcome.attitude_satisfied is True


def test_completed_before_created_is_reported_and_excluded() -> None:
    """Completed before created: reported with row, field, value and rule; left out of every KPI."""
    result = validate_records([rec("a"), rec("b", completed_at="2026-03-01 07:00",
                                              dispatched_at="", started_at="")], {"t1"}, file="x.csv")
    assert [o.id for o in result.orders] == ["a"]
    (problem,) = result.problems
    assert problem.row == 3 and problem.file == "x.csv" and problem.field == "completed_at"
    assert "impossible_timestamps" in problem.rule and "order b" in problem.rule
    assert result.excluded_counts() == {"impossible_timestamps": 1}


def test_events_out_of_order() -> None:
    """Started before dispatched is an impossible timestamp too."""
    result = validate_records([rec("a", started_at="2026-03-02 08:05", dispatched_at="2026-03-02 08:30")])
    assert rules_of(result) == ["impossible_timestamps"] and not result.orders


def test_unknown_technician() -> None:
    """A technician id outside the staff list is reported and the record left out; without a staff
    list it is not checked."""
    result = validate_records([rec("a", technician_id="ghost")], {"t1"})
    assert rules_of(result) == ["unknown_technician"] and not result.orders
    assert result.problems[0].value == "ghost"
    assert validate_records([rec("a", technician_id="ghost")]).orders


def test_survey_answer_outside_scale_drops_only_that_answer() -> None:
    """Satisfaction 7 on a 1–5 scale: reported; the order still counts for timeliness but is left
    out of overall satisfaction, and the KPI cell says so."""
    records = [rec("a"), rec("b", satisfaction="7"), rec("c", contact_timely="maybe")]
    result = validate_records(records, {"t1"})
    assert sorted(rules_of(result)) == ["survey_out_of_scale", "survey_out_of_scale"]
    assert len(result.orders) == 3
    rows = {r.kpi: r for r in kpi_table(result, UnitKind.TECHNICIAN, "month", ["2026-03"])}
    assert rows["repair_timeliness"].denominator == 3 and not rows["repair_timeliness"].excluded
    assert rows["overall_satisfaction"].denominator == 2
    assert rows["overall_satisfaction"].excluded == {"survey_out_of_scale": 1}
    assert rows["callback_contact_timely"].denominator == 2
    assert rows["callback_contact_timely"].excluded == {"survey_out_of_scale": 1}


def test_excluded_records_counted_in_their_cell() -> None:
    """A record left out entirely (bad timestamps) is counted in every KPI of its unit and month."""
    result = validate_records([rec("a"), rec("b", completed_at="2026-03-02 07:00", started_at="",
                                              dispatched_at="")], {"t1"})
    rows = kpi_table(result, UnitKind.TECHNICIAN, "month", ["2026-03"])
    assert all(r.excluded.get("impossible_timestamps") == 1 for r in rows)


def test_bad_repeat_fault_days() -> None:
    """Negative repeat-fault days: reported, left out of the repeat-report rate only."""
    result = validate_records([rec("a", repeat_fault_within_days="-3")])
    assert rules_of(result) == ["bad_repeat_fault"] and len(result.orders) == 1
    assert result.exclusions[0].kpis == frozenset({"repeat_report_rate"})


def test_unreadable_values_and_enums() -> None:
    """Unknown order type, unreadable timestamp, missing id: each named with its field."""
    result = validate_records([
        rec("a", order_type="teleport"), rec("b", created="yesterday"), rec("", order_type="repair"),
    ])
    fields = [p.field for p in result.problems]
    assert fields == ["order_type", "created", "id"]
    assert not result.orders and result.records_read == 3


def test_deadline_before_created_and_duplicates() -> None:
    """Deadline not after creation and a repeated id are both reported."""
    result = validate_records([rec("a", deadline="2026-03-02 07:00"), rec("b"), rec("b")])
    assert sorted(rules_of(result)) == ["deadline_before_created", "duplicate_id"]
    assert [o.id for o in result.orders] == ["b"]


def test_missing_deadline_uses_service_deadline() -> None:
    """Without a deadline the service deadline applies (ordinary repair: 24 h)."""
    result = validate_records([rec("a", deadline="")])
    assert result.orders[0].deadline.hour == 8 and result.orders[0].deadline.day == 3


def test_completed_without_completion_time() -> None:
    """Status completed without any event time cannot be placed in a period: reported."""
    bare = rec("a", status="completed", dispatched_at="", started_at="", completed_at="")
    result = validate_records([bare])
    assert rules_of(result) == ["required"] and not result.orders


def test_event_list_records() -> None:
    """Database-style records with an event list are checked the same way."""
    events = [{"status": "dispatched", "at": "2026-03-02 08:10"},
              {"status": "completed", "at": "2026-03-02 09:00"}]
    result = validate_records([rec("a", events=events)])
    assert rules_of(result) == ["impossible_timestamps"]  # dispatched → completed skips "started"


def test_check_orders_unknown_technician_and_duplicate() -> None:
    """Built orders: unknown technicians and duplicate ids are reported and left out."""
    result = check_orders([order("a"), order("a"), order("b", tech="ghost")], {"t1"})
    assert [o.id for o in result.orders] == ["a"]
    assert sorted(rules_of(result)) == ["duplicate_id", "unknown_technician"]


def test_region_group_table_needs_staff() -> None:
    """Region-group units need the staff list; with it, unknown ids land in '(unknown technician)'."""
    import pytest

    with pytest.raises(ValueError, match="staff list"):
        kpi_table([order("a")], UnitKind.REGION_GROUP, "month", ["2026-03"])
    rows = kpi_table([order("a"), order("b", tech="t2")], UnitKind.BRANCH, "month", ["2026-03"],
                     technicians=[technician("t1")], names=["repair_timeliness"])
    assert {r.unit_id: r.denominator for r in rows} == {"b1": 1, "(unknown technician)": 1}
    assert rows[0].value == Decimal(1)


def test_status_disagreeing_with_event_times() -> None:
    """Status 'started' with a completion time is reported, not silently taken as completed."""
    result = validate_records([rec("a", status="started")])
    assert rules_of(result) == ["invalid_order"] and not result.orders
    assert result.problems[0].field == "status"
