"""CLI of the work-hour pool: ``fieldcrew pool ...`` (standards → forecast → quotas → headcount → what-if)
and ``fieldcrew size ...`` (Erlang C / Erlang A team sizing).

Inputs come from CSV/Excel files or, with ``--branch``, from the database (observations, work-order
history, small areas, technicians). Every command writes CSV/Excel with ``--out`` and prints JSON
with ``--json``. Bad input prints every problem (row, column, value, rule) and exits with status 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from fieldcrew.db import session_scope
from timepool import io as tio
from timepool.domain import (
    DEFAULT_PRODUCTIVE_MINUTES,
    DEFAULT_REMOTE_SHARE,
    AllowanceConvention,
    AreaInfo,
    Assumption,
    EmployedBasis,
    Forecast,
    OutlierRule,
    OverflowRates,
    Quotas,
    Scenario,
    ShrinkagePolicy,
    StaffCounts,
    StandardParams,
    StandardTable,
    Uplift,
)
from timepool.erlang import SizingError, size_erlang_a, size_erlang_c
from timepool.forecast import forecast_from_history
from timepool.headcount import assumptions, headcount
from timepool.pool import build_pool
from timepool.quotas import (
    branch_standards,
    daily_quotas,
    load_areas,
    load_observations,
    load_order_history,
    load_staff_counts,
)
from timepool.standards import aggregate_province, standards, standards_by_branch
from timepool.store import save_quotas, save_standard_table
from timepool.whatif import what_if
from vocabulary.errors import FieldcrewError, InputErrors
from vocabulary.orders import OrderType

app = typer.Typer(
    no_args_is_help=True, help="Work-hour pool: standards, forecasts, quotas, headcount, what-if."
)
size_app = typer.Typer(no_args_is_help=True, help="Team sizing for randomly arriving orders (Erlang C / A).")

T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the result table to a .csv or .xlsx file.")]


def _run(fn: Callable[[], T], as_json: bool) -> T:
    """Run ``fn``; on a domain error print every problem and exit 2."""
    try:
        return fn()
    except InputErrors as exc:
        if as_json:
            typer.echo(
                json.dumps(
                    {"error": exc.title, "problems": [p.as_dict() for p in exc.problems]},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except (FieldcrewError, SizingError, ValueError) as exc:
        if as_json:
            typer.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _dump(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Plain aligned table on stdout."""
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) if rows else len(c) for c in columns]
    typer.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in rows:
        typer.echo("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths, strict=True)))


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# size
# ---------------------------------------------------------------------------------------------


@size_app.command("erlang-c")
def erlang_c_cmd(
    arrivals: Annotated[float, typer.Option(help="Arrivals per interval.")],
    interval_minutes: Annotated[float, typer.Option(help="Length of the interval in minutes.")],
    handle_minutes: Annotated[float, typer.Option(help="Mean handling time in minutes.")],
    target_service_level: Annotated[
        float, typer.Option(help="Share served within the target time, e.g. 0.8.")
    ],
    target_minutes: Annotated[float, typer.Option(help="Target time in minutes.")],
    max_occupancy: Annotated[float, typer.Option(help="Cap on occupancy a/N.")] = 1.0,
    shrinkage: Annotated[
        float, typer.Option(help="Share of paid time not available; grosses up positions.")
    ] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Smallest agent count meeting a service level (Erlang C), and positions after shrinkage."""
    result = _run(
        lambda: size_erlang_c(
            arrivals,
            interval_minutes,
            handle_minutes,
            target_service_level,
            target_minutes,
            max_occupancy,
            shrinkage,
        ),
        as_json,
    )
    _print_sizing(result.as_dict(), as_json)


@size_app.command("erlang-a")
def erlang_a_cmd(
    arrivals: Annotated[float, typer.Option(help="Arrivals per interval.")],
    interval_minutes: Annotated[float, typer.Option(help="Length of the interval in minutes.")],
    handle_minutes: Annotated[float, typer.Option(help="Mean handling time in minutes.")],
    patience_minutes: Annotated[float, typer.Option(help="Mean customer patience in minutes.")],
    target_service_level: Annotated[float, typer.Option(help="Share started within the target time.")],
    target_minutes: Annotated[float, typer.Option(help="Target time in minutes.")],
    max_occupancy: Annotated[float, typer.Option(help="Cap on occupancy.")] = 1.0,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time not available.")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Smallest agent count meeting a service level with customer abandonment (Erlang A)."""
    result = _run(
        lambda: size_erlang_a(
            arrivals,
            interval_minutes,
            handle_minutes,
            patience_minutes,
            target_service_level,
            target_minutes,
            max_occupancy,
            shrinkage,
        ),
        as_json,
    )
    _print_sizing(result.as_dict(), as_json)


def _print_sizing(d: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _dump(d)
        return
    for key in (
        "model",
        "load_erlangs",
        "raw_agents",
        "positions",
        "service_level",
        "wait_probability",
        "occupancy",
        "average_wait_minutes",
        "abandon_probability",
    ):
        typer.echo(f"{key:22s} {_fmt(d[key]) if not isinstance(d[key], float) else f'{d[key]:.4f}'}")


# ---------------------------------------------------------------------------------------------
# pool: shared inputs
# ---------------------------------------------------------------------------------------------

ObsOpt = Annotated[Path | None, typer.Option("--observations", help="Observations CSV/Excel.")]
AreasOpt = Annotated[
    Path | None,
    typer.Option("--areas", help="Small areas CSV/Excel (area_id, region_group_id, branch_id, area_type)."),
]
ForecastOpt = Annotated[Path | None, typer.Option("--forecast", help="Given forecast CSV/Excel.")]
HistoryOpt = Annotated[
    Path | None, typer.Option("--history", help="Order history CSV/Excel (forecast from it).")
]
BranchOpt = Annotated[
    str | None, typer.Option("--branch", help="Read everything for this branch from the database.")
]
StartOpt = Annotated[str | None, typer.Option("--start", help="First forecast day (YYYY-MM-DD).")]
DaysOpt = Annotated[int, typer.Option("--days", help="Number of forecast days.")]
UpliftOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--uplift", help="NAME:START:END:FACTOR[:TYPE+TYPE], e.g. rainy:2026-06-15:2026-07-15:1.2:repair"
    ),
]
AllowanceOpt = Annotated[float, typer.Option("--allowance", help="Personal/fatigue/delay allowance A.")]
ConventionOpt = Annotated[AllowanceConvention, typer.Option("--convention", help="How A is applied.")]
RuleOpt = Annotated[OutlierRule, typer.Option("--outlier-rule", help="Outlier rule (mad, iqr, none).")]
ConfidenceOpt = Annotated[
    float, typer.Option("--confidence", min=0.5, max=0.999, help="Level of the confidence intervals (0.95).")
]
AccuracyOpt = Annotated[
    float,
    typer.Option("--accuracy", min=0.001, max=0.5, help="Relative precision the study aims at, for the "
                 "sample-adequacy check (0.05 = ±5 %)."),
]
DbOpt = Annotated[str | None, typer.Option("--db-url", help="Database URL (default: configured).")]
ProductiveOpt = Annotated[
    int, typer.Option("--productive-minutes", help="Productive minutes per shift (480 less briefing, meals).")
]
MinHeadsOpt = Annotated[int, typer.Option("--min-heads", help="Minimum heads per group per day (coverage).")]
RemoteOpt = Annotated[
    float,
    typer.Option(
        "--remote-share", help="Share of repairs resolved remotely without a visit (default 0: all visited)."
    ),
]
BasisOpt = Annotated[
    EmployedBasis,
    typer.Option("--employed-basis", help="Who counts as employed in a group: posted (own staff + partners) "
                                          "or own_staff. The support team never does."),
]


def parse_uplift(text: str) -> Uplift:
    """``NAME:START:END:FACTOR[:TYPE+TYPE]`` → :class:`Uplift`."""
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"uplift {text!r}: expected NAME:START:END:FACTOR[:TYPE+TYPE]")
    types = frozenset(OrderType(t) for t in parts[4].split("+")) if len(parts) == 5 else frozenset(OrderType)
    return Uplift(
        name=parts[0],
        start=dt.date.fromisoformat(parts[1]),
        end=dt.date.fromisoformat(parts[2]),
        factor=float(parts[3]),
        order_types=types,
    )


def _params(
    allowance: float, convention: AllowanceConvention, rule: OutlierRule, confidence: float = 0.95,
    accuracy: float = 0.05,
) -> StandardParams:
    return StandardParams(
        allowance=allowance, convention=convention, outlier_rule=rule, confidence=confidence,
        accuracy=accuracy,
    )


def _inputs(
    observations: Path | None,
    areas_file: Path | None,
    forecast_file: Path | None,
    history: Path | None,
    branch: str | None,
    start: str | None,
    days: int,
    uplifts: list[str] | None,
    params: StandardParams,
    db_url: str | None,
) -> tuple[StandardTable, Forecast, list[AreaInfo], StaffCounts | None]:
    """Standards, forecast, areas and the branch's staff (None from files), from files or the database."""
    ups = [parse_uplift(u) for u in uplifts or []]
    start_day = dt.date.fromisoformat(start) if start else None
    if branch:

        if start_day is None:
            raise ValueError("--start is required")
        with session_scope(db_url) as session:
            areas = load_areas(session, branch)
            if not areas:
                raise ValueError(f"branch {branch!r} has no small areas in the database")
            table = (
                standards(tio.read_observations(observations), params, scope=branch)
                if observations
                else branch_standards(session, branch, params)
            )
            hist = load_order_history(session, [a.area_id for a in areas], start_day)
            employed = load_staff_counts(session, branch, start_day)
        fc = (
            tio.read_forecast(forecast_file)
            if forecast_file
            else forecast_from_history(hist, start_day, days, ups)
        )
        return table, fc, areas, employed
    if observations is None or areas_file is None:
        raise ValueError("give --observations and --areas (or --branch to read from the database)")
    table = standards(tio.read_observations(observations), params, scope="file")
    areas = tio.read_areas(areas_file)
    if forecast_file:
        fc = tio.read_forecast(forecast_file)
    elif history:
        if start_day is None:
            raise ValueError("--start is required with --history")
        fc = forecast_from_history(tio.read_order_history(history), start_day, days, ups)
    else:
        raise ValueError("give --forecast or --history")
    return table, fc, areas, None


def _employed(
    text: str | None, staff: StaffCounts | None, basis: EmployedBasis
) -> tuple[dict[str, int], str]:
    """Heads employed per group and what they count: ``G1=5,G2=4``, a CSV/Excel with
    ``region_group_id`` (one row per technician) or ``heads``, or the branch's staff on ``basis``."""
    if not text:
        if staff is None:
            return {}, "none given (every group's hours are overflow)"
        return staff.employed(basis), staff.describe(basis)
    return _employed_given(text), f"given: {text}"


def _employed_given(text: str) -> dict[str, int]:
    """``G1=5,G2=4``, or a file with ``region_group_id`` per technician (or ``heads`` per group)."""
    path = Path(text)
    if path.exists():
        out: dict[str, int] = {}
        for r in tio.read_rows(path):
            group = r.get("region_group_id", "")
            if group:
                out[group] = out.get(group, 0) + int(r.get("heads") or 1)
        return out
    pairs = [p.split("=") for p in text.split(",") if p]
    return {k.strip(): int(v) for k, v in pairs}


def _emit(
    rows: list[dict[str, Any]],
    out: Path | None,
    as_json: bool,
    columns: Sequence[str],
    extra: dict[str, Any] | None = None,
) -> None:
    if out is not None:
        tio.write_rows(out, rows)
    if as_json:
        _dump({**(extra or {}), "rows": rows})
    else:
        _table(rows, columns)
        if out is not None:
            typer.echo(f"written: {out}")


# ---------------------------------------------------------------------------------------------
# pool commands
# ---------------------------------------------------------------------------------------------


@app.command("standards")
def standards_cmd(
    observations: Annotated[
        Path | None, typer.Argument(help="Observations CSV/Excel (default: the stored observations).")
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Stored observations of this branch only.")
    ] = None,
    allowance: AllowanceOpt = 0.15,
    convention: ConventionOpt = AllowanceConvention.ON_NORMAL_TIME,
    outlier_rule: RuleOpt = OutlierRule.MAD,
    confidence: ConfidenceOpt = 0.95,
    accuracy: AccuracyOpt = 0.05,
    province: Annotated[
        str | None,
        typer.Option(
            "--province", help="Also aggregate the branches into this province (weighted by observations)."
        ),
    ] = None,
    out: OutOpt = None,
    set_aside_out: Annotated[
        Path | None, typer.Option("--set-aside-out", help="Write what was set aside.")
    ] = None,
    save: Annotated[bool, typer.Option("--save", help="Store each table as a new version.")] = False,
    actor: Annotated[str, typer.Option("--actor", help="Who saves (audit).")] = "cli",
    db_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Standard hours per (order type, difficulty, area type) per branch (and province)."""
    params = _params(allowance, convention, outlier_rule, confidence, accuracy)

    def compute() -> list[StandardTable]:
        if observations is not None:
            obs = tio.read_observations(observations)
        else:

            with session_scope(db_url) as session:
                obs = load_observations(session, branch)
            if not obs:
                raise ValueError("no stored observations" + (f" for branch {branch!r}" if branch else ""))
        tables = list(standards_by_branch(obs, params).values())
        if province:
            tables.append(aggregate_province(tables, province))
        return tables

    tables = _run(compute, as_json)
    versions: dict[str, int] = {}
    if save:

        with session_scope(db_url) as session:
            for tab in tables:
                versions[tab.scope] = save_standard_table(session, tab, actor).version
    rows = [{"scope": tab.scope, **c.model_dump(mode="json")} for tab in tables for c in tab.cells]
    if set_aside_out is not None:
        tio.write_rows(
            set_aside_out,
            [
                {"scope": tab.scope, **a.model_dump(mode="json")}
                for tab in tables
                for a in tab.set_aside_rows()
            ],
        )
    extra = {
        "tables": [
            {
                "scope": tab.scope,
                "method_version": tab.method_version,
                "params": tab.params.model_dump(mode="json"),
                "observation_count": tab.observation_count,
                "observations_sha256": tab.observations_sha256,
                "saved_version": versions.get(tab.scope),
                "travel": [t.model_dump(mode="json") for t in tab.travel],
                "set_aside": [a.model_dump(mode="json") for a in tab.set_aside_rows()],
            }
            for tab in tables
        ]
    }
    _emit(
        rows,
        out,
        as_json,
        [
            "scope",
            "order_type",
            "difficulty",
            "area_type",
            "n_used",
            "n_set_aside",
            "standard_min",
            "ci_low_min",
            "ci_high_min",
            "required_n",
            "more_needed",
        ],
        extra,
    )
    if not as_json:
        for tab in tables:
            travel = ", ".join(f"{t.area_type} {t.travel_min:.1f}" for t in tab.travel)
            typer.echo(
                f"{tab.scope}: travel min/visit {travel}; {len(tab.set_aside_rows())} set aside; "
                f"sha256 {tab.observations_sha256[:12]}"
                + (f"; saved v{versions[tab.scope]}" if tab.scope in versions else "")
            )


@app.command("forecast")
def forecast_cmd(
    history: Annotated[Path | None, typer.Option("--history", help="Order history CSV/Excel.")] = None,
    branch: BranchOpt = None,
    start: Annotated[str, typer.Option("--start", help="First forecast day (YYYY-MM-DD).")] = "",
    days: DaysOpt = 7,
    uplift: UpliftOpt = None,
    trend_cap: Annotated[
        float, typer.Option("--trend-cap", help="Clip the trend factor to 1 ± this.")
    ] = 0.25,
    db_url: DbOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Orders per small area per day from history: weekday profile × trend × seasonal uplift."""

    def compute() -> Forecast:
        start_day = dt.date.fromisoformat(start)
        ups = [parse_uplift(u) for u in uplift or []]
        if branch:

            with session_scope(db_url) as session:
                areas = load_areas(session, branch)
                hist = load_order_history(session, [a.area_id for a in areas], start_day)
        elif history:
            hist = tio.read_order_history(history)
        else:
            raise ValueError("give --history or --branch")
        return forecast_from_history(hist, start_day, days, ups, trend_cap=trend_cap)

    fc = _run(compute, as_json)
    rows = tio.model_rows(fc.cells)
    _emit(
        rows,
        out,
        as_json,
        ["area_id", "day", "order_type", "difficulty", "orders"],
        {"method": fc.method, "notes": fc.notes},
    )
    if not as_json:
        for n in fc.notes:
            typer.echo(n)


@app.command("quotas")
def quotas_cmd(
    observations: ObsOpt = None,
    areas: AreasOpt = None,
    forecast: ForecastOpt = None,
    history: HistoryOpt = None,
    branch: BranchOpt = None,
    start: StartOpt = None,
    days: DaysOpt = 7,
    uplift: UpliftOpt = None,
    allowance: AllowanceOpt = 0.15,
    convention: ConventionOpt = AllowanceConvention.ON_NORMAL_TIME,
    outlier_rule: RuleOpt = OutlierRule.MAD,
    confidence: ConfidenceOpt = 0.95,
    accuracy: AccuracyOpt = 0.05,
    productive_minutes: ProductiveOpt = DEFAULT_PRODUCTIVE_MINUTES,
    min_heads: MinHeadsOpt = 1,
    remote_share: RemoteOpt = DEFAULT_REMOTE_SHARE,
    save: Annotated[
        bool, typer.Option("--save", help="Store the quotas as a new version (needs --branch).")
    ] = False,
    actor: Annotated[str, typer.Option("--actor")] = "cli",
    db_url: DbOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Daily staffing quota per region group: heads from the work-hour pool, with a coverage minimum."""
    params = _params(allowance, convention, outlier_rule, confidence, accuracy)

    def compute() -> tuple[Any, Quotas]:
        table, fc, area_list, _ = _inputs(
            observations, areas, forecast, history, branch, start, days, uplift, params, db_url
        )
        pool = build_pool(fc, table, area_list, remote_share)
        return pool, daily_quotas(pool, productive_minutes, min_heads)

    pool, quotas = _run(compute, as_json)
    basis = assumptions(params, remote_share, productive_minutes, min_heads,
                        standards_scope=pool.standards_scope, min_heads_default=1)
    saved = None
    if save:
        if not branch:
            typer.echo("error: --save needs --branch", err=True)
            raise typer.Exit(2)

        with session_scope(db_url) as session:
            saved = save_quotas(
                session,
                branch,
                pool,
                quotas,
                productive_minutes,
                actor,
                {
                    "min_heads": min_heads,
                    "remote_share": remote_share,
                    "uplifts": uplift or [],
                    "standard_params": params.model_dump(mode="json"),
                },
            ).version
    rows = [
        {
            "region_group_id": d.region_group_id,
            "branch_id": d.branch_id,
            "day": d.day.isoformat(),
            "orders": round(d.orders, 3),
            "visits": round(d.visits, 3),
            "work_min": round(d.work_min, 1),
            "travel_min": round(d.travel_min, 1),
            "pool_min": round(d.total_min, 1),
            "heads": quotas.heads(d.region_group_id, d.day),
        }
        for d in pool.days
    ]
    _emit(
        rows,
        out,
        as_json,
        ["region_group_id", "day", "orders", "pool_min", "heads"],
        {"notes": pool.notes, "saved_version": saved, "standards_sha256": pool.standards_sha256,
         "assumptions": [a.model_dump() for a in basis]},
    )
    if not as_json:
        for n in pool.notes:
            typer.echo(f"note: {n}")
        _echo_assumptions(basis)


@app.command("headcount")
def headcount_cmd(
    observations: ObsOpt = None,
    areas: AreasOpt = None,
    forecast: ForecastOpt = None,
    history: HistoryOpt = None,
    branch: BranchOpt = None,
    start: StartOpt = None,
    days: DaysOpt = 28,
    uplift: UpliftOpt = None,
    allowance: AllowanceOpt = 0.15,
    convention: ConventionOpt = AllowanceConvention.ON_NORMAL_TIME,
    outlier_rule: RuleOpt = OutlierRule.MAD,
    confidence: ConfidenceOpt = 0.95,
    accuracy: AccuracyOpt = 0.05,
    productive_minutes: ProductiveOpt = DEFAULT_PRODUCTIVE_MINUTES,
    min_heads: MinHeadsOpt = 0,
    remote_share: RemoteOpt = DEFAULT_REMOTE_SHARE,
    employed_basis: BasisOpt = EmployedBasis.POSTED,
    rest_days: Annotated[int, typer.Option("--rest-days", help="Rest days per week (1 or 2).")] = 1,
    leave_days: Annotated[float, typer.Option("--leave-days", help="Leave days per year.")] = 10,
    training_days: Annotated[float, typer.Option("--training-days", help="Training days per year.")] = 5,
    employed: Annotated[
        str | None,
        typer.Option(
            "--employed", help="G1=5,G2=4 or a technicians CSV/Excel (default with --branch: the database)."
        ),
    ] = None,
    partner_rate: Annotated[str, typer.Option("--partner-rate", help="Partner yuan per hour.")] = "60",
    volunteer_rate: Annotated[str, typer.Option("--volunteer-rate", help="Volunteer yuan per hour.")] = "45",
    volunteer_cap: Annotated[str, typer.Option("--volunteer-cap", help="Volunteer hours per group.")] = "0",
    db_url: DbOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """FTE and heads per group and branch; overflow hours and their cost beyond the employed heads."""
    params = _params(allowance, convention, outlier_rule, confidence, accuracy)

    def compute() -> Any:
        table, fc, area_list, staff = _inputs(
            observations, areas, forecast, history, branch, start, days, uplift, params, db_url
        )
        pool = build_pool(fc, table, area_list, remote_share)
        policy = ShrinkagePolicy(
            rest_days_per_week=rest_days, leave_days_per_year=leave_days, training_days_per_year=training_days
        )
        rates = OverflowRates(
            partner_yuan_per_hour=Decimal(partner_rate),
            volunteer_yuan_per_hour=Decimal(volunteer_rate),
            volunteer_hours_cap=Decimal(volunteer_cap),
        )
        heads, counted = _employed(employed, staff, employed_basis)
        hc = headcount(pool, productive_minutes, policy, heads, rates, min_heads)
        basis = assumptions(params, remote_share, productive_minutes, min_heads, policy, counted,
                            pool.standards_scope)
        return hc.model_copy(update={"assumptions": basis})

    hc = _run(compute, as_json)
    rows = tio.model_rows(hc.rows)
    _emit(
        rows,
        out,
        as_json,
        [
            "unit",
            "workload_hours",
            "shrinkage",
            "fte",
            "heads_needed",
            "employed",
            "shortfall_heads",
            "overflow_hours",
            "overflow_cost_fen",
        ],
        {"start": hc.start, "days": hc.days, "policy": hc.policy.model_dump(mode="json"),
         "assumptions": [a.model_dump() for a in hc.assumptions]},
    )
    if not as_json:
        _echo_assumptions(hc.assumptions)


@app.command("whatif")
def whatif_cmd(
    observations: ObsOpt = None,
    areas: AreasOpt = None,
    forecast: ForecastOpt = None,
    history: HistoryOpt = None,
    branch: BranchOpt = None,
    start: StartOpt = None,
    days: DaysOpt = 28,
    uplift: UpliftOpt = None,
    scenario_uplift: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario-uplift",
            help="Scenario uplift NAME:START:END:FACTOR[:TYPES], e.g. rainy:2026-06-15:2026-07-15:1.2",
        ),
    ] = None,
    scenario_rest_days: Annotated[int | None, typer.Option("--scenario-rest-days", help="1 or 2.")] = None,
    name: Annotated[str, typer.Option("--name", help="Scenario name.")] = "scenario",
    rest_days: Annotated[int, typer.Option("--rest-days", help="Baseline rest days per week.")] = 1,
    productive_minutes: ProductiveOpt = DEFAULT_PRODUCTIVE_MINUTES,
    min_heads: MinHeadsOpt = 0,
    remote_share: RemoteOpt = DEFAULT_REMOTE_SHARE,
    allowance: AllowanceOpt = 0.15,
    db_url: DbOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Technicians per group and branch: baseline vs. a scenario (order uplift, rest-day policy)."""
    params = StandardParams(allowance=allowance)

    def compute() -> Any:
        table, fc, area_list, staff = _inputs(
            observations, areas, forecast, history, branch, start, days, uplift, params, db_url
        )
        emp = staff.employed() if staff is not None else {}
        scenario = Scenario(
            name=name,
            uplifts=[parse_uplift(u) for u in scenario_uplift or []],
            rest_days_per_week=scenario_rest_days,
        )
        return what_if(
            fc,
            table,
            area_list,
            scenario,
            productive_minutes,
            ShrinkagePolicy(rest_days_per_week=rest_days),
            emp,
            min_heads,
            remote_share,
        )

    rows = tio.model_rows(_run(compute, as_json))
    basis = assumptions(params, remote_share, productive_minutes, min_heads,
                        ShrinkagePolicy(rest_days_per_week=rest_days))
    _emit(
        rows,
        out,
        as_json,
        ["unit", "baseline_fte", "baseline_heads", "scenario_fte", "scenario_heads", "delta_heads"],
        {"scenario": name, "assumptions": [a.model_dump() for a in basis]},
    )
    if not as_json:
        _echo_assumptions(basis)


def _echo_assumptions(rows: Sequence[Assumption]) -> None:
    """Print what produced the numbers: each parameter, and whether it is the default."""
    typer.echo("assumptions:")
    for a in rows:
        source = "given" if a.given else "default"
        typer.echo(f"  {a.name} = {a.value} ({source}; {a.meaning})")


def main() -> None:  # pragma: no cover - manual entry
    app(sys.argv[1:])
