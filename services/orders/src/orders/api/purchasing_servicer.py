"""The purchasing RPCs of the orders service's gRPC API: translate, dispatch (or query),
translate back. OrdersServicer takes them in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from invariant.orders.v1 import orders_pb2 as pb
from invariant_core.messages import date_from_message, date_message, decimal_message, timestamp_message
from invariant_core.paging import ListRequest, Page, PageQuery, page_of, page_query
from orders.api.base import Servicing
from orders.api.lines import item_line_fields
from orders.domain import purchase_commands as commands
from orders.domain.purchasing import PurchaseOrder, PurchaseOrderState
from orders.domain.suggestions import Suggestion, SuggestionState
from orders.service import purchasing
from orders.service.ports import OrdersRepository

Created = TypeVar("Created", PurchaseOrder, Suggestion)

_STATES = {
    pb.PURCHASE_ORDER_STATE_DRAFT: PurchaseOrderState.DRAFT,
    pb.PURCHASE_ORDER_STATE_SENT: PurchaseOrderState.SENT,
    pb.PURCHASE_ORDER_STATE_PARTLY_RECEIVED: PurchaseOrderState.PARTLY_RECEIVED,
    pb.PURCHASE_ORDER_STATE_RECEIVED: PurchaseOrderState.RECEIVED,
    pb.PURCHASE_ORDER_STATE_CLOSED: PurchaseOrderState.CLOSED,
    pb.PURCHASE_ORDER_STATE_CANCELLED: PurchaseOrderState.CANCELLED,
}
_STATE_NUMBERS = {state: number for number, state in _STATES.items()}
_SUGGESTION_STATES = {
    pb.PURCHASE_SUGGESTION_STATE_OPEN: SuggestionState.OPEN,
    pb.PURCHASE_SUGGESTION_STATE_CONVERTED: SuggestionState.CONVERTED,
    pb.PURCHASE_SUGGESTION_STATE_DISMISSED: SuggestionState.DISMISSED,
}
_SUGGESTION_NUMBERS = {state: number for number, state in _SUGGESTION_STATES.items()}


class PurchasingRpcs(Servicing):
    async def _order_command(self, request: Message, command: object) -> pb.PurchaseOrder:
        """Dispatch a command whose answer is the purchase order as it stands after it."""
        return await self._dispatch(request, command, pb.PurchaseOrder, purchase_order_message)

    async def CreatePurchaseOrder(
        self, request: pb.CreatePurchaseOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseOrder:
        command = commands.CreatePurchaseOrder(
            supplier=request.supplier,
            lines=tuple(
                commands.PurchaseLineInput(
                    item_sku=line.item_sku,
                    quantity=line.quantity.value,
                    unit=line.unit,
                    warehouse=line.warehouse,
                    expected_date=(
                        date_from_message(line.expected_date, f"lines[{n}].expected_date")
                        if line.HasField("expected_date")
                        else None
                    ),
                    unit_price=line.unit_price.value,
                    tolerance_percent=line.over_receipt_tolerance_percent.value,
                )
                for n, line in enumerate(request.lines)
            ),
        )
        return await self._order_command(request, command)

    async def SendPurchaseOrder(
        self, request: pb.SendPurchaseOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseOrder:
        command = commands.SendPurchaseOrder(number=request.number)
        return await self._order_command(request, command)

    async def ReceivePurchaseOrder(
        self, request: pb.ReceivePurchaseOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseOrder:
        command = commands.ReceivePurchaseOrder(
            key=request.idempotency_key,
            number=request.number,
            lines=tuple(
                commands.ReceiptLineInput(
                    line=line.line,
                    quantity=line.quantity.value,
                    unit=line.unit,
                    location=line.location,
                    lot=line.lot,
                    supplier_lot=line.supplier_lot,
                    expiry_date=(
                        date_from_message(line.expiry_date, f"lines[{n}].expiry_date")
                        if line.HasField("expiry_date")
                        else None
                    ),
                )
                for n, line in enumerate(request.lines)
            ),
        )
        return await self._order_command(request, command)

    async def ClosePurchaseOrder(
        self, request: pb.ClosePurchaseOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseOrder:
        command = commands.ClosePurchaseOrder(number=request.number, reason=request.reason)
        return await self._order_command(request, command)

    async def CancelPurchaseOrder(
        self, request: pb.CancelPurchaseOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseOrder:
        command = commands.CancelPurchaseOrder(number=request.number, reason=request.reason)
        return await self._order_command(request, command)

    async def GetPurchaseOrders(
        self, request: pb.GetPurchaseOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPurchaseOrdersResponse:
        found = await self._query(lambda repo: purchasing.get_purchase_orders(repo, request.numbers))
        return pb.GetPurchaseOrdersResponse(orders=[purchase_order_message(o) for o in found])

    async def ListPurchaseOrders(
        self, request: pb.ListPurchaseOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPurchaseOrdersResponse:
        supplier, state = request.supplier.strip().upper(), _STATES.get(request.state)
        found = await self._created_in_turn(
            request, lambda repo, page: repo.list_purchase_orders(supplier, state, page), lambda o: o.number
        )
        return pb.ListPurchaseOrdersResponse(
            orders=[purchase_order_message(o) for o in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def _created_in_turn(
        self,
        request: ListRequest,
        read: Callable[[OrdersRepository, PageQuery], Awaitable[list[Created]]],
        tie: Callable[[Created], str],
    ) -> Page[Created]:
        """A page of documents in the order they were created, ties broken by `tie`."""
        page = page_query(request, datetime, str)
        rows = await self._query(lambda repo: read(repo, page))
        return page_of(rows, page, lambda row: (row.created_at, tie(row)))

    async def GetOnOrder(self, request: pb.GetOnOrderRequest, context: grpc.aio.ServicerContext) -> pb.OnOrder:
        sku, warehouse, quantity = await self._query(
            lambda repo: purchasing.get_on_order(repo, request.item_sku, request.warehouse)
        )
        return pb.OnOrder(item_sku=sku, warehouse=warehouse, quantity=decimal_message(quantity))

    async def ListPurchaseSuggestions(
        self, request: pb.ListPurchaseSuggestionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPurchaseSuggestionsResponse:
        state = _SUGGESTION_STATES.get(request.state)
        warehouse, supplier = request.warehouse.strip().upper(), request.supplier.strip().upper()
        found = await self._created_in_turn(
            request, lambda repo, page: repo.list_suggestions(state, warehouse, supplier, page), lambda s: s.id
        )
        return pb.ListPurchaseSuggestionsResponse(
            suggestions=[suggestion_message(s) for s in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def GetPurchaseSuggestions(
        self, request: pb.GetPurchaseSuggestionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPurchaseSuggestionsResponse:
        found = await self._query(lambda repo: purchasing.get_suggestions(repo, request.ids))
        return pb.GetPurchaseSuggestionsResponse(suggestions=[suggestion_message(s) for s in found])

    async def ConvertSuggestions(
        self, request: pb.ConvertSuggestionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseOrder:
        command = commands.ConvertSuggestions(suggestion_ids=tuple(request.suggestion_ids), supplier=request.supplier)
        return await self._order_command(request, command)

    async def DismissSuggestion(
        self, request: pb.DismissSuggestionRequest, context: grpc.aio.ServicerContext
    ) -> pb.PurchaseSuggestion:
        command = commands.DismissSuggestion(id=request.id, reason=request.reason)
        return await self._dispatch(request, command, pb.PurchaseSuggestion, suggestion_message)


def purchase_order_message(order: PurchaseOrder) -> pb.PurchaseOrder:
    message = pb.PurchaseOrder(
        id=order.id,
        number=order.number,
        supplier=order.supplier,
        state=_STATE_NUMBERS[order.state],
        created_at=timestamp_message(order.created_at),
    )
    for line in order.lines:
        added = message.lines.add(
            **item_line_fields(line),
            over_receipt_tolerance_percent=decimal_message(line.tolerance_percent),
            received=decimal_message(line.received),
            accepted=decimal_message(line.accepted),
            rejected=decimal_message(line.rejected),
        )
        if line.expected_date is not None:
            added.expected_date.CopyFrom(date_message(line.expected_date))
        if line.unit_price is not None:
            added.unit_price.CopyFrom(decimal_message(line.unit_price))
    for r in order.receipts:
        message.receipts.add(
            line=r.line,
            quantity=decimal_message(r.quantity),
            location=r.location,
            lot=r.lot,
            status=r.status,
            movement_id=r.movement_id,
            actor=r.actor,
            at=timestamp_message(r.at),
        )
    for t in order.transitions:
        message.transitions.add(
            state=_STATE_NUMBERS[t.state], actor=t.actor, at=timestamp_message(t.at), reason=t.reason
        )
    return message


def suggestion_message(s: Suggestion) -> pb.PurchaseSuggestion:
    figures = s.figures
    message = pb.PurchaseSuggestion(
        id=s.id,
        item_sku=s.item_sku,
        warehouse=s.warehouse,
        quantity=decimal_message(s.quantity),
        supplier=s.supplier,
        state=_SUGGESTION_NUMBERS[s.state],
        available_to_promise=decimal_message(figures.available_to_promise),
        on_order=decimal_message(s.on_order),
        purchase_order=s.purchase_order,
        reason=s.reason,
        created_at=timestamp_message(s.created_at),
        decided_by=s.decided_by,
    )
    for name, value in (
        ("safety_stock", figures.safety_stock),
        ("max_stock", figures.max_stock),
        ("pack_size", s.pack_size),
    ):
        if value is not None:
            getattr(message, name).CopyFrom(decimal_message(value))
    if s.decided_at is not None:
        message.decided_at.CopyFrom(timestamp_message(s.decided_at))
    return message
