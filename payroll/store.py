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
from fieldcrew.tables import utcnow
from payroll.domain import PayInputs, Payslip
from payroll.policy import PayPolicy, RetroMode, parse_policies
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


def _run_dict(row: PayrollRunRow) -> dict[str, Any]:
    return {
        "id": row.id,
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
    session.flush()
    result = _run_dict(run)
    _audit(
        session,
        actor,
        "create",
        "payroll_run",
        run.id,
        {k: v for k, v in result.items() if k != "created_at"},
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
    return [_run_dict(row) for row in session.scalars(query)]


def get_run(session: Session, run_id: str) -> dict[str, Any]:
    """One run by id (404 when missing)."""
    row = session.get(PayrollRunRow, run_id)
    if row is None:
        raise NotFound(f"payroll run {run_id!r} does not exist")
    return _run_dict(row)


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


def get_payslip(session: Session, run_id: str, technician_id: str) -> dict[str, Any]:
    """One technician's payslip in a run, as JSON (404 when missing)."""
    row = session.scalar(
        select(PayrollPayslipRow).where(
            PayrollPayslipRow.run_id == run_id, PayrollPayslipRow.technician_id == technician_id
        )
    )
    if row is None:
        raise NotFound(f"no payslip of technician {technician_id!r} in payroll run {run_id!r}")
    return dict(row.payslip)


def payslips_of_technician(session: Session, technician_id: str) -> list[dict[str, Any]]:
    """Every stored payslip of one technician: run, month, version and total (newest first)."""
    rows = session.execute(
        select(PayrollRunRow, PayrollPayslipRow.total_fen)
        .join(PayrollPayslipRow, PayrollPayslipRow.run_id == PayrollRunRow.id)
        .where(PayrollPayslipRow.technician_id == technician_id)
        .order_by(PayrollRunRow.month.desc(), PayrollRunRow.version.desc())
    ).all()
    return [
        {
            "run_id": run.id,
            "month": run.month,
            "version": run.version,
            "total_fen": total,
            "total": format_yuan(total),
        }
        for run, total in rows
    ]


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
