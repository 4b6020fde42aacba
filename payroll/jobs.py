"""Payroll as a background job, and the month's inputs read from the platform's database.

:data:`RUN` (``payroll.run``) runs :func:`run_month_job` with :class:`PayrollRunParams`: the month
(``YYYY-MM``), the actor, and either ``input_dir`` (HR's files, see :mod:`payroll.io`) or nothing
(the database: technicians, completed work orders and their outcomes, quality grades from
:func:`quality.scorecard.monthly_grades`); the policy is ``policy_file`` (TOML or YAML) or, by
default, the stored policy versions (``payroll_policies``). Bad input fails the job with every
problem listed; no run is created.
"""

from __future__ import annotations

import dataclasses
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
from payroll.domain import AdditionalDeduction, PayInputs, PayTechnician, QualityRecord, YearToDate
from payroll.errors import NoPolicyInForce, PayInputError
from payroll.io import load_inputs
from payroll.policy import PROFILES, PayPolicy, load_policies, policy_for_month
from payroll.store import PayrollTechnicianRow, input_digest, save_run, stored_policies, technicians_pay
from payroll.store import time_off_balance as store_time_off_balance
from payroll.store import year_to_date as store_year_to_date
from payroll.tables import AttendanceTable, OrderTableBuilder
from payroll.upstream import attendance_from_roster, rosters_from_db, standard_minutes_from_timepool
from payroll.validate import check_payslips
from quality.scorecard import monthly_grades
from vocabulary.calendar import month_bounds
from vocabulary.errors import Problem
from vocabulary.money import to_fen
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
    everyone = read_technicians(session)
    staff = [t for t in everyone if t.start_date <= last and (t.end_date is None or t.end_date >= first)]
    pay_data = technicians_pay(session)
    technicians = tuple(_pay_technician(t, pay_data.get(t.id)) for t in staff)
    known = {t.id for t in technicians}
    # orders of technicians not employed in the month are not dropped: the checks report them
    former = {t.id: t for t in everyone if t.id not in known}
    branch_of = {t.id: t.branch_id for t in (*staff, *former.values())}
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
        if wo.status is not OrderStatus.COMPLETED or done is None or wo.technician_id not in branch_of:
            continue
        if not first <= done.date() <= last:
            continue
        if wo.technician_id in former:  # reported by the checks, with the employment dates
            left = former.pop(wo.technician_id)
            technicians += (_pay_technician(left, pay_data.get(left.id)),)
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
        grades = monthly_grades(work_orders, month, [t.id for t in staff], technicians=staff)
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
    additional = tuple(
        AdditionalDeduction(tech.id, kind, Decimal(amount))
        for tech in technicians
        if tech.id in pay_data
        for kind, amount in sorted((pay_data[tech.id].additional_deductions or {}).items())
    )
    year_to_date: tuple[YearToDate, ...] = ()
    if policy.withholding.income_tax:
        year_to_date, notes = store_year_to_date(session, month)
        sources["year_to_date"] = {"technicians": len(year_to_date), "notes": notes}
    lots, notes = store_time_off_balance(session, month)
    sources["time_off_balance"] = {"lots": len(lots), "notes": notes}
    inputs = PayInputs(
        month,
        technicians,
        orders.build(),
        AttendanceTable.from_days(attendance),
        tuple(quality),
        year_to_date=year_to_date,
        additional_deductions=additional,
        time_off_balance=lots,
    )
    return inputs, sources


def _pay_technician(tech: Any, pay: PayrollTechnicianRow | None) -> PayTechnician:
    """A platform technician with the pay data HR stored for them (contribution base, bank account)."""
    if pay is None:
        return PayTechnician(tech.id, tech.post_grade, tech.start_date, tech.end_date, tech.name)
    wage = pay.previous_year_average_wage_fen
    return PayTechnician(
        tech.id,
        tech.post_grade,
        tech.start_date,
        tech.end_date,
        tech.name,
        None if wage is None else Decimal(wage).scaleb(-2),
        pay.bank_account,
        pay.outdoor,
    )


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
        if policy.withholding.income_tax and not inputs.year_to_date:
            # no year_to_date file: the year's earlier months are read back from the stored runs
            ytd, notes = store_year_to_date(session, params.month)
            inputs = dataclasses.replace(inputs, year_to_date=ytd)
            sources["year_to_date"] = {"technicians": len(ytd), "notes": notes}
    else:
        inputs, sources = inputs_and_sources_from_db(session, params.month, policy)
    payslips = compute_month(inputs, policy)
    for slip in payslips:
        assert_no_float(slip)
    cap_share = policy.month_law(params.month).deduction_cap_share
    problems = check_payslips(payslips, deduction_cap_share=cap_share)
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
        ctx.fenced(session, result=result)  # stored only by the run that still owns the job
    ctx.progress(1.0, f"stored payroll run {result['month']} version {result['version']}")
    return result


#: A month's payroll as a job (``POST /payroll/runs``).
RUN = JobKind("payroll.run", PayrollRunParams, run_month_job)


_ACCOUNT = re.compile(r"^[0-9A-Za-z][0-9A-Za-z -]{3,63}$")


def validate_technician_pay(
    wage: str | None, declared: dict[str, str], account: str, jurisdiction: str = "CN"
) -> tuple[int | None, dict[str, str]]:
    """Check a technician's pay data as HR sends it: the wage in fen, the declared amounts normalised.

    Raises
    ------
    PayInputError
        Naming every bad field (money must be exact decimal yuan >= 0 with at most 2 places; a
        declared deduction must be one of the jurisdiction's kinds).
    """
    problems: list[Problem] = []

    def money(field: str, text: str) -> Decimal | None:
        try:
            value = Decimal(text.strip())
        except (ArithmeticError, ValueError):
            value = None
        if value is None or not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            problems.append(
                Problem(
                    field, "an amount of yuan >= 0 with at most 2 decimal places", text, file="request body"
                )
            )
            return None
        return value

    wage_fen = None
    if wage is not None and wage.strip():
        value = money("previous_year_average_wage", wage)
        wage_fen = to_fen(value) if value is not None else None
    kinds = {k for tax in PROFILES[jurisdiction].data.income_tax for k in tax.additional_deduction_kinds}
    normalised: dict[str, str] = {}
    for kind, amount in sorted(declared.items()):
        field = f"additional_deductions.{kind}"
        if kind not in kinds:
            problems.append(
                Problem(
                    field,
                    f"a special additional deduction is one of {sorted(kinds)}",
                    kind,
                    file="request body",
                )
            )
            continue
        value = money(field, amount)
        if value is not None:
            normalised[kind] = f"{value:.2f}"
    if account and not _ACCOUNT.match(account):
        problems.append(
            Problem("bank_account", "4–64 letters, digits, spaces or '-'", account, file="request body")
        )
    if problems:
        raise PayInputError(problems)
    return wage_fen, normalised
