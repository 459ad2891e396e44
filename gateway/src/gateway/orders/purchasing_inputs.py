"""Purchasing mutation inputs, each turned into its gRPC request by `to_proto`.

Their fields are named as the service names them, so a refusal names the field the client
sent; suggestions are named by their global ids, read back to the service's ids here.
"""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from gateway.convert import date_to_proto, decimal_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.nodes import local_id
from gateway.orders.purchasing_types import PurchaseSuggestion
from invariant.orders.v1 import orders_pb2 as pb

PO_NUMBER_HELP = "The purchase order's number, e.g. `PO-000001`; case is ignored."
REASON_HELP = "Why, kept in the order's transitions; null for none."


@strawberry.input(description="One line of a new purchase order.")
class PurchaseOrderLineInput:
    item_sku: str = strawberry.field(description="The item's SKU; case is ignored.")
    quantity: decimal.Decimal = strawberry.field(
        description="Greater than zero, in `unit`; refused (TOO_PRECISE) when it needs more than 6 decimal places in "
        "the base unit."
    )
    unit: str | None = strawberry.field(
        default=None, description="Any unit of the item, converted exactly to its base unit; null: its base unit."
    )
    warehouse: str = strawberry.field(description="The code of the warehouse the goods are for; case is ignored.")
    expected_date: dt.date | None = strawberry.field(
        default=None, description="When the supplier is to deliver; null when not agreed."
    )
    unit_price: decimal.Decimal | None = strawberry.field(
        default=None, description="The price per `unit`, at least 0, at most 4 decimal places; null while not agreed."
    )
    over_receipt_tolerance_percent: decimal.Decimal | None = strawberry.field(
        default=None,
        description="How far beyond its quantity the line may be received, in percent, 0 to 100 with at most 2 "
        "decimal places; null: 0, not beyond it at all.",
    )

    def to_proto(self) -> pb.PurchaseOrderLineInput:
        line = pb.PurchaseOrderLineInput(
            item_sku=self.item_sku,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            warehouse=self.warehouse,
        )
        if self.expected_date is not None:
            line.expected_date.CopyFrom(date_to_proto(self.expected_date))
        if self.unit_price is not None:
            line.unit_price.CopyFrom(decimal_to_proto(self.unit_price))
        if self.over_receipt_tolerance_percent is not None:
            line.over_receipt_tolerance_percent.CopyFrom(decimal_to_proto(self.over_receipt_tolerance_percent))
        return line


@strawberry.input(description="A new purchase order in DRAFT; sendPurchaseOrder puts it on order.")
class CreatePurchaseOrderInput:
    supplier: str = strawberry.field(description="The supplier's code; an unknown supplier is refused.")
    lines: list[PurchaseOrderLineInput] = strawberry.field(description="At least one line and at most 100.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreatePurchaseOrderRequest:
        return pb.CreatePurchaseOrderRequest(
            idempotency_key=key(self.idempotency_key),
            supplier=self.supplier,
            lines=[line.to_proto() for line in self.lines],
        )


@strawberry.input(description="Sends a DRAFT purchase order to its supplier: its quantities are on order from then.")
class SendPurchaseOrderInput:
    number: str = strawberry.field(description=PO_NUMBER_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.SendPurchaseOrderRequest:
        return pb.SendPurchaseOrderRequest(idempotency_key=key(self.idempotency_key), number=self.number)


@strawberry.input(description="Goods received on one line of a purchase order, put away at one location.")
class PurchaseReceiptLineInput:
    line: int = strawberry.field(description="The order's line number (1, 2, …) the goods are for.")
    quantity: decimal.Decimal = strawberry.field(
        description="Greater than zero, in `unit`; refused (OUT_OF_RANGE) when it would take the line beyond its "
        "quantity plus its over-receipt tolerance."
    )
    unit: str | None = strawberry.field(
        default=None, description="Any unit of the item, converted exactly to its base unit; null: its base unit."
    )
    location: str = strawberry.field(description="The code of a location of the line's warehouse; case is ignored.")
    lot: str | None = strawberry.field(
        default=None, description="The lot as printed; required for a lot-tracked item, ignored otherwise."
    )
    expiry_date: dt.date | None = strawberry.field(
        default=None, description="The lot's expiry date, for a lot stock does not know yet; null when it has none."
    )

    def to_proto(self) -> pb.ReceiptLineInput:
        line = pb.ReceiptLineInput(
            line=self.line,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            location=self.location,
            lot=self.lot or "",
        )
        if self.expiry_date is not None:
            line.expiry_date.CopyFrom(date_to_proto(self.expiry_date))
        return line


@strawberry.input(
    description="Receives goods against a SENT or PARTLY_RECEIVED purchase order: each line posts a stock RECEIPT "
    "naming the order and line, into QC_HOLD when the item is inspected on receipt, else AVAILABLE."
)
class ReceivePurchaseOrderInput:
    number: str = strawberry.field(description=PO_NUMBER_HELP)
    lines: list[PurchaseReceiptLineInput] = strawberry.field(description="What came in, at least one entry.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ReceivePurchaseOrderRequest:
        return pb.ReceivePurchaseOrderRequest(
            idempotency_key=key(self.idempotency_key),
            number=self.number,
            lines=[line.to_proto() for line in self.lines],
        )


@strawberry.input(description="Closes a PARTLY_RECEIVED or RECEIVED purchase order: nothing more is expected.")
class ClosePurchaseOrderInput:
    number: str = strawberry.field(description=PO_NUMBER_HELP)
    reason: str | None = strawberry.field(default=None, description=REASON_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ClosePurchaseOrderRequest:
        return pb.ClosePurchaseOrderRequest(
            idempotency_key=key(self.idempotency_key), number=self.number, reason=self.reason or ""
        )


@strawberry.input(description="Cancels a DRAFT or SENT purchase order, before any goods came in.")
class CancelPurchaseOrderInput:
    number: str = strawberry.field(description=PO_NUMBER_HELP)
    reason: str | None = strawberry.field(default=None, description=REASON_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CancelPurchaseOrderRequest:
        return pb.CancelPurchaseOrderRequest(
            idempotency_key=key(self.idempotency_key), number=self.number, reason=self.reason or ""
        )


@strawberry.input(description="OPEN suggestions of one supplier made into one DRAFT purchase order, a line each.")
class ConvertSuggestionsInput:
    suggestion_ids: list[strawberry.ID] = strawberry.field(
        description="The suggestions' `id`s, at least one and at most 100, each OPEN."
    )
    supplier: str | None = strawberry.field(
        default=None,
        description="The code of the supplier to order from; null: the suggestions' own, which they must share.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ConvertSuggestionsRequest:
        return pb.ConvertSuggestionsRequest(
            idempotency_key=key(self.idempotency_key),
            suggestion_ids=[
                local_id(id, PurchaseSuggestion, f"suggestionIds[{index}]")
                for index, id in enumerate(self.suggestion_ids)
            ],
            supplier=self.supplier or "",
        )


@strawberry.input(description="Sets an OPEN suggestion aside; another may then be drafted for its place.")
class DismissSuggestionInput:
    id: strawberry.ID = strawberry.field(description="The suggestion's `id`.")
    reason: str = strawberry.field(description="Why it is not bought; required.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.DismissSuggestionRequest:
        return pb.DismissSuggestionRequest(
            idempotency_key=key(self.idempotency_key),
            id=local_id(self.id, PurchaseSuggestion, "id"),
            reason=self.reason,
        )
