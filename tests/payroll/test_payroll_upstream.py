"""Payroll reads days worked from the published roster and standard minutes from the work-hour pool."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from payroll_factories import add_completed_order, seed_branch_rows

from fieldcrew.db import session_scope
from payroll.domain import DayStatus
from payroll.jobs import PayrollRunParams, inputs_and_sources_from_db, run_month
from payroll.policy import PayPolicy, default_policy_path, load_policies, policy_for_month
from payroll.store import get_payslip
from payroll.upstream import attendance_from_roster, rosters_from_db, time_off_in_lieu, whole_minutes
from scheduler.roster.domain import Employee, RosterProblem, RosterResult, ShiftType
from scheduler.roster.planning import DAY_SHIFT
from scheduler.roster.store import PublishedRoster, RosterDay, publish, published_rosters, save_draft
from timepool.standards import standards
from timepool.store import save_standard_table
from vocabulary.orders import OrderType

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "timepool"))
from timepool_factories import study  # noqa: E402

MONDAY = dt.date(2026, 3, 2)  # Sat 7 and Sun 8 March 2026 are calendar rest days
EMPLOYED = {"T1": (dt.date(2020, 1, 1), None), "T2": (dt.date(2020, 1, 1), dt.date(2026, 3, 5))}


def _days(attendance: list[Any]) -> dict[tuple[str, int], Any]:
    return {(a.technician_id, a.day.day): a for a in attendance}


def _roster(
    start: dt.date,
    assignment: dict[str, list[str | None]],
    shift_minutes: dict[str, int] | None = None,
    leave: dict[str, frozenset[int]] | None = None,
) -> PublishedRoster:
    """A published roster as the roster store hands it out, built by hand."""
    return PublishedRoster(
        id=f"R-{start}",
        branch_id="B1",
        period_start=start,
        start_date=start,
        days=max(map(len, assignment.values())),
        version=1,
        published_at=None,
        assignment={tech: tuple(row) for tech, row in assignment.items()},
        shift_minutes=shift_minutes or {},
        leave=leave or {},
    )


def test_roster_days_become_attendance_with_time_off_in_lieu() -> None:
    """Work = the shift's minutes; a weekday rest compensates one weekend shift of the same week."""
    roster = _roster(
        MONDAY,
        {
            # T1: rests Wednesday, works Saturday and Sunday → Saturday in lieu, Sunday at 200 %
            "T1": ["D", "D", None, "D", "D", "D", "D"],
            # T2: leave on Tuesday (day 1), employed until Thursday 5 March
            "T2": ["D", None, "D", "D", "D", "D", None],
            "X9": ["D"] * 7,  # not employed: ignored
        },
        {"D": 480},
        {"T2": frozenset({1})},
    )
    days = _days(attendance_from_roster([roster], dt.date(2026, 3, 1), dt.date(2026, 3, 31), EMPLOYED))
    assert days["T1", 2].status is DayStatus.WORK and days["T1", 2].worked_minutes == 480
    # the Wednesday rest is the time off taken in lieu of the Saturday shift
    assert days["T1", 4].status is DayStatus.TIME_OFF
    assert days["T1", 7].comp_time_off and not days["T1", 8].comp_time_off
    assert days["T2", 3].status is DayStatus.PAID_LEAVE
    assert ("T2", 6) not in days  # after the end of employment
    assert not any(a == "X9" for a, _ in days)
    assert len(days) == 7 + 4


def test_a_later_roster_wins_and_days_outside_the_month_are_left_out() -> None:
    first = _roster(dt.date(2026, 2, 23), {"T1": ["D"] * 7 + [None] + ["D"] * 6})
    second = _roster(dt.date(2026, 3, 2), {"T1": [None] + ["D"] * 6})
    days = _days(attendance_from_roster([first, second], dt.date(2026, 3, 1), dt.date(2026, 3, 31), EMPLOYED))
    assert sorted(d for _, d in days) == list(range(1, 9))
    assert days["T1", 1].status is DayStatus.WORK  # from the first roster (its day 6)
    # the second roster overrides its day 7 ("D"): a rest, taken in lieu of the Saturday shift
    assert days["T1", 2].status is DayStatus.TIME_OFF


def test_time_off_in_lieu_pairs_one_rest_per_weekend_shift() -> None:
    work, rest = (DayStatus.WORK, 480), (DayStatus.REST, 0)
    week = {("T", MONDAY + dt.timedelta(days=k)): work for k in range(7)}
    assert time_off_in_lieu(week) == set()  # no rest at all: both weekend days at 200 %
    week["T", MONDAY] = rest
    assert time_off_in_lieu(week) == {("T", dt.date(2026, 3, 7))}
    week["T", MONDAY + dt.timedelta(days=1)] = rest
    assert time_off_in_lieu(week) == {("T", dt.date(2026, 3, 7)), ("T", dt.date(2026, 3, 8))}


@pytest.mark.parametrize(("value", "minutes"), [(52.5, 53), (52.49, 52), (0.2, 1), (60.0, 60)])
def test_standard_minutes_are_whole_minutes_half_up(value: float, minutes: int) -> None:
    assert whole_minutes(value) == minutes


def _policy(**overrides: Any) -> PayPolicy:
    base = policy_for_month(load_policies(default_policy_path()), "2026-03")
    return PayPolicy.model_validate({**base.model_dump(), **overrides})


def _seed(session: Any) -> None:
    seed_branch_rows(session)
    add_completed_order(session, "WO-1", "T-001", dt.datetime(2026, 3, 7, 8, 0), "install")  # a Saturday


def _publish_week(
    session: Any,
    row: list[str | None],
    *,
    start: dt.date = MONDAY,
    shifts: tuple[ShiftType, ...] = (DAY_SHIFT,),
    leave: frozenset[int] = frozenset(),
    publish_it: bool = True,
) -> str:
    problem = RosterProblem(
        name="B1",
        horizon=7,
        start_date=start.isoformat(),
        shifts=shifts,
        employees=(Employee(id="T-001", group_id="G1"),),
        days_off={"T-001": leave} if leave else {},
    )
    result = RosterResult(
        name="B1", status="OPTIMAL", objective=0, bound=0, seconds=0.0, assignment={"T-001": row}
    )
    roster_id = save_draft(session, "B1", start, "urban_dense", problem, result, "dispatcher").id
    if publish_it:
        publish(session, roster_id, "dispatcher")
    return roster_id


def test_published_rosters_reach_payroll_through_the_roster_store(db_url: str) -> None:
    """The roster store's published_rosters gives payroll typed days (shift, minutes, leave) of the
    newest published version of each period overlapping the month, and payroll's attendance is
    made from them alone: drafts, superseded versions and periods outside the month are left out."""
    late = ShiftType(id="L", minutes=420, start_minute=12 * 60)
    with session_scope(db_url) as session:
        _publish_week(session, ["D"] * 7, start=dt.date(2026, 2, 9))  # ends before March: left out
        _publish_week(session, ["D"] * 7)  # version 1, superseded by version 2
        newest = _publish_week(
            session, ["D", "L", None, "D", "D", None, None], shifts=(DAY_SHIFT, late), leave=frozenset({2})
        )
        _publish_week(session, ["L"] * 7, shifts=(DAY_SHIFT, late), publish_it=False)  # a draft
        rosters = published_rosters(session, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        assert rosters_from_db(session, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == rosters
    assert [(r.id, r.version, r.start_date) for r in rosters] == [(newest, 2, MONDAY)]
    roster = rosters[0]
    assert roster.shift_minutes == {"D": 480, "L": 420}
    days = list(roster.technician_days())
    assert days[1] == RosterDay("T-001", 1, dt.date(2026, 3, 3), "L", 420, False)
    assert days[2] == RosterDay("T-001", 2, dt.date(2026, 3, 4), None, None, True)
    attendance = attendance_from_roster(
        rosters, dt.date(2026, 3, 1), dt.date(2026, 3, 31), {"T-001": (dt.date(2020, 1, 1), None)}
    )
    assert [(a.day.day, a.status, a.worked_minutes) for a in attendance] == [
        (2, DayStatus.WORK, 480),
        (3, DayStatus.WORK, 420),
        (4, DayStatus.PAID_LEAVE, 0),
        (5, DayStatus.WORK, 480),
        (6, DayStatus.WORK, 480),
        (7, DayStatus.REST, 0),
        (8, DayStatus.REST, 0),
    ]


def test_a_database_run_reads_the_published_roster_and_the_stored_standards(db_url: str) -> None:
    """Days worked come from the published roster, standard minutes from the newest stored table."""
    policy = _policy(working_time_system="standard", base_workload_minutes=0)
    with session_scope(db_url) as session:
        _seed(session)
        inputs, sources = inputs_and_sources_from_db(session, "2026-03", policy)
        # nothing upstream yet: the policy's standard minutes, no attendance
        assert inputs.orders[0].standard_minutes is None and inputs.attendance == ()
        assert "no stored standard-hour table" in sources["standard_minutes"]["B1"]

        table = standards(study(300, seed=1), scope="B1")
        save_standard_table(session, table, "planner")
        _publish_week(session, ["D", "D", "D", "D", "D", "D", None])  # works Saturday, no weekday rest
        inputs, sources = inputs_and_sources_from_db(session, "2026-03", policy)
    cell = table.cell(OrderType.INSTALL, 1, "urban")
    assert cell is not None
    assert inputs.orders[0].standard_minutes == whole_minutes(cell.standard_min)
    assert sources["standard_minutes"]["B1"] == "B1 v1"
    assert [(a.day.day, a.status, a.comp_time_off) for a in inputs.attendance] == [
        (2, DayStatus.WORK, False),
        (3, DayStatus.WORK, False),
        (4, DayStatus.WORK, False),
        (5, DayStatus.WORK, False),
        (6, DayStatus.WORK, False),
        (7, DayStatus.WORK, False),
        (8, DayStatus.REST, False),
    ]


def test_a_rest_day_shift_from_the_roster_is_paid_at_200_percent_unless_compensated(
    db_url: str, tmp_path: Path
) -> None:
    """Saturday worked without a weekday rest → 8 h at 200 %; with a rostered Wednesday rest → none."""
    policy_file = tmp_path / "policy.toml"
    text = default_policy_path().read_text(encoding="utf-8")
    policy_file.write_text(
        text.replace('working_time_system = "comprehensive"', 'working_time_system = "standard"'),
        encoding="utf-8",
    )
    assert 'working_time_system = "standard"' in policy_file.read_text(encoding="utf-8")
    with session_scope(db_url) as session:
        _seed(session)
        _publish_week(session, ["D", "D", "D", "D", "D", "D", None])
        first = run_month(session, PayrollRunParams(month="2026-03", policy_file=str(policy_file)))
        _publish_week(session, ["D", "D", None, "D", "D", "D", None])  # a re-roster: Wednesday off
        second = run_month(session, PayrollRunParams(month="2026-03", policy_file=str(policy_file)))
        before = get_payslip(session, first["id"], "T-001")["lines"]
        after = get_payslip(session, second["id"], "T-001")["lines"]
    rest_day = [li for li in before if li["key"] == "overtime_hours:rest_day_200"]
    assert len(rest_day) == 1
    assert (Decimal(rest_day[0]["quantity"]), Decimal(rest_day[0]["multiplier"])) == (8, 2)
    assert first["sources"]["attendance"].startswith("1 published roster")
    assert not [li for li in after if li["key"] == "overtime_hours:rest_day_200"]
    totals = second["diff_to_previous"]
    assert totals["changed_technicians"] == 1 and totals["to_recover_fen"] + totals["waived_fen"] > 0


def test_a_database_run_reports_the_order_of_a_technician_who_left_before_the_month(db_url: str) -> None:
    """An order completed in March by a technician whose employment ended in February is reported
    (file orders, field completed_at, the employment dates), not dropped; no run is stored."""
    from fieldcrew import tables as t
    from payroll.errors import PayInputError
    from payroll.jobs import PayrollRunParams, run_month
    from payroll.store import list_runs, save_policy

    policy = _policy(working_time_system="standard", base_workload_minutes=0)
    with session_scope(db_url) as session:
        seed_branch_rows(session, ("T-001", "T-002"))
        leaver = session.get(t.TechnicianRow, "T-002")
        assert leaver is not None
        leaver.end_date = dt.date(2026, 2, 27)
        add_completed_order(session, "WO-1", "T-001", dt.datetime(2026, 3, 2, 8))
        add_completed_order(session, "WO-2", "T-002", dt.datetime(2026, 3, 3, 8))
        save_policy(session, policy, "hr")
    with pytest.raises(PayInputError) as info, session_scope(db_url) as session:
        run_month(session, PayrollRunParams(month="2026-03"))
    (problem,) = info.value.problems
    assert (problem.file, problem.field) == ("orders", "completed_at")
    assert "2020-01-01..2026-02-27" in problem.rule
    with session_scope(db_url) as session:
        assert list_runs(session, "2026-03") == []


def test_a_payroll_job_whose_service_restarted_stores_no_run(db_url: str) -> None:
    """The payroll job fences its store: a run whose job was recovered as failed (its service died
    and restarted) raises JobFenced and stores no payroll run; the owning run stores one."""
    from fieldcrew import jobs
    from fieldcrew.jobs import JobContext, JobFenced
    from fieldcrew.tables import JobRow
    from payroll.jobs import RUN, run_month_job
    from payroll.store import list_runs, save_policy

    with session_scope(db_url) as session:
        seed_branch_rows(session, ("T-001",))
        add_completed_order(session, "WO-1", "T-001", dt.datetime(2026, 3, 2, 8))
        save_policy(session, _policy(working_time_system="standard", base_workload_minutes=0), "hr")

    def claimed(job_id: str) -> JobContext:
        attempt = jobs.utcnow()
        with session_scope(db_url) as session:
            session.add(JobRow(id=job_id, kind=RUN.name, target=RUN.target, owner="hr", status="running",
                               progress=0.0, message="running", cancel_requested=False, created_at=attempt,
                               started_at=attempt))
        return JobContext(job_id, db_url, min_interval=0.0, attempt=attempt)

    lost = claimed("lost")
    with session_scope(db_url) as session:
        assert jobs.recover_interrupted(session) == 1
    with pytest.raises(JobFenced):
        run_month_job(PayrollRunParams(month="2026-03"), lost)
    with session_scope(db_url) as session:
        assert list_runs(session, "2026-03") == []
    owner = claimed("owner")
    result = run_month_job(PayrollRunParams(month="2026-03"), owner)
    with session_scope(db_url) as session:
        assert [r["version"] for r in list_runs(session, "2026-03")] == [result["version"]]
