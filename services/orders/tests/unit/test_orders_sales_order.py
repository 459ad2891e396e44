"""A sales order's own rules: what it takes, what confirming and cancelling do to it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from orders.domain.partners import Customer, Supplier, SupplierItem
from orders.domain.sales import (
    Cancelled,
    Confirmed,
    Grant,
    OrderLine,
    PromisePolicy,
    SalesOrder,
    SalesOrderState,
    order_number,
)

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def line(n: int, base: str) -> OrderLine:
    return OrderLine(n, f"ITEM-{n}", Decimal(base), "EA", Decimal(base), "EA", "MAIN", None)


def draft(*bases: str) -> SalesOrder:
    return SalesOrder.create(
        id="o-1",
        number=order_number(7),
        customer="CITY",
        customer_reference=" PO 4711 ",
        policy=PromisePolicy.PARTIAL,
        lines=[line(n, b) for n, b in enumerate(bases, 1)],
        actor="ana",
        now=NOW,
    )


def test_a_new_order_is_a_numbered_draft_with_its_creator() -> None:
    order = draft("5")
    assert (order.number, order.state, order.customer_reference) == ("SO-000007", SalesOrderState.DRAFT, "PO 4711")
    assert [(t.state, t.actor, t.at) for t in order.transitions] == [(SalesOrderState.DRAFT, "ana", NOW)]


def test_an_order_needs_lines_and_at_most_a_hundred() -> None:
    with pytest.raises(DomainError) as empty:
        draft()
    assert (empty.value.code, empty.value.field) == (ErrorCode.REQUIRED, "lines")
    with pytest.raises(DomainError) as many:
        draft(*["1"] * 101)
    assert (many.value.code, many.value.field) == (ErrorCode.OUT_OF_RANGE, "lines")


def test_confirming_books_each_grant_and_backorders_the_rest() -> None:
    order = draft("5", "3")
    order.confirm([Grant("r-1", Decimal(5)), Grant("r-2", Decimal("1.5"))], "ben", NOW)

    assert order.state is SalesOrderState.CONFIRMED
    assert [(li.reserved, li.backordered, li.reservation_id) for li in order.lines] == [
        (Decimal(5), Decimal(0), "r-1"),
        (Decimal("1.5"), Decimal("1.5"), "r-2"),
    ]
    assert order.transitions[-1].actor == "ben"
    assert order.events == [Confirmed(order)]


def test_only_a_draft_is_confirmed() -> None:
    order = draft("5")
    order.confirm([Grant("r-1", Decimal(5))], "ben", NOW)
    with pytest.raises(DomainError) as again:
        order.confirm([Grant("r-1", Decimal(5))], "ben", NOW)
    assert (again.value.code, again.value.field) == (ErrorCode.INVALID_STATE, "number")


def test_cancelling_names_the_lines_still_holding_stock_once() -> None:
    order = draft("5", "3")
    order.confirm([Grant("r-1", Decimal(5)), Grant("r-2", Decimal(0))], "ben", NOW)

    held = order.cancel(" changed ", "ana", NOW)

    assert [li.line for li in held] == [1]
    assert (order.state, order.transitions[-1].reason) == (SalesOrderState.CANCELLED, "changed")
    assert order.events[-1] == Cancelled(order, "changed")
    with pytest.raises(DomainError) as twice:
        order.cancel("", "ana", NOW)
    assert twice.value.code is ErrorCode.INVALID_STATE


def test_a_released_line_shows_what_stock_still_holds() -> None:
    order = draft("5")
    order.confirm([Grant("r-1", Decimal(5))], "ben", NOW)
    order.released(1, "r-1", Decimal(0))
    assert order.lines[0].reserved == 0


def test_partners_have_codes_and_names_and_a_supplier_lists_an_item_once() -> None:
    assert Customer.create("c", " city-cycles ", " City Cycles ", NOW).code == "CITY-CYCLES"
    with pytest.raises(DomainError) as bad:
        Customer.create("c", "9LIVES", "Nine", NOW)
    assert (bad.value.code, bad.value.field) == (ErrorCode.INVALID_FORMAT, "code")
    with pytest.raises(DomainError) as nameless:
        Customer.create("c", "CITY", "  ", NOW)
    assert (nameless.value.code, nameless.value.field) == (ErrorCode.REQUIRED, "name")
    twice = [SupplierItem("BOLT", None, 3), SupplierItem("BOLT", Decimal(10), 5)]
    with pytest.raises(DomainError) as listed:
        Supplier.create("s", "ALU", "Alu", twice, NOW)
    assert (listed.value.code, listed.value.field) == (ErrorCode.ALREADY_EXISTS, "items[1].item_sku")
    with pytest.raises(DomainError) as late:
        Supplier.create("s", "ALU", "Alu", [SupplierItem("BOLT", None, 400)], NOW)
    assert late.value.field == "items[0].lead_time_days"
