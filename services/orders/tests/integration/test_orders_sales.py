"""Sales orders against the real catalog and stock over gRPC: what a confirmation promises,
what it refuses, and what a cancellation gives back."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import pytest
from orders_support import WAREHOUSE, Suite, available, customer, d, key, order, refused, stocked_item, warehouse

from invariant.orders.v1 import orders_pb2 as pb
from invariant_core import rpc
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode


async def confirm(suite: Suite, number: str, idempotency_key: str = "") -> pb.SalesOrder:
    return await suite.orders.ConfirmSalesOrder(
        pb.ConfirmSalesOrderRequest(idempotency_key=idempotency_key or key(), number=number)
    )


async def test_a_confirmed_order_holds_its_lines_in_stock_in_the_base_unit(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 30)
    buyer = await customer(suite)
    draft = await order(suite, buyer, [(sku, 2)], unit="box")
    assert draft.state == pb.SALES_ORDER_STATE_DRAFT
    assert draft.number.startswith("SO-")
    [line] = draft.lines
    assert (line.quantity.value, line.unit, line.base_quantity.value, line.base_unit) == ("2", "BOX", "24", "EA")

    confirmed = await confirm(suite, draft.number)

    assert confirmed.state == pb.SALES_ORDER_STATE_CONFIRMED
    [line] = confirmed.lines
    assert (line.reserved.value, line.backordered.value) == ("24", "0")
    assert line.reservation_id
    assert [(t.state, t.actor) for t in confirmed.transitions] == [
        (pb.SALES_ORDER_STATE_DRAFT, "desk"),
        (pb.SALES_ORDER_STATE_CONFIRMED, "desk"),
    ]
    assert await available(suite, sku) == Decimal(6)


async def test_two_orders_for_the_last_units_at_once_get_exactly_what_exists(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 12)
    buyer = await customer(suite)
    first, second = [await order(suite, buyer, [(sku, 10)]) for _ in range(2)]

    outcomes = await asyncio.gather(confirm(suite, first.number), confirm(suite, second.number), return_exceptions=True)

    [won] = [o for o in outcomes if isinstance(o, pb.SalesOrder)]
    [lost] = [rpc.from_rpc_error(o) for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert won.state == pb.SALES_ORDER_STATE_CONFIRMED
    assert lost.code is ErrorCode.INSUFFICIENT_STOCK
    assert lost.field == "lines[0].quantity"
    assert "asked 10, available 2" in lost.message
    loser = first if won.number == second.number else second
    [still] = (await suite.orders.GetSalesOrders(pb.GetSalesOrdersRequest(numbers=[loser.number]))).orders
    assert still.state == pb.SALES_ORDER_STATE_DRAFT
    assert await available(suite, sku) == Decimal(2)


async def test_under_the_partial_policy_the_shortfall_is_backordered(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 12)
    buyer = await customer(suite)
    orders = [await order(suite, buyer, [(sku, 10)], policy=pb.PROMISE_POLICY_PARTIAL) for _ in range(2)]

    confirmed = await asyncio.gather(*(confirm(suite, o.number) for o in orders))

    lines = [o.lines[0] for o in confirmed]
    assert sum(Decimal(line.reserved.value) for line in lines) == 12
    assert sorted((line.reserved.value, line.backordered.value) for line in lines) == [("10", "0"), ("2", "8")]
    assert await available(suite, sku) == 0


async def test_a_retried_confirmation_is_answered_once_and_a_second_one_is_refused(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 10)
    draft = await order(suite, await customer(suite), [(sku, 4)])
    same = key()

    first = await confirm(suite, draft.number, same)
    again = await confirm(suite, draft.number, same)
    other = await refused(confirm(suite, draft.number))

    assert again == first
    assert other.code is ErrorCode.INVALID_STATE
    assert await available(suite, sku) == Decimal(6)


async def test_a_cancelled_order_gives_back_what_it_held(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 10)
    confirmed = await confirm(suite, (await order(suite, await customer(suite), [(sku, 4)])).number)
    assert await available(suite, sku) == Decimal(6)

    cancelled = await suite.orders.CancelSalesOrder(
        pb.CancelSalesOrderRequest(idempotency_key=key(), number=confirmed.number, reason="customer changed mind")
    )

    assert cancelled.state == pb.SALES_ORDER_STATE_CANCELLED
    assert cancelled.transitions[-1].reason == "customer changed mind"

    async def given_back() -> bool:
        return await available(suite, sku) == 10

    await eventually(given_back, "the cancelled order's reservation released")

    async def line_released() -> bool:
        found = await suite.orders.GetSalesOrders(pb.GetSalesOrdersRequest(numbers=[confirmed.number]))
        return found.orders[0].lines[0].reserved.value == "0"

    await eventually(line_released, "the order line shows nothing reserved")
    again = await refused(
        suite.orders.CancelSalesOrder(pb.CancelSalesOrderRequest(idempotency_key=key(), number=confirmed.number))
    )
    assert again.code is ErrorCode.INVALID_STATE
    assert (await refused(confirm(suite, confirmed.number))).code is ErrorCode.INVALID_STATE


async def test_an_item_is_named_by_its_barcode_and_read_through_before_its_event_arrives(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 5, barcode="ORD-4711")
    draft = await suite.orders.CreateSalesOrder(
        pb.CreateSalesOrderRequest(
            idempotency_key=key(),
            customer=await customer(suite),
            lines=[pb.SalesOrderLineInput(barcode="ORD-4711", quantity=d(1), warehouse=WAREHOUSE.lower())],
        )
    )
    assert (draft.lines[0].item_sku, draft.lines[0].warehouse) == (sku, WAREHOUSE)


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ({"quantity": d(0)}, "lines[0].quantity", ErrorCode.OUT_OF_RANGE),
        ({"quantity": d(-2)}, "lines[0].quantity", ErrorCode.OUT_OF_RANGE),
        ({"quantity": d("0.0000001")}, "lines[0].quantity", ErrorCode.TOO_PRECISE),
        ({"item_sku": "NOPE-1"}, "lines[0].item_sku", ErrorCode.NOT_FOUND),
        ({"warehouse": "NOWHERE"}, "lines[0].warehouse", ErrorCode.NOT_FOUND),
        ({"unit": "CRATE"}, "lines[0].unit", ErrorCode.NOT_FOUND),
        ({"barcode": "ANY"}, "lines[0]", ErrorCode.MUTUALLY_EXCLUSIVE),
        ({"item_sku": ""}, "lines[0].item_sku", ErrorCode.REQUIRED),
    ],
)
async def test_a_bad_line_is_refused_naming_its_field_and_nothing_is_written(
    suite: Suite, line: dict[str, object], field: str, code: ErrorCode
) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 5)
    given = {"item_sku": sku, "quantity": d(1), "warehouse": WAREHOUSE} | line
    error = await refused(
        suite.orders.CreateSalesOrder(
            pb.CreateSalesOrderRequest(
                idempotency_key=key(), customer=await customer(suite), lines=[pb.SalesOrderLineInput(**given)]
            )
        )
    )
    assert (error.code, error.field) == (code, field)
    assert not (await suite.orders.ListSalesOrders(pb.ListSalesOrdersRequest())).orders


async def test_orders_of_unknown_customers_and_unknown_orders_are_refused(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 5)
    unknown = await refused(order(suite, "NOBODY", [(sku, 1)]))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "customer")
    missing = await refused(confirm(suite, "SO-999999"))
    assert (missing.code, missing.field) == (ErrorCode.NOT_FOUND, "number")


async def test_partners_are_listed_by_code_and_a_taken_code_is_refused(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 0)
    supplier = await suite.orders.CreateSupplier(
        pb.CreateSupplierRequest(
            idempotency_key=key(),
            code="alu-works",
            name="Alu Works",
            items=[pb.SupplierItem(item_sku=sku.lower(), pack_size=d(2), lead_time_days=14)],
        )
    )
    assert (supplier.code, supplier.items[0].item_sku, supplier.items[0].pack_size.value) == ("ALU-WORKS", sku, "2")
    taken = await refused(
        suite.orders.CreateSupplier(pb.CreateSupplierRequest(idempotency_key=key(), code="ALU-WORKS", name="Other"))
    )
    assert (taken.code, taken.field) == (ErrorCode.ALREADY_EXISTS, "code")
    codes = [await customer(suite) for _ in range(3)]
    first = await suite.orders.ListCustomers(pb.ListCustomersRequest(page_size=2))
    rest = await suite.orders.ListCustomers(pb.ListCustomersRequest(page_size=2, page_token=first.next_page_token))
    assert [c.code for c in [*first.customers, *rest.customers]] == sorted(codes)
