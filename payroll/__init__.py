"""Monthly technician pay: post wage + quality-weighted piece rates + bonuses/penalties, then the law.

Modules: :mod:`payroll.domain` (inputs, payslips, pay lines), :mod:`payroll.law` (the jurisdiction
profile: effective-dated law with its sources, from ``policies/jurisdiction_cn.toml``),
:mod:`payroll.policy` (versioned, effective-dated policy from TOML/YAML), :mod:`payroll.rules` (one
function per pay rule, registry :data:`payroll.rules.RULES`: gross pay, allowances, deductions,
social insurance, housing fund, cumulative income tax → take-home pay), :mod:`payroll.vectorised`
(the month-wide fast path, equal to the rules), :mod:`payroll.compute` (a month → payslips),
:mod:`payroll.io` (CSV/Excel inputs), :mod:`payroll.exports` (bank file, register, declarations),
:mod:`payroll.catalog` (labels), :mod:`payroll.validate` (independent recomputation),
:mod:`payroll.store` (immutable run versions, HR's process, diffs, year to date), :mod:`payroll.jobs`
(API job), :mod:`payroll.cli` (``fieldcrew payroll ...``).
"""
