"""Purchasing commands: the result and the user errors side by side, nothing raised.

Who may send each is in gateway.permissions: buyers work purchase orders and suggestions,
and receiving goods is the floor's work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
from gateway.orders.mutations import REFUSED, RETRY
from gateway.orders.purchasing_inputs import (
    CancelPurchaseOrderInput,
    ClosePurchaseOrderInput,
    ConvertSuggestionsInput,
    CreatePurchaseOrderInput,
    DismissSuggestionInput,
    ReceivePurchaseOrderInput,
    SendPurchaseOrderInput,
)
from gateway.orders.purchasing_types import PurchaseOrder, PurchaseSuggestion
from invariant.orders.v1 import orders_pb2 as pb

BY_BUYERS = "Buyers, managers and admins only."


@strawberry.type(description="A purchase order after a command, or why the command was refused.")
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None = strawberry.field(
        description="The order as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What dismissSuggestion answers.")
class PurchaseSuggestionPayload:
    purchase_suggestion: PurchaseSuggestion | None = strawberry.field(
        description="The suggestion as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


async def _purchase_order(info: Info, send: Callable[[], Awaitable[pb.PurchaseOrder]]) -> PurchaseOrderPayload:
    proto, errors = await command(info, send)
    return PurchaseOrderPayload(
        purchase_order=PurchaseOrder.from_proto(proto) if proto is not None else None, user_errors=errors
    )


@strawberry.type
class PurchasingMutation:
    @described.mutation(
        "Enters a purchase order in DRAFT; nothing is on order until sendPurchaseOrder. Refused for an unknown "
        f"supplier, item, unit or warehouse. {BY_BUYERS} {RETRY}"
    )
    async def create_purchase_order(
        self,
        info: Info,
        input: Annotated[CreatePurchaseOrderInput, strawberry.argument(description="The supplier and the lines.")],
    ) -> PurchaseOrderPayload:
        return await _purchase_order(info, lambda: info.context.stubs.orders.CreatePurchaseOrder(input.to_proto()))

    @described.mutation(
        f"DRAFT → SENT: the order's quantities count as on order from now (INVALID_STATE otherwise). {BY_BUYERS} "
        f"{RETRY}"
    )
    async def send_purchase_order(
        self, info: Info, input: Annotated[SendPurchaseOrderInput, strawberry.argument(description="The order.")]
    ) -> PurchaseOrderPayload:
        return await _purchase_order(info, lambda: info.context.stubs.orders.SendPurchaseOrder(input.to_proto()))

    @described.mutation(
        "Receives goods against a SENT or PARTLY_RECEIVED order: each entry posts a stock RECEIPT naming the order and "
        "line, into QC_HOLD when the item is inspected on receipt (not available until quality decides), else "
        "AVAILABLE. Beyond a line's quantity plus its tolerance is refused (OUT_OF_RANGE, naming the entry). "
        f"Operators, supervisors, managers and admins only. {RETRY}"
    )
    async def receive_purchase_order(
        self,
        info: Info,
        input: Annotated[ReceivePurchaseOrderInput, strawberry.argument(description="The order and what came in.")],
    ) -> PurchaseOrderPayload:
        return await _purchase_order(info, lambda: info.context.stubs.orders.ReceivePurchaseOrder(input.to_proto()))

    @described.mutation(
        f"PARTLY_RECEIVED or RECEIVED → CLOSED: nothing more is expected, so nothing of it stays on order. {BY_BUYERS} "
        f"{RETRY}"
    )
    async def close_purchase_order(
        self,
        info: Info,
        input: Annotated[ClosePurchaseOrderInput, strawberry.argument(description="The order and why.")],
    ) -> PurchaseOrderPayload:
        return await _purchase_order(info, lambda: info.context.stubs.orders.ClosePurchaseOrder(input.to_proto()))

    @described.mutation(
        f"DRAFT or SENT → CANCELLED; refused (INVALID_STATE) once goods were received. {BY_BUYERS} {RETRY}"
    )
    async def cancel_purchase_order(
        self,
        info: Info,
        input: Annotated[CancelPurchaseOrderInput, strawberry.argument(description="The order and why.")],
    ) -> PurchaseOrderPayload:
        return await _purchase_order(info, lambda: info.context.stubs.orders.CancelPurchaseOrder(input.to_proto()))

    @described.mutation(
        "Makes OPEN suggestions of one supplier into one DRAFT purchase order, a line each, expected after the "
        "supplier's lead time; they become CONVERTED. Refused naming `suggestionIds[n]` for one not OPEN or of "
        f"another supplier. {BY_BUYERS} {RETRY}"
    )
    async def convert_suggestions(
        self,
        info: Info,
        input: Annotated[ConvertSuggestionsInput, strawberry.argument(description="The suggestions to order.")],
    ) -> PurchaseOrderPayload:
        return await _purchase_order(info, lambda: info.context.stubs.orders.ConvertSuggestions(input.to_proto()))

    @described.mutation(f"Sets an OPEN suggestion aside with a reason: it becomes DISMISSED. {BY_BUYERS} {RETRY}")
    async def dismiss_suggestion(
        self,
        info: Info,
        input: Annotated[DismissSuggestionInput, strawberry.argument(description="The suggestion and why.")],
    ) -> PurchaseSuggestionPayload:
        proto, errors = await command(info, lambda: info.context.stubs.orders.DismissSuggestion(input.to_proto()))
        return PurchaseSuggestionPayload(
            purchase_suggestion=PurchaseSuggestion.from_proto(proto) if proto is not None else None,
            user_errors=errors,
        )
