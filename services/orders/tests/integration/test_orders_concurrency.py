"""Many salespeople confirming orders for the last units at once: between them they are
promised exactly what exists, never more, and stock's book stays true."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
from orders_support import WAREHOUSE, Suite, customer, key, order, stocked_item, warehouse

from invariant.orders.v1 import orders_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import rpc
from invariant_kernel.errors import DomainError, ErrorCode

ON_HAND = 30
# 50 orders asking 60 in all: more one-unit orders than units, so the last unit always goes.
QUANTITIES = [2 if n % 5 == 0 else 1 for n in range(50)]


async def race(suite: Suite, policy: int) -> list[tuple[pb.SalesOrder, pb.SalesOrder | DomainError]]:
    """An item with the last units on hand, and an order per quantity confirmed all at once:
    each order as drafted, with what its confirmation answered."""
    await warehouse(suite)
    sku = await stocked_item(suite, ON_HAND)
    buyer = await customer(suite)
    drafts = [await order(suite, buyer, [(sku, quantity)], policy=policy) for quantity in QUANTITIES]

    async def confirm(draft: pb.SalesOrder) -> pb.SalesOrder | DomainError:
        try:
            confirmed: pb.SalesOrder = await suite.orders.ConfirmSalesOrder(
                pb.ConfirmSalesOrderRequest(idempotency_key=key(), number=draft.number)
            )
            return confirmed
        except grpc.aio.AioRpcError as error:
            return rpc.from_rpc_error(error)

    return list(zip(drafts, await asyncio.gather(*(confirm(d) for d in drafts)), strict=True))


async def assert_stock_holds_what_was_promised(suite: Suite, sku: str, promised: Decimal) -> None:
    """Stock reserves exactly what the orders say they hold, every unit on hand, and no
    balance or bucket drifted from the ledger."""
    found = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
    assert (Decimal(found.available_on_hand.value), Decimal(found.reserved.value)) == (Decimal(ON_HAND), promised)
    assert Decimal(found.available_to_promise.value or "0") == 0
    report = await suite.stock.CheckIntegrity(spb.CheckIntegrityRequest())
    assert list(report.drifts) == []


def reserved(order: pb.SalesOrder) -> Decimal:
    return sum((Decimal(line.reserved.value) for line in order.lines), Decimal(0))


async def test_fifty_orders_all_or_nothing_for_the_last_thirty_units_are_promised_exactly_thirty(suite: Suite) -> None:
    outcomes = await race(suite, pb.PROMISE_POLICY_ALL_OR_NOTHING)

    confirmed = [(draft, o) for draft, o in outcomes if isinstance(o, pb.SalesOrder)]
    refused = [(draft, o) for draft, o in outcomes if isinstance(o, DomainError)]
    for draft, placed in confirmed:
        [line] = placed.lines
        assert placed.state == pb.SALES_ORDER_STATE_CONFIRMED
        # All of it or nothing: never part of a line, never more than it asked.
        assert (line.reserved.value, line.backordered.value) == (draft.lines[0].quantity.value, "0")
        assert line.reservation_id
    assert len({placed.lines[0].reservation_id for _, placed in confirmed}) == len(confirmed)
    assert sum(reserved(placed) for _, placed in confirmed) == ON_HAND
    assert refused, "60 units were asked of 30"
    for _, error in refused:
        assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "lines[0].quantity")
    numbers = [draft.number for draft, _ in refused]
    still = (await suite.orders.GetSalesOrders(pb.GetSalesOrdersRequest(numbers=numbers))).orders
    assert {o.state for o in still} == {pb.SALES_ORDER_STATE_DRAFT}
    assert sum(reserved(o) for o in still) == 0
    await assert_stock_holds_what_was_promised(suite, outcomes[0][0].lines[0].item_sku, Decimal(ON_HAND))


async def test_fifty_orders_under_the_partial_policy_share_the_last_thirty_units_and_backorder_the_rest(
    suite: Suite,
) -> None:
    outcomes = await race(suite, pb.PROMISE_POLICY_PARTIAL)

    assert [o for _, o in outcomes if isinstance(o, DomainError)] == []
    for draft, placed in outcomes:
        assert isinstance(placed, pb.SalesOrder)
        [line] = placed.lines
        asked = Decimal(draft.lines[0].quantity.value)
        held, short = Decimal(line.reserved.value), Decimal(line.backordered.value)
        # What is not promised is backordered: never more than asked, never less.
        assert 0 <= held <= asked
        assert held + short == asked
    placed_orders = [placed for _, placed in outcomes if isinstance(placed, pb.SalesOrder)]
    assert sum(reserved(placed) for placed in placed_orders) == ON_HAND
    assert sum(Decimal(placed.lines[0].backordered.value) for placed in placed_orders) == sum(QUANTITIES) - ON_HAND
    await assert_stock_holds_what_was_promised(suite, outcomes[0][0].lines[0].item_sku, Decimal(ON_HAND))
