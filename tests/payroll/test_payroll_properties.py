"""Hypothesis invariants: exact totals, monotone pay, determinism, no float near money."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payroll_factories import MONTH, WITHHOLDING, day, grade, loss, policy, tech

from payroll.compute import assert_no_float, compute_month, payslips_json
from payroll.domain import (
    AdditionalDeduction,
    DayStatus,
    PayInputs,
    PayOrder,
    Payslip,
    PayTechnician,
    YearToDate,
)
from payroll.policy import PayPolicy
from payroll.rules import RULE_CATEGORY, Category
from payroll.validate import check_payslip
from vocabulary.orders import OrderType

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POLICIES: dict[tuple[str, str], PayPolicy] = {
    (system, mode): policy(working_time_system=system, base_deduction=mode, base_workload_minutes=600)
    for system in ("standard", "comprehensive")
    for mode in ("pro_rata", "chronological")
}


@st.composite
def orders(draw: st.DrawFn, prefix: str = "o", clean: bool = False, max_size: int = 25) -> list[PayOrder]:
    """Completed orders of technician t1 in March 2026 (clean = no complaint/penalty outcomes)."""
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        at = dt.datetime(
            2026, 3, draw(st.integers(1, 31)), draw(st.integers(7, 22)), draw(st.integers(0, 59))
        )
        out.append(
            PayOrder(
                f"{prefix}{i}",
                "t1",
                draw(st.sampled_from(list(OrderType))),
                draw(st.integers(1, 3)),
                at,
                draw(st.one_of(st.none(), st.integers(10, 240))),
                repeat_fault_within_days=None if clean else draw(st.one_of(st.none(), st.integers(0, 60))),
                repeat_of=None,
                complaint=False if clean else draw(st.booleans()),
                praise=draw(st.booleans()),
                appointment_kept=None if clean else draw(st.one_of(st.none(), st.booleans())),
            )
        )
    return out


attendance = st.lists(
    st.tuples(st.integers(1, 31), st.integers(0, 720), st.booleans()), max_size=31, unique_by=lambda t: t[0]
).map(lambda rows: tuple(day(f"2026-03-{d:02d}", m, comp=c) for d, m, c in rows))
post_grades = st.sampled_from(["T1", "T2", "T3", "T4", "H", "L"])
keys = st.sampled_from(sorted(POLICIES))


def slip_of(
    pol: PayPolicy, post: str, os: list[PayOrder], att: tuple = (), letter: str = "C", losses: tuple = ()
) -> Payslip:
    inputs = PayInputs(MONTH, (tech(grade=post),), tuple(os), att, (grade("t1", letter),), losses)
    return compute_month(inputs, pol)[0]


@SETTINGS
@given(
    key=keys,
    post=post_grades,
    os=orders(),
    att=attendance,
    letter=st.sampled_from("ABCD"),
    amt=st.one_of(st.none(), st.decimals("0.01", "5000.00", places=2)),
)
def test_total_is_the_exact_sum_of_lines_and_every_line_recomputes(key, post, os, att, letter, amt) -> None:
    """Total = Σ lines exactly; each line = qty × rate × coef × mult rounded half-up; no float anywhere."""
    slip = slip_of(POLICIES[key], post, os, att, letter, (loss(str(amt)),) if amt is not None else ())
    assert slip.total_fen == sum(li.amount_fen for li in slip.lines)
    assert isinstance(slip.total_fen, int)
    assert check_payslip(slip) == []
    assert_no_float(slip)
    document = json.loads(json.dumps(slip.to_dict()))
    assert_no_float(document)
    assert Payslip.from_dict(document) == slip


@SETTINGS
@given(
    key=keys,
    post=post_grades,
    base=orders(clean=True),
    extra=orders(prefix="x", clean=True, max_size=10),
    att=attendance,
    letter=st.sampled_from("ABCD"),
)
def test_more_completed_orders_never_lower_pay(key, post, base, extra, att, letter) -> None:
    """Adding completed orders (without complaints or repeat faults) never lowers the total."""
    before = slip_of(POLICIES[key], post, base, att, letter).total_fen
    after = slip_of(POLICIES[key], post, base + extra, att, letter).total_fen
    assert after >= before


@SETTINGS
@given(
    key=keys, post=post_grades, os=orders(), att=attendance, pair=st.sampled_from(["AB", "BC", "CD", "AD"])
)
def test_a_better_grade_never_lowers_pay(key, post, os, att, pair) -> None:
    """Same work, better quality grade: pay is never lower."""
    better, worse = pair
    assert (
        slip_of(POLICIES[key], post, os, att, better).total_fen
        >= slip_of(POLICIES[key], post, os, att, worse).total_fen
    )


@SETTINGS
@given(key=keys, post=post_grades, os=orders(), att=attendance, seed=st.integers(0, 2**16))
def test_same_inputs_give_the_same_payslips(key, post, os, att, seed) -> None:
    """Same inputs (in any row order) always give identical payslips, to the byte of their JSON."""
    first = slip_of(POLICIES[key], post, os, att)
    shuffled = list(os)
    random.Random(seed).shuffle(shuffled)
    att_shuffled = list(att)
    random.Random(seed).shuffle(att_shuffled)
    second = slip_of(POLICIES[key], post, shuffled, tuple(att_shuffled))
    assert json.dumps(payslips_json([first])) == json.dumps(payslips_json([second]))


def test_money_fields_are_int_fen_and_decimal_factors() -> None:
    """Every amount is int fen and every factor a Decimal on a real payslip."""
    slip = slip_of(
        POLICIES["standard", "chronological"],
        "T2",
        [PayOrder("o1", "t1", OrderType.INSTALL, 2, dt.datetime(2026, 3, 7, 19, 0), 700)],
        (day("2026-03-07", 600),),
        "A",
        (loss("12.34"),),
    )
    for line in slip.lines:
        assert type(line.amount_fen) is int
        for factor in (line.quantity, line.rate, line.coefficient, line.multiplier):
            assert type(factor) is Decimal
    assert_no_float(slip)


# --------------------------------------------------------------------------- take-home pay

TAKE_HOME: dict[tuple[str, str], PayPolicy] = {
    (system, mode): policy(
        working_time_system=system,
        base_deduction=mode,
        base_workload_minutes=600,
        withholding=WITHHOLDING,
        post_wages={"T1": "2200.00", "T4": "3000.00", "X": "15000.00", "Y": "60000.00"},
    )
    for system in ("standard", "comprehensive")
    for mode in ("pro_rata", "chronological")
}
take_home_posts = st.sampled_from(["T1", "T4", "H", "L", "X", "Y"])
previous_wages = st.one_of(st.none(), st.decimals("0", "40000", places=2))
declared = st.lists(
    st.tuples(
        st.sampled_from(["children_education", "elderly_support", "housing_rent"]), st.integers(0, 3000)
    ),
    max_size=3,
    unique_by=lambda t: t[0],
)


def take_home_slip(
    pol: PayPolicy,
    post: str,
    wage: Decimal | None,
    os: list[PayOrder],
    att: tuple = (),
    losses: tuple = (),
    ytd: YearToDate | None = None,
    month: str = MONTH,
    additional: tuple = (),
) -> Payslip:
    technician = PayTechnician("t1", post, dt.date(2020, 1, 1), None, "", wage)
    inputs = PayInputs(
        month,
        (technician,),
        tuple(os),
        att,
        (grade("t1", "C"),),
        losses,
        year_to_date=(ytd,) if ytd else (),
        additional_deductions=tuple(AdditionalDeduction("t1", k, Decimal(a)) for k, a in additional),
    )
    return compute_month(inputs, pol)[0]


@SETTINGS
@given(
    key=keys,
    post=take_home_posts,
    wage=previous_wages,
    os=orders(),
    att=attendance,
    amt=st.one_of(st.none(), st.decimals("0.01", "5000.00", places=2)),
    additional=declared,
)
def test_take_home_is_gross_minus_deductions_contributions_and_tax(
    key, post, wage, os, att, amt, additional
) -> None:
    """net = gross − deductions − the employee's contributions − tax, each from the lines; tax >= 0."""
    slip = take_home_slip(
        TAKE_HOME[key],
        post,
        wage,
        os,
        att,
        (loss(str(amt)),) if amt is not None else (),
        additional=additional,
    )
    s = slip.summary
    assert s["net_fen"] == slip.total_fen
    assert s["net_fen"] == s["gross_fen"] - s["deductions_fen"] - s["contributions_fen"] - s["income_tax_fen"]
    assert s["income_tax_fen"] >= 0 and s["contributions_fen"] >= 0 and s["deductions_fen"] >= 0
    by_category = {
        c: sum(li.amount_fen for li in slip.lines if RULE_CATEGORY[li.rule] is c) for c in Category
    }
    assert s["income_tax_fen"] == -by_category[Category.TAX]
    assert s["contributions_fen"] == -by_category[Category.CONTRIBUTION]
    assert check_payslip(slip) == []


@SETTINGS
@given(
    post=take_home_posts,
    wage=previous_wages,
    counts=st.lists(st.integers(0, 40), min_size=12, max_size=12),
    extra=st.lists(st.sampled_from(["0", "-1"]), min_size=12, max_size=12),
)
def test_income_tax_is_never_negative_over_the_year(post, wage, counts, extra) -> None:
    """Twelve months in a row, each month's year to date read from the previous payslip: the tax of
    every month is >= 0, the year's withholding never falls, and it is the most any month's
    cumulative tax reached (a lower cumulative tax is not refunded through pay)."""
    pol = TAKE_HOME["standard", "chronological"]
    ytd: YearToDate | None = None
    withheld = 0
    highest = 0
    for number in range(1, 13):
        month = f"2026-{number:02d}"
        # a varying month: many orders, or (extra == "-1") unpaid leave lowering the post wage
        os = [
            PayOrder(
                f"o{number}-{i}", "t1", OrderType.INSTALL, 3, dt.datetime(2026, number, 20, 10, i % 60), 600
            )
            for i in range(counts[number - 1])
        ]
        att = tuple(
            day(f"{month}-{d:02d}", 0, status=DayStatus.UNPAID_LEAVE)
            for d in range(21, 29)
            if extra[number - 1] == "-1"
        )
        slip = take_home_slip(pol, post, wage, os, att, ytd=ytd, month=month)
        (tax_line,) = [li for li in slip.lines if li.rule == "income_tax"]
        assert tax_line.amount_fen <= 0  # withheld, never paid back
        after = slip.summary["year_to_date"]
        assert after["tax_fen"] == withheld - tax_line.amount_fen >= withheld
        withheld = after["tax_fen"]
        highest = max(highest, tax_line.sources["cumulative_tax_fen"])
        assert withheld == highest
        ytd = YearToDate(
            "t1",
            after["months"],
            after["income_fen"],
            after["contributions_fen"],
            after["additional_deductions_fen"],
            after["tax_fen"],
        )


@SETTINGS
@given(
    key=keys,
    post=take_home_posts,
    wage=previous_wages,
    base=orders(clean=True),
    extra=orders(prefix="x", clean=True, max_size=10),
    att=attendance,
)
def test_more_completed_orders_never_lower_take_home_pay(key, post, wage, base, extra, att) -> None:
    """Adding completed orders (without complaints or repeat faults) never lowers the take-home pay."""
    before = take_home_slip(TAKE_HOME[key], post, wage, base, att).total_fen
    after = take_home_slip(TAKE_HOME[key], post, wage, base + extra, att).total_fen
    assert after >= before
