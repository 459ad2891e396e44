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
from gateway.stock.types import LocationKind, StockStatus
from invariant.stock.v1 import stock_pb2 as pb

UNIT_HELP = "Any unit of the item, converted exactly to its base unit; null means the base unit."
LOT_HELP = "Required for a lot-tracked item, null otherwise."


@strawberry.enum
class ReservationPolicy(Enum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    PARTIAL = "PARTIAL"


@strawberry.enum
class AdjustmentDirection(Enum):
    GAIN = "GAIN"
    LOSS = "LOSS"


def _place(warehouse: str, location: str, lot: str | None, status: StockStatus) -> pb.StockPlace:
    return pb.StockPlace(
        warehouse=warehouse, location=location, lot=lot or "", status=enum_to_proto(pb.StockStatus, status)
    )


def _flat(side: str) -> dict[str, str]:
    """The request's `from.*` or `to.*` fields, which an input with one place names without the prefix."""
    return {f"{side}.{name}": name for name in ("warehouse", "location", "lot", "status")}


@strawberry.input(description="The document something belongs to, e.g. SALES_ORDER SO-1 line 2.")
class DocumentRefInput:
    type: str = strawberry.field(description="SALES_ORDER, PURCHASE_ORDER, WORK_ORDER, COUNT, INSPECTION, ...")
    id: str
    line: str | None = None

    def to_proto(self) -> pb.DocumentRef:
        return pb.DocumentRef(type=self.type, id=self.id, line=self.line or "")


@strawberry.input(description="Where stock is: a location of a warehouse, a lot and a status.")
class StockPlaceInput:
    warehouse: str
    location: str
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)
    status: StockStatus = StockStatus.AVAILABLE

    def to_proto(self) -> pb.StockPlace:
        return _place(self.warehouse, self.location, self.lot, self.status)


@strawberry.input
class LocationInput:
    warehouse: str
    location: str


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    allow_negative_stock: bool = False
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateWarehouseRequest:
        return pb.CreateWarehouseRequest(
            idempotency_key=key(self.idempotency_key),
            code=self.code,
            name=self.name,
            allow_negative_stock=self.allow_negative_stock,
        )


@strawberry.input
class CreateLocationInput:
    warehouse: str
    code: str
    kind: LocationKind = LocationKind.STORAGE
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateLocationRequest:
        return pb.CreateLocationRequest(
            idempotency_key=key(self.idempotency_key),
            warehouse=self.warehouse,
            code=self.code,
            kind=enum_to_proto(pb.LocationKind, self.kind),
        )


@strawberry.input
class CreateLotInput:
    item_sku: str
    lot: str
    expiry_date: dt.date | None = None
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

    item_sku: str
    quantity: decimal.Decimal = strawberry.field(description="Greater than zero, in `unit`.")
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    reason_code: str | None = strawberry.field(
        default=None,
        description="Why: an adjustment's reason (COUNTING_ERROR, DAMAGE_NOT_RECORDED, ...), "
        "RETURN_TO_SUPPLIER for an issue of rejected stock.",
    )
    document: DocumentRefInput | None = None
    business_time: dt.datetime | None = strawberry.field(
        default=None, description="When it happened in the warehouse, not in the future; null means now."
    )
    corrects_movement_id: strawberry.ID | None = strawberry.field(
        default=None, description="The movement this one compensates for: the ledger is never edited."
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
            corrects_movement_id=self.corrects_movement_id or "",
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
    warehouse: str
    location: str
    lot: str | None = strawberry.field(default=None, description=LOT_HELP)

    def _at(self, status: StockStatus) -> pb.StockPlace:
        return _place(self.warehouse, self.location, self.lot, status)


@strawberry.input(description="Goods coming in from outside (a supplier, production); an unknown lot is created.")
class ReceiveInput(_OnePlaceInput):
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE, description="QC_HOLD when the goods are to be inspected."
    )

    FIELDS: ClassVar[Mapping[str, str]] = _flat("to")

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(pb.MOVEMENT_TYPE_RECEIPT, target=self._at(self.status))


@strawberry.input(description="Goods leaving the warehouse.")
class IssueInput(_OnePlaceInput):
    status: StockStatus = strawberry.field(
        default=StockStatus.AVAILABLE,
        description="REJECTED, with reasonCode RETURN_TO_SUPPLIER, sends rejected goods back to the supplier.",
    )

    FIELDS: ClassVar[Mapping[str, str]] = _flat("from")

    def to_proto(self) -> pb.PostMovementRequest:
        return self._request(pb.MOVEMENT_TYPE_ISSUE, source=self._at(self.status))


@strawberry.input(description="Goods destroyed or thrown away, in any status.")
class ScrapInput(_OnePlaceInput):
    status: StockStatus = StockStatus.AVAILABLE

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
    from_status: StockStatus = StockStatus.QC_HOLD
    to_status: StockStatus

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


@strawberry.input
class ReasonQuantityInput:
    reason_code: str
    quantity: decimal.Decimal = strawberry.field(description="In the adjustment's unit.")

    def to_proto(self) -> pb.ReasonQuantity:
        return pb.ReasonQuantity(reason_code=self.reason_code, quantity=decimal_to_proto(self.quantity))


@strawberry.input(
    description="A gain or a loss found by a count or an investigation, with `reasonCode` or several `reasons`."
)
class AdjustInput(_OnePlaceInput):
    direction: AdjustmentDirection
    status: StockStatus = StockStatus.AVAILABLE
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
    status: StockStatus = strawberry.field(default=StockStatus.AVAILABLE, description="Kept by the transfer.")
    source: LocationInput = strawberry.field(name="from")
    to: LocationInput

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


@strawberry.input
class ReservationLineInput:
    item_sku: str
    warehouse: str
    quantity: decimal.Decimal
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
    lines: list[ReservationLineInput]
    owner: DocumentRefInput
    policy: ReservationPolicy = strawberry.field(
        default=ReservationPolicy.ALL_OR_NOTHING,
        description="ALL_OR_NOTHING reserves every line in full or nothing; PARTIAL gives each line what is there.",
    )
    expires_at: dt.datetime | None = strawberry.field(default=None, description="Null means it does not expire.")
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


@strawberry.input
class ReleaseInput:
    reservation_id: strawberry.ID
    quantity: decimal.Decimal | None = strawberry.field(
        default=None, description="In the item's base unit; null releases everything still open."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ReleaseRequest:
        request = pb.ReleaseRequest(idempotency_key=key(self.idempotency_key), reservation_id=self.reservation_id)
        if self.quantity is not None:
            request.quantity.CopyFrom(decimal_to_proto(self.quantity))
        return request


@strawberry.input(description="Issue reserved stock, from the reservation's warehouse, and consume the reservation.")
class IssueReservationInput:
    reservation_id: strawberry.ID
    quantity: decimal.Decimal
    location: str
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
            reservation_id=self.reservation_id,
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
