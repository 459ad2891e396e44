"""Purchase suggestions drafted from stock's safety-stock crossings (published as stock's
outbox publishes them), with the place's figures asked of the real stock and catalog, and
worked by a buyer into a purchase order or dismissed."""

from __future__ import annotations

from decimal import Decimal

from orders_support import WAREHOUSE, Suite, key, stocked_item, warehouse
from purchasing_support import (
    CROSSED,
    crossing,
    envelope,
    po_line,
    publish,
    refusal,
    sent_order,
    supplier,
    thresholds,
)

from invariant.orders.v1 import orders_pb2 as pb
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode


async def suggestions(suite: Suite, sku: str) -> list[pb.PurchaseSuggestion]:
    listed = await suite.orders.ListPurchaseSuggestions(pb.ListPurchaseSuggestionsRequest(warehouse=WAREHOUSE))
    return [s for s in listed.suggestions if s.item_sku == sku]


async def drafted(suite: Suite, sku: str) -> pb.PurchaseSuggestion:
    async def one() -> bool:
        return bool(await suggestions(suite, sku))

    await eventually(one, f"a suggestion for {sku}")
    [suggestion] = await suggestions(suite, sku)
    return suggestion


async def test_a_crossing_drafts_one_suggestion_netting_what_is_on_order_in_whole_packs(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 3)
    await thresholds(suite, sku, safety=10, maximum=42)
    slow = await supplier(suite, [(sku, 1, 30)])
    quick = await supplier(suite, [(sku, 5, 7)])
    await sent_order(suite, slow, po_line(sku, 7))
    fact = key()
    first = envelope(CROSSED, crossing(sku, 3, fact_id=fact), "stock")

    # Delivered twice as is, and once more republished in another envelope.
    await publish(suite, first, first, envelope(CROSSED, crossing(sku, 3, fact_id=fact), "stock"), deduplicated=False)
    suggestion = await drafted(suite, sku)
    # Another crossing of the same place while the suggestion is open adds none.
    await publish(suite, envelope(CROSSED, crossing(sku, 3), "stock"))
    other = await stocked_item(suite, 0)
    await thresholds(suite, other, safety=1, maximum=2)
    await publish(suite, envelope(CROSSED, crossing(other, 0, level=1), "stock"))
    await drafted(suite, other)

    assert len(await suggestions(suite, sku)) == 1
    by_id = pb.GetPurchaseSuggestionsRequest(ids=[suggestion.id, key()])
    assert list((await suite.orders.GetPurchaseSuggestions(by_id)).suggestions) == [suggestion]
    # 42 - (3 available + 7 on order) = 32, in packs of 5 of the quicker supplier.
    assert (suggestion.quantity.value, suggestion.supplier, suggestion.pack_size.value) == ("35", quick, "5")
    assert (suggestion.available_to_promise.value, suggestion.on_order.value) == ("3", "7")
    assert (suggestion.safety_stock.value, suggestion.max_stock.value) == ("10", "42")
    assert suggestion.state == pb.PURCHASE_SUGGESTION_STATE_OPEN

    order = await suite.orders.ConvertSuggestions(
        pb.ConvertSuggestionsRequest(idempotency_key=key(), suggestion_ids=[suggestion.id])
    )
    assert (order.state, order.supplier) == (pb.PURCHASE_ORDER_STATE_DRAFT, quick)
    assert [(line.item_sku, line.base_quantity.value, line.warehouse) for line in order.lines] == [
        (sku, "35", WAREHOUSE)
    ]
    [converted] = await suggestions(suite, sku)
    assert (converted.state, converted.purchase_order, converted.decided_by) == (
        pb.PURCHASE_SUGGESTION_STATE_CONVERTED,
        order.number,
        "desk",
    )
    again = await refusal(
        suite.orders.ConvertSuggestions(
            pb.ConvertSuggestionsRequest(idempotency_key=key(), suggestion_ids=[converted.id])
        )
    )
    assert (again.code, again.field) == (ErrorCode.INVALID_STATE, "suggestion_ids[0]")


async def test_a_place_back_above_safety_stock_when_the_crossing_is_handled_gets_no_suggestion(suite: Suite) -> None:
    await warehouse(suite)
    recovered = await stocked_item(suite, 20)
    await thresholds(suite, recovered, safety=10, maximum=40)
    covered = await stocked_item(suite, 2)
    await thresholds(suite, covered, safety=10, maximum=40)
    await sent_order(suite, await supplier(suite), po_line(covered, 38))
    # The crossing says 3, but stock holds 20 by the time it is handled.
    await publish(suite, envelope(CROSSED, crossing(recovered, 3), "stock"))
    await publish(suite, envelope(CROSSED, crossing(covered, 2), "stock"))
    marker = await stocked_item(suite, 0)
    await thresholds(suite, marker, safety=1, maximum=1)
    await publish(suite, envelope(CROSSED, crossing(marker, 0, level=1), "stock"))

    assert (await drafted(suite, marker)).quantity.value == "1"
    assert not await suggestions(suite, recovered)
    assert not await suggestions(suite, covered), "what is on order brings it up to max stock"


async def test_suggestions_of_one_supplier_become_one_order_and_a_dismissal_needs_a_reason(suite: Suite) -> None:
    await warehouse(suite)
    skus = [await stocked_item(suite, 0) for _ in range(3)]
    vendor = await supplier(suite, [(skus[0], None, 3), (skus[1], None, 3)])
    other = await supplier(suite, [(skus[2], None, 3)])
    for sku in skus:
        await thresholds(suite, sku, safety=5, maximum=12)
    await publish(suite, *(envelope(CROSSED, crossing(sku, 0, level=5), "stock") for sku in skus))
    first, second, third = [await drafted(suite, sku) for sku in skus]

    mixed = await refusal(
        suite.orders.ConvertSuggestions(
            pb.ConvertSuggestionsRequest(idempotency_key=key(), suggestion_ids=[first.id, third.id])
        )
    )
    assert (mixed.code, mixed.field) == (ErrorCode.INVALID_STATE, "suggestion_ids[1]")
    order = await suite.orders.ConvertSuggestions(
        pb.ConvertSuggestionsRequest(idempotency_key=key(), suggestion_ids=[first.id, second.id])
    )
    assert order.supplier == vendor
    assert [(line.line, line.item_sku, line.quantity.value) for line in order.lines] == [
        (1, skus[0], "12"),
        (2, skus[1], "12"),
    ]
    assert all(line.HasField("expected_date") for line in order.lines)

    silent = await refusal(
        suite.orders.DismissSuggestion(pb.DismissSuggestionRequest(idempotency_key=key(), id=third.id))
    )
    assert (silent.code, silent.field) == (ErrorCode.REQUIRED, "reason")
    dismissed = await suite.orders.DismissSuggestion(
        pb.DismissSuggestionRequest(idempotency_key=key(), id=third.id, reason="item discontinued")
    )
    assert (dismissed.state, dismissed.reason, dismissed.supplier) == (
        pb.PURCHASE_SUGGESTION_STATE_DISMISSED,
        "item discontinued",
        other,
    )
    open_ones = await suite.orders.ListPurchaseSuggestions(
        pb.ListPurchaseSuggestionsRequest(state=pb.PURCHASE_SUGGESTION_STATE_OPEN)
    )
    assert not open_ones.suggestions


async def test_on_order_counts_only_sent_and_partly_received_orders(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 0)
    vendor = await supplier(suite)
    await suite.orders.CreatePurchaseOrder(
        pb.CreatePurchaseOrderRequest(idempotency_key=key(), supplier=vendor, lines=[po_line(sku, 4)])
    )
    sent = await sent_order(suite, vendor, po_line(sku, 6), po_line(sku, 1, "box"))
    cancelled = await sent_order(suite, vendor, po_line(sku, 100))
    await suite.orders.CancelPurchaseOrder(
        pb.CancelPurchaseOrderRequest(idempotency_key=key(), number=cancelled.number)
    )

    answer = await suite.orders.GetOnOrder(pb.GetOnOrderRequest(item_sku=sku.lower(), warehouse=WAREHOUSE.lower()))

    assert (answer.item_sku, answer.warehouse, Decimal(answer.quantity.value)) == (sku, WAREHOUSE, 18)
    assert sent.state == pb.PURCHASE_ORDER_STATE_SENT
