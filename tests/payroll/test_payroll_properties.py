"""Hypothesis invariants: exact totals, monotone pay, determinism, no float near money."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payroll_factories import MONTH, day, grade, loss, policy, tech

from payroll.compute import assert_no_float, compute_month, payslips_json
from payroll.domain import PayInputs, PayOrder, Payslip
from payroll.policy import PayPolicy
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
