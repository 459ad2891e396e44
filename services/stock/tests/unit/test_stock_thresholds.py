"""Safety and maximum stock alerts fire once per crossing; shortages."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from stock.domain import Crossing, CrossingKind, shortage, threshold_crossing

SAFETY, MAXIMUM = Decimal(10), Decimal(100)


def crossings(before: str, after: str) -> list[Crossing]:
    return threshold_crossing(Decimal(before), Decimal(after), SAFETY, MAXIMUM)


def test_falling_below_safety_stock_raises_an_alert() -> None:
    assert crossings("12", "9.5") == [Crossing(CrossingKind.BELOW_SAFETY, SAFETY)]


def test_staying_below_safety_stock_raises_nothing_more() -> None:
    assert crossings("9.5", "3") == []
    assert crossings("3", "9") == []


def test_reaching_safety_stock_again_is_back_above_it() -> None:
    assert crossings("9", "10") == [Crossing(CrossingKind.BACK_ABOVE_SAFETY, SAFETY)]
    assert crossings("10", "9.999999") == [Crossing(CrossingKind.BELOW_SAFETY, SAFETY)]


def test_going_above_maximum_stock_and_back_raises_one_alert_each_way() -> None:
    assert crossings("100", "101") == [Crossing(CrossingKind.ABOVE_MAX, MAXIMUM)]
    assert crossings("101", "150") == []
    assert crossings("150", "100") == [Crossing(CrossingKind.BACK_BELOW_MAX, MAXIMUM)]


def test_a_jump_across_both_levels_reports_both_in_the_order_they_were_crossed() -> None:
    assert crossings("5", "200") == [
        Crossing(CrossingKind.BACK_ABOVE_SAFETY, SAFETY),
        Crossing(CrossingKind.ABOVE_MAX, MAXIMUM),
    ]
    assert crossings("200", "-5") == [
        Crossing(CrossingKind.BACK_BELOW_MAX, MAXIMUM),
        Crossing(CrossingKind.BELOW_SAFETY, SAFETY),
    ]


def test_an_item_without_levels_raises_no_alerts() -> None:
    assert threshold_crossing(Decimal(50), Decimal(-50), None, None) == []
    assert threshold_crossing(Decimal(50), Decimal(500), SAFETY, None) == []


def test_a_shortage_is_what_is_reserved_beyond_what_is_on_hand() -> None:
    assert shortage(Decimal(7), Decimal(10)) == Decimal(3)
    assert shortage(Decimal(10), Decimal(10)) == 0
    assert shortage(Decimal(12), Decimal(10)) == 0
    assert shortage(Decimal(-2), Decimal(1)) == Decimal(3)


atp_values = st.integers(-50, 250).map(lambda n: Decimal(n).scaleb(-1))
levels = st.one_of(st.none(), st.integers(0, 200).map(lambda n: Decimal(n).scaleb(-1)))


SAFETY_KINDS = (CrossingKind.BELOW_SAFETY, CrossingKind.BACK_ABOVE_SAFETY)
MAX_KINDS = (CrossingKind.ABOVE_MAX, CrossingKind.BACK_BELOW_MAX)


def alternating(first: CrossingKind, second: CrossingKind, count: int) -> list[CrossingKind]:
    return [first if index % 2 == 0 else second for index in range(count)]


def side_changes(sides: list[bool]) -> int:
    return sum(before != after for before, after in pairwise(sides))


@given(walk=st.lists(atp_values, min_size=2, max_size=60), safety=levels, maximum=levels)
def test_over_any_walk_of_availability_alerts_alternate_and_match_the_side_changes(
    walk: list[Decimal], safety: Decimal | None, maximum: Decimal | None
) -> None:
    fired = [
        crossing for before, after in pairwise(walk) for crossing in threshold_crossing(before, after, safety, maximum)
    ]
    safety_alerts = [crossing.kind for crossing in fired if crossing.kind in SAFETY_KINDS]
    max_alerts = [crossing.kind for crossing in fired if crossing.kind in MAX_KINDS]
    below = [safety is not None and atp < safety for atp in walk]
    above = [maximum is not None and atp > maximum for atp in walk]

    assert len(safety_alerts) == side_changes(below)
    assert len(max_alerts) == side_changes(above)
    # The first alert leaves the side the walk started on; each next one comes back.
    below_first = (CrossingKind.BACK_ABOVE_SAFETY, CrossingKind.BELOW_SAFETY)
    assert safety_alerts == alternating(*(below_first if below[0] else below_first[::-1]), len(safety_alerts))
    above_first = (CrossingKind.BACK_BELOW_MAX, CrossingKind.ABOVE_MAX)
    assert max_alerts == alternating(*(above_first if above[0] else above_first[::-1]), len(max_alerts))
    assert all(crossing.level == (safety if crossing.kind in SAFETY_KINDS else maximum) for crossing in fired)
