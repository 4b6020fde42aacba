"""Domain errors of the payroll instrument (mapped to HTTP by the API's one handler)."""

from __future__ import annotations

from vocabulary.errors import Conflict, FieldcrewError, InputErrors


class PolicyFileError(InputErrors):
    """A pay policy file is unreadable or breaks a policy rule; every problem is listed."""

    title = "Invalid pay policy"


class NoPolicyInForce(InputErrors):
    """No version of the pay policy is in force for the month asked for; no run was created."""

    title = "No pay policy in force"


class PayInputError(InputErrors):
    """The pay input files (technicians, orders, KPI, attendance) have problems; no run was created."""

    title = "Invalid pay input"


class PayslipMismatch(FieldcrewError):
    """An independent recomputation disagrees with a payslip (a bug, or a tampered payslip)."""

    status_code = 500
    title = "Payslip check failed"


class RunStatusConflict(Conflict):
    """A payroll run cannot take this step of HR's process from its current status."""

    title = "Payroll run status conflict"


class SameApprover(FieldcrewError):
    """A run is approved by a second HR user, never by the one who created it (four-eyes rule)."""

    status_code = 403
    title = "Approval by a second HR user required"
