"""Service-quality routes: KPI tables, monthly grades, warnings, escalations; CSV/Excel export.

Reads come from the platform's order tables; ``POST /quality/kpis/upload`` takes orders given
directly as a CSV/Excel file. Storing a month (snapshot + grades that payroll reads) is a job.
Technicians may read only their own KPI rows and grade.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from api.deps import CurrentUser, DbSession, ensure_self_or_roles, job_accepted, require_roles
from fieldcrew.auth import AuthUser
from fieldcrew.jobs import submit_job
from quality import io, service, store
from quality.domain import KpiSettings, PeriodKind, UnitKind
from quality.periods import month_window, previous_month, window_for
from vocabulary.errors import FieldcrewError

router = APIRouter(prefix="/quality", tags=["quality"])

READERS = ("dispatcher", "planner", "hr")
#: about 150,000 order rows as CSV
MAX_UPLOAD_BYTES = 50_000_000
Format = Literal["json", "csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _out(report: dict[str, Any], fmt: Format, name: str) -> Response:
    if fmt == "json":
        return JSONResponse(report)
    with tempfile.TemporaryDirectory() as tmp:
        path = io.write_rows(report["rows"], Path(tmp) / f"{name}.{fmt}")
        body = path.read_bytes()
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _period_source(session: Session, period: PeriodKind, labels: list[str]) -> service.Source:
    try:
        windows = [window_for(period, label) for label in labels]
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc
    return service.Source.from_db(session, min(w.start for w in windows), max(w.end for w in windows))


def _month(month: str) -> None:
    try:
        month_window(month)
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc


def _restrict(user: AuthUser, unit: UnitKind, unit_ids: list[str] | None) -> list[str] | None:
    """Technicians see only their own technician rows."""
    if user.role != "technician":
        return unit_ids
    if unit != UnitKind.TECHNICIAN or user.technician_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a technician may only see their own KPIs")
    if unit_ids and unit_ids != [user.technician_id]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a technician may only see their own KPIs")
    return [user.technician_id]


@router.get("/kpis", summary="KPI table for a unit level and periods (numerator, denominator, value, light)")
def kpis(
    session: DbSession,
    user: CurrentUser,
    label: Annotated[list[str], Query(description="2026-03 / 2026-W10 / 2026-03-02")],
    unit: UnitKind = UnitKind.TECHNICIAN,
    period: PeriodKind = PeriodKind.MONTH,
    kpi: Annotated[list[str] | None, Query()] = None,
    by: Annotated[str | None, Query(description="customer_grade, line_type or order_type")] = None,
    unit_id: Annotated[list[str] | None, Query()] = None,
    repeat_days: Annotated[int, Query(ge=1, le=365)] = 30,
    ids: bool = False,
    format: Format = "json",
) -> Response:
    units = _restrict(user, unit, unit_id)
    source = _period_source(session, period, label)
    try:
        report = service.table_report(
            source, unit, period, label, names=kpi, breakdown=by,
            settings=KpiSettings(repeat_days=repeat_days), with_ids=ids, units=units,
        )
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc
    return _out(report, format, f"kpis-{unit.value}-{'_'.join(label)}")


@router.post("/kpis/upload", summary="KPI table of orders given directly as a CSV/Excel file")
async def kpis_upload(
    user: Annotated[AuthUser, Depends(require_roles(*READERS))],
    orders: Annotated[UploadFile, File(description="orders .csv or .xlsx")],
    label: Annotated[list[str], Query()],
    period: PeriodKind = PeriodKind.MONTH,
    kpi: Annotated[list[str] | None, Query()] = None,
    by: Annotated[str | None, Query()] = None,
    repeat_days: Annotated[int, Query(ge=1, le=365)] = 30,
    format: Format = "json",
) -> Response:
    suffix = Path(orders.filename or "orders.csv").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FieldcrewError(f"upload a .csv or .xlsx file, not {orders.filename!r}")
    content = await orders.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                            f"orders file larger than {MAX_UPLOAD_BYTES // 1_000_000} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"orders{suffix}"
        path.write_bytes(content)
        source = service.Source.from_files(path)
    try:
        report = service.table_report(source, UnitKind.TECHNICIAN, period, label, names=kpi, breakdown=by,
                                      settings=KpiSettings(repeat_days=repeat_days))
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc
    return _out(report, format, "kpis-upload")


@router.get("/grades/{month}", summary="Scorecard and quality grade per technician for a month")
def grades(
    session: DbSession,
    user: CurrentUser,
    month: str,
    stored: Annotated[bool, Query(description="read the stored grades (what payroll used)")] = False,
    format: Format = "json",
) -> Response:
    _month(month)
    if stored:
        found = store.load_grades(session, month)
        rows = [service.grade_row(t, g) for t, g in sorted(found.items())]
        report: dict[str, Any] = {"month": month, "stored": True, "rows": rows}
    else:
        window = month_window(month)
        source = service.Source.from_db(session, window.start, window.end)
        ids = [user.technician_id] if user.role == "technician" and user.technician_id else None
        report, _ = service.grades_report(source, month, technician_ids=ids)
    if user.role == "technician":
        report["rows"] = [r for r in report["rows"] if r["technician_id"] == user.technician_id]
        report.pop("problems", None)
    elif user.role not in (*READERS, "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role!r} may not see grades")
    return _out(report, format, f"grades-{month}")


@router.get("/grades/{month}/{technician_id}", summary="One technician's scorecard for a month")
def grade_of(session: DbSession, user: CurrentUser, month: str, technician_id: str) -> dict[str, Any]:
    ensure_self_or_roles(user, technician_id, *READERS)
    _month(month)
    window = month_window(month)
    source = service.Source.from_db(session, window.start, window.end)
    if source.technicians is not None and technician_id not in {t.id for t in source.technicians}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"technician {technician_id!r} not found")
    report, _ = service.grades_report(source, month, technician_ids=[technician_id])
    return {"month": month, "rule": report["rule"], **report["rows"][0]}


@router.post("/months/{month}", status_code=202, summary="Compute and store a month's KPIs and grades (job)")
def save_month(
    session: DbSession,
    user: Annotated[AuthUser, Depends(require_roles("hr", "planner"))],
    month: str,
    repeat_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> JSONResponse:
    _month(month)
    job_id = submit_job(session, "quality.save_month", "quality.service:save_month_job",
                        {"month": month, "actor": user.username, "repeat_days": repeat_days}, user.username)
    return job_accepted(job_id)


@router.get("/warnings/{month}", summary="Red/yellow KPIs and two-months-running triggers")
def warnings(
    session: DbSession,
    user: Annotated[AuthUser, Depends(require_roles(*READERS))],
    month: str,
    unit: UnitKind = UnitKind.TECHNICIAN,
    format: Format = "json",
) -> Response:
    _month(month)
    source = _period_source(session, PeriodKind.MONTH, [previous_month(month), month])
    report = service.warnings_report(source, month, unit, session=session)
    return _out(report, format, f"warnings-{unit.value}-{month}")


@router.get("/escalations", summary="Orders to escalate: overdue, dissatisfied, repeat fault, complaint")
def escalations(
    session: DbSession,
    user: Annotated[AuthUser, Depends(require_roles(*READERS))],
    label: str,
    period: PeriodKind = PeriodKind.MONTH,
    format: Format = "json",
) -> Response:
    source = _period_source(session, period, [label])
    report = service.escalations_report(source, period, label)
    return _out(report, format, f"escalations-{label}")

