"""Purchasing reads: any authenticated user may ask."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.convert import enum_to_proto
from gateway.errors import call
from gateway.orders.purchasing_types import (
    OnOrder,
    PurchaseOrder,
    PurchaseOrderState,
    PurchaseSuggestion,
    PurchaseSuggestionState,
)
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from invariant.orders.v1 import orders_pb2 as pb

SUPPLIER_FILTER = "Only this supplier's, by code (case is ignored); null for every supplier."


@strawberry.type
class PurchasingQuery:
    @described.field(
        "Purchase orders in the order they were entered, oldest first (`last` reads the newest); null filters match "
        "everything."
    )
    async def purchase_orders(
        self,
        info: Info,
        supplier: Annotated[str | None, strawberry.argument(description=SUPPLIER_FILTER)] = None,
        state: Annotated[
            PurchaseOrderState | None, strawberry.argument(description="Only orders in this state; null for any state.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PurchaseOrder]:
        page = page_request(first, after, last, before)
        request = pb.ListPurchaseOrdersRequest(
            supplier=supplier or "",
            state=enum_to_proto(pb.PurchaseOrderState, state)
            if state is not None
            else pb.PURCHASE_ORDER_STATE_UNSPECIFIED,
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.orders.ListPurchaseOrders(request))
        orders = [PurchaseOrder.from_proto(order) for order in reply.orders]
        return connection(orders, reply.cursors, page, reply.next_page_token)

    @described.field("The purchase order with this number, or null.")
    async def purchase_order(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="The order's number, e.g. `PO-000001`.")],
    ) -> PurchaseOrder | None:
        found = await PurchaseOrder.fetch(info, [number])
        return found[0] if found else None

    @described.field(
        "What SENT and PARTLY_RECEIVED purchase orders still bring of an item to a warehouse: what a purchase "
        "suggestion nets."
    )
    async def on_order(
        self,
        info: Info,
        item_sku: Annotated[str, strawberry.argument(description="The item's SKU; case is ignored.")],
        warehouse: Annotated[str, strawberry.argument(description="The warehouse's code; case is ignored.")],
    ) -> OnOrder:
        request = pb.GetOnOrderRequest(item_sku=item_sku, warehouse=warehouse)
        return OnOrder.from_proto(await call(lambda: info.context.stubs.orders.GetOnOrder(request)))

    @described.field(
        "Purchase suggestions in the order they were drafted, oldest first (`last` reads the newest); null filters "
        "match everything."
    )
    async def purchase_suggestions(
        self,
        info: Info,
        state: Annotated[
            PurchaseSuggestionState | None,
            strawberry.argument(description="Only suggestions in this state (OPEN: the buyer's work); null for any."),
        ] = None,
        warehouse: Annotated[
            str | None,
            strawberry.argument(description="Only this warehouse's, by code (case is ignored); null for every one."),
        ] = None,
        supplier: Annotated[str | None, strawberry.argument(description=SUPPLIER_FILTER)] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PurchaseSuggestion]:
        page = page_request(first, after, last, before)
        request = pb.ListPurchaseSuggestionsRequest(
            state=(
                enum_to_proto(pb.PurchaseSuggestionState, state)
                if state is not None
                else pb.PURCHASE_SUGGESTION_STATE_UNSPECIFIED
            ),
            warehouse=warehouse or "",
            supplier=supplier or "",
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.orders.ListPurchaseSuggestions(request))
        suggestions = [PurchaseSuggestion.from_proto(suggestion) for suggestion in reply.suggestions]
        return connection(suggestions, reply.cursors, page, reply.next_page_token)
