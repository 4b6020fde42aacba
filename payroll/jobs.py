"""Payroll as a background job, and the month's inputs read from the platform's database.

:data:`RUN` (``payroll.run``) runs :func:`run_month_job` with :class:`PayrollRunParams`: the month
(``YYYY-MM``), the actor, and either ``input_dir`` (HR's files, see :mod:`payroll.io`) or nothing
(the database: technicians, completed work orders and their outcomes, quality grades from
:func:`quality.scorecard.monthly_grades`); the policy is ``policy_file`` (TOML or YAML) or, by
default, the stored policy versions (``payroll_policies``). Bad input fails the job with every
problem listed; no run is created.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext, JobKind
from fieldcrew.records import read_areas, read_orders, read_technicians
from payroll.compute import assert_no_float, compute_month
from payroll.domain import PayInputs, PayTechnician, QualityRecord
from payroll.errors import NoPolicyInForce
from payroll.io import load_inputs
from payroll.policy import PayPolicy, load_policies, policy_for_month
from payroll.store import input_digest, save_run, stored_policies
from payroll.tables import AttendanceTable, OrderTableBuilder
from payroll.upstream import attendance_from_roster, rosters_from_db, standard_minutes_from_timepool
from payroll.validate import check_payslips
from quality.scorecard import monthly_grades
from vocabulary.calendar import month_bounds
from vocabulary.errors import Problem
from vocabulary.orders import OrderStatus

#: How far before the month an order may have been created and still be completed in it.
LOOKBACK_DAYS = 62

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class PayrollRunRequest(BaseModel):
    """Run a month's payroll (a new immutable version of the month): the body of ``POST /payroll/runs``."""

    month: str = Field(description="YYYY-MM", examples=["2026-03"])

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not _MONTH.match(value):
            raise ValueError("month must be YYYY-MM")
        return value


class PayrollRunParams(PayrollRunRequest):
    """Parameters of a ``payroll.run`` job (and of :func:`run_month`).

    ``input_dir`` and ``policy_file`` name files on the server (the CLI's inputs); the API never
    sets them, so its runs read the database and the stored policy versions.
    """

    actor: str = "hr"
    input_dir: str | None = Field(default=None, description="HR's input files instead of the database")
    policy_file: str | None = Field(default=None, description="a policy file instead of the stored versions")


def inputs_from_db(session: Session, month: str, policy: PayPolicy) -> PayInputs:
    """The month's pay inputs from the platform tables (see :func:`inputs_and_sources_from_db`)."""
    return inputs_and_sources_from_db(session, month, policy)[0]


def inputs_and_sources_from_db(
    session: Session, month: str, policy: PayPolicy
) -> tuple[PayInputs, dict[str, Any]]:
    """The month's pay inputs from the platform tables, and where each part came from.

    Following the data flow: technicians employed in the month; each order's standard minutes from
    the newest stored standard-hour table of the technician's branch (the work-hour pool,
    :func:`payroll.upstream.standard_minutes_from_timepool`; the policy's table when none is
    stored); days worked, rest and leave from the published rosters of the month
    (:func:`payroll.upstream.attendance_from_roster`; days no published roster covers have no
    attendance record: no overtime hours and no leave for them); their work orders completed in the
    month (completion time = the last ``completed`` status event); quality grades from the quality
    instrument (a technician the policy has no multiplier for gets the policy's default grade).
    """
    first, last = month_bounds(month)
    start = dt.datetime.combine(first - dt.timedelta(days=LOOKBACK_DAYS), dt.time())
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
    staff = [
        t
        for t in read_technicians(session)
        if t.start_date <= last and (t.end_date is None or t.end_date >= first)
    ]
    technicians = tuple(PayTechnician(t.id, t.post_grade, t.start_date, t.end_date) for t in staff)
    known = {t.id for t in technicians}
    branch_of = {t.id: t.branch_id for t in staff}
    area_type = {a.id: str(a.area_type) for a in read_areas(session)}
    standards = standard_minutes_from_timepool(session, branch_of.values())
    rosters = rosters_from_db(session, first, last)
    attendance = attendance_from_roster(
        rosters, first, last, {t.id: (t.start_date, t.end_date) for t in technicians}
    )
    work_orders = read_orders(session, start, end)
    orders = OrderTableBuilder()
    for wo in work_orders:
        done = wo.last_time_of(OrderStatus.COMPLETED)
        if wo.status is not OrderStatus.COMPLETED or done is None or wo.technician_id not in known:
            continue
        if not first <= done.date() <= last:
            continue
        outcome = wo.outcome
        orders.add(
            wo.id,
            wo.technician_id,
            wo.order_type,
            wo.difficulty,
            done,
            standards.minutes(
                branch_of[wo.technician_id], wo.order_type, wo.difficulty, area_type[wo.area_id]
            )
            if wo.area_id in area_type
            else None,
            repeat_fault_within_days=outcome.repeat_fault_within_days if outcome else None,
            complaint=bool(outcome and outcome.complaint),
            praise=bool(outcome and outcome.praise),
            appointment_kept=outcome.appointment_kept if outcome else None,
        )
    quality: list[QualityRecord] = []
    if technicians:
        grades = monthly_grades(work_orders, month, [t.id for t in technicians], technicians=staff)
        for tech_id, scored in sorted(grades.items()):
            if scored.grade in policy.grade_multipliers:
                values = tuple(
                    (k, str(v)) for k, v in sorted(scored.values.items()) if isinstance(v, Decimal)
                )
                quality.append(
                    QualityRecord(tech_id, scored.grade, scored.score, values, tuple(scored.flags))
                )
    sources = {
        "standard_minutes": {
            branch: standards.sources.get(branch, f"policy {policy.version} (no stored standard-hour table)")
            for branch in sorted(set(branch_of.values()))
        },
        "standard_minutes_notes": sorted(standards.notes),
        "attendance": f"{len(rosters)} published roster(s), {len(attendance)} technician-days",
    }
    inputs = PayInputs(
        month, technicians, orders.build(), AttendanceTable.from_days(attendance), tuple(quality)
    )
    return inputs, sources


def resolve_policy(session: Session, month: str, policy_file: str | None) -> PayPolicy:
    """The policy in force for ``month``: from ``policy_file`` or from the stored versions."""
    if policy_file:
        return policy_for_month(load_policies(Path(policy_file)), month)
    versions = stored_policies(session)
    if not versions:
        raise NoPolicyInForce(
            [Problem(field="policy", rule="no pay policy is stored; upload one first", value=month)]
        )
    return policy_for_month(versions, month)


def run_month(session: Session, params: PayrollRunParams) -> dict[str, Any]:
    """Compute and store one month (a new run version); return the run and its diff to the previous."""
    policy = resolve_policy(session, params.month, params.policy_file)
    if params.input_dir:
        inputs = load_inputs(Path(params.input_dir), params.month, policy)
        sources: dict[str, Any] = {"files": params.input_dir}
    else:
        inputs, sources = inputs_and_sources_from_db(session, params.month, policy)
    payslips = compute_month(inputs, policy)
    for slip in payslips:
        assert_no_float(slip)
    problems = check_payslips(payslips, deduction_cap_share=policy.profile.loss_deduction_cap_share)
    if problems:
        raise RuntimeError("payslip self-check failed:\n" + "\n".join(problems[:20]))
    run = save_run(session, params.month, payslips, policy, params.actor, input_digest(inputs, policy))
    run["sources"] = sources
    return run


def run_month_job(params: PayrollRunParams, ctx: JobContext) -> dict[str, Any]:
    """Compute and store a month in one transaction (the ``payroll.run`` job)."""
    ctx.progress(0.05, f"computing payroll {params.month}")
    with session_scope(ctx.database_url) as session:
        result = run_month(session, params)
    ctx.progress(1.0, f"stored payroll run {result['month']} version {result['version']}")
    return result


#: A month's payroll as a job (``POST /payroll/runs``).
RUN = JobKind("payroll.run", PayrollRunParams, run_month_job)
