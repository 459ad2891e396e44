"""Purchase orders against the real catalog and stock over gRPC: what a receipt posts to
stock, what it refuses, what is on order, and what quality's decisions book on a line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from orders_support import WAREHOUSE, Suite, d, key, warehouse
from purchasing_support import (
    DECIDED,
    availability,
    bought_item,
    decision,
    envelope,
    found,
    on_order,
    po_line,
    publish,
    receipt,
    receive,
    refusal,
    sent_order,
    supplier,
)

from invariant.orders.v1 import orders_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

EXPIRY = date(2031, 5, 31)


async def test_a_purchase_order_is_sent_received_in_parts_and_closed(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite)
    vendor = await supplier(suite, [(sku, None, 7)])
    draft = await suite.orders.CreatePurchaseOrder(
        pb.CreatePurchaseOrderRequest(
            idempotency_key=key(), supplier=vendor.lower(), lines=[po_line(sku, 2, "box", unit_price=d("3.75"))]
        )
    )
    assert (draft.number[:3], draft.state, draft.supplier) == ("PO-", pb.PURCHASE_ORDER_STATE_DRAFT, vendor)
    [line] = draft.lines
    assert (line.quantity.value, line.unit, line.base_quantity.value, line.unit_price.value) == (
        "2",
        "BOX",
        "24",
        "3.75",
    )
    assert await on_order(suite, sku) == 0, "a draft is not on order"

    sent = await suite.orders.SendPurchaseOrder(pb.SendPurchaseOrderRequest(idempotency_key=key(), number=draft.number))
    assert sent.state == pb.PURCHASE_ORDER_STATE_SENT
    assert await on_order(suite, sku) == 24

    part = await receive(suite, draft.number, receipt(1, 10))
    assert part.state == pb.PURCHASE_ORDER_STATE_PARTLY_RECEIVED
    assert part.lines[0].received.value == "10"
    [posted] = part.receipts
    assert (posted.status, posted.location, posted.actor) == ("AVAILABLE", "A-01", "desk")
    movement = (await suite.stock.GetMovements(spb.GetMovementsRequest(ids=[posted.movement_id]))).movements[0]
    assert (movement.document.type, movement.document.id, movement.document.line) == (
        "PURCHASE_ORDER",
        draft.number,
        "1",
    )
    assert Decimal((await availability(suite, sku)).available_to_promise.value) == 10
    assert await on_order(suite, sku) == 14

    rest = await receive(suite, draft.number, receipt(1, 14))
    assert rest.state == pb.PURCHASE_ORDER_STATE_RECEIVED
    assert await on_order(suite, sku) == 0

    closed = await suite.orders.ClosePurchaseOrder(
        pb.ClosePurchaseOrderRequest(idempotency_key=key(), number=draft.number, reason="complete")
    )
    assert [(t.state, t.actor) for t in closed.transitions] == [
        (pb.PURCHASE_ORDER_STATE_DRAFT, "desk"),
        (pb.PURCHASE_ORDER_STATE_SENT, "desk"),
        (pb.PURCHASE_ORDER_STATE_PARTLY_RECEIVED, "desk"),
        (pb.PURCHASE_ORDER_STATE_RECEIVED, "desk"),
        (pb.PURCHASE_ORDER_STATE_CLOSED, "desk"),
    ]
    late = await refusal(receive(suite, draft.number, receipt(1, 1)))
    assert (late.code, late.field) == (ErrorCode.INVALID_STATE, "number")


async def test_goods_of_an_item_inspected_on_receipt_are_held_for_quality_not_available(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite, inspected=True, lot_tracked=True)
    order = await sent_order(suite, await supplier(suite), po_line(sku, 20))

    no_lot = await refusal(receive(suite, order.number, receipt(1, 20, expiry=EXPIRY)))
    assert (no_lot.code, no_lot.field) == (ErrorCode.REQUIRED, "lines[0].lot")
    no_expiry = await refusal(receive(suite, order.number, receipt(1, 20, lot="L-1")))
    assert (no_expiry.code, no_expiry.field) == (ErrorCode.REQUIRED, "lines[0].expiry_date")

    bad_lot = await refusal(
        receive(suite, order.number, receipt(1, 10, lot="L-1", expiry=EXPIRY), receipt(1, 10, lot="L 2", expiry=EXPIRY))
    )
    assert (bad_lot.code, bad_lot.field) == (ErrorCode.INVALID_FORMAT, "lines[1].lot")
    assert (await availability(suite, sku)).qc_hold.value in ("", "0"), "nothing of a refused receipt is posted"

    received = await receive(suite, order.number, receipt(1, 20, lot="L-1", expiry=EXPIRY))

    assert (received.receipts[0].status, received.receipts[0].lot) == ("QC_HOLD", "L-1")
    held = await availability(suite, sku)
    assert (held.qc_hold.value, held.available_to_promise.value or "0") == ("20", "0")
    balances = await suite.stock.ListBalances(spb.ListBalancesRequest(item_sku=sku, warehouse=WAREHOUSE))
    assert [(b.place.lot, b.place.status, b.quantity.value) for b in balances.balances] == [
        ("L-1", spb.STOCK_STATUS_QC_HOLD, "20")
    ]


async def test_a_receipt_tells_stock_its_supplier_and_the_suppliers_lot_number(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite, inspected=True, lot_tracked=True)
    vendor = await supplier(suite)
    order = await sent_order(suite, vendor, po_line(sku, 20))
    line = receipt(1, 20, lot="L-1", expiry=EXPIRY)
    line.supplier_lot = "ACME-7781"

    received = await receive(suite, order.number, line)

    found = await suite.stock.GetMovements(spb.GetMovementsRequest(ids=[received.receipts[0].movement_id]))
    [posted] = found.movements
    assert (posted.supplier, posted.supplier_lot, posted.to.lot) == (vendor, "ACME-7781", "L-1")


async def test_a_retried_receipt_posts_once(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite)
    order = await sent_order(suite, await supplier(suite), po_line(sku, 10))
    same = key()

    first = await receive(suite, order.number, receipt(1, 4), idempotency_key=same)
    again = await receive(suite, order.number, receipt(1, 4), idempotency_key=same)

    assert again == first
    assert (await found(suite, order.number)).lines[0].received.value == "4"
    assert Decimal((await availability(suite, sku)).available_on_hand.value) == 4


async def test_a_receipt_beyond_the_tolerance_is_refused_naming_the_line_and_nothing_is_posted(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite)
    order = await sent_order(
        suite, await supplier(suite), po_line(sku, 5), po_line(sku, 10, over_receipt_tolerance_percent=d(10))
    )

    beyond = await refusal(receive(suite, order.number, receipt(1, 2), receipt(2, 6), receipt(2, 6)))
    assert (beyond.code, beyond.field) == (ErrorCode.OUT_OF_RANGE, "lines[2].quantity")
    assert "line 2" in beyond.message
    exact = await refusal(receive(suite, order.number, receipt(1, "5.5")))
    assert (exact.code, exact.field) == (ErrorCode.OUT_OF_RANGE, "lines[0].quantity"), "no tolerance by default"
    assert (await availability(suite, sku)).available_on_hand.value in ("", "0")

    within = await receive(suite, order.number, receipt(1, 5), receipt(2, 11))
    assert within.state == pb.PURCHASE_ORDER_STATE_RECEIVED
    assert [line.received.value for line in within.lines] == ["5", "11"]


async def test_wrong_transitions_are_refused(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite)
    vendor = await supplier(suite)
    draft = await suite.orders.CreatePurchaseOrder(
        pb.CreatePurchaseOrderRequest(idempotency_key=key(), supplier=vendor, lines=[po_line(sku, 3)])
    )
    assert (await refusal(receive(suite, draft.number, receipt(1, 1)))).code is ErrorCode.INVALID_STATE
    close = pb.ClosePurchaseOrderRequest(idempotency_key=key(), number=draft.number)
    assert (await refusal(suite.orders.ClosePurchaseOrder(close))).code is ErrorCode.INVALID_STATE
    cancelled = await suite.orders.CancelPurchaseOrder(
        pb.CancelPurchaseOrderRequest(idempotency_key=key(), number=draft.number, reason="wrong supplier")
    )
    assert (cancelled.state, cancelled.transitions[-1].reason) == (pb.PURCHASE_ORDER_STATE_CANCELLED, "wrong supplier")
    send = pb.SendPurchaseOrderRequest(idempotency_key=key(), number=draft.number)
    assert (await refusal(suite.orders.SendPurchaseOrder(send))).code is ErrorCode.INVALID_STATE

    received = await sent_order(suite, vendor, po_line(sku, 3))
    await receive(suite, received.number, receipt(1, 1))
    cancel = pb.CancelPurchaseOrderRequest(idempotency_key=key(), number=received.number)
    assert (await refusal(suite.orders.CancelPurchaseOrder(cancel))).code is ErrorCode.INVALID_STATE
    unknown = await refusal(receive(suite, "PO-999999", receipt(1, 1)))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "number")
    no_line = await refusal(receive(suite, received.number, receipt(7, 1)))
    assert (no_line.code, no_line.field) == (ErrorCode.NOT_FOUND, "lines[0].line")
    nowhere = await refusal(receive(suite, received.number, receipt(1, 1, location="Z-99")))
    assert (nowhere.code, nowhere.field) == (ErrorCode.NOT_FOUND, "lines[0].location")


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("quantity", d(0), ErrorCode.OUT_OF_RANGE),
        ("quantity", d("-0.5"), ErrorCode.OUT_OF_RANGE),
        ("quantity", d("0.00000001"), ErrorCode.TOO_PRECISE),
        ("item_sku", "NO-SUCH-ITEM", ErrorCode.NOT_FOUND),
        ("warehouse", "ELSEWHERE", ErrorCode.NOT_FOUND),
        ("unit", "PALLET", ErrorCode.NOT_FOUND),
        ("unit_price", d("1.00001"), ErrorCode.TOO_PRECISE),
        ("unit_price", d(-1), ErrorCode.OUT_OF_RANGE),
        ("over_receipt_tolerance_percent", d(-5), ErrorCode.OUT_OF_RANGE),
        ("over_receipt_tolerance_percent", d(500), ErrorCode.OUT_OF_RANGE),
    ],
)
async def test_a_bad_purchase_line_is_refused_naming_its_field_and_nothing_is_written(
    suite: Suite, name: str, value: object, code: ErrorCode
) -> None:
    await warehouse(suite)
    given = po_line(await bought_item(suite), 1)
    if isinstance(value, str):
        setattr(given, name, value)
    else:
        getattr(given, name).CopyFrom(value)
    request = pb.CreatePurchaseOrderRequest(idempotency_key=key(), supplier=await supplier(suite), lines=[given])

    error = await refusal(suite.orders.CreatePurchaseOrder(request))

    assert (error.code, error.field) == (code, f"lines[0].{name}")
    assert not (await suite.orders.ListPurchaseOrders(pb.ListPurchaseOrdersRequest())).orders


async def test_an_unknown_supplier_is_refused(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite)
    error = await refusal(
        suite.orders.CreatePurchaseOrder(
            pb.CreatePurchaseOrderRequest(idempotency_key=key(), supplier="NOBODY", lines=[po_line(sku, 1)])
        )
    )
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "supplier")


async def test_quality_decisions_are_booked_on_the_purchase_order_line_once_each(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite, inspected=True)
    order = await sent_order(suite, await supplier(suite), po_line(sku, 10), po_line(sku, 5))
    await receive(suite, order.number, receipt(1, 10), receipt(2, 5))
    first = envelope(DECIDED, decision(order.number, 1, 8, 2, sku, decision_id="D-1"), "quality")
    # The same decision twice more: redelivered as is, and republished in another envelope.
    republished = envelope(DECIDED, decision(order.number, 1, 8, 2, sku, decision_id="D-1"), "quality")
    await publish(suite, first, first, republished, deduplicated=False)
    # A later decision on the other line: once it is booked, the earlier ones were handled.
    await publish(suite, envelope(DECIDED, decision(order.number, 2, 5, 0, sku), "quality"))

    async def second_booked() -> bool:
        return (await found(suite, order.number)).lines[1].accepted.value == "5"

    await eventually(second_booked, "the second line's decision booked")
    lines = (await found(suite, order.number)).lines
    assert [(line.accepted.value, line.rejected.value) for line in lines] == [("8", "2"), ("5", "0")]

    # Stock moved the goods once per decision too (WH1 has no quarantine: the rejected stay).
    async def stock_moved() -> bool:
        held = await availability(suite, sku)
        return (held.available_on_hand.value, held.qc_hold.value, held.rejected.value) == ("13", "0", "2")

    await eventually(stock_moved, "stock's QC_HOLD released by the decisions")


async def test_a_page_of_purchase_orders_is_listed_by_supplier_and_state(suite: Suite) -> None:
    await warehouse(suite)
    sku = await bought_item(suite)
    vendor = await supplier(suite)
    numbers = [(await sent_order(suite, vendor, po_line(sku, 1))).number for _ in range(3)]
    first = await suite.orders.ListPurchaseOrders(
        pb.ListPurchaseOrdersRequest(supplier=vendor, state=pb.PURCHASE_ORDER_STATE_SENT, page_size=2)
    )
    rest = await suite.orders.ListPurchaseOrders(
        pb.ListPurchaseOrdersRequest(
            supplier=vendor, state=pb.PURCHASE_ORDER_STATE_SENT, page_size=2, page_token=first.next_page_token
        )
    )
    assert [o.number for o in [*first.orders, *rest.orders]] == numbers
    drafts = await suite.orders.ListPurchaseOrders(pb.ListPurchaseOrdersRequest(state=pb.PURCHASE_ORDER_STATE_DRAFT))
    assert not drafts.orders
