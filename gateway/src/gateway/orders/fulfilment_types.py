"""Sales order fulfilment as the graph shows it: picks, pick lists and customer returns.

Quantities are in the item's base unit unless a field says otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry
from strawberry import relay

from gateway.context import Info
from gateway.convert import decimal_from_proto, instant_from_proto, optional_decimal
from gateway.errors import call
from gateway.nodes import FetchedNode
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.type(
    description="What a picker took for a line at one place. A failed pick (the shelf held less than the pick list "
    "named) has `expected` set, and `quantity` is what was found there."
)
class Pick:
    seq: int = strawberry.field(description="1, 2, … in the order the picks were recorded for the order.")
    line: int = strawberry.field(description="The order line picked for.")
    location: str = strawberry.field(description="The location code taken from.")
    lot: str | None = strawberry.field(description="The lot taken, for a lot-tracked item; null otherwise.")
    quantity: decimal.Decimal = strawberry.field(description="Taken, in the item's base unit.")
    expected: decimal.Decimal | None = strawberry.field(
        description="For a failed pick, what the pick list named there; null for a pick that found what it sought."
    )
    actor: str = strawberry.field(description="The user id of the picker.")
    at: dt.datetime = strawberry.field(description="When it was recorded.")
    shipment: int | None = strawberry.field(
        description="The shipment (1, 2, …) that issued it; null while it waits to be shipped."
    )

    @classmethod
    def from_proto(cls, proto: pb.Pick) -> Pick:
        return cls(
            seq=proto.seq,
            line=proto.line,
            location=proto.location,
            lot=proto.lot or None,
            quantity=decimal_from_proto(proto.quantity),
            expected=optional_decimal(proto.expected, proto.HasField("expected")),
            actor=proto.actor,
            at=instant_from_proto(proto.at),
            shipment=proto.shipment or None,
        )


@strawberry.type(description="One stop of a pick list: where to take how much of a line's item.")
class PickListEntry:
    line: int = strawberry.field(description="The order line it is for.")
    item_sku: str = strawberry.field(description="The SKU of the item to take.")
    location: str = strawberry.field(description="The location code to take it from.")
    lot: str | None = strawberry.field(
        description="The lot to take, first expiry first, for a lot-tracked item; null otherwise."
    )
    quantity: decimal.Decimal = strawberry.field(description="How much to take there, in `unit`.")
    unit: str = strawberry.field(description="The item's base unit, which `quantity` is in.")

    @classmethod
    def from_proto(cls, proto: pb.PickListEntry) -> PickListEntry:
        return cls(
            line=proto.line,
            item_sku=proto.item_sku,
            location=proto.location,
            lot=proto.lot or None,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
        )


@strawberry.type(
    description="Where to take what is reserved and not picked yet of an order, from AVAILABLE stock of each line's "
    "warehouse; a place where the line's picker found the shelf short is left out. Empty for an order not open "
    "for picking."
)
class PickList:
    number: str = strawberry.field(description="The sales order's number.")
    entries: list[PickListEntry] = strawberry.field(description="The stops in walk order (by location).")

    @classmethod
    def from_proto(cls, proto: pb.PickList) -> PickList:
        return cls(number=proto.number, entries=[PickListEntry.from_proto(entry) for entry in proto.entries])


@strawberry.type(
    description="A customer return (RMA) against a shipped line, posted to stock as a RETURN into QC_HOLD with the "
    "RMA as its document: quality decides it. `node(id:)` fetches it again by its `id`."
)
class CustomerReturn(FetchedNode):
    id: relay.NodeID[str]
    number: str = strawberry.field(description="RMA-000001, …: the document stock's RETURN names.")
    order_number: str = strawberry.field(description="The number of the sales order returned against.")
    line: int = strawberry.field(description="The order line returned against.")
    item_sku: str = strawberry.field(description="The SKU of the item returned.")
    warehouse: str = strawberry.field(description="The line's warehouse code.")
    location: str = strawberry.field(description="The location code the goods were put on hold at.")
    lot: str | None = strawberry.field(description="The lot returned, for a lot-tracked item; null otherwise.")
    quantity: decimal.Decimal = strawberry.field(description="Returned, in the item's base unit.")
    reason: str = strawberry.field(description="Why the customer sent it back.")
    actor: str = strawberry.field(description="The user id of who entered the return.")
    created_at: dt.datetime = strawberry.field(description="When it was entered.")
    movement_id: str | None = strawberry.field(
        description="Stock's RETURN movement; null until stock has posted it (just after the return is entered)."
    )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[CustomerReturn]:
        request = pb.GetCustomerReturnsRequest(numbers=ids)
        reply = await call(lambda: info.context.stubs.orders.GetCustomerReturns(request))
        return [cls.from_proto(rma) for rma in reply.returns]

    @classmethod
    def from_proto(cls, proto: pb.CustomerReturn) -> CustomerReturn:
        return cls(
            id=proto.number,
            number=proto.number,
            order_number=proto.order_number,
            line=proto.line,
            item_sku=proto.item_sku,
            warehouse=proto.warehouse,
            location=proto.location,
            lot=proto.lot or None,
            quantity=decimal_from_proto(proto.quantity),
            reason=proto.reason,
            actor=proto.actor,
            created_at=instant_from_proto(proto.created_at),
            movement_id=proto.movement_id or None,
        )
