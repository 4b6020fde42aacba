"""Independent check of payslips: every line and total recomputed by hand, without the rules.

A technician (or an auditor) can redo what this module does with a calculator: each line's amount
is ``quantity × rate × coefficient × multiplier`` rounded half-up to the fen, and the total is the
sum of the lines. It also checks the law's guarantees that can be read off a payslip: deductions
at most 20% of the month's wage and pay never below the minimum wage stated on the top-up line.
It imports nothing from :mod:`payroll.rules` or :mod:`payroll.compute` except the category table.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from payroll.domain import PayLine, Payslip
from payroll.errors import PayslipMismatch
from payroll.rules import RULE_CATEGORY, Category

_FEN = Decimal("0.01")
#: the month's wage (gross pay, 应发) for the 20 % cap
_MONTH_WAGE = frozenset({Category.WAGE, Category.OVERTIME, Category.BONUS, Category.ALLOWANCE})
#: what the minimum wage is compared with: normal pay after deductions (no overtime, allowances,
#: contributions or tax)
_MINIMUM_WAGE_BASIS = frozenset({Category.WAGE, Category.BONUS, Category.DEDUCTION, Category.INFO})


def line_amount(line: PayLine) -> int:
    """The amount a line must have: its factors multiplied, half-up to the fen, in fen."""
    product = line.quantity * line.rate * line.coefficient * line.multiplier
    return int(product.quantize(_FEN, rounding=ROUND_HALF_UP) * 100)


def check_payslip(slip: Payslip, *, deduction_cap_share: Decimal = Decimal("0.20")) -> list[str]:
    """Problems found in one payslip (empty when it is right).

    Checks: no float anywhere in a line's factors or amount; every amount (employer lines too)
    equals its recomputed value; the total is the sum of the lines; known rule names; deductions
    after caps at most ``deduction_cap_share`` of the month's wage (1 fen of rounding tolerance);
    normal pay at least the minimum wage stated on a top-up line; withheld contributions and tax
    never negative; the payslip's items add up: 实发 = 应发 − 扣款 − contributions − tax.
    """
    problems: list[str] = []
    where = f"payslip {slip.technician_id} {slip.month}"
    for index, line in enumerate(slip.employer_lines, start=1):
        if line.rule not in RULE_CATEGORY or RULE_CATEGORY[line.rule] is not Category.EMPLOYER:
            problems.append(f"{where} employer line {index}: {line.rule!r} is not an employer contribution")
        elif line_amount(line) != line.amount_fen:
            problems.append(f"{where} employer line {index} ({line.key}): amount is not its factors' product")
    for index, line in enumerate(slip.lines, start=1):
        for name in ("quantity", "rate", "coefficient", "multiplier"):
            if not isinstance(getattr(line, name), Decimal):
                problems.append(
                    f"{where} line {index} ({line.key}): {name} is "
                    f"{type(getattr(line, name)).__name__}, not Decimal"
                )
        if not isinstance(line.amount_fen, int) or isinstance(line.amount_fen, bool):
            problems.append(f"{where} line {index} ({line.key}): amount is not integer fen")
            continue
        if line.rule not in RULE_CATEGORY:
            problems.append(f"{where} line {index}: unknown rule {line.rule!r}")
            continue
        expected = line_amount(line)
        if expected != line.amount_fen:
            problems.append(
                f"{where} line {index} ({line.key}): {line.quantity} × {line.rate} × {line.coefficient} × "
                f"{line.multiplier} = {expected} fen, payslip says {line.amount_fen}"
            )
    total = sum(line.amount_fen for line in slip.lines if isinstance(line.amount_fen, int))
    if total != slip.total_fen:
        problems.append(f"{where}: total {slip.total_fen} is not the sum of the lines {total}")
    known = [line for line in slip.lines if line.rule in RULE_CATEGORY]
    for line in known:
        if RULE_CATEGORY[line.rule] is Category.EMPLOYER:
            problems.append(f"{where}: employer line {line.key} among the pay lines")
    wage = sum(
        li.amount_fen
        for li in known
        if RULE_CATEGORY[li.rule] in _MONTH_WAGE and li.rule != "minimum_wage_top_up"
    )
    deducted = -sum(li.amount_fen for li in known if RULE_CATEGORY[li.rule] is Category.DEDUCTION)
    allowed = int((Decimal(wage) * deduction_cap_share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if deducted > max(0, allowed) + 1:
        problems.append(
            f"{where}: deductions {deducted} fen exceed {deduction_cap_share:%} "
            f"of the month's wage {wage} fen"
        )
    for line in known:
        if line.rule == "minimum_wage_top_up":
            due = line.sources.get("due_fen")
            basis = sum(li.amount_fen for li in known if RULE_CATEGORY[li.rule] in _MINIMUM_WAGE_BASIS)
            if isinstance(due, int) and basis != due:
                problems.append(
                    f"{where}: after the top-up normal pay is {basis} fen, not the minimum {due} fen"
                )
    totals = {category: 0 for category in Category}
    for line in known:
        totals[RULE_CATEGORY[line.rule]] += line.amount_fen
        if RULE_CATEGORY[line.rule] in (Category.CONTRIBUTION, Category.TAX) and line.amount_fen > 0:
            problems.append(f"{where}: {line.key} withholds a negative amount ({line.amount_fen} fen)")
    summary = slip.summary
    if "net_fen" in summary:
        gross = sum(totals[c] for c in _MONTH_WAGE)
        items = {
            "gross_fen": gross,
            "deductions_fen": -totals[Category.DEDUCTION],
            "contributions_fen": -totals[Category.CONTRIBUTION],
            "income_tax_fen": -totals[Category.TAX],
            "net_fen": slip.total_fen,
            "employer_fen": slip.employer_total_fen,
        }
        for name, value in items.items():
            if summary.get(name) != value:
                problems.append(f"{where}: summary {name} = {summary.get(name)}, the lines give {value}")
        net = (
            summary["gross_fen"]
            - summary["deductions_fen"]
            - summary["contributions_fen"]
            - summary["income_tax_fen"]
        )
        if net != slip.total_fen:
            problems.append(
                f"{where}: gross − deductions − contributions − tax = {net} ≠ net {slip.total_fen}"
            )
    return problems


def check_payslips(
    payslips: Iterable[Payslip], *, deduction_cap_share: Decimal = Decimal("0.20")
) -> list[str]:
    """Problems found in every payslip."""
    return [p for slip in payslips for p in check_payslip(slip, deduction_cap_share=deduction_cap_share)]


def assert_valid(payslips: Iterable[Payslip], *, deduction_cap_share: Decimal = Decimal("0.20")) -> None:
    """Raise :class:`~payroll.errors.PayslipMismatch` listing the first problems, if any."""
    problems = check_payslips(payslips, deduction_cap_share=deduction_cap_share)
    if problems:
        raise PayslipMismatch("\n".join(problems[:20]))
