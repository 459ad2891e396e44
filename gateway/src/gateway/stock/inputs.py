"""Mutation inputs, each turned into its gRPC request by `to_proto`.

Every movement has its own input, with the places that movement has, and becomes one
PostMovement of its type. `FIELDS` names the request's fields the input calls otherwise,
so that a refusal names the field the client sent.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

import strawberry

from gateway.convert import date_to_proto, decimal_to_proto, enum_to_proto, timestamp_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.nodes import local_id
from gateway.stock.types import LocationKind, Movement, Reservation, StockStatus
from invariant.stock.v1 import stock_pb2 as pb

UNIT_HELP = "Any unit of the item, converted exactly to its base unit; null means the base unit."
LOT_HELP = "Required for a lot-tracked item, null otherwise."
QUANTITY_HELP = (
    "Greater than zero, in `unit`; refused (TOO_PRECISE) when it needs more than 6 decimal places in the base unit."
)
WAREHOUSE_HELP = "The warehouse's code, e.g. `WH1`; case and surrounding spaces are ignored."


@strawberry.enum(description="What a reservation of several lines does when there is not enough for every line.")
class ReservationPolicy(Enum):
    ALL_OR_NOTHING = strawberry.enum_value(
        "ALL_OR_NOTHING",
        description="Every line is reserved in full, or nothing is and the request is refused (INSUFFICIENT_STOCK).",
    )
    PARTIAL = strawberry.enum_value(
        "PARTIAL", description="Each line gets what is available to promise, up to what it asks, perhaps nothing."
    )


@strawberry.enum(description="Whether an adjustment adds stock that was found or takes away stock that is missing.")
class AdjustmentDirection(Enum):
    GAIN = strawberry.enum_value(
        "GAIN", description="More is on the shelf than on the book: the quantity is added to the place."
    )
    LOSS = strawberry.enum_value(
        "LOSS", description="Less is on the shelf than on the book: the quantity is taken from the place."
    )


def _place(warehouse: str, location: str, lot: str | None, status: StockStatus) -> pb.StockPlace:
    return pb.StockPlace(
        warehouse=warehouse, location=location, lot=lot or "", status=enum_to_proto(pb.StockStatus, status)
    )


# The service names a document's number `id`; the graph calls it `number`.
DOCUMENT_NUMBER = {"document.id": "document.number", "owner.id": "owner.number"}


def _flat(side: str) -> dict[str, str]:
    """The request's `from.*` or `to.*` fields, which an input with one place names without the prefix."""
    return {f"{side}.{name}": name for name in ("warehouse", "location", "lot", "status")}


@strawberry.input(
    description="The document something belongs to, by type, number and line, e.g. SALES_ORDER SO-1 line 2."
)
class DocumentRefInput:
    type: str = strawberry.field(
        description="SALES_ORDER, PURCHASE_ORDER, WORK_ORDER, COUNT, INSPECTION, ...; upper-cased, up to 40 characters."
    )
    number: str = strawberry.field(
        description="The document's number in the system that owns it, e.g. `SO-1`; up to 64 characters."
    )
    line: str | None = strawberry.field(
        default=None, description="The document's line, up to 40 characters; null means the whole document."
    )

    def to_proto(self) -> pb.DocumentRef:
        return pb.DocumentRef(type=self.type, id=self.number, line=self.line or "")


@strawberry.input(description="Where stock is: a location of a warehouse, a lot and a status.")
class StockPlaceInput:
    warehouse: str = strawberry.field(description=WAREHOUSE_HELP)
    location: str = strawberry.field(description="The location's code in that warehouse; case is ignored.")
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)
    status: StockStatus = strawberry.field(default=StockStatus.AVAILABLE, description="The stock's status there.")

    def to_proto(self) -> pb.StockPlace:
        return _place(self.warehouse, self.location, self.lot, self.status)


@strawberry.input(description="A location of a warehouse, without lot or status.")
class LocationInput:
    warehouse: str = strawberry.field(description=WAREHOUSE_HELP)
    location: str = strawberry.field(description="The location's code in that warehouse; case is ignored.")


@strawberry.input(description="A new warehouse; its in-transit location is made with it.")
class CreateWarehouseInput:
    code: str = strawberry.field(
        description="Unique: 1 to 20 letters, digits, _ or -, starting with a letter; stored upper-cased. "
        "An existing code is refused (ALREADY_EXISTS)."
    )
    name: str = strawberry.field(description="The name people know it by; required, up to 200 characters.")
    allow_negative_stock: bool = strawberry.field(
        default=False,
        description="When true, a movement that takes a balance below zero is posted instead of refused, and "
        "issues are no longer held back by reservations.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateWarehouseRequest:
        return pb.CreateWarehouseRequest(
            idempotency_key=key(self.idempotency_key),
            code=self.code,
            name=self.name,
            allow_negative_stock=self.allow_negative_stock,
        )


@strawberry.input(description="A new location (bin) in an existing warehouse.")
class CreateLocationInput:
    warehouse: str = strawberry.field(description="The code of an existing warehouse; case is ignored.")
    code: str = strawberry.field(
        description="Unique within the warehouse: 1 to 40 letters, digits, . _ / or -, starting with a letter or "
        "digit; stored upper-cased."
    )
    kind: LocationKind = strawberry.field(
        default=LocationKind.STORAGE,
        description="What it is used for; IN_TRANSIT is refused, as each warehouse has its own, made with it.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateLocationRequest:
        return pb.CreateLocationRequest(
            idempotency_key=key(self.idempotency_key),
            warehouse=self.warehouse,
            code=self.code,
            kind=enum_to_proto(pb.LocationKind, self.kind),
        )


@strawberry.input(description="A lot of a lot-tracked item, registered before its goods arrive, e.g. with its expiry.")
class CreateLotInput:
    item_sku: str = strawberry.field(description="The SKU of a lot-tracked item; any other item is refused.")
    lot: str = strawberry.field(
        description="The lot number, kept as given (case matters): 1 to 40 printable characters without spaces. "
        "A lot the item has already is refused (ALREADY_EXISTS)."
    )
    expiry_date: dt.date | None = strawberry.field(
        default=None, description="The lot's expiry date, e.g. `2025-12-31`; null when it has none."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateLotRequest:
        request = pb.CreateLotRequest(idempotency_key=key(self.idempotency_key), item_sku=self.item_sku, lot=self.lot)
        if self.expiry_date is not None:
            request.expiry_date.CopyFrom(date_to_proto(self.expiry_date))
        return request


# The bases are inputs only so that their fields are strawberry's; the schema never names them.
@strawberry.input
class _MovementInput:
    """What every movement input has; each subclass adds its places and builds its request."""

    item_sku: str = strawberry.field(description="The SKU of the item moved; case is ignored.")
    quantity: decimal.Decimal = strawberry.field(description=QUANTITY_HELP)
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    reason_code: str | None = strawberry.field(
        default=None,
        description="Why: an adjustment's reason (COUNTING_ERROR, DAMAGE_NOT_RECORDED, ...), "
        "RETURN_TO_SUPPLIER or REWORK for an issue of rejected stock, an admin's reason for releasing QC_HOLD.",
    )
    document: DocumentRefInput | None = strawberry.field(
        default=None,
        description="The document the movement is posted for, e.g. PURCHASE_ORDER PO-7 line 1, so that it can be "
        "traced; null for none.",
    )
    business_time: dt.datetime | None = strawberry.field(
        default=None,
        description="When it happened in the warehouse, with a time zone, not in the future; null means now.",
    )
    corrects_movement_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The `id` of the movement this one compensates for: the ledger is never edited. An unknown "
        "movement, or the id of something else, is refused.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    FIELDS: ClassVar[Mapping[str, str]] = {}

    def _request(
        self,
        movement_type: pb.MovementType,
        source: pb.StockPlace | None = None,
        target: pb.StockPlace | None = None,
        reasons: list[pb.ReasonQuantity] | None = None,
    ) -> pb.PostMovementRequest:
        request = pb.PostMovementRequest(
            idempotency_key=key(self.idempotency_key),
            type=movement_type,
            item_sku=self.item_sku,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            reason_code=self.reason_code or "",
            reasons=reasons or [],
            corrects_movement_id=(
                local_id(self.corrects_movement_id, Movement, "correctsMovementId") if self.corrects_movement_id else ""
            ),
        )
        if source is not None:
            getattr(request, "from").CopyFrom(source)
        if target is not None:
            request.to.CopyFrom(target)
        if self.document is not None:
            request.document.CopyFrom(self.document.to_proto())
        if self.business_time is not None:
            request.business_time.CopyFrom(timestamp_to_proto(self.business_time, "businessTime"))
        return request


@strawberry.input
class _OnePlaceInput(_MovementInput):
    warehouse: str = strawberry.field(description=WAREHOUSE_HELP)
    location: str = strawberry.field(
        description="The code of the location in that warehouse where the stock goes in or comes out; case is ignored."
    )
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)

    def _at(self, status: StockStatus) -> pb.StockPlace:
        return _place(self.warehouse, self.location, self.lot, status)


@strawberry.input(description="Goods coming in from outside (a supplier, production); an unknown lot is created.")
class ReceiveInput(_OnePlaceInput):
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE,
        description="QC_HOLD when the goods are to be inspected; REJECTED is refused.",
    )
    supplier: str | None = strawberry.field(
        default=None, description="Whose goods they are, where from a supplier: that supplier's plan inspects them."
    )
    supplier_lot: str | None = strawberry.field(
        default=None,
        description="The supplier's own number for the lot where it differs from `lot`: a trace starts from either.",
    )

    FIELDS: ClassVar[Mapping[str, str]] = _flat("to")

    def to_proto(self) -> pb.PostMovementRequest:
        request = self._request(pb.MOVEMENT_TYPE_RECEIPT, target=self._at(self.status))
        request.supplier, request.supplier_lot = self.supplier or "", self.supplier_lot or ""
        return request


@strawberry.input(description="Goods leaving the warehouse.")
class IssueInput(_OnePlaceInput):
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE,
        description="REJECTED, with reasonCode RETURN_TO_SUPPLIER or REWORK and a document, sends rejected goods "
        "back to the supplier or to rework; QC_HOLD is refused.",
    )

    FIELDS: ClassVar[Mapping[str, str]] = _flat("from")

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(pb.MOVEMENT_TYPE_ISSUE, source=self._at(self.status))


@strawberry.input(description="Goods destroyed or thrown away, in any status.")
class ScrapInput(_OnePlaceInput):
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE, description="The status of the stock scrapped; any status may be."
    )

    FIELDS: ClassVar[Mapping[str, str]] = _flat("from")

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(pb.MOVEMENT_TYPE_SCRAP, source=self._at(self.status))


@strawberry.input(description="Goods coming back (from a customer, from production), into QC_HOLD to be inspected.")
class ReturnStockInput(_OnePlaceInput):
    FIELDS: ClassVar[Mapping[str, str]] = _flat("to")

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(pb.MOVEMENT_TYPE_RETURN, target=self._at(StockStatus.QC_HOLD))


@strawberry.input(
    description="An inspection decision on stock in one place: QC_HOLD becomes AVAILABLE (passed) or REJECTED."
)
class ChangeStatusInput(_OnePlaceInput):
    from_status: StockStatus = strawberry.field(
        default=StockStatus.QC_HOLD,
        description="The stock's status now: AVAILABLE to put it on hold, REJECTED to use it as is, QC_HOLD for "
        "an admin's correction.",
    )
    to_status: StockStatus = strawberry.field(
        description="QC_HOLD from AVAILABLE, AVAILABLE from REJECTED; AVAILABLE or REJECTED from QC_HOLD."
    )

    FIELDS: ClassVar[Mapping[str, str]] = {
        **_flat("from"),
        **_flat("to"),
        "from.status": "fromStatus",
        "to.status": "toStatus",
    }

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(
            pb.MOVEMENT_TYPE_STATUS_CHANGE, source=self._at(self.from_status), target=self._at(self.to_status)
        )


@strawberry.input(description="One reason of an adjustment with the part of its quantity that reason explains.")
class ReasonQuantityInput:
    reason_code: str = strawberry.field(
        description="One of DAMAGE_NOT_RECORDED, GIFT_OR_SAMPLE_NOT_RECORDED, RECEIPT_NOT_RECORDED, "
        "ISSUE_NOT_RECORDED, TRANSFER_NOT_RECORDED, UNIT_OF_MEASURE_ERROR, ENTRY_ERROR, COUNTING_ERROR, "
        "SUPPLIER_SHORT_DELIVERY, THEFT_OR_UNKNOWN; each at most once."
    )
    quantity: decimal.Decimal = strawberry.field(description="Greater than zero, in the adjustment's unit.")

    def to_proto(self) -> pb.ReasonQuantity:
        return pb.ReasonQuantity(reason_code=self.reason_code, quantity=decimal_to_proto(self.quantity))


@strawberry.input(
    description="A gain or a loss found by a count or an investigation, with `reasonCode` or several `reasons`."
)
class AdjustInput(_OnePlaceInput):
    direction: AdjustmentDirection = strawberry.field(
        description="GAIN adds the quantity to the place, LOSS takes it away."
    )
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE, description="The status of the stock gained or lost."
    )
    reasons: list[ReasonQuantityInput] | None = strawberry.field(
        default=None, description="Several reasons, adding up to the quantity, instead of `reasonCode`."
    )

    FIELDS: ClassVar[Mapping[str, str]] = {**_flat("from"), **_flat("to")}

    def to_proto(self) -> pb.PostMovementRequest:
        place = self._at(self.status)
        gain = self.direction is AdjustmentDirection.GAIN
        return self._request(
            pb.MOVEMENT_TYPE_ADJUSTMENT,
            source=None if gain else place,
            target=place if gain else None,
            reasons=[reason.to_proto() for reason in self.reasons or ()],
        )


@strawberry.input(
    description="Stock moved to another location. Between warehouses it takes two transfers: first to the "
    "destination's in-transit location (the stock is then available in neither), then, when it arrives, "
    "from there to a location of the destination."
)
class TransferInput(_MovementInput):
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE, description="The stock's status, kept by the transfer."
    )
    source: LocationInput = strawberry.field(name="from", description="Where the stock is now.")
    to: LocationInput = strawberry.field(
        description="Where it goes: another location of the same warehouse, or the destination warehouse's "
        "in-transit location."
    )

    FIELDS: ClassVar[Mapping[str, str]] = {
        "from.lot": "lot",
        "to.lot": "lot",
        "from.status": "status",
        "to.status": "status",
    }

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(
            pb.MOVEMENT_TYPE_TRANSFER,
            source=_place(self.source.warehouse, self.source.location, self.lot, self.status),
            target=_place(self.to.warehouse, self.to.location, self.lot, self.status),
        )


@strawberry.input(description="One item to reserve in one warehouse.")
class ReservationLineInput:
    item_sku: str = strawberry.field(description="The SKU of the item to reserve; case is ignored.")
    warehouse: str = strawberry.field(
        description="The warehouse's code: stock is reserved per item and warehouse, not per location or lot."
    )
    quantity: decimal.Decimal = strawberry.field(description=QUANTITY_HELP)
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)

    def to_proto(self) -> pb.ReservationLine:
        return pb.ReservationLine(
            item_sku=self.item_sku,
            warehouse=self.warehouse,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
        )


@strawberry.input(description="Stock promised to a document, one reservation per line.")
class ReserveInput:
    lines: list[ReservationLineInput] = strawberry.field(
        description="At least one. Lines for the same item and warehouse share what is there, the earlier line first."
    )
    owner: DocumentRefInput = strawberry.field(
        description="The document the stock is promised to, e.g. SALES_ORDER SO-1 line 2; the reservations query "
        "finds them by it."
    )
    policy: ReservationPolicy = strawberry.field(
        default=ReservationPolicy.ALL_OR_NOTHING,
        description="ALL_OR_NOTHING reserves every line in full or nothing; PARTIAL gives each line what is there.",
    )
    expires_at: dt.datetime | None = strawberry.field(
        default=None,
        description="When what is still open is given back by itself: in the future, with a time zone. Null means "
        "it does not expire.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ReserveRequest:
        request = pb.ReserveRequest(
            idempotency_key=key(self.idempotency_key),
            lines=[line.to_proto() for line in self.lines],
            policy=enum_to_proto(pb.ReservationPolicy, self.policy),
            owner=self.owner.to_proto(),
        )
        if self.expires_at is not None:
            request.expires_at.CopyFrom(timestamp_to_proto(self.expires_at, "expiresAt"))
        return request


@strawberry.input(description="What to give back of a reservation.")
class ReleaseInput:
    reservation_id: strawberry.ID = strawberry.field(
        description="The `id` of an OPEN reservation; the id of something else is refused."
    )
    quantity: decimal.Decimal | None = strawberry.field(
        default=None,
        description="In the item's base unit, greater than zero and at most what is open; null releases "
        "everything still open.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ReleaseRequest:
        request = pb.ReleaseRequest(
            idempotency_key=key(self.idempotency_key),
            reservation_id=local_id(self.reservation_id, Reservation, "reservationId"),
        )
        if self.quantity is not None:
            request.quantity.CopyFrom(decimal_to_proto(self.quantity))
        return request


@strawberry.input(description="Issue reserved stock, from the reservation's warehouse, and consume the reservation.")
class IssueReservationInput:
    reservation_id: strawberry.ID = strawberry.field(
        description="The `id` of an OPEN reservation; the id of something else is refused."
    )
    quantity: decimal.Decimal = strawberry.field(
        description="Greater than zero, in `unit`, and at most what the reservation still holds."
    )
    location: str = strawberry.field(
        description="The code of the location in the reservation's warehouse the AVAILABLE stock leaves from."
    )
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)
    document: DocumentRefInput | None = strawberry.field(
        default=None, description="Null means the reservation's owner."
    )
    business_time: dt.datetime | None = strawberry.field(
        default=None, description="When it happened in the warehouse, not in the future; null means now."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    # The issue it posts names its place `from`, which this input gives flat.
    FIELDS: ClassVar[Mapping[str, str]] = _flat("from")

    def to_proto(self) -> pb.IssueReservationRequest:
        request = pb.IssueReservationRequest(
            idempotency_key=key(self.idempotency_key),
            reservation_id=local_id(self.reservation_id, Reservation, "reservationId"),
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            location=self.location,
            lot=self.lot or "",
        )
        if self.document is not None:
            request.document.CopyFrom(self.document.to_proto())
        if self.business_time is not None:
            request.business_time.CopyFrom(timestamp_to_proto(self.business_time, "businessTime"))
        return request
