"""Monthly technician pay: post wage + quality-weighted piece rates + bonuses/penalties, then the law.

Modules: :mod:`payroll.domain` (inputs, payslips, pay lines), :mod:`payroll.policy` (versioned,
effective-dated policy from TOML/YAML; jurisdiction profiles, China by default), :mod:`payroll.rules`
(one function per pay rule, registry :data:`payroll.rules.RULES`), :mod:`payroll.compute` (a month →
payslips), :mod:`payroll.io` (CSV/Excel inputs and exports), :mod:`payroll.validate` (independent
recomputation), :mod:`payroll.store` (immutable run versions, diffs), :mod:`payroll.jobs` (API job),
:mod:`payroll.cli` (``fieldcrew payroll ...``).
"""
