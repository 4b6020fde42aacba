"""``fieldcrew kpi ...``: KPI tables, monthly scorecards and grades, warnings, escalations, and the rules.

Orders come from a CSV/Excel file in the platform's order format (``--orders``: what ``fieldcrew
export orders`` writes; ``--technicians`` for the staff list, e.g. ``fieldcrew export technicians``)
or, without ``--orders``, from the database. Every command prints a table, or JSON with ``--json``,
and writes CSV/Excel with ``--out file.csv|file.xlsx``. Every bad record is listed (file, row,
field, value, rule) on stderr; when records were rejected (left out of every KPI) the command
still prints what the others give, then exits with status 1: a figure that silently lost records
is never an answer. Bad options and unreadable files exit with status 2.
Every report states its data cut (``--as-of``, default: the latest record in the data) and marks
figures that can still change as provisional; ``--dispatch-hours`` / ``--field-hours`` set the two
clocks of the first response. ``fieldcrew kpi rules`` prints every weight, target, limit, floor,
minimum sample, norm and default deadline (docs/kpis.md).
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from fieldcrew.db import session_scope
from quality import io, service
from quality.domain import DISPATCH_CENTRE_HOURS, FIELD_HOURS, KpiSettings, PeriodKind, UnitKind, WorkingHours
from quality.periods import month_window, previous_month, window_for
from quality.scorecard import KPI_NAMES, ScoreScheme, default_scheme
from vocabulary.errors import FieldcrewError

app = typer.Typer(no_args_is_help=True, help="Service-quality KPIs, scorecards, grades, warnings.")

OrdersOpt = Annotated[Path | None, typer.Option("--orders", help="Orders CSV/Excel (default: the database).")]
TechsOpt = Annotated[
    Path | None, typer.Option("--technicians", help="Staff CSV/Excel: id, branch_id, region_group_id.")
]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Also write rows to a .csv or .xlsx file.")]
RepeatOpt = Annotated[int, typer.Option("--repeat-days", help="N of the repeat-report rate.")]
DispatchHoursOpt = Annotated[
    str, typer.Option("--dispatch-hours", help="The dispatch centre's working hours, HH:MM-HH:MM.")
]
FieldHoursOpt = Annotated[str, typer.Option("--field-hours", help="Field working hours, HH:MM-HH:MM.")]
DISPATCH_HOURS_DEFAULT = DISPATCH_CENTRE_HOURS.label
FIELD_HOURS_DEFAULT = FIELD_HOURS.label


AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="When the data was taken, YYYY-MM-DD[ HH:MM] (default: its latest record)."),
]


def _settings(
    repeat_days: int, dispatch_hours: str, field_hours: str, as_of: str | None = None
) -> KpiSettings:
    """The KPI definitions from the command's options (ValueError naming a bad option)."""
    try:
        cut = dt.datetime.fromisoformat(as_of.strip()) if as_of else None
    except ValueError as exc:
        raise ValueError(f"--as-of {as_of!r}: give YYYY-MM-DD or YYYY-MM-DD HH:MM") from exc
    try:
        return KpiSettings(repeat_days=repeat_days, dispatch_hours=WorkingHours.parse(dispatch_hours),
                           field_hours=WorkingHours.parse(field_hours), as_of=cut)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{first['msg']} ({', '.join(str(x) for x in first['loc'])})") from exc


def _session(orders: Path | None, db: str | None) -> AbstractContextManager[Session | None]:
    if orders is not None and db is None:
        return nullcontext(None)
    return session_scope(db)


def _source(
    session: Session | None,
    orders: Path | None,
    technicians: Path | None,
    labels: list[str],
    period: str,
    settings: KpiSettings | None = None,
) -> service.Source:
    if orders is not None:
        return service.Source.from_files(orders, technicians)
    assert session is not None
    windows = [window_for(period, label) for label in labels]
    start = min((w.start for w in windows), default=None)
    end = max((w.end for w in windows), default=None)
    until = service.created_before(end, settings) if end is not None else None
    return service.Source.from_db(session, start, end, created_before=until)


def _emit(report: dict[str, Any], as_json: bool, out: Path | None, columns: list[str]) -> None:
    if out is not None:
        io.write_rows(report["rows"], out)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    rows = report["rows"]
    widths = {c: max([len(c), *(len(_text(r.get(c))) for r in rows)]) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        typer.echo("  ".join(_text(r.get(c)).ljust(widths[c]) for c in columns))
    if "as_of_basis" in report:
        typer.echo(f"data taken (as of): {report['as_of'] or '-'} ({report['as_of_basis']})"
                   + (f"; {report['provisional']} provisional figure(s) can still change"
                      if report.get("provisional") else ""))
    excluded = report.get("excluded_by_rule") or {}
    if excluded:
        typer.echo("records left out: " + ", ".join(f"{k}={v}" for k, v in sorted(excluded.items())))
    problems = report.get("problems") or []
    for p in problems[:20]:
        where = f"{p['file']} " if p.get("file") else ""
        typer.echo(f"  {where}row {p['row']} field {p['field']} value {p['value']!r}: {p['rule']}", err=True)
    if len(problems) > 20:
        typer.echo(f"  … and {len(problems) - 20} more problem(s) (use --json)", err=True)
    if out is not None:
        typer.echo(f"wrote {len(rows)} row(s) to {out}")


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def _refuse_rejected(source: service.Source) -> None:
    """Exit with status 1 when records were rejected: the figures printed leave them out."""
    data = source.data
    rejected = data.records_read - len(data.orders)
    if rejected:
        typer.echo(f"{rejected} of {data.records_read} record(s) rejected (left out of every KPI): the "
                   "figures above do not count them; `fieldcrew kpi check --orders FILE` lists every problem",
                   err=True)
        raise typer.Exit(1)


def _scheme(shrink_m: str) -> ScoreScheme:
    """The operator's scheme with the shrinkage strength of ``--shrink-m`` (a number or 'estimate')."""
    base = default_scheme()
    if shrink_m == "estimate":
        return base.model_copy(update={"estimate_strength": True})
    try:
        m = Decimal(shrink_m)
    except InvalidOperation as exc:
        raise FieldcrewError(f"--shrink-m {shrink_m!r}: give a number >= 0 or 'estimate'") from exc
    if m < 0:
        raise FieldcrewError(f"--shrink-m {shrink_m!r}: give a number >= 0 or 'estimate'")
    return base.model_copy(update={"shrinkage_strength": m})


def _fail(exc: FieldcrewError) -> None:
    typer.echo(str(exc), err=True)
    raise typer.Exit(2)


@app.command("table")
def table(
    unit: Annotated[UnitKind, typer.Option(help="Unit level.")] = UnitKind.TECHNICIAN,
    period: Annotated[PeriodKind, typer.Option(help="Period length.")] = PeriodKind.MONTH,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Period(s): 2026-03 / 2026-W10 / 2026-03-02.")
    ] = None,
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", help=f"KPI(s) of {', '.join(KPI_NAMES)}.")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Breakdown: customer_grade, line_type, order_type.")
    ] = None,
    only: Annotated[list[str] | None, typer.Option("--unit-id", help="Only these unit ids.")] = None,
    ids: Annotated[
        bool, typer.Option("--ids", help="Include the order ids behind each figure (JSON).")
    ] = False,
    repeat_days: RepeatOpt = 30,
    as_of: AsOfOpt = None,
    dispatch_hours: DispatchHoursOpt = DISPATCH_HOURS_DEFAULT,
    field_hours: FieldHoursOpt = FIELD_HOURS_DEFAULT,
    orders: OrdersOpt = None,
    technicians: TechsOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """KPI table for any unit and period: numerator, denominator, value, 95% interval, light."""
    labels = list(label or [])
    try:
        settings = _settings(repeat_days, dispatch_hours, field_hours, as_of)
        with _session(orders, db) as session:
            source = _source(session, orders, technicians, labels, period.value, settings)
            report = service.table_report(
                source, unit, period, labels or None, names=kpi, breakdown=by,
                settings=settings, with_ids=ids, units=only,
            )
    except FieldcrewError as exc:
        _fail(exc)
        return
    except ValueError as exc:
        _fail(FieldcrewError(str(exc)))
        return
    _emit(report, as_json, out, ["unit_id", "period", "breakdown", "kpi", "numerator", "denominator",
                                 "value", "ci_low", "ci_high", "target", "light", "provisional", "excluded"])
    _refuse_rejected(source)


@app.command("grades")
def grades(
    month: Annotated[str, typer.Option(help="Month YYYY-MM.")],
    repeat_days: RepeatOpt = 30,
    as_of: AsOfOpt = None,
    dispatch_hours: DispatchHoursOpt = DISPATCH_HOURS_DEFAULT,
    field_hours: FieldHoursOpt = FIELD_HOURS_DEFAULT,
    save: Annotated[bool, typer.Option("--save", help="Store the month's snapshot and grades.")] = False,
    shrink_m: Annotated[
        str, typer.Option("--shrink-m", help="Shrinkage strength m (pseudo-records), or 'estimate'.")
    ] = "10",
    orders: OrdersOpt = None,
    technicians: TechsOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Scorecard and quality grade per technician for a month (the grade that scales piece rates)."""
    try:
        settings = _settings(repeat_days, dispatch_hours, field_hours, as_of)
        month_window(month)
        scheme = _scheme(shrink_m)
        # --save needs the database even when the orders come from a file
        with _session(None if save else orders, db) as session:
            source = _source(session, orders, technicians, [month], "month", settings)
            report, _ = service.grades_report(source, month, settings=settings, scheme=scheme)
            if save:
                assert session is not None
                report["saved"] = service.save_month(session, source, month, settings=settings, scheme=scheme)
    except FieldcrewError as exc:
        _fail(exc)
        return
    except ValueError as exc:
        _fail(FieldcrewError(str(exc)))
        return
    _emit(report, as_json, out, ["technician_id", "score", "grade", "flags"])
    if not as_json:
        typer.echo(f"rule: {report['rule']}")
        if "saved" in report:
            typer.echo(f"saved: {report['saved']}")
    _refuse_rejected(source)


@app.command("warnings")
def warnings(
    month: Annotated[str, typer.Option(help="Month YYYY-MM.")],
    unit: Annotated[UnitKind, typer.Option(help="Unit level.")] = UnitKind.TECHNICIAN,
    repeat_days: RepeatOpt = 30,
    as_of: AsOfOpt = None,
    dispatch_hours: DispatchHoursOpt = DISPATCH_HOURS_DEFAULT,
    field_hours: FieldHoursOpt = FIELD_HOURS_DEFAULT,
    orders: OrdersOpt = None,
    technicians: TechsOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Red/yellow KPIs and two-months-running triggers of a month."""
    try:
        settings = _settings(repeat_days, dispatch_hours, field_hours, as_of)
        month_window(month)
        with _session(orders, db) as session:
            prev = previous_month(month)
            source = _source(session, orders, technicians, [prev, month], "month", settings)
            report = service.warnings_report(source, month, unit, session=session, settings=settings)
    except FieldcrewError as exc:
        _fail(exc)
        return
    except ValueError as exc:
        _fail(FieldcrewError(str(exc)))
        return
    _emit(report, as_json, out, ["unit_id", "kpi", "light", "value", "target", "trigger", "message"])
    _refuse_rejected(source)


@app.command("escalations")
def escalations_cmd(
    label: Annotated[str, typer.Option("--label", help="Period: 2026-03 / 2026-W10 / 2026-03-02.")],
    period: Annotated[PeriodKind, typer.Option(help="Period length.")] = PeriodKind.MONTH,
    repeat_days: RepeatOpt = 30,
    as_of: AsOfOpt = None,
    orders: OrdersOpt = None,
    technicians: TechsOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Orders to escalate: overdue, dissatisfied, repeat fault, complaint."""
    try:
        settings = _settings(repeat_days, DISPATCH_HOURS_DEFAULT, FIELD_HOURS_DEFAULT, as_of)
        with _session(orders, db) as session:
            source = _source(session, orders, technicians, [label], period.value, settings)
            report = service.escalations_report(source, period, label, settings)
    except FieldcrewError as exc:
        _fail(exc)
        return
    except ValueError as exc:
        _fail(FieldcrewError(str(exc)))
        return
    _emit(report, as_json, out, ["order_id", "technician_id", "reasons", "detail"])
    _refuse_rejected(source)


@app.command("rules")
def rules(
    repeat_days: RepeatOpt = 30,
    dispatch_hours: DispatchHoursOpt = DISPATCH_HOURS_DEFAULT,
    field_hours: FieldHoursOpt = FIELD_HOURS_DEFAULT,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown tables of docs/kpis.md.")
    ] = False,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Every KPI rule in one place: weights, targets, warning limits, floors, minimum samples, when a
    figure settles, grade bands with intended shares, norms, working hours and default deadlines."""
    try:
        report = service.rules_report(default_scheme(), _settings(repeat_days, dispatch_hours, field_hours))
    except ValueError as exc:
        _fail(FieldcrewError(str(exc)))
        return
    if markdown:
        typer.echo(service.rules_markdown(report), nl=False)
        return
    _emit(report, as_json, out, ["kpi", "owner", "part", "weight", "direction", "target", "warn", "floor",
                                 "min_sample", "settles"])
    if as_json:
        return
    typer.echo("grades: " + ", ".join(f"{g['grade']} >= {g['min_score']} (intended {g['intended_share']})"
                                      for g in report["grades"]))
    typer.echo("grading: " + ", ".join(f"{k}={v}" for k, v in report["grading"].items()))
    typer.echo("definitions: " + ", ".join(f"{k}={v}" for k, v in report["definitions"].items()))
    deadlines = report["deadlines_hours"].items()
    typer.echo("deadlines (hours): " + "; ".join(
        f"{ot}: " + ", ".join(f"{g} {h:g}" for g, h in per.items()) for ot, per in deadlines
    ))


@app.command("check")
def check(
    orders: Annotated[Path, typer.Option("--orders", help="Orders CSV/Excel.")],
    technicians: TechsOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Validate an orders file: every bad record with its row, field, value and rule."""
    try:
        source = service.Source.from_files(orders, technicians)
    except FieldcrewError as exc:
        _fail(exc)
        return
    summary = source.data.summary()
    report = {**summary, "rows": summary["problems"]}
    _emit(report, as_json, out, ["row", "field", "value", "rule"])
    if not as_json:
        typer.echo(f"{summary['records_read']} record(s) read, {summary['orders_kept']} usable")
    if summary["problems"]:
        raise typer.Exit(1)
