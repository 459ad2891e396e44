"""Stock types as the graph shows them, each built from its protobuf message.

Quantities are in the item's base unit unless a field says otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.convert import date_from_proto, decimal_from_proto, enum_from_proto, timestamp_from_proto
from invariant.stock.v1 import stock_pb2 as pb


@strawberry.enum
class StockStatus(Enum):
    AVAILABLE = "AVAILABLE"
    QC_HOLD = "QC_HOLD"
    REJECTED = "REJECTED"


@strawberry.enum
class LocationKind(Enum):
    STORAGE = "STORAGE"
    RECEIVING = "RECEIVING"
    SHIPPING = "SHIPPING"
    QUARANTINE = "QUARANTINE"
    IN_TRANSIT = "IN_TRANSIT"


@strawberry.enum
class MovementType(Enum):
    RECEIPT = "RECEIPT"
    ISSUE = "ISSUE"
    TRANSFER = "TRANSFER"
    SCRAP = "SCRAP"
    RETURN = "RETURN"
    ADJUSTMENT = "ADJUSTMENT"
    STATUS_CHANGE = "STATUS_CHANGE"


@strawberry.enum
class ReservationState(Enum):
    OPEN = "OPEN"
    CONSUMED = "CONSUMED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="A location (bin) of a warehouse.")
class Location:
    warehouse: str
    code: str
    kind: LocationKind

    @classmethod
    def from_proto(cls, proto: pb.Location) -> Location:
        return cls(
            warehouse=proto.warehouse, code=proto.code, kind=enum_from_proto(LocationKind, pb.LocationKind, proto.kind)
        )


@strawberry.type
class Warehouse:
    code: str
    name: str
    allow_negative_stock: bool
    in_transit_location: str = strawberry.field(
        description="Where stock sent from another warehouse waits, available in neither, until it arrives."
    )

    @strawberry.field
    async def locations(self, info: Info) -> list[Location]:
        found = await info.context.stock_loaders.locations_by_warehouse.load(self.code)
        return [Location.from_proto(location) for location in found]

    @classmethod
    def from_proto(cls, proto: pb.Warehouse) -> Warehouse:
        return cls(
            code=proto.code,
            name=proto.name,
            allow_negative_stock=proto.allow_negative_stock,
            in_transit_location=proto.in_transit_location,
        )


@strawberry.type
class Lot:
    item_sku: str
    lot: str
    expiry_date: dt.date | None

    @classmethod
    def from_proto(cls, proto: pb.Lot) -> Lot:
        return cls(item_sku=proto.item_sku, lot=proto.lot, expiry_date=date_from_proto(proto.expiry_date))


@strawberry.type(description="Where stock is: a location of a warehouse, a lot and a status.")
class StockPlace:
    warehouse: str
    location: str
    lot: str | None = strawberry.field(description="Null when the item is not lot-tracked.")
    status: StockStatus

    @classmethod
    def from_proto(cls, proto: pb.StockPlace) -> StockPlace:
        return cls(
            warehouse=proto.warehouse,
            location=proto.location,
            lot=proto.lot or None,
            status=enum_from_proto(StockStatus, pb.StockStatus, proto.status),
        )


def _place(message: pb.Movement, side: str) -> StockPlace | None:
    return StockPlace.from_proto(getattr(message, side)) if message.HasField(side) else None


@strawberry.type(description="The document a movement or a reservation belongs to, e.g. SALES_ORDER SO-1 line 2.")
class DocumentRef:
    type: str
    id: str
    line: str | None

    @classmethod
    def from_proto(cls, proto: pb.DocumentRef) -> DocumentRef | None:
        if not proto.type and not proto.id:
            return None
        return cls(type=proto.type, id=proto.id, line=proto.line or None)


@strawberry.type
class ReasonQuantity:
    reason_code: str
    quantity: decimal.Decimal

    @classmethod
    def from_proto(cls, proto: pb.ReasonQuantity) -> ReasonQuantity:
        return cls(reason_code=proto.reason_code, quantity=decimal_from_proto(proto.quantity))


@strawberry.type(description="One entry of the append-only stock ledger.")
class Movement:
    id: strawberry.ID
    type: MovementType
    item_sku: str
    quantity: decimal.Decimal = strawberry.field(description="In the item's base unit.")
    entered_unit: str = strawberry.field(description="The unit the quantity was entered in, before conversion.")
    from_: StockPlace | None = strawberry.field(name="from", description="Null for receipts, returns and gains.")
    to: StockPlace | None = strawberry.field(description="Null for issues, scrap and losses.")
    document: DocumentRef | None
    reason_code: str | None
    reasons: list[ReasonQuantity] = strawberry.field(description="An adjustment's reasons, adding up to its quantity.")
    actor: str
    business_time: dt.datetime | None = strawberry.field(description="When it happened in the warehouse.")
    posted_at: dt.datetime | None
    corrects_movement_id: strawberry.ID | None
    reservation_id: strawberry.ID | None = strawberry.field(description="Set on an issue against a reservation.")

    @classmethod
    def from_proto(cls, proto: pb.Movement) -> Movement:
        return cls(
            id=strawberry.ID(proto.id),
            type=enum_from_proto(MovementType, pb.MovementType, proto.type),
            item_sku=proto.item_sku,
            quantity=decimal_from_proto(proto.quantity),
            entered_unit=proto.unit,
            from_=_place(proto, "from"),
            to=_place(proto, "to"),
            document=DocumentRef.from_proto(proto.document),
            reason_code=proto.reason_code or None,
            reasons=[ReasonQuantity.from_proto(reason) for reason in proto.reasons],
            actor=proto.actor,
            business_time=timestamp_from_proto(proto.business_time),
            posted_at=timestamp_from_proto(proto.posted_at),
            corrects_movement_id=strawberry.ID(proto.corrects_movement_id) if proto.corrects_movement_id else None,
            reservation_id=strawberry.ID(proto.reservation_id) if proto.reservation_id else None,
        )


@strawberry.type(description="Stock promised to a document for an item in a warehouse.")
class Reservation:
    id: strawberry.ID
    item_sku: str
    warehouse: str
    requested: decimal.Decimal
    open: decimal.Decimal = strawberry.field(description="Still held.")
    consumed: decimal.Decimal = strawberry.field(description="Issued against the reservation.")
    released: decimal.Decimal = strawberry.field(description="Given back, by a release or by expiry.")
    owner: DocumentRef | None
    expires_at: dt.datetime | None
    state: ReservationState
    created_at: dt.datetime | None

    @classmethod
    def from_proto(cls, proto: pb.Reservation) -> Reservation:
        return cls(
            id=strawberry.ID(proto.id),
            item_sku=proto.item_sku,
            warehouse=proto.warehouse,
            requested=decimal_from_proto(proto.requested),
            open=decimal_from_proto(proto.open),
            consumed=decimal_from_proto(proto.consumed),
            released=decimal_from_proto(proto.released),
            owner=DocumentRef.from_proto(proto.owner),
            expires_at=timestamp_from_proto(proto.expires_at),
            state=ReservationState(proto.state),
            created_at=timestamp_from_proto(proto.created_at),
        )


@strawberry.type(description="An item in a warehouse: stock on hand by status, and what reservations hold of it.")
class Availability:
    item_sku: str
    warehouse: str
    available: decimal.Decimal = strawberry.field(description="AVAILABLE stock on hand, reserved or not.")
    qc_hold: decimal.Decimal = strawberry.field(description="Waiting for inspection.")
    rejected: decimal.Decimal
    in_transit: decimal.Decimal = strawberry.field(description="Sent from another warehouse, not yet arrived.")
    reserved: decimal.Decimal
    available_to_promise: decimal.Decimal = strawberry.field(description="`available` less `reserved`.")
    unit: str = strawberry.field(description="The item's base unit, which every quantity here is in.")

    @classmethod
    def from_proto(cls, proto: pb.Availability) -> Availability:
        return cls(
            item_sku=proto.item_sku,
            warehouse=proto.warehouse,
            available=decimal_from_proto(proto.available_on_hand),
            qc_hold=decimal_from_proto(proto.qc_hold),
            rejected=decimal_from_proto(proto.rejected),
            in_transit=decimal_from_proto(proto.in_transit),
            reserved=decimal_from_proto(proto.reserved),
            available_to_promise=decimal_from_proto(proto.available_to_promise),
            unit=proto.unit,
        )


@strawberry.type(description="How much of an item is at one place.")
class Balance:
    item_sku: str
    place: StockPlace
    quantity: decimal.Decimal
    unit: str
    as_of: dt.datetime | None = strawberry.field(description="Set on a balance as of a past time.")

    @classmethod
    def from_proto(cls, proto: pb.Balance) -> Balance:
        return cls(
            item_sku=proto.item_sku,
            place=StockPlace.from_proto(proto.place),
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            as_of=timestamp_from_proto(proto.as_of),
        )


@strawberry.type(description="A stored quantity that differs from the one recomputed from the ledger.")
class Drift:
    kind: str = strawberry.field(description="BALANCE (a place's balance) or RESERVED (a warehouse's reserved total).")
    item_sku: str
    warehouse: str
    place: StockPlace | None = strawberry.field(description="The balance's place; null for a RESERVED drift.")
    recorded: decimal.Decimal
    recomputed: decimal.Decimal

    @classmethod
    def from_proto(cls, proto: pb.Drift) -> Drift:
        return cls(
            kind=proto.kind,
            item_sku=proto.item_sku,
            warehouse=proto.place.warehouse,
            place=StockPlace.from_proto(proto.place) if proto.place.location else None,
            recorded=decimal_from_proto(proto.recorded),
            recomputed=decimal_from_proto(proto.recomputed),
        )


@strawberry.type
class IntegrityReport:
    balances_checked: int
    availabilities_checked: int
    drifts: list[Drift] = strawberry.field(description="Empty when the ledger and the stored quantities agree.")

    @classmethod
    def from_proto(cls, proto: pb.IntegrityReport) -> IntegrityReport:
        return cls(
            balances_checked=proto.balances_checked,
            availabilities_checked=proto.availabilities_checked,
            drifts=[Drift.from_proto(drift) for drift in proto.drifts],
        )
