"""Exports: bank transfer file, payroll register, social-insurance and income-tax declarations.

Every text cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) is written with a leading apostrophe; money is exact decimal text, never a float.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from payroll_factories import WITHHOLDING, policy

from payroll.compute import compute_month
from payroll.domain import AdditionalDeduction, PayInputs, PayTechnician
from payroll.errors import PayInputError
from payroll.exports import (
    Payee,
    bank_transfer_csv,
    register_xlsx,
    social_insurance_csv,
    tax_declaration_csv,
)

POLICY = policy(withholding=WITHHOLDING, post_wages={"T1": "2200.00", "X": "12000.00"})
STAFF = (
    PayTechnician("t1", "H", dt.date(2020, 1, 1)),  # at the floors: take-home 1,624.70 (see cases)
    PayTechnician("t2", "X", dt.date(2020, 1, 1), previous_year_average_wage=Decimal("10000.00")),
)
PAYEES = {"t1": Payee('=HYPERLINK("http://x")', "6222 0001"), "t2": Payee("李 娜", "+86 6222 0002")}


def _slips() -> list:
    inputs = PayInputs(
        "2026-01",
        STAFF,
        additional_deductions=(AdditionalDeduction("t2", "children_education", Decimal("2000.00")),),
    )
    return compute_month(inputs, POLICY)


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_bank_file_pays_the_take_home_amount_and_guards_formulas() -> None:
    """account, name, amount (yuan, 2 places): t1 1,624.70, t2 10,346.50 (p2_income_tax_first_month)."""
    rows = _rows(bank_transfer_csv(_slips(), PAYEES))
    assert rows[0] == ["account", "name", "amount"]
    assert rows[1] == ["6222 0001", '\'=HYPERLINK("http://x")', "1624.70"]
    assert rows[2] == ["'+86 6222 0002", "李 娜", "10346.50"]


def test_bank_file_names_every_technician_without_an_account() -> None:
    """Infeasible: pay cannot be transferred without an account: the error names the technician."""
    with pytest.raises(PayInputError) as info:
        bank_transfer_csv(_slips(), {"t1": Payee("Wang", "")})
    assert sorted(p.value for p in info.value.problems) == ["t1", "t2"]
    assert all(p.field == "bank_account" for p in info.value.problems)


def test_register_has_the_payslip_items_and_a_total_row() -> None:
    """应发, 扣款, contributions, tax, 实发 per technician; the total row adds them; all text, no floats."""
    book = openpyxl.load_workbook(io.BytesIO(register_xlsx(_slips(), PAYEES)))
    rows = [tuple(row) for row in book["register"].iter_rows(values_only=True)]
    assert rows[0][4].startswith("应发工资") and rows[0][9].startswith("实发工资")
    t1, t2, total = rows[1], rows[2], rows[3]
    assert t1[2] == '\'=HYPERLINK("http://x")'
    # gross, deductions, employee insurance, employee fund, tax, net
    assert t1[4:10] == ("2175.00", "0.00", "447.30", "103.00", "0.00", "1624.70")
    assert t2[4:10] == ("12000.00", "0.00", "1050.00", "500.00", "103.50", "10346.50")
    assert total[9] == "11971.20"
    assert not any(isinstance(c, float) for row in rows for c in row)
    lines = list(book["lines"].iter_rows(values_only=True))
    assert any(row[1] == "employer" and row[3] == "employer_social_insurance:pension" for row in lines)


def test_social_insurance_declaration_per_fund_and_side() -> None:
    """Base, employee and employer amount per fund, housing fund, totals (Hefei 2026 demo rates)."""
    rows = _rows(social_insurance_csv(_slips(), PAYEES))
    header, t1, t2, total = rows
    record = dict(zip(header, t1, strict=True))
    assert (record["insurance_base"], record["pension_employee"], record["pension_employer"]) == (
        "4260.00",
        "340.80",
        "681.60",
    )
    assert (record["housing_fund_base"], record["housing_fund_employee"]) == ("2060.00", "103.00")
    assert record["total_employee"] == "550.30" and record["total_employer"] == "1121.14"
    assert dict(zip(header, t2, strict=True))["total_employee"] == "1550.00"
    assert dict(zip(header, total, strict=True))["total_employee"] == "2100.30"


def test_tax_declaration_has_the_cumulative_figures() -> None:
    """t2: income 12,000, basic 5,000, contributions 1,550, additional 2,000, taxable 3,450, 3 %, 103.50."""
    header, t1, t2, total = _rows(tax_declaration_csv(_slips(), PAYEES))
    record = dict(zip(header, t2, strict=True))
    assert [record[k] for k in ("cumulative_income", "cumulative_taxable", "bracket_rate", "tax")] == [
        "12000.00",
        "3450.00",
        "0.03",
        "103.50",
    ]
    assert dict(zip(header, total, strict=True))["tax"] == "103.50"
