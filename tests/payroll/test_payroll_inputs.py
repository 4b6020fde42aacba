"""Bad input: every error names file, row, field, value and rule, and nothing is computed or stored."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from payroll_factories import policy, policy_data
from typer.testing import CliRunner

from payroll.errors import NoPolicyInForce, PayInputError, PolicyFileError
from payroll.io import load_inputs
from payroll.policy import load_policies, parse_policies, policy_for_month
from vocabulary.errors import Problem

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = DATA / "example"
POLICY_YAML = DATA / "example_policy.yaml"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "in"
    shutil.copytree(EXAMPLE, target)
    return target


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _only(exc: PayInputError | PolicyFileError | NoPolicyInForce) -> Problem:
    assert len(exc.problems) == 1, exc.problems
    return exc.problems[0]


def test_example_directory_loads() -> None:
    """The shipped example reads cleanly: 3 technicians, 9 orders, 2 KPI rows, 8 attendance days, 1 loss."""
    inputs = load_inputs(EXAMPLE, "2026-03", policy_for_month(load_policies(POLICY_YAML), "2026-03"))
    assert (
        len(inputs.technicians),
        len(inputs.orders),
        len(inputs.quality),
        len(inputs.attendance),
        len(inputs.losses),
    ) == (3, 9, 2, 8, 1)
    scored = {q.technician_id: q for q in inputs.quality}
    assert scored["T001"].score is not None  # graded by quality.scorecard.score_and_grade
    assert scored["T002"].grade == "C"  # grade given directly


def test_order_of_an_unknown_technician(example: Path) -> None:
    _append(example / "orders.csv", "WO-9,T999,repair,1,2026-03-02 10:00,,,,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field, p.value) == ("orders.csv", 11, "technician_id", "T999")
    assert "unknown technician" in p.rule


def test_order_of_an_unknown_type(example: Path) -> None:
    _append(example / "orders.csv", "WO-9,T001,upgrade,1,2026-03-02 10:00,,,,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field, p.value) == ("orders.csv", 11, "order_type", "upgrade")


def test_duplicate_order_id(example: Path) -> None:
    _append(example / "orders.csv", "WO-1002,T001,repair,1,2026-03-04 10:00,,,,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.row, p.field, p.value) == (11, "order_id", "WO-1002")
    assert "unique" in p.rule and "row 3" in p.rule


def test_kpi_outside_its_range(example: Path) -> None:
    _append(example / "kpi.csv", "T003,,1.7,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field, p.value) == ("kpi.csv", 4, "repair_timeliness", "1.7")
    assert "0..1" in p.rule


def test_order_outside_the_month_and_bad_cells_are_all_reported(example: Path) -> None:
    _append(example / "orders.csv", "WO-9,T001,repair,7,2026-04-02 10:00,-5,,,maybe,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    fields = sorted(p.field for p in info.value.problems)
    assert fields == ["complaint", "completed_at", "difficulty", "standard_minutes"]


def test_negative_price_in_the_policy_is_refused() -> None:
    data = policy_data(unit_prices={"install": "40.00", "move": "-30.00", "repair": "25.00"})
    with pytest.raises(PolicyFileError) as info:
        parse_policies(data, "bad.toml")
    p = info.value.problems[0]
    assert p.file == "bad.toml" and "unit_prices.move = -30.00" in p.rule and "price must be >= 0" in p.rule


def test_policy_refuses_floats_for_money(tmp_path: Path) -> None:
    """A float in the policy (TOML 2400.0 or YAML 1.5) is refused, naming the field."""
    text = (Path(__file__).resolve().parents[2] / "payroll/policies/china_default.toml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "float.toml"
    bad.write_text(text.replace('T2 = "2400.00"', "T2 = 2400.0"), encoding="utf-8")
    with pytest.raises(PolicyFileError) as info:
        load_policies(bad)
    p = _only(info.value)
    assert (p.file, p.field, p.value) == ("float.toml", "post_wages.T2", 2400.0)
    assert "float" in p.rule
    yaml_bad = tmp_path / "float.yaml"
    yaml_bad.write_text(
        POLICY_YAML.read_text(encoding="utf-8").replace('D: "0.80"', "D: 0.8"), encoding="utf-8"
    )
    with pytest.raises(PolicyFileError, match="float"):
        load_policies(yaml_bad)


def test_policy_refuses_a_better_grade_paying_less() -> None:
    with pytest.raises(PolicyFileError, match="better grade must never pay less"):
        parse_policies(policy_data(grade_multipliers={"A": "1.0", "B": "1.1", "C": "1.0", "D": "0.8"}))


def test_month_with_no_policy_in_force() -> None:
    versions = [
        policy(version="v1", effective_to="2026-02-28"),
        policy(version="v2", effective_from="2026-04-01"),
    ]
    with pytest.raises(NoPolicyInForce) as info:
        policy_for_month(versions, "2026-03")
    p = _only(info.value)
    assert (p.field, p.value) == ("month", "2026-03")
    assert policy_for_month(versions, "2026-04").version == "v2"
    assert policy_for_month(versions, "2026-02").version == "v1"


def test_cli_compute_json_contract() -> None:
    """`fieldcrew payroll compute --month --input --policy --json` prints the payslips as JSON."""
    import json

    from cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "payroll",
            "compute",
            "--month",
            "2026-03",
            "--input",
            str(EXAMPLE),
            "--policy",
            str(POLICY_YAML),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["technician_id"] for p in data["payslips"]] == ["T001", "T002", "T003"]
    assert data["total_fen"] == sum(p["total_fen"] for p in data["payslips"])


def test_cli_bad_input_exits_2_and_stores_no_run(example: Path, db_url: str) -> None:
    """`payroll run` on bad input names the problem and creates no run."""
    from cli.main import app
    from fieldcrew.db import session_scope
    from payroll.store import list_runs

    _append(example / "orders.csv", "WO-9,T999,repair,1,2026-03-02 10:00,,,,,,")
    result = CliRunner().invoke(
        app,
        [
            "payroll",
            "run",
            "--month",
            "2026-03",
            "--input",
            str(example),
            "--policy",
            str(POLICY_YAML),
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 2
    assert "orders.csv" in result.output and "T999" in result.output
    with session_scope(db_url) as session:
        assert list_runs(session) == []
    result = CliRunner().invoke(
        app,
        [
            "payroll",
            "run",
            "--month",
            "2025-03",
            "--input",
            str(EXAMPLE),
            "--policy",
            str(POLICY_YAML),
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 2 and "no pay policy" in result.output
    with session_scope(db_url) as session:
        assert list_runs(session) == []


def _to_xlsx(csv_path: Path, xlsx_path: Path, convert: dict[str, Any] | None = None) -> None:
    """Copy a CSV into an Excel sheet, converting some columns to typed cells as HR's Excel would."""
    import csv

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[Any] = []
        for name, value in zip(rows[0], row, strict=True):
            fn = (convert or {}).get(name)
            cells.append(fn(value) if fn and value else (value or None))
        sheet.append(cells)
    book.save(xlsx_path)


def test_excel_inputs_give_the_same_payslips_as_csv(tmp_path: Path) -> None:
    """The same tables as .xlsx (typed cells: ints, datetimes) compute to identical payslips."""
    import datetime as dt

    from payroll.compute import compute_month, payslips_json

    target = tmp_path / "xlsx"
    target.mkdir()
    typed = {
        "difficulty": int,
        "worked_minutes": int,
        "completed_at": lambda v: dt.datetime.fromisoformat(v),
        "date": lambda v: dt.datetime.fromisoformat(v),
        "start_date": lambda v: dt.datetime.fromisoformat(v),
        "repair_timeliness": float,  # a KPI is not money: a numeric cell is fine
    }
    for name in ("technicians", "orders", "kpi", "attendance", "deductions"):
        _to_xlsx(EXAMPLE / f"{name}.csv", target / f"{name}.xlsx", typed)
    pol = policy_for_month(load_policies(POLICY_YAML), "2026-03")
    from_csv = compute_month(load_inputs(EXAMPLE, "2026-03", pol), pol)
    from_xlsx = compute_month(load_inputs(target, "2026-03", pol), pol)
    assert payslips_json(from_xlsx) == payslips_json(from_csv)


def test_excel_money_cell_must_not_be_a_float(tmp_path: Path) -> None:
    target = tmp_path / "xlsx"
    shutil.copytree(EXAMPLE, target)
    (target / "deductions.csv").unlink()
    _to_xlsx(EXAMPLE / "deductions.csv", target / "deductions.xlsx", {"amount": lambda v: float(v) + 0.5})
    with pytest.raises(PayInputError) as info:
        load_inputs(target, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field, p.value) == ("deductions.xlsx", 2, "amount", 120.5)
    assert "float" in p.rule


def test_gb18030_technicians_file_is_read(example: Path) -> None:
    """A technicians.csv saved by Excel on Chinese Windows (GB18030) is read with its Chinese names
    intact, as the UTF-8 file is (it used to crash with a UnicodeDecodeError)."""
    path = example / "technicians.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(
        text.replace("Wang Wei", "王伟").replace("Li Na", "李娜").replace("\n", "\r\n").encode("gb18030")
    )
    inputs = load_inputs(example, "2026-03", policy())
    names = {t.id: t.name for t in inputs.technicians}
    assert names["T001"] == "王伟" and names["T002"] == "李娜"
    assert len(inputs.orders) == 9


def test_undecodable_technicians_file_names_file_and_row(example: Path) -> None:
    """Bytes neither UTF-8 nor GB18030 are one problem naming the file, row and column; nothing is read."""
    (example / "technicians.csv").write_bytes(
        b"technician_id,name,post_grade,start_date\nT001,W\xffang,T2,2021-04-01\n"
    )
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field) == ("technicians.csv", 2, "name")
    assert "GB18030" in p.rule


def test_rows_are_numbered_as_the_spreadsheet_shows_them(example: Path) -> None:
    """Blank rows (empty lines, rows of empty cells) are skipped but counted: a problem below them
    names the row a spreadsheet shows."""
    _append(example / "orders.csv", "")
    _append(example / "orders.csv", ",,,,,,,,,,")
    _append(example / "orders.csv", "WO-9,T999,repair,1,2026-03-02 10:00,,,,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field) == ("orders.csv", 13, "technician_id")


def test_header_problems_name_the_file(example: Path) -> None:
    """A missing required column is a problem on row 1 of the file; a column name given twice makes
    the file unreadable."""
    path = example / "attendance.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([header.replace("technician_id", "tech"), *rows]) + "\n", encoding="utf-8")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field) == ("attendance.csv", 1, "technician_id") and "missing" in p.rule
    path.write_text("\n".join([header + ",date", *(r + ",x" for r in rows)]) + "\n", encoding="utf-8")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field) == ("attendance.csv", 1, "date") and "more than once" in p.rule


def test_yes_no_words_are_the_shared_ones(example: Path) -> None:
    """Flags take the words every instrument reads (是/否, yes/no, 1/0 …); other words are named."""
    _append(example / "orders.csv", "WO-9,T001,repair,1,2026-03-02 10:00,,,,是,否,Yes")
    inputs = load_inputs(example, "2026-03", policy())
    (order,) = [o for o in inputs.orders if o.id == "WO-9"]
    assert (order.complaint, order.praise, order.appointment_kept) == (True, False, True)
    _append(example / "orders.csv", "WO-10,T001,repair,1,2026-03-02 11:00,,,,maybe,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.row, p.field, p.value) == (12, "complaint", "maybe") and "是" in p.rule


def test_payslips_export_to_csv_and_excel_without_floats(tmp_path: Path) -> None:
    """CSV and Excel exports carry one row per line and a total row; Excel amounts are text."""
    import openpyxl

    from payroll.compute import compute_month
    from payroll.io import payslips_csv, write_payslips_xlsx

    pol = policy_for_month(load_policies(POLICY_YAML), "2026-03")
    slips = compute_month(load_inputs(EXAMPLE, "2026-03", pol), pol)
    text = payslips_csv(slips)
    assert text.splitlines()[0].startswith("technician_id,month,policy_version,rule")
    assert len(text.splitlines()) == 1 + sum(len(s.lines) + 1 for s in slips)
    path = tmp_path / "payslips.xlsx"
    write_payslips_xlsx(slips, path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert not any(isinstance(v, float) for v in row)


def test_cli_run_twice_then_diff(example: Path, db_url: str) -> None:
    """`payroll run` stores version 1, a corrected input stores version 2, `payroll diff` shows the line."""
    import json

    from cli.main import app

    args = ["payroll", "run", "--month", "2026-03", "--input", str(example), "--policy", str(POLICY_YAML)]
    first = CliRunner().invoke(app, [*args, "--db", db_url])
    assert first.exit_code == 0, first.output
    _append(example / "orders.csv", "WO-2001,T003,install,2,2026-03-20 10:00,,,,,,")
    second = CliRunner().invoke(app, [*args, "--db", db_url, "--by", "hr2"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["version"] == 2
    diff = CliRunner().invoke(
        app, ["payroll", "diff", "--month", "2026-03", "--from", "1", "--to", "2", "--db", db_url]
    )
    assert diff.exit_code == 0, diff.output
    changed = json.loads(diff.stdout)["technicians"]
    assert [c["technician_id"] for c in changed] == ["T003"]
    assert changed[0]["correction_fen"] > 0 and changed[0]["action"] == "pay"
    runs = CliRunner().invoke(app, ["payroll", "runs", "--month", "2026-03", "--db", db_url])
    assert [r["version"] for r in json.loads(runs.stdout)] == [2, 1]


def test_a_policy_version_starts_on_a_first_and_ends_on_a_last_day_of_a_month() -> None:
    """A mid-month change would pay one month under two versions: refused, naming the field."""
    with pytest.raises(PolicyFileError, match="effective_from 2026-03-16 must be the first day of a month"):
        policy(version="mid", effective_from="2026-03-16")
    with pytest.raises(PolicyFileError, match="effective_to 2026-03-15 must be the last day of a month"):
        policy(version="mid", effective_to="2026-03-15")
    assert policy(version="ok", effective_to="2026-02-28").effective_to == dt.date(2026, 2, 28)


def test_order_completed_after_the_end_date_names_file_row_and_rule(example: Path) -> None:
    """An order completed after the technician's end date is an input problem, not paid silently."""
    text = (example / "technicians.csv").read_text(encoding="utf-8")
    (example / "technicians.csv").write_text(
        text.replace("T002,Li Na,T3,2019-09-01,", "T002,Li Na,T3,2019-09-01,2026-03-02"), encoding="utf-8"
    )
    _append(example / "orders.csv", "WO-9,T002,repair,1,2026-03-09 10:00,,,,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    problems = [p for p in info.value.problems if p.value == "2026-03-09 10:00:00"]
    (p,) = problems
    assert (p.file, p.row, p.field) == ("orders.csv", 11, "completed_at")
    assert "while its technician is employed (2019-09-01..2026-03-02)" in p.rule


def test_order_of_a_technician_who_left_the_month_before_is_reported(example: Path) -> None:
    """A leaver of February with an order in March: reported (it used to be dropped silently)."""
    _append(example / "technicians.csv", "T004,Zhao Lei,T1,2020-01-01,2026-02-27")
    _append(example / "orders.csv", "WO-9,T004,repair,1,2026-03-03 10:00,,,,,,")
    with pytest.raises(PayInputError) as info:
        load_inputs(example, "2026-03", policy())
    p = _only(info.value)
    assert (p.file, p.row, p.field) == ("orders.csv", 11, "completed_at")
    assert "2020-01-01..2026-02-27" in p.rule


def test_cli_writes_the_exports_and_refuses_a_bank_file_without_accounts(
    example: Path, tmp_path: Path
) -> None:
    """--register/--social-insurance/--tax are written; --bank without accounts exits 2 naming them."""
    from cli.main import app

    out = tmp_path / "out"
    out.mkdir()
    base = ["payroll", "compute", "--month", "2026-03", "--input", str(example), "--policy", str(POLICY_YAML)]
    files = [
        "--register",
        str(out / "r.xlsx"),
        "--social-insurance",
        str(out / "si.csv"),
        "--tax",
        str(out / "t.csv"),
    ]
    result = CliRunner().invoke(app, [*base, *files])
    assert result.exit_code == 0, result.output
    assert (out / "r.xlsx").stat().st_size and "cumulative_taxable" in (out / "t.csv").read_text("utf-8-sig")
    refused = CliRunner().invoke(app, [*base, "--bank", str(out / "bank.csv")])
    assert refused.exit_code == 2 and "no bank account" in refused.output
    assert not (out / "bank.csv").exists()
    text = (example / "technicians.csv").read_text(encoding="utf-8").splitlines()
    rows = [text[0] + ",bank_account"] + [line + ",6222 000" + str(i) for i, line in enumerate(text[1:])]
    (example / "technicians.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    paid = CliRunner().invoke(app, [*base, "--bank", str(out / "bank.csv")])
    assert paid.exit_code == 0, paid.output
    assert (out / "bank.csv").read_text("utf-8-sig").splitlines()[1].startswith("6222 0000,Wang Wei,")


def test_payslip_exports_write_formula_leading_text_as_inert_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell that starts like a formula (= + - @) leaves the CSV and Excel payslip exports as text
    with a leading apostrophe, never as a formula; negative amounts stay numbers-as-text."""
    import openpyxl

    from payroll import io as pio

    rows = [["T001", "2026-03", "1", "=HYPERLINK(\"http://x\")", "@SUM(1)", "-12.50"]]
    monkeypatch.setattr(pio, "payslip_rows", lambda slips: iter(rows))
    text = pio.payslips_csv([])
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text and ",-12.50" in text
    path = tmp_path / "p.xlsx"
    pio.write_payslips_xlsx([], path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    cells = [c for c in next(sheet.iter_rows(min_row=2))]
    assert cells[3].data_type == "s" and str(cells[3].value).startswith("'=")
    assert str(cells[4].value) == "'@SUM(1)" and cells[5].value == "-12.50"
