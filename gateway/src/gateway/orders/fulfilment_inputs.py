"""Fulfilment inputs, each turned into its gRPC request by `to_proto`; their fields are named
as the service names them, so a refusal names the field the client sent."""

from __future__ import annotations

import decimal

import strawberry

from gateway.convert import decimal_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.orders.inputs import NUMBER_HELP
from invariant.orders.v1 import orders_pb2 as pb

LINE_HELP = "The order line's number (1, 2, …)."
LOCATION_HELP = "The location code of the pick list's stop, as scanned; case is ignored."
LOT_HELP = "The lot, as scanned; required for a lot-tracked item and null for any other."


@strawberry.input(
    description="A picker's scan of a pick list's stop: the location, the item's barcode (and the lot where "
    "lot-tracked), and how much was taken."
)
class PickLineInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    line: int = strawberry.field(description=LINE_HELP)
    location: str = strawberry.field(
        description=f"{LOCATION_HELP} Refused (NOT_FOUND) when the pick list does not offer it for the line."
    )
    barcode: str = strawberry.field(
        description="The item's barcode as scanned; refused (INVALID_STATE, naming the item expected) when it is "
        "another item's, NOT_FOUND when no item has it."
    )
    quantity: decimal.Decimal = strawberry.field(
        description="Taken, greater than zero, in `unit`; refused (INSUFFICIENT_STOCK) beyond what is reserved for "
        "the line and not picked."
    )
    unit: str | None = strawberry.field(
        default=None, description="Any unit of the item, converted exactly to its base unit; null: its base unit."
    )
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.PickLineRequest:
        return pb.PickLineRequest(
            idempotency_key=key(self.idempotency_key),
            number=self.number,
            line=self.line,
            location=self.location,
            barcode=self.barcode,
            lot=self.lot or "",
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
        )


@strawberry.input(
    description="A picker found less at a pick list's stop than it named: what was found is picked, the failed pick "
    "is published for counting to plan a spot count, and the pick list leaves the place out for the line."
)
class ShortPickInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    line: int = strawberry.field(description=LINE_HELP)
    location: str = strawberry.field(description=LOCATION_HELP)
    found: decimal.Decimal = strawberry.field(
        description="What was there, in the item's base unit, zero or more; refused (OUT_OF_RANGE) when it is not "
        "less than the pick list named."
    )
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ShortPickRequest:
        return pb.ShortPickRequest(
            idempotency_key=key(self.idempotency_key),
            number=self.number,
            line=self.line,
            location=self.location,
            lot=self.lot or "",
            found=decimal_to_proto(self.found),
        )


@strawberry.input(description="Ships everything picked and not shipped of an order.")
class ShipSalesOrderInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ShipSalesOrderRequest:
        return pb.ShipSalesOrderRequest(idempotency_key=key(self.idempotency_key), number=self.number)


@strawberry.input(description="Closes a SHIPPED or PARTLY_SHIPPED order with nothing picked and unshipped.")
class CloseSalesOrderInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CloseSalesOrderRequest:
        return pb.CloseSalesOrderRequest(idempotency_key=key(self.idempotency_key), number=self.number)


@strawberry.input(description="A customer return (RMA) against a shipped line, put on hold for quality to decide.")
class CreateReturnInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    line: int = strawberry.field(description=LINE_HELP)
    quantity: decimal.Decimal = strawberry.field(
        description="Greater than zero, in `unit`; refused (OUT_OF_RANGE) beyond what the line shipped and was not "
        "returned."
    )
    location: str = strawberry.field(
        description="The location code, in the line's warehouse, where the goods are put on hold (QC_HOLD)."
    )
    reason: str = strawberry.field(description="Why the customer sent it back; required.")
    unit: str | None = strawberry.field(
        default=None, description="Any unit of the item, converted exactly to its base unit; null: its base unit."
    )
    lot: str | None = strawberry.field(
        default=None, description="The lot shipped, for a lot-tracked item; a lot the line did not ship is refused."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateReturnRequest:
        return pb.CreateReturnRequest(
            idempotency_key=key(self.idempotency_key),
            number=self.number,
            line=self.line,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            location=self.location,
            lot=self.lot or "",
            reason=self.reason,
        )
