"""Persistence of payroll: stored policy versions, immutable runs and their payslips, diffs.

Runs are immutable: a row of ``payroll_runs`` or ``payroll_payslips`` is never updated or deleted
(an ORM update or delete raises :class:`~vocabulary.errors.Conflict`). Re-running a month creates
the next version; :func:`diff_versions` compares two versions line by line and states the retro
correction per technician (positive: to pay; negative: to recover, or waived, per policy).
Every write records an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column

from fieldcrew.audit import record
from fieldcrew.db import Base
from fieldcrew.records import read_technicians
from fieldcrew.tables import utcnow
from payroll.domain import PayInputs, Payslip, TimeOffLot, YearToDate
from payroll.errors import RunStatusConflict, SameApprover
from payroll.policy import PayPolicy, RetroMode, parse_policies
from vocabulary.calendar import month_bounds
from vocabulary.errors import Conflict, NotFound
from vocabulary.money import format_yuan


class PayrollPolicyRow(Base):
    """A stored version of the pay policy (written by the hr role; audited)."""

    __tablename__ = "payroll_policies"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, index=True)
    effective_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class PayrollRunRow(Base):
    """One immutable computation of a month's pay (version 1, 2, … per month)."""

    __tablename__ = "payroll_runs"
    __table_args__ = (UniqueConstraint("month", "version", name="uq_payroll_runs_month_version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)
    policy_version: Mapped[str] = mapped_column(String(64))
    input_digest: Mapped[str] = mapped_column(String(64))
    technicians: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class PayrollPayslipRow(Base):
    """A technician's payslip inside a run: lines as JSON (exact strings and integer fen)."""

    __tablename__ = "payroll_payslips"
    __table_args__ = (UniqueConstraint("run_id", "technician_id", name="uq_payroll_payslips_run_tech"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("payroll_runs.id"), index=True)
    technician_id: Mapped[str] = mapped_column(String(64), index=True)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    payslip: Mapped[Any] = mapped_column(JSON)


def _immutable(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    raise Conflict(
        f"{type(target).__tablename__} rows are immutable: re-run the month to create a new version"
    )


for _table in (PayrollRunRow, PayrollPayslipRow):
    event.listen(_table, "before_update", _immutable)
    event.listen(_table, "before_delete", _immutable)


def _audit(session: Session, actor: str, action: str, entity: str, entity_id: str, after: Any) -> None:
    record(session, actor, action, entity, entity_id, None, after)


def input_digest(inputs: PayInputs, policy: PayPolicy) -> str:
    """SHA-256 of the inputs and the policy of a run: two runs with the same digest saw the same data."""
    digest = hashlib.sha256()
    digest.update(policy.model_dump_json().encode("utf-8"))
    for part in (
        inputs.month,
        inputs.technicians,
        inputs.orders,
        inputs.attendance,
        inputs.quality,
        inputs.losses,
        inputs.year_to_date,
        inputs.additional_deductions,
        inputs.time_off_balance,
    ):
        digest.update(repr(part).encode("utf-8"))
    return digest.hexdigest()


# --------------------------------------------------------------------------- policies


def save_policy(session: Session, policy: PayPolicy, actor: str) -> dict[str, Any]:
    """Store a new policy version (versions are never overwritten); audited."""
    if session.get(PayrollPolicyRow, policy.version) is not None:
        raise Conflict(f"pay policy version {policy.version!r} exists already; give the change a new version")
    body = policy.model_dump(mode="json")
    session.add(
        PayrollPolicyRow(
            version=policy.version,
            effective_from=policy.effective_from,
            effective_to=policy.effective_to,
            body=body,
            created_by=actor,
        )
    )
    session.flush()
    _audit(session, actor, "create", "payroll_policy", policy.version, body)
    return {"version": policy.version, "effective_from": policy.effective_from.isoformat()}


def stored_policies(session: Session) -> list[PayPolicy]:
    """Every stored policy version (validated again on the way out)."""
    rows = session.scalars(select(PayrollPolicyRow).order_by(PayrollPolicyRow.effective_from)).all()
    return parse_policies({"policies": [row.body for row in rows]}, "payroll_policies") if rows else []


# --------------------------------------------------------------------------- runs


def _run_dict(row: PayrollRunRow, history: Sequence[PayrollRunEventRow] = ()) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": _status_of(history),
        "history": [
            {"status": e.status, "actor": e.actor, "at": e.at.isoformat() if e.at else None, "note": e.note}
            for e in history
        ],
        "month": row.month,
        "version": row.version,
        "policy_version": row.policy_version,
        "technicians": row.technicians,
        "total_fen": row.total_fen,
        "total": format_yuan(row.total_fen),
        "input_digest": row.input_digest,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "created_by": row.created_by,
    }


def save_run(
    session: Session, month: str, payslips: Sequence[Payslip], policy: PayPolicy, actor: str, digest: str
) -> dict[str, Any]:
    """Store payslips as the next version of ``month``'s run; return it with the diff to the previous one."""
    previous = session.scalar(select(func.max(PayrollRunRow.version)).where(PayrollRunRow.month == month))
    version = (previous or 0) + 1
    run = PayrollRunRow(
        id=str(uuid.uuid4()),
        month=month,
        version=version,
        policy_version=policy.version,
        input_digest=digest,
        technicians=len(payslips),
        total_fen=sum(p.total_fen for p in payslips),
        created_by=actor,
    )
    session.add(run)
    session.flush()
    session.add_all(
        PayrollPayslipRow(
            run_id=run.id, technician_id=p.technician_id, total_fen=p.total_fen, payslip=p.to_dict()
        )
        for p in payslips
    )
    session.add(PayrollRunEventRow(run_id=run.id, status="draft", actor=actor))
    session.flush()
    result = _run_dict(run, _history(session, [run.id])[run.id])
    _audit(
        session,
        actor,
        "create",
        "payroll_run",
        run.id,
        {k: v for k, v in result.items() if k not in ("created_at", "history")},
    )
    if previous:
        result["diff_to_previous"] = diff_versions(session, month, previous, version, retro=policy.retro)[
            "totals"
        ]
    return result


def list_runs(session: Session, month: str | None = None) -> list[dict[str, Any]]:
    """Stored runs, newest month and version first."""
    query = select(PayrollRunRow).order_by(PayrollRunRow.month.desc(), PayrollRunRow.version.desc())
    if month is not None:
        query = query.where(PayrollRunRow.month == month)
    rows = session.scalars(query).all()
    history = _history(session, [row.id for row in rows])
    return [_run_dict(row, history[row.id]) for row in rows]


def get_run(session: Session, run_id: str) -> dict[str, Any]:
    """One run by id, with its status and history (404 when missing)."""
    row = session.get(PayrollRunRow, run_id)
    if row is None:
        raise NotFound(f"payroll run {run_id!r} does not exist")
    return _run_dict(row, _history(session, [run_id])[run_id])


def _run_by_version(session: Session, month: str, version: int) -> PayrollRunRow:
    row = session.scalar(
        select(PayrollRunRow).where(PayrollRunRow.month == month, PayrollRunRow.version == version)
    )
    if row is None:
        raise NotFound(f"payroll run {month} version {version} does not exist")
    return row


def run_payslips(session: Session, run_id: str) -> list[Payslip]:
    """Every payslip of a run."""
    rows = session.scalars(
        select(PayrollPayslipRow)
        .where(PayrollPayslipRow.run_id == run_id)
        .order_by(PayrollPayslipRow.technician_id)
    )
    return [Payslip.from_dict(row.payslip) for row in rows]


def get_payslip(
    session: Session, run_id: str, technician_id: str, *, released_only: bool = False
) -> dict[str, Any]:
    """One technician's payslip in a run, as JSON (404 when missing).

    ``released_only`` (a technician asking): a payslip of a run not yet released does not exist.
    """
    if released_only and (
        session.get(PayrollRunRow, run_id) is None or run_status(session, run_id) != "released"
    ):
        raise NotFound(f"no released payslip of technician {technician_id!r} in payroll run {run_id!r}")
    row = session.scalar(
        select(PayrollPayslipRow).where(
            PayrollPayslipRow.run_id == run_id, PayrollPayslipRow.technician_id == technician_id
        )
    )
    if row is None:
        raise NotFound(f"no payslip of technician {technician_id!r} in payroll run {run_id!r}")
    return dict(row.payslip)


def payslips_of_technician(
    session: Session, technician_id: str, *, released_only: bool = False
) -> list[dict[str, Any]]:
    """Every stored payslip of one technician: run, month, version, status and total (newest first).

    ``released_only`` (a technician asking): the payslips of released runs only.
    """
    rows = session.execute(
        select(PayrollRunRow, PayrollPayslipRow.total_fen)
        .join(PayrollPayslipRow, PayrollPayslipRow.run_id == PayrollRunRow.id)
        .where(PayrollPayslipRow.technician_id == technician_id)
        .order_by(PayrollRunRow.month.desc(), PayrollRunRow.version.desc())
    ).all()
    history = _history(session, [run.id for run, _ in rows])
    out = []
    for run, total in rows:
        status = _status_of(history[run.id])
        if released_only and status != "released":
            continue
        out.append(
            {
                "run_id": run.id,
                "month": run.month,
                "version": run.version,
                "status": status,
                "total_fen": total,
                "total": format_yuan(total),
            }
        )
    return out


# --------------------------------------------------------------------------- HR's process
#
# A run goes draft → approved (by a second HR user, never its creator) → locked → released.
# Runs and payslips stay immutable: each step is a new row of ``payroll_run_events`` (append-only,
# audited), and a run's status is its latest event. A locked run is corrected only by a new version
# of the month (``save_run``), whose per-line diff to the previous one states the corrections.
# Technicians see the payslips of released runs only.

#: the statuses in order, and the one step each may take
STATUSES: tuple[str, ...] = ("draft", "approved", "locked", "released")
NEXT_STATUS: dict[str, str] = {"draft": "approved", "approved": "locked", "locked": "released"}
#: statuses whose pay is final: the year to date of income tax is read from these
FINAL_STATUSES: frozenset[str] = frozenset({"locked", "released"})


class PayrollRunEventRow(Base):
    """One step of a run through HR's process (append-only: the run's status is its latest step)."""

    __tablename__ = "payroll_run_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("payroll_runs.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


event.listen(PayrollRunEventRow, "before_update", _immutable)
event.listen(PayrollRunEventRow, "before_delete", _immutable)


def _history(session: Session, run_ids: Sequence[str]) -> dict[str, list[PayrollRunEventRow]]:
    """Each run's steps, oldest first."""
    out: dict[str, list[PayrollRunEventRow]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    rows = session.scalars(
        select(PayrollRunEventRow)
        .where(PayrollRunEventRow.run_id.in_(list(run_ids)))
        .order_by(PayrollRunEventRow.id)
    )
    for row in rows:
        out[row.run_id].append(row)
    return out


def _status_of(history: Sequence[PayrollRunEventRow]) -> str:
    # a run stored before the process existed has no step: it counts as a draft
    return history[-1].status if history else "draft"


def run_status(session: Session, run_id: str) -> str:
    """The run's current status (404 when the run is missing)."""
    if session.get(PayrollRunRow, run_id) is None:
        raise NotFound(f"payroll run {run_id!r} does not exist")
    return _status_of(_history(session, [run_id])[run_id])


def advance_run(session: Session, run_id: str, to_status: str, actor: str, note: str = "") -> dict[str, Any]:
    """Take one step of HR's process: ``approved``, ``locked`` or ``released``; audited.

    Raises
    ------
    NotFound
        When the run does not exist.
    RunStatusConflict
        When the run is not in the status this step starts from (409).
    SameApprover
        When the run's creator tries to approve it (403: a second HR user approves).
    """
    row = session.get(PayrollRunRow, run_id)
    if row is None:
        raise NotFound(f"payroll run {run_id!r} does not exist")
    current = _status_of(_history(session, [run_id])[run_id])
    if NEXT_STATUS.get(current) != to_status:
        expected = [s for s, n in NEXT_STATUS.items() if n == to_status]
        raise RunStatusConflict(
            f"payroll run {row.month} version {row.version} is {current}; it can become {to_status!r} "
            f"only from {expected[0] if expected else 'no status'} "
            f"(draft → approved → locked → released; a locked run is corrected by a new version)"
        )
    if to_status == "approved" and actor == row.created_by:
        raise SameApprover(
            f"payroll run {row.month} version {row.version} was created by {actor!r}; "
            "a second HR user must approve it"
        )
    session.add(PayrollRunEventRow(run_id=run_id, status=to_status, actor=actor, note=note))
    session.flush()
    _audit(
        session, actor, to_status, "payroll_run", run_id, {"status": to_status, "from": current, "note": note}
    )
    return get_run(session, run_id)


def year_to_date(session: Session, month: str) -> tuple[tuple[YearToDate, ...], list[str]]:
    """Income-tax year to date of every technician from the final runs of the year's earlier months.

    For each earlier month of the year the newest locked or released version counts; its
    payslips' ``year_to_date`` figures (cumulative after that month) are taken, the latest month a
    technician was paid in winning. Returns the records and a note for every earlier month without
    a final run (its pay is then not in the year to date: lock it and re-run).
    """
    first, _ = month_bounds(month)
    earlier = [f"{first.year}-{m:02d}" for m in range(1, first.month)]
    if not earlier:
        return (), []
    runs = session.scalars(
        select(PayrollRunRow)
        .where(PayrollRunRow.month.in_(earlier))
        .order_by(PayrollRunRow.month, PayrollRunRow.version.desc())
    ).all()
    history = _history(session, [r.id for r in runs])
    chosen: dict[str, PayrollRunRow] = {}
    for run in runs:  # newest version first within a month
        if run.month not in chosen and _status_of(history[run.id]) in FINAL_STATUSES:
            chosen[run.month] = run
    notes = [
        f"{m}: no locked or released run; its pay is not in the year to date of income tax"
        for m in earlier
        if m not in chosen
    ]
    latest: dict[str, dict[str, int]] = {}
    for m in earlier:
        final = chosen.get(m)
        if final is None:
            continue
        for slip in session.scalars(
            select(PayrollPayslipRow.payslip).where(PayrollPayslipRow.run_id == final.id)
        ):
            figures = slip.get("summary", {}).get("year_to_date")
            if figures:
                latest[slip["technician_id"]] = figures
    records = tuple(
        YearToDate(
            tech_id,
            f["months"],
            f["income_fen"],
            f["contributions_fen"],
            f["additional_deductions_fen"],
            f["tax_fen"],
        )
        for tech_id, f in sorted(latest.items())
    )
    return records, notes


def time_off_balance(session: Session, month: str) -> tuple[tuple[TimeOffLot, ...], list[str]]:
    """Time off in lieu still owed at the start of ``month``: the previous month's final run.

    The newest locked or released version of the month before counts (its payslips'
    ``time_off_balance``); without one the balance is empty and a note says so.
    """
    first, _ = month_bounds(month)
    before = first - dt.timedelta(days=1)
    previous = f"{before.year:04d}-{before.month:02d}"
    runs = session.scalars(
        select(PayrollRunRow).where(PayrollRunRow.month == previous).order_by(PayrollRunRow.version.desc())
    ).all()
    history = _history(session, [r.id for r in runs])
    final = next((r for r in runs if _status_of(history[r.id]) in FINAL_STATUSES), None)
    if final is None:
        return (), [f"{previous}: no locked or released run; no time off in lieu carried over"]
    lots = [
        TimeOffLot(slip["technician_id"], lot["earned_month"], lot["minutes"])
        for slip in session.scalars(
            select(PayrollPayslipRow.payslip).where(PayrollPayslipRow.run_id == final.id)
        )
        for lot in slip.get("summary", {}).get("time_off_balance", [])
    ]
    return tuple(sorted(lots, key=lambda lot: (lot.technician_id, lot.earned_month))), []


# --------------------------------------------------------------------------- technicians' pay data


class PayrollTechnicianRow(Base):
    """What payroll needs of a technician beyond the platform's record (hr; audited; personal data).

    The previous year's average monthly wage (contribution base), the bank account the take-home
    pay goes to, whether the technician works outdoors (high-temperature allowance) and the special
    additional deductions declared for income tax (``{kind: "monthly amount"}``).
    """

    __tablename__ = "payroll_technicians"
    technician_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    previous_year_average_wage_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bank_account: Mapped[str] = mapped_column(String(64), default="")
    outdoor: Mapped[bool] = mapped_column(Boolean, default=True)
    additional_deductions: Mapped[Any] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


def save_technician_pay(
    session: Session,
    technician_id: str,
    actor: str,
    *,
    previous_year_average_wage_fen: int | None,
    bank_account: str,
    outdoor: bool,
    additional_deductions: dict[str, str],
) -> dict[str, Any]:
    """Create or replace a technician's pay data; audited (before and after)."""
    row = session.get(PayrollTechnicianRow, technician_id)
    before = _technician_pay_dict(row) if row is not None else None
    if row is None:
        row = PayrollTechnicianRow(technician_id=technician_id, updated_by=actor)
        session.add(row)
    row.previous_year_average_wage_fen = previous_year_average_wage_fen
    row.bank_account = bank_account
    row.outdoor = outdoor
    row.additional_deductions = dict(additional_deductions)
    row.updated_by = actor
    row.updated_at = utcnow()
    session.flush()
    after = _technician_pay_dict(row)
    record(
        session, actor, "update" if before else "create", "payroll_technician", technician_id, before, after
    )
    return after


def technician_pay(session: Session, technician_id: str) -> dict[str, Any]:
    """A technician's pay data (404 when none is stored)."""
    row = session.get(PayrollTechnicianRow, technician_id)
    if row is None:
        raise NotFound(f"no pay data stored for technician {technician_id!r}")
    return _technician_pay_dict(row)


def technicians_pay(session: Session) -> dict[str, PayrollTechnicianRow]:
    """Every technician's stored pay data, by technician id."""
    return {row.technician_id: row for row in session.scalars(select(PayrollTechnicianRow))}


def payees(session: Session, technician_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Name and bank account of each technician (platform record and stored pay data), for exports."""
    names = {t.id: t.name for t in read_technicians(session)}
    accounts = {tid: row.bank_account for tid, row in technicians_pay(session).items()}
    return {tid: (names.get(tid, ""), accounts.get(tid, "")) for tid in technician_ids}


def _technician_pay_dict(row: PayrollTechnicianRow) -> dict[str, Any]:
    wage = row.previous_year_average_wage_fen
    return {
        "technician_id": row.technician_id,
        "previous_year_average_wage_fen": wage,
        "previous_year_average_wage": format_yuan(wage) if wage is not None else None,
        "bank_account": row.bank_account,
        "outdoor": row.outdoor,
        "additional_deductions": dict(row.additional_deductions or {}),
    }


# --------------------------------------------------------------------------- diffs


def diff_payslips(
    old: Sequence[Payslip], new: Sequence[Payslip], retro: RetroMode = RetroMode.RECOVER
) -> dict[str, Any]:
    """Per-line differences between two versions of a month and the retro correction per technician.

    A line is identified by (technician, line key). ``correction_fen`` = new total − old total; a
    positive correction is paid, a negative one recovered (``retro = "recover"``) or waived.
    """
    old_by = {p.technician_id: p for p in old}
    new_by = {p.technician_id: p for p in new}
    technicians = []
    paid = recovered = waived = 0
    for tech_id in sorted(set(old_by) | set(new_by)):
        before = {li.key: li for li in old_by[tech_id].lines} if tech_id in old_by else {}
        after = {li.key: li for li in new_by[tech_id].lines} if tech_id in new_by else {}
        lines = []
        for key in list(after) + [k for k in before if k not in after]:
            a = before[key].amount_fen if key in before else 0
            b = after[key].amount_fen if key in after else 0
            old_line, new_line = before.get(key), after.get(key)
            if (
                a == b
                and old_line is not None
                and new_line is not None
                and old_line.to_dict() == new_line.to_dict()
            ):
                continue
            lines.append(
                {
                    "key": key,
                    "rule": new_line.rule if new_line is not None else old_line.rule if old_line else key,
                    "old_fen": a,
                    "new_fen": b,
                    "delta_fen": b - a,
                    "old": old_line.to_dict() if old_line else None,
                    "new": new_line.to_dict() if new_line else None,
                }
            )
        total_old = old_by[tech_id].total_fen if tech_id in old_by else 0
        total_new = new_by[tech_id].total_fen if tech_id in new_by else 0
        delta = total_new - total_old
        if not lines and delta == 0:
            continue
        if delta > 0:
            action, paid = "pay", paid + delta
        elif delta < 0 and retro is RetroMode.RECOVER:
            action, recovered = "recover", recovered - delta
        elif delta < 0:
            action, waived = "waive", waived - delta
        else:
            action = "none"
        technicians.append(
            {
                "technician_id": tech_id,
                "old_total_fen": total_old,
                "new_total_fen": total_new,
                "correction_fen": delta,
                "action": action,
                "lines": lines,
            }
        )
    return {
        "technicians": technicians,
        "totals": {
            "changed_technicians": len(technicians),
            "to_pay_fen": paid,
            "to_recover_fen": recovered,
            "waived_fen": waived,
        },
    }


def diff_versions(
    session: Session, month: str, old_version: int, new_version: int, retro: RetroMode | None = None
) -> dict[str, Any]:
    """Diff two stored versions of ``month`` (see :func:`diff_payslips`)."""
    old_run = _run_by_version(session, month, old_version)
    new_run = _run_by_version(session, month, new_version)
    if retro is None:
        policy_row = session.get(PayrollPolicyRow, new_run.policy_version)
        retro = (
            RetroMode(policy_row.body.get("retro", "recover"))
            if policy_row is not None
            else RetroMode.RECOVER
        )
    result = diff_payslips(run_payslips(session, old_run.id), run_payslips(session, new_run.id), retro)
    result.update(
        {"month": month, "old": _run_dict(old_run), "new": _run_dict(new_run), "retro": retro.value}
    )
    return result
