"""What HR hands on after a run: the bank transfer file, the payroll register, the declarations.

* :func:`bank_transfer_csv` — one row per technician with take-home pay: ``account, name, amount``
  (the bank's columns; amounts in yuan with 2 decimals, exact);
* :func:`register_xlsx` — the payroll register (工资表): one row per technician with 应发, 扣款,
  the employee's contributions, tax, 实发 and the employer's contributions, a total row, and a
  second sheet with every pay line;
* :func:`social_insurance_csv` — the social-insurance and housing-fund declaration summary (base,
  employee and employer amount per fund), with a total row;
* :func:`tax_declaration_csv` — the income-tax withholding declaration summary (cumulative income
  and deductions, rate, quick deduction, cumulative tax, withheld before, this month), total row.

Every writer goes through :mod:`fieldcrew.tabular`'s guarded writers: a text cell starting with
``= + - @``, a tab or a carriage return gets a leading apostrophe, so no spreadsheet runs it as a
formula; money is written as exact decimal text, never a float. Names and accounts come from the
``payees`` (personal data: the exports are HR's).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl

from fieldcrew import tabular
from payroll.catalog import COLUMNS, PAYSLIP_ITEMS, title
from payroll.domain import Payslip
from payroll.errors import PayInputError
from payroll.law import FUNDS
from payroll.rules import RULE_CATEGORY, Category
from vocabulary.errors import Problem
from vocabulary.money import format_yuan


@dataclass(frozen=True)
class Payee:
    """Who is paid: the technician's name and bank account."""

    name: str = ""
    account: str = ""


#: what :func:`export` can write, with its format and file name
KINDS: dict[str, tuple[str, str]] = {
    "bank": ("csv", "bank-transfer"),
    "register": ("xlsx", "payroll-register"),
    "social-insurance": ("csv", "social-insurance-declaration"),
    "tax": ("csv", "income-tax-declaration"),
}


def export(kind: str, payslips: Sequence[Payslip], payees: Mapping[str, Payee]) -> tuple[bytes, str, str]:
    """The export ``kind`` (a key of :data:`KINDS`) as bytes, its format and its file name stem."""
    fmt, stem = KINDS[kind]
    writer = {
        "bank": bank_transfer_csv,
        "register": register_xlsx,
        "social-insurance": social_insurance_csv,
        "tax": tax_declaration_csv,
    }[kind]
    return writer(payslips, payees), fmt, stem


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.BytesIO()
    tabular.write_csv(header, rows, out)
    return out.getvalue()


def _yuan(fen: int) -> str:
    return format_yuan(fen)


def bank_transfer_csv(payslips: Sequence[Payslip], payees: Mapping[str, Payee]) -> bytes:
    """The bank transfer file: ``account, name, amount`` per technician with take-home pay above zero.

    Raises
    ------
    PayInputError
        Naming every technician to be paid without a bank account, and every negative take-home
        pay (withholding above the pay: settle it by hand, it cannot be transferred).
    """
    problems: list[Problem] = []
    rows = []
    for slip in payslips:
        net = slip.total_fen
        payee = payees.get(slip.technician_id, Payee())
        if net < 0:
            problems.append(
                Problem(
                    "amount",
                    "take-home pay is negative (withholding above the pay): settle it by hand",
                    _yuan(net),
                    file=f"payslip {slip.technician_id}",
                )
            )
            continue
        if net == 0:
            continue
        if not payee.account:
            problems.append(
                Problem(
                    "bank_account",
                    "no bank account stored for this technician (PUT /payroll/technicians/{id}/pay)",
                    slip.technician_id,
                    file="technicians",
                )
            )
            continue
        rows.append([payee.account, payee.name, _yuan(net)])
    if problems:
        raise PayInputError(problems)
    return _csv(["account", "name", "amount"], rows)


def _items(slip: Payslip) -> dict[str, int]:
    """The payslip's items in fen (from its lines, so a payslip of any version has them)."""
    gross = deductions = contributions = tax = 0
    fund = insurance = 0
    for line in slip.lines:
        category = RULE_CATEGORY.get(line.rule)
        if category in (Category.WAGE, Category.OVERTIME, Category.BONUS, Category.ALLOWANCE):
            gross += line.amount_fen
        elif category is Category.DEDUCTION:
            deductions -= line.amount_fen
        elif category is Category.CONTRIBUTION:
            contributions -= line.amount_fen
            if line.rule == "housing_fund":
                fund -= line.amount_fen
            else:
                insurance -= line.amount_fen
        elif category is Category.TAX:
            tax -= line.amount_fen
    employer_fund = sum(li.amount_fen for li in slip.employer_lines if li.rule == "employer_housing_fund")
    return {
        "gross": gross,
        "deductions": deductions,
        "insurance": insurance,
        "fund": fund,
        "contributions": contributions,
        "income_tax": tax,
        "net": slip.total_fen,
        "employer_insurance": slip.employer_total_fen - employer_fund,
        "employer_fund": employer_fund,
    }


_REGISTER_ITEMS = (
    "gross",
    "deductions",
    "insurance",
    "fund",
    "income_tax",
    "net",
    "employer_insurance",
    "employer_fund",
)


def register_xlsx(payslips: Sequence[Payslip], payees: Mapping[str, Payee]) -> bytes:
    """The payroll register (工资表) as an Excel workbook: a ``register`` sheet and a ``lines`` sheet."""
    headers = {
        "gross": title("gross"),
        "deductions": title("deductions"),
        "insurance": f"{COLUMNS['employee'].zh}社保 (employee social insurance)",
        "fund": f"{COLUMNS['employee'].zh}{COLUMNS['fund'].zh} (employee housing fund)",
        "income_tax": title("income_tax"),
        "net": title("net"),
        "employer_insurance": f"{COLUMNS['employer'].zh}社保 (employer social insurance)",
        "employer_fund": f"{COLUMNS['employer'].zh}{COLUMNS['fund'].zh} (employer housing fund)",
    }
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("register")
    tabular.append_row(
        sheet,
        [title("month"), title("technician_id"), title("name"), title("post_grade")]
        + [headers[k] for k in _REGISTER_ITEMS],
    )
    totals = dict.fromkeys(_REGISTER_ITEMS, 0)
    for slip in payslips:
        items = _items(slip)
        for key in _REGISTER_ITEMS:
            totals[key] += items[key]
        payee = payees.get(slip.technician_id, Payee())
        tabular.append_row(
            sheet,
            [slip.month, slip.technician_id, payee.name, slip.summary.get("post_grade", "")]
            + [_yuan(items[k]) for k in _REGISTER_ITEMS],
        )
    tabular.append_row(
        sheet, ["合计 (total)", len(payslips), "", ""] + [_yuan(totals[k]) for k in _REGISTER_ITEMS]
    )
    lines = book.create_sheet("lines")
    tabular.append_row(
        lines,
        [
            "technician_id",
            "side",
            "rule",
            "key",
            "label",
            "quantity",
            "rate",
            "coefficient",
            "multiplier",
            "amount",
        ],
    )
    for slip in payslips:
        for side, group in (("employee", slip.lines), ("employer", slip.employer_lines)):
            for line in group:
                tabular.append_row(
                    lines,
                    [
                        slip.technician_id,
                        side,
                        line.rule,
                        line.key,
                        line.label,
                        str(line.quantity),
                        str(line.rate),
                        str(line.coefficient),
                        str(line.multiplier),
                        _yuan(line.amount_fen),
                    ],
                )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def social_insurance_csv(payslips: Sequence[Payslip], payees: Mapping[str, Payee]) -> bytes:
    """The social-insurance and housing-fund declaration summary: base and amounts per fund and side."""
    per_fund = [f"{fund}_{side}" for fund in FUNDS for side in ("employee", "employer")]
    header = ["month", "technician_id", "name", "insurance_base", *per_fund]
    header += ["housing_fund_base", "housing_fund_employee", "housing_fund_employer"]
    header += ["total_employee", "total_employer"]
    rows: list[list[str]] = []
    # the money columns after insurance_base (the housing-fund base among them is not summed)
    totals = [0] * (len(per_fund) + 5)
    for slip in payslips:
        amounts: dict[str, int] = {}
        bases = {"insurance": "", "fund": ""}
        for side, group in (("employee", slip.lines), ("employer", slip.employer_lines)):
            for line in group:
                if line.rule in ("social_insurance", "employer_social_insurance"):
                    amounts[f"{line.key.split(':', 1)[1]}_{side}"] = abs(line.amount_fen)
                    bases["insurance"] = str(line.quantity)
                elif line.rule in ("housing_fund", "employer_housing_fund"):
                    amounts[f"housing_fund_{side}"] = abs(line.amount_fen)
                    bases["fund"] = str(line.quantity)
        if not amounts:
            continue
        figures = [amounts.get(name, 0) for name in per_fund]
        fund = [amounts.get("housing_fund_employee", 0), amounts.get("housing_fund_employer", 0)]
        employee = sum(figures[0::2]) + fund[0]
        employer = sum(figures[1::2]) + fund[1]
        values = [*figures, None, *fund, employee, employer]
        for at, value in enumerate(values):
            if value is not None:
                totals[at] += value
        payee = payees.get(slip.technician_id, Payee())
        rows.append(
            [slip.month, slip.technician_id, payee.name, bases["insurance"]]
            + [bases["fund"] if v is None else _yuan(v) for v in values]
        )
    fund_base_at = len(per_fund)
    rows.append(
        ["total", str(len(rows)), "", ""]
        + ["" if at == fund_base_at else _yuan(v) for at, v in enumerate(totals)]
    )
    return _csv(header, rows)


_TAX_COLUMNS = (
    "cumulative_income",
    "cumulative_basic_deduction",
    "cumulative_contributions",
    "cumulative_additional_deductions",
    "cumulative_taxable",
    "bracket_rate",
    "quick_deduction",
    "cumulative_tax",
    "withheld_before",
    "tax",
)


def tax_declaration_csv(payslips: Sequence[Payslip], payees: Mapping[str, Payee]) -> bytes:
    """The income-tax withholding declaration summary (cumulative withholding figures per technician)."""
    header = ["month", "technician_id", "name", "month_income", *_TAX_COLUMNS]
    rows: list[list[str]] = []
    income_total = tax_total = 0
    for slip in payslips:
        tax_lines = [line for line in slip.lines if line.rule == "income_tax"]
        if not tax_lines:
            continue
        s = tax_lines[0].sources
        due = -tax_lines[0].amount_fen
        income_total += s["month_income_fen"]
        tax_total += due
        payee = payees.get(slip.technician_id, Payee())
        rows.append(
            [
                slip.month,
                slip.technician_id,
                payee.name,
                _yuan(s["month_income_fen"]),
                _yuan(s["cumulative_income_fen"]),
                _yuan(s["cumulative_basic_deduction_fen"]),
                _yuan(s["cumulative_contributions_fen"]),
                _yuan(s["cumulative_additional_deductions_fen"]),
                _yuan(s["cumulative_taxable_fen"]),
                s["bracket_rate"],
                s["quick_deduction"],
                _yuan(s["cumulative_tax_fen"]),
                _yuan(s["withheld_before_fen"]),
                _yuan(due),
            ]
        )
    rows.append(
        ["total", str(len(rows)), "", _yuan(income_total)]
        + [""] * (len(_TAX_COLUMNS) - 1)
        + [_yuan(tax_total)]
    )
    return _csv(header, rows)


__all__ = [
    "KINDS",
    "PAYSLIP_ITEMS",
    "Payee",
    "bank_transfer_csv",
    "export",
    "register_xlsx",
    "social_insurance_csv",
    "tax_declaration_csv",
]
