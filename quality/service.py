"""Use cases shared by the CLI and the API: load orders, build reports as JSON-able rows.

Each report is a dict ``{"rows": [...], "excluded_by_rule": {...}, "problems": [...], ...}`` whose
rows are flat (CSV/Excel-ready) and whose numbers are Decimal strings (exact).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from fieldcrew.audit import record
from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext, JobKind
from quality import io, store
from quality.domain import Escalation, KpiSettings, KpiWarning, PeriodKind, ScoredGrade, UnitKind
from quality.kpis import KPI_BASIS, KPI_LABELS, KPI_OWNER, KPI_SETTLES, latest_record
from quality.periods import month_window, previous_month, window_for
from quality.scorecard import KPI_NAMES, ScoreScheme, default_scheme, technician_scorecards
from quality.table import kpi_table
from quality.validate import ValidatedOrders
from quality.warnings import escalations, monthly_warnings
from vocabulary.errors import InputErrors, Problem
from vocabulary.orders import LOCAL_TIME, CustomerGrade, OrderType, ServiceDeadlines
from vocabulary.staff import Technician


class Source:
    """Orders (validated), the staff list and where small areas belong, from files or the database."""

    def __init__(
        self,
        data: ValidatedOrders,
        technicians: list[Technician] | None,
        areas: dict[str, tuple[str, str]] | None = None,
        cut: dt.datetime | None = None,
    ) -> None:
        self.data = data
        self.technicians = technicians
        self.areas = areas
        #: when the data was taken, as far as the data itself tells (its latest record)
        self.cut = cut if cut is not None else latest_record(data.orders)

    @classmethod
    def from_files(cls, orders: Path | str, technicians: Path | str | None = None) -> Source:
        """Orders from a CSV/Excel file; staff from a file when given (then unknown ids are reported)."""
        techs = io.read_technicians_file(technicians) if technicians is not None else None
        known = {t.id for t in techs} if techs is not None else None
        return cls(io.load_orders_file(orders, known), techs)

    def settings(self, settings: KpiSettings | None) -> tuple[KpiSettings, dict[str, Any]]:
        """``settings`` with the data cut as ``as_of`` when none is given, and how ``as_of`` was set."""
        settings = settings or KpiSettings()
        if settings.as_of is not None:
            return settings, {"as_of": settings.as_of.isoformat(sep=" "), "as_of_basis": "given"}
        if self.cut is None:
            return settings, {"as_of": None, "as_of_basis": "no records: the end of each period"}
        return settings.model_copy(update={"as_of": self.cut}), {
            "as_of": self.cut.isoformat(sep=" "), "as_of_basis": "the latest record in the data"}

    @classmethod
    def from_db(
        cls,
        session: Session,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        *,
        created_before: dt.datetime | None = None,
    ) -> Source:
        """Orders that can count in ``[start, end)`` (:func:`quality.io.load_orders_db`), staff and areas."""
        techs = io.load_technicians_db(session)
        data = io.load_orders_db(session, start, end, {t.id for t in techs}, created_before=created_before)
        return cls(data, techs, io.load_area_places_db(session), io.load_cut_db(session))


def created_before(end: dt.datetime, settings: KpiSettings | None) -> dt.datetime:
    """How late an order may be created and still matter to a report ending at ``end``: the repeat
    faults of its last repairs come up to ``repeat_days`` later, but never after a given data cut."""
    settings = settings or KpiSettings()
    until = end + dt.timedelta(days=settings.repeat_days)
    return min(until, max(end, settings.as_of)) if settings.as_of is not None else until


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def grade_row(tech_id: str, card: ScoredGrade) -> dict[str, Any]:
    """A flat row of one technician's scorecard: per KPI the own value ``<kpi>`` with its light (the
    KPI table's number and light), the value scored after shrinkage ``<kpi>_scored``, the records
    ``<kpi>_n``, the points and the own value's 95 % interval."""
    row: dict[str, Any] = {"technician_id": tech_id, "score": str(card.score), "grade": card.grade}
    for name, value in card.values.items():
        row[f"{name}"] = _dec(card.own_values.get(name, value))
        row[f"{name}_scored"] = _dec(value)
        row[f"{name}_n"] = card.sample_sizes.get(name)
        row[f"{name}_points"] = _dec(card.points.get(name))
        row[f"{name}_light"] = card.lights[name].value if name in card.lights else None
        interval = card.intervals.get(name)
        row[f"{name}_ci"] = f"[{interval[0]}, {interval[1]}]" if interval else None
    row["flags"] = " | ".join(card.flags)
    return row


def table_report(
    source: Source,
    unit: UnitKind | str,
    period: PeriodKind | str,
    labels: Sequence[str] | None = None,
    *,
    names: Sequence[str] | None = None,
    breakdown: str | None = None,
    settings: KpiSettings | None = None,
    scheme: ScoreScheme | None = None,
    with_ids: bool = False,
    units: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The KPI table as flat rows, with the data cut (``as_of``) and the validation summary."""
    settings, cut = source.settings(settings)
    rows = kpi_table(source.data, unit, period, labels, technicians=source.technicians, names=names,
                     breakdown=breakdown, settings=settings, scheme=scheme, units=units, areas=source.areas)
    return {
        "unit": UnitKind(unit).value, "period": PeriodKind(period).value, **cut,
        "provisional": sum(r.provisional for r in rows),
        "rows": [r.flat(with_ids) for r in rows],
        **_validation(source.data),
    }


def _validation(data: ValidatedOrders) -> dict[str, Any]:
    return {
        "records_read": data.records_read, "orders_used": len(data.orders),
        "excluded_by_rule": data.excluded_counts(),
        "problems": [p.as_dict() for p in data.problems],
    }


def small_sample_rule(scheme: ScoreScheme) -> str:
    """The small-sample rule of ``scheme`` in one sentence (reported with every grade list)."""
    m = ("m estimated per rate KPI from the spread between technicians (fallback "
         f"{scheme.shrinkage_strength})" if scheme.estimate_strength else f"m={scheme.shrinkage_strength}")
    return (
        "KPIs with fewer than min_sample (default 5) records are not scored (flagged with their 95% "
        f"Wilson interval); the others are shrunk toward the region group's value with {m} "
        f"pseudo-records; no scoreable KPI gives the neutral score {scheme.no_data_score}"
    )


def grades_report(
    source: Source,
    month: str,
    *,
    technician_ids: Sequence[str] | None = None,
    settings: KpiSettings | None = None,
    scheme: ScoreScheme | None = None,
) -> tuple[dict[str, Any], dict[str, ScoredGrade]]:
    """Scorecard and grade per technician for a month (every staff member when the staff is known)."""
    scheme = scheme or default_scheme()
    settings, cut = source.settings(settings)
    ids = technician_ids
    if ids is None and source.technicians is not None:
        window = month_window(month)
        ids = sorted(
            t.id for t in source.technicians
            if t.start_date < window.end.date() and (t.end_date is None or t.end_date >= window.start.date())
        )
    cards = technician_scorecards(list(source.data.orders), month, ids, scheme,
                                  technicians=source.technicians, settings=settings)
    grades = {tech: card for tech, (card, _) in cards.items()}
    report = {
        "month": month, "scheme": scheme.name, **cut,
        "rule": small_sample_rule(scheme),
        "rows": [grade_row(t, g) for t, g in grades.items()],
        **_validation(source.data),
    }
    return report, grades


def rules_report(
    scheme: ScoreScheme | None = None,
    settings: KpiSettings | None = None,
    deadlines: ServiceDeadlines | None = None,
) -> dict[str, Any]:
    """Every rule behind the KPIs and grades in one place: per KPI its label, owner, what it counts,
    weight, target, warning limit, floor, minimum sample and when it settles; the grade bands and
    intended shares; the KPI definitions (norms, working hours, days); the default deadlines."""
    scheme = scheme or default_scheme()
    settings = settings or KpiSettings()
    deadlines = deadlines or ServiceDeadlines()
    kpis = []
    for name in KPI_NAMES:
        rule = scheme.rules.get(name)
        english, chinese = KPI_LABELS[name]
        kpis.append({
            "kpi": name, "label": english, "label_zh": chinese, "owner": KPI_OWNER[name],
            "part": rule.part.value if rule else None, "weight": _dec(rule.weight if rule else None),
            "direction": rule.direction.value if rule else None,
            "target": _dec(rule.target if rule else None), "warn": _dec(rule.warn if rule else None),
            "floor": _dec(rule.floor if rule else None), "min_sample": rule.min_sample if rule else None,
            "counts": KPI_BASIS[name], "settles": (KPI_SETTLES[name].__doc__ or "").strip(),
        })
    return {
        "scheme": scheme.name,
        "rows": kpis,
        "grades": [
            {"grade": b.grade, "min_score": str(b.min_score),
             "intended_share": str(scheme.intended_shares[b.grade])}
            for b in scheme.bands
        ],
        "grading": {
            "part_shares": ", ".join(f"{p.value} {v}" for p, v in scheme.part_shares().items()),
            "min_scored_kpis": scheme.min_scored_kpis,
            "neutral_score": str(scheme.no_data_score),
            "neutral_grade": scheme.grade_for(scheme.no_data_score),
            "shrinkage_strength": (
                "estimated per KPI" if scheme.estimate_strength else str(scheme.shrinkage_strength)
            ),
        },
        "definitions": {
            "repeat_days": settings.repeat_days,
            "satisfied_min": settings.satisfied_min,
            "first_response_minutes": settings.first_response_minutes,
            "dispatch_minutes": settings.dispatch_minutes,
            "dispatch_hours": settings.dispatch_hours.label,
            "technician_response_minutes": settings.technician_response_minutes,
            "field_hours": settings.field_hours.label,
            "outcome_days": settings.outcome_days,
            "as_of": "given, or the latest record in the data",
        },
        "deadlines_hours": {
            ot.value: {g.value: deadlines.minutes[ot][g] / 60 for g in CustomerGrade} for ot in OrderType
        },
    }


def rules_markdown(report: dict[str, Any]) -> str:
    """:func:`rules_report` as the Markdown tables of docs/kpis.md (generated, so they cannot drift)."""
    lines = ["| KPI | 名称 | answers | part | weight | dir. | target | warn (yellow) | floor (0 points) "
             "| min. records | counts | settles |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in report["rows"]:
        lines.append(
            f"| `{r['kpi']}` {r['label']} | {r['label_zh']} | {r['owner']} | {r['part']} | {r['weight']} "
            f"| {r['direction']} | {r['target']} | {r['warn']} | {r['floor']} | {r['min_sample']} "
            f"| {r['counts']} | {r['settles']} |"
        )
    lines += ["", "| grade | score from | intended share |", "| --- | --- | --- |"]
    lines += [f"| {g['grade']} | {g['min_score']} | {g['intended_share']} |" for g in report["grades"]]
    lines += ["", "| grading rule | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in report["grading"].items()]
    lines += ["", "| definition | default |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in report["definitions"].items()]
    grades = list(next(iter(report["deadlines_hours"].values())))
    lines += ["", "| deadline (hours after creation) | " + " | ".join(grades) + " |",
              "| --- | " + " | ".join("---" for _ in grades) + " |"]
    lines += [f"| {ot} | " + " | ".join(f"{h:g}" for h in per.values()) + " |"
              for ot, per in report["deadlines_hours"].items()]
    return "\n".join(lines) + "\n"


def warning_row(w: KpiWarning) -> dict[str, Any]:
    """A flat row of one warning."""
    return {
        "unit_kind": w.unit_kind.value, "unit_id": w.unit_id, "period": w.period, "kpi": w.kpi,
        "light": w.light.value, "value": _dec(w.value), "target": str(w.target),
        "trigger": w.trigger, "months_missed": w.months_missed, "message": w.message,
    }


def warnings_report(
    source: Source,
    month: str,
    unit: UnitKind | str = UnitKind.TECHNICIAN,
    *,
    session: Session | None = None,
    settings: KpiSettings | None = None,
    scheme: ScoreScheme | None = None,
) -> dict[str, Any]:
    """Red/yellow warnings and two-months-running triggers of a month (stored snapshot of the month
    before used when the orders do not cover it)."""
    previous = store.load_lights(session, unit, previous_month(month)) if session is not None else None
    settings, cut = source.settings(settings)
    warnings = monthly_warnings(source.data, month, unit, technicians=source.technicians,
                                settings=settings, scheme=scheme, previous=previous, areas=source.areas)
    return {
        "month": month, "unit": UnitKind(unit).value, **cut,
        "triggers": sum(w.trigger for w in warnings),
        "rows": [warning_row(w) for w in warnings],
        **_validation(source.data),
    }


def escalation_row(e: Escalation) -> dict[str, Any]:
    """A flat row of one order to escalate."""
    return {"order_id": e.order_id, "technician_id": e.technician_id,
            "reasons": ",".join(r.value for r in e.reasons), "detail": e.detail}


def escalations_report(
    source: Source, period: PeriodKind | str, label: str, settings: KpiSettings | None = None
) -> dict[str, Any]:
    """Orders to escalate in a period (overdue, dissatisfied, repeat fault, complaint)."""
    settings, cut = source.settings(settings)
    found = escalations(source.data.orders, window_for(period, label), settings)
    return {"period": label, **cut, "rows": [escalation_row(e) for e in found], **_validation(source.data)}


def save_month(
    session: Session,
    source: Source,
    month: str,
    *,
    settings: KpiSettings | None = None,
    scheme: ScoreScheme | None = None,
) -> dict[str, int]:
    """Store the month's KPI snapshot (every unit level the staff list allows) and grades."""
    scheme = scheme or default_scheme()
    settings, _ = source.settings(settings)
    kinds = [UnitKind.TECHNICIAN] if source.technicians is None else list(UnitKind)
    written = 0
    for kind in kinds:
        rows = kpi_table(source.data, kind, PeriodKind.MONTH, [month], technicians=source.technicians,
                         settings=settings, scheme=scheme, areas=source.areas)
        written += store.save_snapshot(session, month, rows)
    _, grades = grades_report(source, month, settings=settings, scheme=scheme)
    return {"snapshot_rows": written, "grades": store.save_grades(session, month, grades, scheme.name)}


class SaveMonthParams(BaseModel):
    """Parameters of a ``quality.save_month`` job: the month, the repeat-fault window, the data cut,
    who asked."""

    month: str = Field(description="YYYY-MM")
    repeat_days: int = Field(default=30, ge=1, le=365, description="days within which a fault repeats")
    as_of: dt.datetime | None = Field(default=None, description="the data cut (default: the latest record)")
    actor: str = "system"

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        month_window(value)  # ValueError naming the month when it is not YYYY-MM
        return value


def save_month_job(params: SaveMonthParams, ctx: JobContext) -> dict[str, Any]:
    """Job ``quality.save_month``: compute and store a month's KPI snapshot and grades.

    Writes one audit entry with the grade counts. Checks for cancellation before writing. The
    snapshot, grades and audit entry are stored fenced (:meth:`JobContext.fenced`): only by the run
    that still owns the job, together with its result.
    """
    month = params.month
    window = month_window(month)
    settings = KpiSettings(repeat_days=params.repeat_days, as_of=params.as_of)
    ctx.progress(0.1, "loading orders")
    with session_scope(ctx.database_url) as session:
        source = Source.from_db(session, window.start, window.end,
                                created_before=created_before(window.end, settings))
        if ctx.cancelled():
            return {"month": month, "cancelled": True}
        ctx.progress(0.4, "computing KPIs and grades")
        before = {t: g.grade for t, g in store.load_grades(session, month).items()}
        counts = save_month(session, source, month, settings=settings)
        after = {t: g.grade for t, g in store.load_grades(session, month).items()}
        record(session, params.actor, "compute", "quality_month", month,
               {"grades": before} if before else None, {"grades": after, **counts})
        out = {"month": month, **counts, "problems": len(source.data.problems),
               "excluded_by_rule": source.data.excluded_counts()}
        ctx.fenced(session, out)  # last: a run that lost its job stores no snapshot
    ctx.progress(1.0, "saved")
    return out




def check_save_month(session: Session, params: SaveMonthParams) -> None:
    """Refuse at submission a month that is not ``YYYY-MM`` or has not begun yet: its snapshot would
    hold no orders, and payroll would read its empty grades as the month's.

    Raises
    ------
    InputErrors
        Naming ``month`` and the rule (HTTP 422).
    """
    try:
        start = month_window(params.month).start
    except ValueError:
        raise InputErrors([Problem("month", "must be a month YYYY-MM", params.month)]) from None
    today = dt.datetime.now(LOCAL_TIME).date()
    if start.date() > today:
        rule = f"must have begun (today is {today.isoformat()} in Asia/Shanghai)"
        raise InputErrors([Problem("month", rule, params.month)])


#: Compute and store a month's KPI snapshot and grades, which payroll reads (``POST /quality/months/{m}``).
SAVE_MONTH = JobKind("quality.save_month", SaveMonthParams, save_month_job, validate=check_save_month)
