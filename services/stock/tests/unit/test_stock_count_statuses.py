"""Where a count's difference at a place goes, status by status (stock.domain.counts)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stock.domain import StockStatus
from stock.domain.counts import difference_by_status, reasons_by_part

AVAILABLE, QC_HOLD, REJECTED = StockStatus.AVAILABLE, StockStatus.QC_HOLD, StockStatus.REJECTED


@pytest.mark.parametrize(
    ("variance", "book", "parts"),
    [
        # A gain goes to AVAILABLE, or to the held status of a place that holds nothing else.
        (Decimal(3), {AVAILABLE: Decimal(5), QC_HOLD: Decimal(2)}, [(AVAILABLE, Decimal(3))]),
        (Decimal(3), {}, [(AVAILABLE, Decimal(3))]),
        (Decimal(3), {QC_HOLD: Decimal(2), REJECTED: Decimal(1)}, [(QC_HOLD, Decimal(3))]),
        (Decimal(3), {REJECTED: Decimal(1)}, [(REJECTED, Decimal(3))]),
        # A loss comes off REJECTED, QC_HOLD, then AVAILABLE, as far as each goes.
        (Decimal(-1), {AVAILABLE: Decimal(5), REJECTED: Decimal(2)}, [(REJECTED, Decimal(-1))]),
        (
            Decimal(-7),
            {AVAILABLE: Decimal(10), QC_HOLD: Decimal(4), REJECTED: Decimal(2)},
            [(REJECTED, Decimal(-2)), (QC_HOLD, Decimal(-4)), (AVAILABLE, Decimal(-1))],
        ),
        # More than the place holds (it moved out since the count): the rest off AVAILABLE.
        (
            Decimal(-5),
            {QC_HOLD: Decimal(2), AVAILABLE: Decimal(-1)},
            [(QC_HOLD, Decimal(-2)), (AVAILABLE, Decimal(-3))],
        ),
        (Decimal(-5), {AVAILABLE: Decimal(1)}, [(AVAILABLE, Decimal(-5))]),
    ],
)
def test_a_difference_goes_to_the_statuses_it_belongs_to(
    variance: Decimal, book: dict[StockStatus, Decimal], parts: list[tuple[StockStatus, Decimal]]
) -> None:
    assert difference_by_status(variance, book) == parts


def test_reasons_are_shared_over_the_parts_in_order_one_straddling_two() -> None:
    reasons = [("DAMAGE_NOT_RECORDED", Decimal(3)), ("THEFT_OR_UNKNOWN", Decimal(4))]
    assert reasons_by_part(reasons, [Decimal(-2), Decimal(-4), Decimal(-1)]) == [
        [("DAMAGE_NOT_RECORDED", Decimal(2))],
        [("DAMAGE_NOT_RECORDED", Decimal(1)), ("THEFT_OR_UNKNOWN", Decimal(3))],
        [("THEFT_OR_UNKNOWN", Decimal(1))],
    ]


quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3)


@given(
    sizes=st.lists(quantities, min_size=1, max_size=4),
    gain=st.booleans(),
    book=st.dictionaries(
        st.sampled_from(list(StockStatus)), st.decimals(min_value=Decimal(-50), max_value=Decimal(1000), places=3)
    ),
)
def test_the_parts_add_up_to_the_difference_and_each_parts_reasons_to_the_part(
    sizes: list[Decimal], gain: bool, book: dict[StockStatus, Decimal]
) -> None:
    # Reasons adding up to the difference, in any number of codes.
    reasons = [(f"CODE_{i}", size) for i, size in enumerate(sizes)]
    variance = sum(sizes) if gain else -sum(sizes)
    parts = difference_by_status(variance, book)
    assert sum(share for _, share in parts) == variance
    assert all((share > 0) == gain and share for _, share in parts)
    assert len({status for status, _ in parts}) == len(parts)
    # Held stock is never taken below zero.
    assert all(book.get(status, Decimal(0)) + share >= 0 for status, share in parts if status is not AVAILABLE)
    shared = reasons_by_part(reasons, [share for _, share in parts])
    assert [sum(q for _, q in given) for given in shared] == [abs(share) for _, share in parts]
    for code, quantity in reasons:
        assert sum(q for given in shared for c, q in given if c == code) == quantity
