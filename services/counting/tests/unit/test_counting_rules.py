from __future__ import annotations

from decimal import Decimal

import pytest

from counting.domain.counts import (
    Level,
    Outcome,
    RoundFound,
    Tolerance,
    check_reasons,
    judge,
    levels_needed,
    tolerance_for,
)
from invariant_kernel.errors import DomainError, ErrorCode

D = Decimal
REASONS = frozenset({"GIFT_OR_SAMPLE_NOT_RECORDED", "DAMAGE_NOT_RECORDED", "ENTRY_ERROR"})


def test_a_variance_is_within_tolerance_only_inside_every_limit_that_is_set() -> None:
    tolerance = Tolerance(percent=D(2), value=D(100))
    assert tolerance.allows(D(-20), D(1200), D(2))  # 1.7 %, worth 40
    assert not tolerance.allows(D(-40), D(1200), D(2))  # 3.3 %
    assert not tolerance.allows(D(-20), D(1200), D(10))  # worth 200
    assert tolerance.allows(D(0), D(0), D(10))
    # Stock the book did not know is never within a percent of nothing.
    assert not tolerance.allows(D(1), D(0), D(0))
    assert Tolerance(quantity=D(5)).allows(D(5), D(0), D(1000))


def test_a_count_without_tolerance_takes_its_abc_class_default() -> None:
    assert tolerance_for("A", Tolerance()) == Tolerance(percent=D(1), value=D(50))
    assert tolerance_for("", Tolerance()) == tolerance_for("C", Tolerance())
    assert tolerance_for("A", Tolerance(quantity=D(3))) == Tolerance(quantity=D(3))


def test_rounds_are_judged_against_the_book_then_against_the_round_before() -> None:
    tolerance = Tolerance(percent=D(1))
    first = RoundFound(1, D(1160), D(1200))
    assert judge(first, None, tolerance, D(1)) is Outcome.RECOUNT
    # The second counter confirms the shelf: the difference is real.
    assert judge(RoundFound(2, D(1160), D(1200)), first, tolerance, D(1)) is Outcome.STANDS
    # The second counter finds what the book says: the first count was wrong.
    assert judge(RoundFound(2, D(1200), D(1200)), first, tolerance, D(1)) is Outcome.STANDS
    # Neither the book nor the first round: a supervisor decides.
    assert judge(RoundFound(2, D(1100), D(1200)), first, tolerance, D(1)) is Outcome.INVESTIGATE
    assert judge(RoundFound(1, D(1200), D(1200)), None, tolerance, D(1)) is Outcome.STANDS


@pytest.mark.parametrize(
    ("value", "levels"),
    [
        (D(0), [Level.SUPERVISOR]),
        (D(1000), [Level.SUPERVISOR]),
        (D("1000.01"), [Level.SUPERVISOR, Level.FINANCE]),
        (D(10000), [Level.SUPERVISOR, Level.FINANCE]),
        (D("10000.01"), [Level.SUPERVISOR, Level.FINANCE, Level.MANAGER]),
    ],
)
def test_approval_is_routed_by_the_value_of_the_variances(value: Decimal, levels: list[Level]) -> None:
    assert levels_needed(value, D(1000), D(10000)) == levels


def test_reasons_must_add_up_to_the_variance() -> None:
    check_reasons(
        D(-40),
        [("GIFT_OR_SAMPLE_NOT_RECORDED", D(20)), ("DAMAGE_NOT_RECORDED", D(10)), ("ENTRY_ERROR", D(10))],
        REASONS,
    )
    with pytest.raises(DomainError) as short:
        check_reasons(D(-40), [("GIFT_OR_SAMPLE_NOT_RECORDED", D(20)), ("ENTRY_ERROR", D(10))], REASONS)
    assert (short.value.code, short.value.field) == (ErrorCode.OUT_OF_RANGE, "reasons")
    with pytest.raises(DomainError) as unknown:
        check_reasons(D(-40), [("MAGIC", D(40))], REASONS)
    assert (unknown.value.code, unknown.value.field) == (ErrorCode.NOT_FOUND, "reasons[0].reason_code")
    with pytest.raises(DomainError) as twice:
        check_reasons(D(-40), [("ENTRY_ERROR", D(20)), ("ENTRY_ERROR", D(20))], REASONS)
    assert twice.value.field == "reasons[1].reason_code"
    with pytest.raises(DomainError) as missing:
        check_reasons(D(5), [], REASONS)
    assert missing.value.code is ErrorCode.REQUIRED
