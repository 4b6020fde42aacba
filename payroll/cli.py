"""``fieldcrew payroll ...``: compute payslips from plain files, store runs, diff versions.

The fixed contract::

    fieldcrew payroll compute --month YYYY-MM --input DIR --policy FILE --json

prints the payslips as JSON (see :mod:`payroll.io` for the files of ``DIR`` and
``payroll/policies/china_default.toml`` for ``FILE``). Bad input prints every problem (file, row,
field, value, rule) to stderr and exits with status 2; nothing is stored.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from fieldcrew.db import session_scope
from payroll import exports
from payroll.compute import assert_no_float, compute_month, payslips_json
from payroll.domain import PayInputs, Payslip
from payroll.io import load_inputs, payslips_csv, write_payslips_xlsx
from payroll.policy import PayPolicy, load_policies, policy_for_month
from payroll.store import advance_run, diff_versions, input_digest, list_runs, save_run, year_to_date
from payroll.validate import check_payslips
from vocabulary.errors import FieldcrewError, InputErrors
from vocabulary.money import format_yuan

app = typer.Typer(no_args_is_help=True, help="Monthly pay: payslips, runs, diffs.")

MonthOpt = Annotated[str, typer.Option("--month", help="the month, YYYY-MM")]
InputOpt = Annotated[
    Path, typer.Option("--input", help="directory of technicians/orders/kpi/attendance files")
]
PolicyOpt = Annotated[Path, typer.Option("--policy", help="pay policy file (.toml or .yaml)")]


def _fail(exc: FieldcrewError) -> None:
    if isinstance(exc, InputErrors):
        typer.echo(
            f"error: {exc.title}: {len(exc.problems)} problem(s); nothing was computed or stored", err=True
        )
        for problem in exc.problems:
            typer.echo(f"  - {problem}", err=True)
    else:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


def _compute(
    month: str, input_dir: Path, policy_file: Path, database_url: str | None = None
) -> tuple[PayPolicy, PayInputs, list[Payslip]]:
    policy = policy_for_month(load_policies(policy_file), month)
    inputs = load_inputs(input_dir, month, policy)
    if database_url is not None and policy.withholding.income_tax and not inputs.year_to_date:
        # no year_to_date file: the year's earlier months from the stored locked runs
        with session_scope(database_url or None) as session:
            ytd, notes = year_to_date(session, month)
        inputs = dataclasses.replace(inputs, year_to_date=ytd)
        for note in notes:
            typer.echo(f"note: {note}", err=True)
    payslips = compute_month(inputs, policy)
    for slip in payslips:
        assert_no_float(slip)
    problems = check_payslips(payslips, deduction_cap_share=policy.month_law(month).deduction_cap_share)
    if problems:  # a bug: never hand out a payslip that does not add up
        raise RuntimeError("payslip self-check failed:\n" + "\n".join(problems[:20]))
    return policy, inputs, payslips


@app.command("compute")
def compute(
    month: MonthOpt,
    input_dir: InputOpt,
    policy_file: PolicyOpt,
    as_json: Annotated[bool, typer.Option("--json", help="print the payslips as JSON")] = False,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="also write the lines as CSV here")] = None,
    xlsx_out: Annotated[
        Path | None, typer.Option("--xlsx", help="also write the lines as Excel here")
    ] = None,
    bank_out: Annotated[
        Path | None, typer.Option("--bank", help="also write the bank transfer file (CSV) here")
    ] = None,
    register_out: Annotated[
        Path | None, typer.Option("--register", help="also write the payroll register (Excel) here")
    ] = None,
    insurance_out: Annotated[
        Path | None,
        typer.Option("--social-insurance", help="also write the social-insurance declaration (CSV) here"),
    ] = None,
    tax_out: Annotated[
        Path | None, typer.Option("--tax", help="also write the income-tax declaration (CSV) here")
    ] = None,
) -> None:
    """Compute every technician's payslip for MONTH from the files in DIR under the policy FILE."""
    try:
        policy, inputs, payslips = _compute(month, input_dir, policy_file)
        people = {t.id: exports.Payee(t.name, t.bank_account) for t in inputs.technicians}
        files = {
            "bank": bank_out,
            "register": register_out,
            "social-insurance": insurance_out,
            "tax": tax_out,
        }
        written = {kind: exports.export(kind, payslips, people)[0] for kind, path in files.items() if path}
    except FieldcrewError as exc:
        _fail(exc)
        return
    for kind, body in written.items():
        target = files[kind]
        assert target is not None
        target.write_bytes(body)
    if csv_out is not None:
        csv_out.write_text(payslips_csv(payslips), encoding="utf-8")
    if xlsx_out is not None:
        write_payslips_xlsx(payslips, xlsx_out)
    if as_json:
        sys.stdout.write(json.dumps(payslips_json(payslips), ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(f"{month}: {len(payslips)} payslip(s) under policy {policy.version}")
    for slip in payslips:
        typer.echo(f"  {slip.technician_id:<16} {format_yuan(slip.total_fen):>12}  ({len(slip.lines)} lines)")
    typer.echo(f"  {'total':<16} {format_yuan(sum(p.total_fen for p in payslips)):>12}")


@app.command("run")
def run(
    month: MonthOpt,
    input_dir: InputOpt,
    policy_file: PolicyOpt,
    actor: Annotated[str, typer.Option("--by", help="who runs the payroll (audit)")] = "hr",
    database_url: Annotated[str | None, typer.Option("--db", help="database URL (default: settings)")] = None,
) -> None:
    """Compute MONTH and store it as a new immutable run version (a draft); print the diff to the last.

    Without a ``year_to_date`` file in DIR the year's earlier months are read from the stored
    locked or released runs.
    """
    try:
        policy, inputs, payslips = _compute(month, input_dir, policy_file, database_url or "")
    except FieldcrewError as exc:
        _fail(exc)
        return
    with session_scope(database_url) as session:
        saved = save_run(session, month, payslips, policy, actor, input_digest(inputs, policy))
        typer.echo(json.dumps(saved, ensure_ascii=False, indent=2))


def _step(run_id: str, to_status: str, actor: str, note: str, database_url: str | None) -> None:
    try:
        with session_scope(database_url) as session:
            typer.echo(
                json.dumps(advance_run(session, run_id, to_status, actor, note), ensure_ascii=False, indent=2)
            )
    except FieldcrewError as exc:
        _fail(exc)


RunArg = Annotated[str, typer.Argument(help="the run's id (see `fieldcrew payroll runs`)")]
ByOpt = Annotated[str, typer.Option("--by", help="the HR user taking the step (audit)")]
NoteOpt = Annotated[str, typer.Option("--note", help="a note kept with the step")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: settings)")]


@app.command("approve")
def approve(run_id: RunArg, actor: ByOpt, note: NoteOpt = "", database_url: DbOpt = None) -> None:
    """Approve a draft run (a second HR user: not the one who created it)."""
    _step(run_id, "approved", actor, note, database_url)


@app.command("lock")
def lock(run_id: RunArg, actor: ByOpt, note: NoteOpt = "", database_url: DbOpt = None) -> None:
    """Lock an approved run (corrected afterwards only by a new version)."""
    _step(run_id, "locked", actor, note, database_url)


@app.command("release")
def release(run_id: RunArg, actor: ByOpt, note: NoteOpt = "", database_url: DbOpt = None) -> None:
    """Release a locked run: its technicians see their payslips."""
    _step(run_id, "released", actor, note, database_url)


@app.command("runs")
def runs(
    month: Annotated[str | None, typer.Option("--month", help="only this month")] = None,
    database_url: Annotated[str | None, typer.Option("--db")] = None,
) -> None:
    """List stored payroll runs (newest version first)."""
    with session_scope(database_url) as session:
        typer.echo(json.dumps(list_runs(session, month), ensure_ascii=False, indent=2))


@app.command("diff")
def diff(
    month: MonthOpt,
    old: Annotated[int, typer.Option("--from", help="older version number")],
    new: Annotated[int, typer.Option("--to", help="newer version number")],
    database_url: Annotated[str | None, typer.Option("--db")] = None,
) -> None:
    """Per-line differences and retro corrections between two versions of a month's run."""
    try:
        with session_scope(database_url) as session:
            typer.echo(json.dumps(diff_versions(session, month, old, new), ensure_ascii=False, indent=2))
    except FieldcrewError as exc:
        _fail(exc)


@app.command("check")
def check(payslips_file: Annotated[Path, typer.Argument(help="JSON printed by `compute --json`")]) -> None:
    """Recompute every line and total of a payslip JSON file independently; exit 1 on any mismatch."""
    data = json.loads(payslips_file.read_text(encoding="utf-8"))
    try:
        slips = [Payslip.from_dict(d) for d in data["payslips"]]
    except (KeyError, TypeError, ValueError) as exc:
        typer.echo(f"error: not a payslip file: {exc}", err=True)
        raise typer.Exit(code=2) from None
    problems = check_payslips(slips)
    for problem in problems:
        typer.echo(problem)
    typer.echo(f"{len(slips)} payslip(s) checked, {len(problems)} problem(s)")
    if problems:
        raise typer.Exit(code=1)
