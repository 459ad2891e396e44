from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from counting.domain.planning import (
    AbcClass,
    CyclePolicy,
    DueItem,
    ItemHistory,
    LastCount,
    Trigger,
    abc_percents,
    classify,
    cycle_policy,
    due_items,
    issue_days,
    split_into_counts,
    spot_counts,
)
from invariant_kernel.errors import DomainError, ErrorCode

D = Decimal
A, B, C = AbcClass.A, AbcClass.B, AbcClass.C
DAY = date(2025, 6, 30)
NOON = datetime(2025, 6, 30, 12, tzinfo=UTC)


def classes(values: dict[str, str], a: str = "80", b: str = "95") -> dict[str, AbcClass]:
    return {c.item_sku: c.abc_class for c in classify({k: D(v) for k, v in values.items()}, D(a), D(b))}


def test_items_making_up_the_first_80_percent_of_issue_value_are_a_the_next_15_percent_b_the_rest_c() -> None:
    found = classify({"P": D(50), "Q": D(30), "R": D(10), "S": D(6), "T": D(4)}, D(80), D(95))
    assert [(c.item_sku, c.abc_class, c.issue_value) for c in found] == [
        ("P", A, 50),
        ("Q", A, 30),
        ("R", B, 10),  # 80 % lie before it
        ("S", B, 6),
        ("T", C, 4),  # 96 % lie before it
    ]


def test_the_item_that_crosses_the_a_share_is_a_however_much_it_is_worth() -> None:
    assert classes({"BIG": "90", "SMALL": "10"}) == {"BIG": A, "SMALL": B}
    assert classes({"ONLY": "7"}) == {"ONLY": A}


def test_items_of_equal_value_share_a_class_whatever_their_skus() -> None:
    # Ranked one by one, Z-ITEM would have 40 % before it and fall to B.
    assert classes({"A-ITEM": "40", "Z-ITEM": "40", "M-ITEM": "20"}, a="30") == {"A-ITEM": A, "Z-ITEM": A, "M-ITEM": B}
    assert classes({"X": "5", "Y": "5", "W": "5"}) == {"X": A, "Y": A, "W": A}


def test_items_without_issues_are_c_and_when_nothing_was_issued_every_item_is_c() -> None:
    assert classes({"SOLD": "10", "IDLE": "0"}, b="100") == {"SOLD": A, "IDLE": C}
    assert classes({"IDLE": "0", "ALSO-IDLE": "0"}) == {"IDLE": C, "ALSO-IDLE": C}
    assert classify({}, D(80), D(95)) == []


def test_shares_are_compared_exactly_so_no_rounding_moves_an_item_across_a_boundary() -> None:
    # Two thirds of the value lie before LOW: 66.666...%.
    assert classes({"HIGH": "2", "LOW": "1"}, a="66.6667")["LOW"] is A
    assert classes({"HIGH": "2", "LOW": "1"}, a="66.6666")["LOW"] is B
    assert classes({"HIGH": "80000001", "LOW": "19999999"})["LOW"] is B  # 80.000001 % before it
    assert classes({"HIGH": "0.0001", "LOW": "0.0001", "LEAST": "0.00005"}, a="80") == {
        "HIGH": A,
        "LOW": A,
        "LEAST": B,
    }


def test_zero_percents_make_no_a_and_equal_percents_make_no_b() -> None:
    assert set(classes({"P": "5", "Q": "3"}, a="0", b="0").values()) == {C}
    assert classes({"P": "5", "Q": "3", "R": "2"}, a="70", b="70") == {"P": A, "Q": A, "R": C}


def test_percents_default_to_80_and_95_and_bad_ones_are_refused_naming_the_field() -> None:
    assert abc_percents("", " ") == (D(80), D(95))
    assert abc_percents("70.5", "100") == (D("70.5"), D(100))
    for a, b, code, field in (
        ("101", "", ErrorCode.OUT_OF_RANGE, "a_percent"),
        ("-1", "", ErrorCode.OUT_OF_RANGE, "a_percent"),
        ("", "100.01", ErrorCode.OUT_OF_RANGE, "b_percent"),
        ("eighty", "", ErrorCode.INVALID_FORMAT, "a_percent"),
        ("NaN", "", ErrorCode.INVALID_FORMAT, "a_percent"),
        ("", "95.00001", ErrorCode.TOO_PRECISE, "b_percent"),
        ("90", "85", ErrorCode.OUT_OF_RANGE, "b_percent"),
    ):
        with pytest.raises(DomainError) as refused:
            abc_percents(a, b)
        assert (refused.value.code, refused.value.field) == (code, field)


def test_a_period_counts_every_day_it_touches_and_defaults_to_the_year_before_now() -> None:
    assert issue_days(None, None, NOON) == (date(2024, 6, 30), date(2025, 7, 1))
    start = datetime(2025, 1, 1, 18, tzinfo=UTC)
    assert issue_days(start, datetime(2025, 2, 1, tzinfo=UTC), NOON) == (date(2025, 1, 1), date(2025, 2, 1))
    assert issue_days(start, datetime(2025, 2, 1, 0, 0, 1, tzinfo=UTC), NOON) == (date(2025, 1, 1), date(2025, 2, 2))
    assert issue_days(None, datetime(2025, 1, 1, tzinfo=UTC), NOON)[0] == date(2024, 1, 2)
    with pytest.raises(DomainError) as refused:
        issue_days(start, start, NOON)
    assert (refused.value.code, refused.value.field) == (ErrorCode.OUT_OF_RANGE, "to_time")


def test_a_cycle_policy_needs_whole_days_and_capacity_of_one_or_more_and_a_value_not_below_zero() -> None:
    assert CyclePolicy() == CyclePolicy(30, 91, 182, 200, D(500))
    assert cycle_policy(7, 30, 90, 50, "250.5") == CyclePolicy(7, 30, 90, 50, D("250.5"))
    assert cycle_policy(1, 1, 1, 1, "0").large_adjustment_value == 0
    for args, code, field in (
        ((0, 30, 90, 50, "1"), ErrorCode.OUT_OF_RANGE, "policy.a_days"),
        ((7, -1, 90, 50, "1"), ErrorCode.OUT_OF_RANGE, "policy.b_days"),
        ((7, 30, 0, 50, "1"), ErrorCode.OUT_OF_RANGE, "policy.c_days"),
        ((7, 30, 90, 0, "1"), ErrorCode.OUT_OF_RANGE, "policy.capacity"),
        ((7, 30, 90, 50, "-0.01"), ErrorCode.OUT_OF_RANGE, "policy.large_adjustment_value"),
        ((7, 30, 90, 50, ""), ErrorCode.REQUIRED, "policy.large_adjustment_value"),
        ((7, 30, 90, 50, "1.00001"), ErrorCode.TOO_PRECISE, "policy.large_adjustment_value"),
    ):
        with pytest.raises(DomainError) as refused:
            cycle_policy(*args)
        assert (refused.value.code, refused.value.field) == (code, field)


def counted(days_ago: int, lines: int = 1, adjusted: str = "0") -> LastCount:
    return LastCount(NOON - timedelta(days=days_ago), lines, D(adjusted))


def short(at: datetime) -> dict[Trigger, datetime]:
    return {Trigger.SHORTAGE: at}


def due(*histories: ItemHistory, policy: CyclePolicy | None = None) -> dict[str, tuple[Trigger, ...]]:
    return {i.item_sku: i.triggers for i in due_items(histories, policy or CyclePolicy(), DAY)}


def test_an_item_is_due_by_class_once_its_class_days_have_passed_since_the_day_it_was_counted() -> None:
    found = due(
        ItemHistory("A-DUE", "A", counted(30)),
        ItemHistory("A-NOT-YET", "A", counted(29)),
        ItemHistory("B-DUE", "B", counted(91)),
        ItemHistory("C-NOT-YET", "C", counted(181)),
        # Not classified yet: as often as a C item.
        ItemHistory("NEW-DUE", "", counted(182)),
    )
    assert found == {
        "A-DUE": (Trigger.DUE_BY_CLASS,),
        "B-DUE": (Trigger.DUE_BY_CLASS,),
        "NEW-DUE": (Trigger.DUE_BY_CLASS,),
    }
    # The day counts, not the hour: counted late in the evening 30 days before is due.
    late = LastCount(datetime(2025, 5, 31, 23, 59, tzinfo=UTC), 1, D(0))
    assert due(ItemHistory("LATE", "A", late)) == {"LATE": (Trigger.DUE_BY_CLASS,)}


def test_an_item_never_counted_is_due_and_so_is_one_short_since_its_last_count() -> None:
    found = due(
        ItemHistory("NEVER", "B", None),
        ItemHistory("NEVER-AND-SHORT", "C", None, short(NOON - timedelta(days=400))),
        ItemHistory("SHORT-SINCE", "A", counted(2), short(NOON - timedelta(days=1))),
        ItemHistory("SHORT-BEFORE", "A", counted(2), short(NOON - timedelta(days=3))),
    )
    assert found == {
        "NEVER": (Trigger.NEVER_COUNTED,),
        "NEVER-AND-SHORT": (Trigger.NEVER_COUNTED, Trigger.SHORTAGE),
        "SHORT-SINCE": (Trigger.SHORTAGE,),
    }


def test_an_item_is_due_when_someone_tried_to_take_more_than_its_book_held_since_its_last_count() -> None:
    tried = Trigger.NEGATIVE_BALANCE_ATTEMPT
    yesterday, last_month = NOON - timedelta(days=1), NOON - timedelta(days=30)
    found = due(
        ItemHistory("TRIED-SINCE", "A", counted(7), {tried: yesterday}),
        ItemHistory("TRIED-BEFORE", "A", counted(7), {tried: last_month}),
        # Every reported fact newer than the last count is a reason, in one order.
        ItemHistory("TRIED-AND-SHORT", "A", counted(7), {tried: yesterday, Trigger.SHORTAGE: yesterday}),
        ItemHistory("SHORT-SINCE-TRIED-BEFORE", "A", counted(7), {tried: last_month, Trigger.SHORTAGE: yesterday}),
        ItemHistory("NEVER-AND-TRIED", "B", None, {tried: last_month}),
    )
    assert found == {
        "TRIED-SINCE": (Trigger.NEGATIVE_BALANCE_ATTEMPT,),
        "TRIED-AND-SHORT": (Trigger.SHORTAGE, Trigger.NEGATIVE_BALANCE_ATTEMPT),
        "SHORT-SINCE-TRIED-BEFORE": (Trigger.SHORTAGE,),
        "NEVER-AND-TRIED": (Trigger.NEVER_COUNTED, Trigger.NEGATIVE_BALANCE_ATTEMPT),
    }


def test_an_item_whose_last_count_adjusted_more_than_the_policy_allows_is_due_again() -> None:
    policy = CyclePolicy(large_adjustment_value=D("500"))
    found = due(
        ItemHistory("LARGE", "A", counted(1, adjusted="500.0001")),
        ItemHistory("AT-LIMIT", "A", counted(1, adjusted="500")),
        ItemHistory("LARGE-AND-OLD", "B", counted(100, adjusted="900"), short(NOON)),
        policy=policy,
    )
    assert found == {
        "LARGE": (Trigger.LARGE_ADJUSTMENT,),
        "LARGE-AND-OLD": (Trigger.DUE_BY_CLASS, Trigger.SHORTAGE, Trigger.LARGE_ADJUSTMENT),
    }
    assert due(ItemHistory("CALM", "A", counted(1))) == {}
    assert due_items([], policy, DAY) == []


def test_an_item_is_expected_to_open_as_many_lines_as_on_its_last_count_else_one() -> None:
    found = due_items(
        [ItemHistory("SPREAD", "A", counted(40, lines=3)), ItemHistory("NEW", "A", None)],
        CyclePolicy(),
        DAY,
    )
    assert [(i.item_sku, i.lines) for i in found] == [("NEW", 1), ("SPREAD", 3)]


def item(sku: str, abc: str, lines: int = 1) -> DueItem:
    return DueItem(sku, abc, (Trigger.NEVER_COUNTED,), lines)


def test_due_items_are_split_into_counts_of_at_most_the_capacity_one_class_at_a_time() -> None:
    due = [item("C1", "C"), item("A2", "A"), item("A1", "A"), item("A3", "A"), item("B1", "B"), item("X1", "")]
    planned = split_into_counts(due, capacity=2)
    assert [[i.item_sku for i in p.items] for p in planned] == [["A1", "A2"], ["A3"], ["B1"], ["C1"], ["X1"]]
    assert [p.abc_class for p in planned] == ["A", "A", "B", "C", ""]
    assert split_into_counts([], capacity=2) == []


def test_a_count_is_filled_by_expected_lines_and_an_item_larger_than_the_capacity_gets_one_of_its_own() -> None:
    due = [item("P", "B", 3), item("Q", "B", 2), item("R", "B", 12), item("S", "B", 1), item("T", "B", 4)]
    planned = split_into_counts(due, capacity=5)
    assert [[i.item_sku for i in p.items] for p in planned] == [["P", "Q"], ["R"], ["S", "T"]]
    assert all(p.abc_class == "B" for p in planned)


def failed(sku: str, *places: tuple[str, datetime]) -> ItemHistory:
    """An item counted a week ago that picks came up short of at `places` (location, when)."""
    at = dict(places)
    return ItemHistory(sku, "A", counted(7), {Trigger.FAILED_PICK: max(at.values())}, at)


def test_a_failed_pick_since_the_last_count_plans_a_spot_count_of_its_places_and_a_cycle_count_answers_more() -> None:
    yesterday, last_month = NOON - timedelta(days=1), NOON - timedelta(days=30)
    histories = [
        failed("ONE-PLACE", ("A-01", yesterday)),
        failed("SAME-PLACE", ("A-01", yesterday)),
        # Only the place it failed at since its count.
        failed("TWO-PLACES", ("B-02", yesterday), ("A-01", last_month)),
        # Due by class as well: its cycle count covers every place of it, the failed one too.
        ItemHistory("ALSO-DUE", "A", counted(30), {Trigger.FAILED_PICK: yesterday}, {"C-03": yesterday}),
        failed("BEFORE", ("A-01", last_month)),
    ]
    found = due_items(histories, CyclePolicy(), DAY)

    assert {i.item_sku: (i.triggers, i.failed_at, i.cycle_counted) for i in found} == {
        "ONE-PLACE": ((Trigger.FAILED_PICK,), ("A-01",), False),
        "SAME-PLACE": ((Trigger.FAILED_PICK,), ("A-01",), False),
        "TWO-PLACES": ((Trigger.FAILED_PICK,), ("B-02",), False),
        "ALSO-DUE": ((Trigger.DUE_BY_CLASS, Trigger.FAILED_PICK), ("C-03",), True),
    }
    # One count per set of places, so that an item is on one count; none for the cycle-counted item.
    assert [(s.locations, s.item_skus) for s in spot_counts(found)] == [
        (("A-01",), ("ONE-PLACE", "SAME-PLACE")),
        (("B-02",), ("TWO-PLACES",)),
    ]
