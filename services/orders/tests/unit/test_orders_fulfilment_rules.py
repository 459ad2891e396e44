"""A sales order's fulfilment rules: which backorder stock goes to first, what an answer
books, what a picker may take, what a shipment issues and what a pick list names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from orders.domain.picking import PickListEntry, Shelf, pick_list
from orders.domain.sales import (
    Grant,
    Issue,
    LineReservation,
    OrderLine,
    PickFailed,
    PromisePolicy,
    SalesOrder,
    SalesOrderState,
    ShipmentPosted,
    ShippedLine,
    allot_backorders,
    order_number,
    shortage_cuts,
    stock_arrived,
)

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def confirmed(n: int, ordered: str, granted: str, requested: date | None = None, sku: str = "BOLT") -> SalesOrder:
    line = OrderLine(1, sku, Decimal(ordered), "EA", Decimal(ordered), "EA", "MAIN", requested)
    order = SalesOrder.create(
        id=f"o-{n}",
        number=order_number(n),
        customer="CITY",
        customer_reference="",
        policy=PromisePolicy.PARTIAL,
        lines=[line],
        actor="ana",
        now=NOW + timedelta(minutes=n),
    )
    order.confirm([Grant(f"r-{n}", Decimal(granted))], "ana", NOW)
    order.events.clear()
    return order


def test_stock_coming_in_goes_to_the_oldest_requested_date_first_and_undated_lines_last() -> None:
    undated = confirmed(1, "5", "0")
    late = confirmed(2, "5", "0", date(2027, 2, 1))
    soon = confirmed(3, "5", "2", date(2027, 1, 1))
    elsewhere = confirmed(4, "5", "0", date(2026, 1, 1), sku="NUT")

    allotted = allot_backorders([undated, late, soon, elsewhere], "BOLT", "MAIN", Decimal(10))

    assert [(o.number, q) for o, _, q in allotted] == [
        (soon.number, Decimal(3)),
        (late.number, Decimal(5)),
        (undated.number, Decimal(2)),
    ]


def test_what_is_asked_already_is_not_asked_again_until_stock_answers() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(5))

    assert [q for _, _, q in allot_backorders([order], "BOLT", "MAIN", Decimal(9))] == [Decimal(1)]
    with pytest.raises(ValueError):
        order.ask_backorder(1, Decimal(2))


def test_stock_no_ask_takes_marks_the_asks_out_and_their_short_answers_ask_once_more() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(2))
    order.ask_backorder(1, Decimal(4))

    asks = stock_arrived([order], "BOLT", "MAIN", Decimal(5))

    # 5 came: no ask takes 5 (none is left to ask), and both asks out may predate it.
    assert asks == [] and order.lines[0].asked_before_arrival == Decimal(6)
    assert order.backorder_answered(1, Decimal(2), "r-9", Decimal(1)) == (0, 1)
    assert order.backorder_answered(1, Decimal(4), "", Decimal(0)) == (0, 4)
    # Asked again after stock came: their answers, short or not, are final.
    assert order.backorder_answered(1, Decimal(1), "", Decimal(0)) == (0, 0)
    [line] = order.lines
    assert (line.reserved, line.backordered, line.asking, line.asked_before_arrival) == (5, 5, 4, 0)


def test_stock_that_asks_take_whole_marks_nothing() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(2))

    [(_, line, asked)] = stock_arrived([order], "BOLT", "MAIN", Decimal(3))

    assert (asked, line.asking, line.asked_before_arrival) == (3, 5, 0)


def test_only_the_asks_out_before_stock_came_are_marked_not_the_ask_it_made() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(2))

    [(_, line, asked)] = stock_arrived([order], "BOLT", "MAIN", Decimal(5))

    assert (asked, line.asking, order.lines[0].asked_before_arrival) == (4, 6, 2)


def test_an_answer_books_what_stock_granted_as_one_more_reservation_of_the_line() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(5))

    answer = order.backorder_answered(1, Decimal(5), "r-9", Decimal(3))

    [line] = order.lines
    assert answer == (0, 0)
    assert (line.reserved, line.backordered, line.asking) == (Decimal(7), Decimal(3), Decimal(0))
    assert line.reservations == (LineReservation("r-1", Decimal(4)), LineReservation("r-9", Decimal(3)))


def test_what_stock_grants_a_cancelled_order_is_to_be_given_back() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(6))
    order.cancel("", "ana", NOW)

    assert order.backorder_answered(1, Decimal(6), "r-9", Decimal(6)).give_back == Decimal(6)
    assert order.lines[0].reserved == Decimal(4)


def test_a_picker_takes_at_most_what_is_reserved_and_not_picked_yet() -> None:
    order = confirmed(1, "10", "4")

    pick = order.pick(1, "A-01", "", Decimal(3), "pia", NOW)

    assert (pick.seq, order.state, order.lines[0].picked) == (1, SalesOrderState.PICKING, Decimal(3))
    with pytest.raises(DomainError) as over:
        order.pick(1, "A-01", "", Decimal(2), "pia", NOW)
    assert (over.value.code, over.value.field) == (ErrorCode.INSUFFICIENT_STOCK, "quantity")
    with pytest.raises(DomainError) as nothing:
        order.pick(1, "A-01", "", Decimal(0), "pia", NOW)
    assert nothing.value.field == "quantity"
    with pytest.raises(DomainError) as no_line:
        order.pick(2, "A-01", "", Decimal(1), "pia", NOW)
    assert (no_line.value.code, no_line.value.field) == (ErrorCode.NOT_FOUND, "line")


def test_a_short_shelf_is_a_failed_pick_of_what_was_found() -> None:
    order = confirmed(1, "10", "10")

    pick = order.pick(1, "B-01", "", Decimal(2), "pia", NOW, expected=Decimal(3))

    assert order.events == [PickFailed(order, order.lines[0], pick)]
    assert order.lines[0].picked == Decimal(2)
    with pytest.raises(DomainError) as not_short:
        order.pick(1, "B-01", "", Decimal(3), "pia", NOW, expected=Decimal(3))
    assert (not_short.value.code, not_short.value.field) == (ErrorCode.OUT_OF_RANGE, "found")


def test_a_shipment_issues_picks_against_the_oldest_reservation_first() -> None:
    order = confirmed(1, "10", "4")
    order.ask_backorder(1, Decimal(5))
    order.backorder_answered(1, Decimal(5), "r-9", Decimal(5))
    order.pick(1, "A-01", "", Decimal(6), "pia", NOW)
    order.events.clear()

    issues = order.issues()
    order.ship(issues, ["m-1", "m-2"], "sam", NOW)

    assert issues == [
        Issue(1, 1, "r-1", "A-01", "", Decimal(4)),
        Issue(1, 1, "r-9", "A-01", "", Decimal(2)),
    ]
    [line] = order.lines
    assert (line.shipped, line.picked, line.reserved) == (Decimal(6), Decimal(0), Decimal(3))
    assert line.reservations == (LineReservation("r-9", Decimal(3)),)
    assert order.state is SalesOrderState.PARTLY_SHIPPED
    assert order.events == [ShipmentPosted(order, 1, (ShippedLine(1, "BOLT", "MAIN", "", Decimal(6)),), ("m-1", "m-2"))]
    with pytest.raises(DomainError) as again:
        order.issues()
    assert again.value.code is ErrorCode.INVALID_STATE


def test_a_shipped_order_is_not_cancelled_but_closed_giving_back_what_it_still_holds() -> None:
    order = confirmed(1, "10", "10")
    with pytest.raises(DomainError) as unshipped:
        order.close("sam", NOW)
    assert unshipped.value.code is ErrorCode.INVALID_STATE
    order.pick(1, "A-01", "", Decimal(4), "pia", NOW)
    order.ship(order.issues(), ["m-1"], "sam", NOW)

    with pytest.raises(DomainError) as late:
        order.cancel("", "ana", NOW)
    assert late.value.code is ErrorCode.INVALID_STATE
    held = order.close("sam", NOW)

    assert [(line.line, line.reserved) for line in held] == [(1, Decimal(6))]
    assert order.state is SalesOrderState.CLOSED


def test_the_pick_list_takes_lots_in_turn_and_is_walked_by_location() -> None:
    order = confirmed(1, "10", "10")
    shelves = {
        "BOLT": [Shelf("C-01", "L2", Decimal(8)), Shelf("D-01", "L1", Decimal(4)), Shelf("A-01", "L3", Decimal(9))]
    }

    assert pick_list(order, shelves, {"BOLT"}) == [
        PickListEntry(1, "BOLT", "C-01", "L2", Decimal(6), "EA"),
        PickListEntry(1, "BOLT", "D-01", "L1", Decimal(4), "EA"),
    ]
    assert [(e.location, e.quantity) for e in pick_list(order, shelves, set())] == [
        ("A-01", Decimal(9)),
        ("C-01", Decimal(1)),
    ]


def test_the_pick_list_takes_the_lot_that_expires_first_and_lots_without_expiry_last() -> None:
    order = confirmed(1, "10", "10")
    shelves = {
        "BOLT": [
            Shelf("A-01", "L1", Decimal(5)),
            Shelf("B-01", "L2", Decimal(4), date(2027, 6, 1)),
            Shelf("C-01", "L3", Decimal(3), date(2027, 2, 1)),
        ]
    }

    # L3 (February) whole, L2 (June) whole, the rest from L1 (no date); walked by location.
    assert [(e.location, e.lot, e.quantity) for e in pick_list(order, shelves, {"BOLT"})] == [
        ("A-01", "L1", Decimal(3)),
        ("B-01", "L2", Decimal(4)),
        ("C-01", "L3", Decimal(3)),
    ]


def test_the_pick_list_leaves_out_a_shelf_the_line_found_short() -> None:
    order = confirmed(1, "10", "10")
    order.pick(1, "A-01", "", Decimal(1), "pia", NOW, expected=Decimal(9))
    shelves = {"BOLT": [Shelf("A-01", "", Decimal(9)), Shelf("B-01", "", Decimal(20))]}

    assert [(e.location, e.quantity) for e in pick_list(order, shelves, set())] == [("B-01", Decimal(9))]


def test_a_shortage_falls_on_the_lines_asked_for_latest_and_on_what_is_not_picked() -> None:
    soon = confirmed(1, "5", "5", date(2027, 1, 1))
    late = confirmed(2, "5", "5", date(2027, 3, 1))
    late.pick(1, "A-01", "", Decimal(3), "pia", NOW)

    cuts = shortage_cuts([soon, late], {"r-1", "r-2"}, Decimal(4))

    assert [(o.number, r, q) for o, _, r, q in cuts] == [
        (late.number, "r-2", Decimal(2)),
        (soon.number, "r-1", Decimal(2)),
    ]
    soon.lose(1, "r-1", Decimal(2))
    [line] = soon.lines
    assert (line.reserved, line.backordered, line.asking, line.shorted) == (
        Decimal(3),
        Decimal(2),
        Decimal(2),
        Decimal(2),
    )


def test_a_customer_sends_back_at_most_what_was_shipped_of_a_lot_it_shipped() -> None:
    order = confirmed(1, "5", "5")
    order.pick(1, "A-01", "L1", Decimal(4), "pia", NOW)
    order.ship(order.issues(), ["m-1"], "sam", NOW)

    assert order.take_back(1, Decimal(3), "L1").returned == Decimal(3)
    with pytest.raises(DomainError) as beyond:
        order.take_back(1, Decimal(2), "L1")
    assert (beyond.value.code, beyond.value.field) == (ErrorCode.OUT_OF_RANGE, "quantity")
    with pytest.raises(DomainError) as other_lot:
        order.take_back(1, Decimal(1), "L9")
    assert (other_lot.value.code, other_lot.value.field) == (ErrorCode.NOT_FOUND, "lot")


def test_an_order_no_longer_open_has_nothing_to_pick() -> None:
    order = confirmed(1, "10", "10")
    order.cancel("", "ana", NOW)

    assert pick_list(order, {"BOLT": [Shelf("A-01", "", Decimal(20))]}, set()) == []
