"""Orders types as the graph shows them, each built from its protobuf message.

A line's quantities other than `quantity` are in the item's base unit.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry import relay

from gateway.context import Info
from gateway.convert import date_from_proto, decimal_from_proto, enum_from_proto, instant_from_proto, optional_decimal
from gateway.errors import call
from gateway.nodes import FetchedNode, global_id
from gateway.orders.fulfilment_types import Pick
from gateway.orders.history import OrderChange
from gateway.stock.types import Reservation
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.enum(
    description="Where a sales order stands: DRAFT, CONFIRMED, PICKING, PARTLY_SHIPPED or SHIPPED, then CLOSED; "
    "CANCELLED before anything of it is shipped."
)
class SalesOrderState(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Entered, nothing reserved yet: it may be confirmed.")
    CONFIRMED = strawberry.enum_value(
        "CONFIRMED", description="Stock is reserved for it by its policy; what could not be promised is backordered."
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="Given up; what was reserved for it is released (a few seconds after, at most)."
    )
    PICKING = strawberry.enum_value("PICKING", description="Picked from at least once, nothing shipped yet.")
    PARTLY_SHIPPED = strawberry.enum_value(
        "PARTLY_SHIPPED", description="Some of it shipped; the rest is still to pick, ship or fill from a backorder."
    )
    SHIPPED = strawberry.enum_value("SHIPPED", description="Every line shipped in full.")
    CLOSED = strawberry.enum_value(
        "CLOSED", description="Done with: what was still reserved for it is released, nothing more is shipped."
    )


@strawberry.enum(description="How confirming a sales order treats a line that cannot be promised in full.")
class PromisePolicy(Enum):
    ALL_OR_NOTHING = strawberry.enum_value(
        "ALL_OR_NOTHING",
        description="Every line in full, or the confirmation is refused (INSUFFICIENT_STOCK) and nothing is reserved.",
    )
    PARTIAL = strawberry.enum_value(
        "PARTIAL", description="Each line gets what is available to promise; the rest is backordered."
    )


@strawberry.type(description="Someone the warehouse sells to, by the code sales orders name them with.")
class Customer:
    code: str = strawberry.field(description="The customer's code, upper case: what an order's `customer` names.")
    name: str = strawberry.field(description="The customer's name.")
    created_at: dt.datetime = strawberry.field(description="When the customer was created.")

    @classmethod
    def from_proto(cls, proto: pb.Customer) -> Customer:
        return cls(code=proto.code, name=proto.name, created_at=instant_from_proto(proto.created_at))


@strawberry.type(description="What a supplier delivers of an item: whole packs, after a lead time.")
class SupplierItem:
    item_sku: str = strawberry.field(description="The SKU of the item supplied.")
    pack_size: decimal.Decimal | None = strawberry.field(
        description="The supplier delivers whole packs of this many, in the item's base unit; null: any quantity."
    )
    lead_time_days: int = strawberry.field(description="Days from ordering to delivery.")

    @classmethod
    def from_proto(cls, proto: pb.SupplierItem) -> SupplierItem:
        return cls(
            item_sku=proto.item_sku,
            pack_size=optional_decimal(proto.pack_size, proto.HasField("pack_size")),
            lead_time_days=proto.lead_time_days,
        )


@strawberry.type(description="Someone the warehouse buys from, with the items they supply.")
class Supplier:
    code: str = strawberry.field(description="The supplier's code, upper case.")
    name: str = strawberry.field(description="The supplier's name.")
    items: list[SupplierItem] = strawberry.field(description="The items it supplies, as given when it was created.")
    created_at: dt.datetime = strawberry.field(description="When the supplier was created.")

    @classmethod
    def from_proto(cls, proto: pb.Supplier) -> Supplier:
        return cls(
            code=proto.code,
            name=proto.name,
            items=[SupplierItem.from_proto(item) for item in proto.items],
            created_at=instant_from_proto(proto.created_at),
        )


@strawberry.type(description="One line of a sales order: an item from a warehouse, and what stock promised it.")
class SalesOrderLine:
    line: int = strawberry.field(description="1, 2, … in the order the lines were given.")
    item_sku: str = strawberry.field(description="The SKU of the item ordered.")
    quantity: decimal.Decimal = strawberry.field(description="As entered, in `unit`.")
    unit: str = strawberry.field(description="The unit the quantity was entered in.")
    base_quantity: decimal.Decimal = strawberry.field(description="The quantity in the item's base unit.")
    base_unit: str = strawberry.field(description="The item's base unit, which the other quantities are in.")
    warehouse: str = strawberry.field(description="The code of the warehouse it is promised from.")
    requested_date: dt.date | None = strawberry.field(
        description="When the customer wants it; null when they did not say."
    )
    reserved: decimal.Decimal = strawberry.field(
        description="What stock holds for the line now; zero before confirmation and once released."
    )
    backordered: decimal.Decimal = strawberry.field(
        description="Asked and not promised yet (PARTIAL only): reserved as stock comes in, oldest requested date "
        "first; zero otherwise."
    )
    reservation_id: strawberry.ID | None = strawberry.field(
        description="The `id` of stock's reservation for the line (`node` fetches it); null before confirmation."
    )
    picked: decimal.Decimal = strawberry.field(description="Picked and not shipped yet.")
    shipped: decimal.Decimal = strawberry.field(description="Shipped to the customer, in all.")
    shorted: decimal.Decimal = strawberry.field(
        description="Found missing by stock (a count's loss, a scrap) of what was held for the line and backordered "
        "again: the sales desk's flag."
    )
    returned: decimal.Decimal = strawberry.field(description="Sent back by the customer, in all.")

    @classmethod
    def from_proto(cls, proto: pb.SalesOrderLine) -> SalesOrderLine:
        return cls(
            line=proto.line,
            item_sku=proto.item_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            base_quantity=decimal_from_proto(proto.base_quantity),
            base_unit=proto.base_unit,
            warehouse=proto.warehouse,
            requested_date=date_from_proto(proto.requested_date),
            reserved=decimal_from_proto(proto.reserved),
            backordered=decimal_from_proto(proto.backordered),
            reservation_id=global_id(Reservation, proto.reservation_id) if proto.reservation_id else None,
            picked=decimal_from_proto(proto.picked),
            shipped=decimal_from_proto(proto.shipped),
            shorted=decimal_from_proto(proto.shorted),
            returned=decimal_from_proto(proto.returned),
        )


@strawberry.type(description="A change of a sales order's state: to which state, by whom, when and why.")
class SalesOrderTransition(OrderChange):
    state: SalesOrderState = strawberry.field(description="The state the order entered.")
    reason: str | None = strawberry.field(description="A cancellation's reason; null when none was given.")

    @classmethod
    def from_proto(cls, proto: pb.Transition) -> SalesOrderTransition:
        state = enum_from_proto(SalesOrderState, pb.SalesOrderState, proto.state)
        return cls(state=state, **cls.fields_from_proto(proto))


@strawberry.type(
    description="A customer's order: DRAFT until confirmed, which reserves its lines through stock by its policy; "
    "`node(id:)` fetches it again by its `id`."
)
class SalesOrder(FetchedNode):
    id: relay.NodeID[str]
    number: str = strawberry.field(
        description="SO-000001, …: the number stock's reservations and movements name it by (SALES_ORDER)."
    )
    customer: str = strawberry.field(description="The customer's code.")
    customer_reference: str | None = strawberry.field(
        description="The customer's own reference for the order (their PO number); null when none was given."
    )
    policy: PromisePolicy = strawberry.field(description="How confirming treats a line that cannot be met in full.")
    state: SalesOrderState = strawberry.field(description="Where the order stands.")
    lines: list[SalesOrderLine] = strawberry.field(description="Its lines in order, at least one and at most 100.")
    transitions: list[SalesOrderTransition] = strawberry.field(
        description="Its history, oldest first: one entry per change of state."
    )
    picks: list[Pick] = strawberry.field(
        description="What pickers took for it, failed picks included, in the order they were recorded."
    )
    created_at: dt.datetime = strawberry.field(description="When it was entered.")

    @classmethod
    def from_proto(cls, proto: pb.SalesOrder) -> SalesOrder:
        return cls(
            id=proto.number,
            number=proto.number,
            customer=proto.customer,
            customer_reference=proto.customer_reference or None,
            policy=enum_from_proto(PromisePolicy, pb.PromisePolicy, proto.policy),
            state=enum_from_proto(SalesOrderState, pb.SalesOrderState, proto.state),
            lines=[SalesOrderLine.from_proto(line) for line in proto.lines],
            transitions=[SalesOrderTransition.from_proto(transition) for transition in proto.transitions],
            picks=[Pick.from_proto(pick) for pick in proto.picks],
            created_at=instant_from_proto(proto.created_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[SalesOrder]:
        request = pb.GetSalesOrdersRequest(numbers=ids)
        reply = await call(lambda: info.context.stubs.orders.GetSalesOrders(request))
        return [cls.from_proto(order) for order in reply.orders]
