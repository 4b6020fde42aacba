"""Text for people: the payslip's items and the exports' column titles, by stable key.

The users read Chinese; every label the payroll shows comes from here with a stable key, so the
console and the exports can show it (Chinese first, English beside it) and tests can name it.
"""

from __future__ import annotations

from typing import NamedTuple


class Label(NamedTuple):
    """A label in Chinese and English."""

    zh: str
    en: str


#: The payslip's items: what is earned (应发), taken (扣款), withheld, and paid out (实发).
PAYSLIP_ITEMS: dict[str, Label] = {
    "gross": Label("应发工资", "gross pay"),
    "deductions": Label("扣款", "deductions"),
    "contributions": Label("社保及公积金(个人)", "social insurance and housing fund (employee)"),
    "income_tax": Label("个人所得税", "individual income tax"),
    "net": Label("实发工资", "take-home pay"),
    "employer": Label("单位缴纳社保及公积金", "employer's social insurance and housing fund"),
}

#: Payroll run statuses (HR's process) and what they mean.
RUN_STATUSES: dict[str, Label] = {
    "draft": Label("草稿", "draft: computed, not yet approved"),
    "approved": Label("已审核", "approved by a second HR user"),
    "locked": Label("已锁定", "locked: corrected only by a new version"),
    "released": Label("已发布", "released: technicians see their payslips"),
}

#: Columns of the exports.
COLUMNS: dict[str, Label] = {
    "technician_id": Label("工号", "technician id"),
    "name": Label("姓名", "name"),
    "account": Label("银行账号", "bank account"),
    "amount": Label("金额", "amount"),
    "month": Label("月份", "month"),
    "post_grade": Label("岗位等级", "post grade"),
    "base": Label("缴费基数", "contribution base"),
    "pension": Label("养老保险", "pension"),
    "medical": Label("医疗保险", "medical"),
    "unemployment": Label("失业保险", "unemployment"),
    "injury": Label("工伤保险", "work injury"),
    "maternity": Label("生育保险", "maternity"),
    "fund": Label("住房公积金", "housing fund"),
    "employee": Label("个人", "employee"),
    "employer": Label("单位", "employer"),
    "cumulative_income": Label("累计收入额", "cumulative income"),
    "cumulative_basic_deduction": Label("累计减除费用", "cumulative basic deduction"),
    "cumulative_contributions": Label("累计专项扣除", "cumulative special deductions"),
    "cumulative_additional_deductions": Label("累计专项附加扣除", "cumulative special additional deductions"),
    "cumulative_taxable": Label("累计应纳税所得额", "cumulative taxable income"),
    "bracket_rate": Label("预扣率", "rate"),
    "quick_deduction": Label("速算扣除数", "quick deduction"),
    "cumulative_tax": Label("累计应纳税额", "cumulative tax"),
    "withheld_before": Label("已预扣预缴税额", "tax withheld before"),
    "tax": Label("本期应预扣预缴税额", "tax withheld this month"),
}


def title(key: str) -> str:
    """A column or item title for a spreadsheet: ``中文 (English)``."""
    label = COLUMNS.get(key) or PAYSLIP_ITEMS[key]
    return f"{label.zh} ({label.en})"
