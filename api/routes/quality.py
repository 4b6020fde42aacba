"""Service-quality routes: KPI tables, monthly grades, warnings, escalations; CSV/Excel export.

Reads come from the platform's order tables; ``POST /quality/kpis/upload`` takes orders given
directly as a CSV/Excel file. Storing a month (snapshot + grades that payroll reads) is a job.
Technicians may read only their own KPI rows and grade.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import (
    ACCEPTED,
    CurrentUser,
    DbSession,
    JobAccepted,
    attachment,
    ensure_self_or_roles,
    file_responses,
    job_accepted,
    require_roles,
)
from fieldcrew.auth import AuthUser
from fieldcrew.jobs import submit_job
from quality import io, service, store
from quality.domain import DISPATCH_CENTRE_HOURS, FIELD_HOURS, KpiSettings, PeriodKind, UnitKind, WorkingHours
from quality.periods import month_window, previous_month, window_for
from quality.service import SAVE_MONTH, SaveMonthParams
from vocabulary.errors import FieldcrewError

router = APIRouter(prefix="/quality", tags=["quality"])

READERS = ("dispatcher", "planner", "hr")
#: about 150,000 order rows as CSV
MAX_UPLOAD_BYTES = 50_000_000
Format = Literal["json", "csv", "xlsx"]
#: ``responses=`` of a report route: JSON by default, CSV or Excel with ``?format=``
REPORT_FILES = file_responses("csv", "xlsx", description="the report (rows as CSV or Excel with ?format=)")


# --------------------------------------------------------------------------------------------------
# answers: flat rows (CSV/Excel-ready), exact numbers as decimal strings
# --------------------------------------------------------------------------------------------------


class InputProblem(BaseModel):
    """A record of the input that was left out, and why."""

    file: str | None = None
    row: int | None = None
    field: str
    value: str | int | float | bool | None = None
    rule: str


class Validation(BaseModel):
    """How many records were read and used, and what was left out by which rule."""

    records_read: int
    orders_used: int
    excluded_by_rule: dict[str, int]
    problems: list[InputProblem]


class KpiCell(BaseModel):
    """One cell of the KPI table: numerator, denominator, value with its interval, traffic light."""

    unit_kind: str
    unit_id: str
    period: str
    breakdown: str
    kpi: str
    numerator: str
    denominator: int
    value: str | None
    ci_low: str | None
    ci_high: str | None
    target: str | None
    light: str = Field(description="green, yellow, red or grey")
    excluded_total: int
    excluded: str = Field(description="rule=count; … of the records this cell left out")
    provisional: bool = Field(description="the figure can still change: the data was taken before settles_at")
    settles_at: str | None = Field(description="when no later record can change the figure")
    pending: int = Field(description="orders whose part in the figure can still change")
    order_ids: list[str] | None = Field(default=None, description="with ?ids=true only")
    numerator_ids: list[str] | None = Field(default=None, description="with ?ids=true only")
    links: list[str] | None = Field(default=None, description="with ?ids=true only: repair→repeat report")


class DataCut(BaseModel):
    """When the data was taken (``as_of``) and how that was decided."""

    as_of: str | None = Field(default=None, description="YYYY-MM-DD HH:MM:SS")
    as_of_basis: str | None = Field(default=None, description="'given' or 'the latest record in the data'")


class KpiTable(Validation, DataCut):
    """A KPI table for a unit level and periods."""

    unit: str
    period: str
    provisional: int = Field(description="cells that can still change")
    rows: list[KpiCell]


class GradeRow(BaseModel):
    """One technician's scorecard: score, grade, and per KPI ``<kpi>``, ``<kpi>_n``,
    ``<kpi>_points``, ``<kpi>_light`` and ``<kpi>_ci``."""

    model_config = ConfigDict(extra="allow")

    technician_id: str
    score: str
    grade: str
    flags: str


class GradesReport(DataCut):
    """Grades of a month: computed from the orders, or as stored (``stored``: what payroll used)."""

    month: str
    stored: bool | None = Field(default=None, description="present (true) for the stored grades")
    scheme: str | None = None
    rule: str | None = Field(default=None, description="the small-sample rule")
    rows: list[GradeRow]
    records_read: int | None = None
    orders_used: int | None = None
    excluded_by_rule: dict[str, int] | None = None
    problems: list[InputProblem] | None = None


class GradeCard(GradeRow):
    """One technician's scorecard for a month, with the small-sample rule and the data cut."""

    month: str
    rule: str
    as_of: str | None = None
    as_of_basis: str | None = None


class WarningRow(BaseModel):
    """A red or yellow KPI; ``trigger`` when it missed its target two months running."""

    unit_kind: str
    unit_id: str
    period: str
    kpi: str
    light: str
    value: str | None
    target: str
    trigger: bool
    months_missed: int
    message: str


class WarningsReport(Validation, DataCut):
    """Warnings of a month."""

    month: str
    unit: str
    triggers: int
    rows: list[WarningRow]


class EscalationRow(BaseModel):
    """An order to escalate and why (``reasons``: comma-separated)."""

    order_id: str
    technician_id: str | None
    reasons: str
    detail: str


class EscalationsReport(Validation, DataCut):
    """Orders to escalate in a period."""

    period: str
    rows: list[EscalationRow]


def _out(report: dict[str, Any], fmt: Format, name: str) -> dict[str, Any] | Response:
    """The report itself (JSON through the route's model) or its rows as a CSV/Excel download."""
    if fmt == "json":
        return report
    with tempfile.TemporaryDirectory() as tmp:
        path = io.write_rows(report["rows"], Path(tmp) / f"{name}.{fmt}")
        body = path.read_bytes()
    return attachment(body, fmt, f"{name}.{fmt}")


def kpi_settings(
    repeat_days: Annotated[int, Query(ge=1, le=365, description="N of the repeat-report rate")] = 30,
    as_of: Annotated[
        dt.datetime | None, Query(description="when the data was taken (default: its latest record)")
    ] = None,
    dispatch_hours: Annotated[
        str, Query(description="the dispatch centre's working hours, HH:MM-HH:MM")
    ] = DISPATCH_CENTRE_HOURS.label,
    field_hours: Annotated[str, Query(description="field working hours, HH:MM-HH:MM")] = FIELD_HOURS.label,
) -> KpiSettings:
    """The KPI definitions of a request (400 naming a bad parameter)."""
    try:
        return KpiSettings(repeat_days=repeat_days, as_of=as_of.replace(tzinfo=None) if as_of else None,
                           dispatch_hours=WorkingHours.parse(dispatch_hours),
                           field_hours=WorkingHours.parse(field_hours))
    except ValueError as exc:
        raise FieldcrewError(f"bad KPI parameter: {exc}") from exc


Settings = Annotated[KpiSettings, Depends(kpi_settings)]


def _period_source(
    session: Session, period: PeriodKind, labels: list[str], settings: KpiSettings | None = None
) -> service.Source:
    try:
        windows = [window_for(period, label) for label in labels]
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc
    end = max(w.end for w in windows)
    return service.Source.from_db(session, min(w.start for w in windows), end,
                                  created_before=service.created_before(end, settings))


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


@router.get(
    "/kpis",
    response_model=KpiTable,
    response_model_exclude_unset=True,
    responses=REPORT_FILES,
    summary="KPI table for a unit level and periods (numerator, denominator, value, light)",
)
def kpis(
    session: DbSession,
    user: CurrentUser,
    label: Annotated[list[str], Query(description="2026-03 / 2026-W10 / 2026-03-02")],
    unit: UnitKind = UnitKind.TECHNICIAN,
    period: PeriodKind = PeriodKind.MONTH,
    kpi: Annotated[list[str] | None, Query()] = None,
    by: Annotated[str | None, Query(description="customer_grade, line_type or order_type")] = None,
    unit_id: Annotated[list[str] | None, Query()] = None,
    settings: Settings = KpiSettings(),
    ids: bool = False,
    format: Format = "json",
) -> dict[str, Any] | Response:
    units = _restrict(user, unit, unit_id)
    source = _period_source(session, period, label, settings)
    try:
        report = service.table_report(
            source, unit, period, label, names=kpi, breakdown=by,
            settings=settings, with_ids=ids, units=units,
        )
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc
    return _out(report, format, f"kpis-{unit.value}-{'_'.join(label)}")


@router.post(
    "/kpis/upload",
    response_model=KpiTable,
    response_model_exclude_unset=True,
    responses=REPORT_FILES,
    summary="KPI table of orders given directly as a CSV/Excel file",
)
async def kpis_upload(
    user: Annotated[AuthUser, Depends(require_roles(*READERS))],
    orders: Annotated[UploadFile, File(description="orders .csv or .xlsx")],
    label: Annotated[list[str], Query()],
    period: PeriodKind = PeriodKind.MONTH,
    kpi: Annotated[list[str] | None, Query()] = None,
    by: Annotated[str | None, Query()] = None,
    settings: Settings = KpiSettings(),
    format: Format = "json",
) -> dict[str, Any] | Response:
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
                                      settings=settings)
    except ValueError as exc:
        raise FieldcrewError(str(exc)) from exc
    return _out(report, format, "kpis-upload")


@router.get(
    "/grades/{month}",
    response_model=GradesReport,
    response_model_exclude_unset=True,
    responses=REPORT_FILES,
    summary="Scorecard and quality grade per technician for a month",
)
def grades(
    session: DbSession,
    user: CurrentUser,
    month: str,
    stored: Annotated[bool, Query(description="read the stored grades (what payroll used)")] = False,
    settings: Settings = KpiSettings(),
    format: Format = "json",
) -> dict[str, Any] | Response:
    _month(month)
    if stored:
        found = store.load_grades(session, month)
        rows = [service.grade_row(t, g) for t, g in sorted(found.items())]
        report: dict[str, Any] = {"month": month, "stored": True, "rows": rows}
    else:
        source = _period_source(session, PeriodKind.MONTH, [month], settings)
        ids = [user.technician_id] if user.role == "technician" and user.technician_id else None
        report, _ = service.grades_report(source, month, technician_ids=ids, settings=settings)
    if user.role == "technician":
        report["rows"] = [r for r in report["rows"] if r["technician_id"] == user.technician_id]
        report.pop("problems", None)
    elif user.role not in (*READERS, "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role!r} may not see grades")
    return _out(report, format, f"grades-{month}")


@router.get(
    "/grades/{month}/{technician_id}",
    response_model=GradeCard,
    summary="One technician's scorecard for a month",
)
def grade_of(
    session: DbSession, user: CurrentUser, month: str, technician_id: str, settings: Settings = KpiSettings()
) -> dict[str, Any]:
    ensure_self_or_roles(user, technician_id, *READERS)
    _month(month)
    source = _period_source(session, PeriodKind.MONTH, [month], settings)
    if source.technicians is not None and technician_id not in {t.id for t in source.technicians}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"technician {technician_id!r} not found")
    report, _ = service.grades_report(source, month, technician_ids=[technician_id], settings=settings)
    return {"month": month, "rule": report["rule"], "as_of": report["as_of"],
            "as_of_basis": report["as_of_basis"], **report["rows"][0]}


@router.post("/months/{month}", summary="Compute and store a month's KPIs and grades (job)", **ACCEPTED)
def save_month(
    session: DbSession,
    response: Response,
    user: Annotated[AuthUser, Depends(require_roles("hr", "planner"))],
    month: str,
    settings: Settings = KpiSettings(),
) -> JobAccepted:
    _month(month)
    params = SaveMonthParams(month=month, repeat_days=settings.repeat_days, as_of=settings.as_of,
                             actor=user.username)
    return job_accepted(response, submit_job(session, SAVE_MONTH, params, user.username))


@router.get(
    "/warnings/{month}",
    response_model=WarningsReport,
    responses=REPORT_FILES,
    summary="Red/yellow KPIs and two-months-running triggers",
)
def warnings(
    session: DbSession,
    user: Annotated[AuthUser, Depends(require_roles(*READERS))],
    month: str,
    unit: UnitKind = UnitKind.TECHNICIAN,
    settings: Settings = KpiSettings(),
    format: Format = "json",
) -> dict[str, Any] | Response:
    _month(month)
    source = _period_source(session, PeriodKind.MONTH, [previous_month(month), month], settings)
    report = service.warnings_report(source, month, unit, session=session, settings=settings)
    return _out(report, format, f"warnings-{unit.value}-{month}")


@router.get(
    "/escalations",
    response_model=EscalationsReport,
    responses=REPORT_FILES,
    summary="Orders to escalate: overdue, dissatisfied, repeat fault, complaint",
)
def escalations(
    session: DbSession,
    user: Annotated[AuthUser, Depends(require_roles(*READERS))],
    label: str,
    period: PeriodKind = PeriodKind.MONTH,
    settings: Settings = KpiSettings(),
    format: Format = "json",
) -> dict[str, Any] | Response:
    source = _period_source(session, period, [label], settings)
    report = service.escalations_report(source, period, label, settings)
    return _out(report, format, f"escalations-{label}")

