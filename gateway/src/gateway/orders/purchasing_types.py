"""Purchasing types as the graph shows them: purchase orders, their receipts, what is on order,
and purchase suggestions, each built from its protobuf message.

Quantities other than a line's `quantity` are in the item's base unit.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry import relay

from gateway.context import Info
from gateway.convert import (
    date_from_proto,
    decimal_from_proto,
    enum_from_code,
    enum_from_proto,
    instant_from_proto,
    optional_decimal,
    timestamp_from_proto,
)
from gateway.errors import call
from gateway.nodes import FetchedNode, global_id
from gateway.orders.history import OrderChange
from gateway.stock.types import Movement, StockStatus
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.enum(
    description="Where a purchase order stands: DRAFT, SENT, PARTLY_RECEIVED, RECEIVED, then CLOSED; or CANCELLED "
    "while nothing was received."
)
class PurchaseOrderState(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Entered, not yet sent: nothing counts as on order.")
    SENT = strawberry.enum_value(
        "SENT", description="Sent to the supplier: its open quantities are on order and goods may be received."
    )
    PARTLY_RECEIVED = strawberry.enum_value(
        "PARTLY_RECEIVED", description="Some goods came in; the rest is still on order."
    )
    RECEIVED = strawberry.enum_value("RECEIVED", description="Every line came in at least in full.")
    CLOSED = strawberry.enum_value("CLOSED", description="Nothing more is expected: nothing of it is on order.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Given up before any goods came in.")


@strawberry.enum(description="Where a purchase suggestion stands: OPEN until a buyer converts or dismisses it.")
class PurchaseSuggestionState(Enum):
    OPEN = strawberry.enum_value(
        "OPEN", description="Waiting for a buyer; while it is open no other suggestion is drafted for its place."
    )
    CONVERTED = strawberry.enum_value("CONVERTED", description="Became a line of a DRAFT purchase order.")
    DISMISSED = strawberry.enum_value("DISMISSED", description="Set aside by a buyer, with a reason.")


@strawberry.type(description="One line of a purchase order: an item for a warehouse, and what came of it.")
class PurchaseOrderLine:
    line: int = strawberry.field(description="1, 2, … in the order the lines were given; receipts name it.")
    item_sku: str = strawberry.field(description="The SKU of the item bought.")
    quantity: decimal.Decimal = strawberry.field(description="As entered, in `unit`.")
    unit: str = strawberry.field(description="The unit the quantity and price were entered in.")
    base_quantity: decimal.Decimal = strawberry.field(description="The quantity in the item's base unit.")
    base_unit: str = strawberry.field(description="The item's base unit, which the other quantities are in.")
    warehouse: str = strawberry.field(description="The code of the warehouse the goods are for.")
    expected_date: dt.date | None = strawberry.field(description="When the goods are expected; null when not said.")
    unit_price: decimal.Decimal | None = strawberry.field(
        description="The price per `unit`; null while no price is agreed."
    )
    over_receipt_tolerance_percent: decimal.Decimal = strawberry.field(
        description="How far beyond its quantity the line may be received, in percent; 0: not beyond it at all."
    )
    received: decimal.Decimal = strawberry.field(description="Received into stock so far.")
    accepted: decimal.Decimal = strawberry.field(
        description="Of what was received on hold, what quality accepted: moved to AVAILABLE."
    )
    rejected: decimal.Decimal = strawberry.field(description="Of what was received on hold, what quality rejected.")

    @classmethod
    def from_proto(cls, proto: pb.PurchaseOrderLine) -> PurchaseOrderLine:
        return cls(
            line=proto.line,
            item_sku=proto.item_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            base_quantity=decimal_from_proto(proto.base_quantity),
            base_unit=proto.base_unit,
            warehouse=proto.warehouse,
            expected_date=date_from_proto(proto.expected_date),
            unit_price=optional_decimal(proto.unit_price, proto.HasField("unit_price")),
            over_receipt_tolerance_percent=decimal_from_proto(proto.over_receipt_tolerance_percent),
            received=decimal_from_proto(proto.received),
            accepted=decimal_from_proto(proto.accepted),
            rejected=decimal_from_proto(proto.rejected),
        )


@strawberry.type(description="Goods received on a purchase order line: the stock receipt that posted them, and where.")
class PurchaseReceipt:
    line: int = strawberry.field(description="The order's line they were received on.")
    quantity: decimal.Decimal = strawberry.field(description="In the item's base unit.")
    location: str = strawberry.field(description="The location of the line's warehouse they were put in.")
    lot: str | None = strawberry.field(description="The lot, for a lot-tracked item; null otherwise.")
    status: StockStatus = strawberry.field(
        description="QC_HOLD when the item is inspected on receipt (not available until quality decides), else "
        "AVAILABLE."
    )
    movement_id: strawberry.ID = strawberry.field(
        description="The `id` of stock's RECEIPT movement (`node` fetches it)."
    )
    actor: str = strawberry.field(description="The user id of who received them.")
    at: dt.datetime = strawberry.field(description="When they were received.")

    @classmethod
    def from_proto(cls, proto: pb.PurchaseReceipt) -> PurchaseReceipt:
        return cls(
            line=proto.line,
            quantity=decimal_from_proto(proto.quantity),
            location=proto.location,
            lot=proto.lot or None,
            status=enum_from_code(StockStatus, proto.status, "PurchaseReceipt.status"),
            movement_id=global_id(Movement, proto.movement_id),
            actor=proto.actor,
            at=instant_from_proto(proto.at),
        )


@strawberry.type(description="A change of a purchase order's state: to which state, by whom, when and why.")
class PurchaseOrderTransition(OrderChange):
    state: PurchaseOrderState = strawberry.field(description="The state the order entered.")
    reason: str | None = strawberry.field(description="Why it was closed or cancelled; null when no reason was given.")

    @classmethod
    def from_proto(cls, proto: pb.PurchaseOrderTransition) -> PurchaseOrderTransition:
        state = enum_from_proto(PurchaseOrderState, pb.PurchaseOrderState, proto.state)
        return cls(state=state, **cls.fields_from_proto(proto))


@strawberry.type(
    description="What is bought from a supplier: DRAFT until sent, then received into stock line by line; "
    "`node(id:)` fetches it again by its `id`."
)
class PurchaseOrder(FetchedNode):
    id: relay.NodeID[str]
    number: str = strawberry.field(
        description="PO-000001, …: the number stock's receipts name it by (PURCHASE_ORDER), with the line."
    )
    supplier: str = strawberry.field(description="The supplier's code.")
    state: PurchaseOrderState = strawberry.field(description="Where the order stands.")
    lines: list[PurchaseOrderLine] = strawberry.field(description="Its lines in order, at least one and at most 100.")
    receipts: list[PurchaseReceipt] = strawberry.field(description="The goods received on it, oldest first.")
    transitions: list[PurchaseOrderTransition] = strawberry.field(
        description="Its history, oldest first: one entry per change of state."
    )
    created_at: dt.datetime = strawberry.field(description="When it was entered.")

    @classmethod
    def from_proto(cls, proto: pb.PurchaseOrder) -> PurchaseOrder:
        return cls(
            id=proto.number,
            number=proto.number,
            supplier=proto.supplier,
            state=enum_from_proto(PurchaseOrderState, pb.PurchaseOrderState, proto.state),
            lines=[PurchaseOrderLine.from_proto(line) for line in proto.lines],
            receipts=[PurchaseReceipt.from_proto(receipt) for receipt in proto.receipts],
            transitions=[PurchaseOrderTransition.from_proto(transition) for transition in proto.transitions],
            created_at=instant_from_proto(proto.created_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[PurchaseOrder]:
        request = pb.GetPurchaseOrdersRequest(numbers=ids)
        reply = await call(lambda: info.context.stubs.orders.GetPurchaseOrders(request))
        return [cls.from_proto(order) for order in reply.orders]


@strawberry.type(description="What sent purchase orders still bring of an item to a warehouse.")
class OnOrder:
    item_sku: str = strawberry.field(description="The item's SKU.")
    warehouse: str = strawberry.field(description="The warehouse's code.")
    quantity: decimal.Decimal = strawberry.field(
        description="Ordered and not yet received on SENT and PARTLY_RECEIVED orders, in the item's base unit; "
        "zero when nothing is."
    )

    @classmethod
    def from_proto(cls, proto: pb.OnOrder) -> OnOrder:
        return cls(item_sku=proto.item_sku, warehouse=proto.warehouse, quantity=decimal_from_proto(proto.quantity))


@strawberry.type(
    description="What to buy for a place whose available to promise fell below its safety stock: enough to bring "
    "available to promise plus what is on order up to max stock, in whole packs of the supplier. A buyer converts "
    "it into a purchase order or dismisses it; `node(id:)` fetches it again by its `id`."
)
class PurchaseSuggestion(FetchedNode):
    id: relay.NodeID[str]
    item_sku: str = strawberry.field(description="The SKU of the item to buy.")
    warehouse: str = strawberry.field(description="The code of the warehouse that fell below its safety stock.")
    quantity: decimal.Decimal = strawberry.field(description="What to buy, in the item's base unit.")
    supplier: str | None = strawberry.field(
        description="The code of the supplier with the shortest lead time for the item; null when none supplies it."
    )
    pack_size: decimal.Decimal | None = strawberry.field(
        description="That supplier's pack size, which `quantity` is a whole number of; null: any quantity."
    )
    state: PurchaseSuggestionState = strawberry.field(description="Where the suggestion stands.")
    available_to_promise: decimal.Decimal = strawberry.field(
        description="The place's available to promise when it was drafted."
    )
    on_order: decimal.Decimal = strawberry.field(
        description="What sent purchase orders still brought to the place when it was drafted, netted from `quantity`."
    )
    safety_stock: decimal.Decimal | None = strawberry.field(description="The place's safety stock when it was drafted.")
    max_stock: decimal.Decimal | None = strawberry.field(
        description="The place's max stock when it was drafted; null when none was set (safety stock is the target)."
    )
    purchase_order: str | None = strawberry.field(
        description="The number of the DRAFT purchase order it became (`purchaseOrder(number:)` reads it); null "
        "unless CONVERTED."
    )
    reason: str | None = strawberry.field(description="Why it was dismissed; null unless DISMISSED.")
    created_at: dt.datetime = strawberry.field(description="When it was drafted.")
    decided_by: str | None = strawberry.field(
        description="The user id of the buyer who converted or dismissed it; null while OPEN."
    )
    decided_at: dt.datetime | None = strawberry.field(
        description="When it was converted or dismissed; null while OPEN."
    )

    @classmethod
    def from_proto(cls, proto: pb.PurchaseSuggestion) -> PurchaseSuggestion:
        return cls(
            id=proto.id,
            item_sku=proto.item_sku,
            warehouse=proto.warehouse,
            quantity=decimal_from_proto(proto.quantity),
            supplier=proto.supplier or None,
            pack_size=optional_decimal(proto.pack_size, proto.HasField("pack_size")),
            state=enum_from_proto(PurchaseSuggestionState, pb.PurchaseSuggestionState, proto.state),
            available_to_promise=decimal_from_proto(proto.available_to_promise),
            on_order=decimal_from_proto(proto.on_order),
            safety_stock=optional_decimal(proto.safety_stock, proto.HasField("safety_stock")),
            max_stock=optional_decimal(proto.max_stock, proto.HasField("max_stock")),
            purchase_order=proto.purchase_order or None,
            reason=proto.reason or None,
            created_at=instant_from_proto(proto.created_at),
            decided_by=proto.decided_by or None,
            decided_at=timestamp_from_proto(proto.decided_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[PurchaseSuggestion]:
        request = pb.GetPurchaseSuggestionsRequest(ids=ids)
        reply = await call(lambda: info.context.stubs.orders.GetPurchaseSuggestions(request))
        return [cls.from_proto(suggestion) for suggestion in reply.suggestions]
