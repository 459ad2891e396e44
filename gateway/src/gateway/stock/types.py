"""Stock types as the graph shows them, each built from its protobuf message.

Quantities are in the item's base unit unless a field says otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry import relay

from gateway import described
from gateway.context import Info
from gateway.convert import (
    date_from_proto,
    decimal_from_proto,
    enum_from_code,
    enum_from_proto,
    instant_from_proto,
    timestamp_from_proto,
)
from gateway.errors import call
from gateway.nodes import FetchedNode, global_id
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from invariant.stock.v1 import stock_pb2 as pb


@strawberry.enum(description="What stock may be used for; every balance is kept per status.")
class StockStatus(Enum):
    AVAILABLE = strawberry.enum_value("AVAILABLE", description="Usable: it can be reserved, promised and issued.")
    QC_HOLD = strawberry.enum_value(
        "QC_HOLD",
        description="Waiting for inspection, never available; the quality service's decision makes it "
        "AVAILABLE or REJECTED (the rejected moved into the warehouse's quarantine location).",
    )
    REJECTED = strawberry.enum_value(
        "REJECTED",
        description="Failed inspection, never available: it leaves by scrap, or by an issue with reasonCode "
        "RETURN_TO_SUPPLIER or REWORK and its document, or a manager uses it as is (changeStatus to AVAILABLE).",
    )


@strawberry.enum(
    description="What a location is used for. Only IN_TRANSIT changes what may happen there; the others are labels "
    "for the front end."
)
class LocationKind(Enum):
    STORAGE = strawberry.enum_value("STORAGE", description="A bin or shelf where stock is kept; the default.")
    RECEIVING = strawberry.enum_value("RECEIVING", description="A dock or area where incoming goods are put down.")
    SHIPPING = strawberry.enum_value("SHIPPING", description="An area where goods wait to leave.")
    QUARANTINE = strawberry.enum_value(
        "QUARANTINE",
        description="An area set apart for goods on QC_HOLD or REJECTED; the status, not the kind, "
        "keeps them unavailable.",
    )
    IN_TRANSIT = strawberry.enum_value(
        "IN_TRANSIT",
        description="The one location made with each warehouse for goods on their way from another warehouse; "
        "stock there counts as in transit whatever its status, and only transfers and adjustments touch it. "
        "createLocation refuses this kind.",
    )


@strawberry.enum(description="What a movement did; each type has its own sides (`from`, `to`).")
class MovementType(Enum):
    RECEIPT = strawberry.enum_value(
        "RECEIPT", description="Goods came in from outside (a supplier, production): `to` only, AVAILABLE or QC_HOLD."
    )
    ISSUE = strawberry.enum_value(
        "ISSUE",
        description="Goods left the warehouse (a sale, a work order, a return to the supplier): `from` only.",
    )
    TRANSFER = strawberry.enum_value(
        "TRANSFER", description="Goods moved to another location, keeping their lot and status: both sides."
    )
    SCRAP = strawberry.enum_value("SCRAP", description="Goods destroyed or thrown away, in any status: `from` only.")
    RETURN = strawberry.enum_value(
        "RETURN", description="Goods came back (from a customer, from production) into QC_HOLD: `to` only."
    )
    ADJUSTMENT = strawberry.enum_value(
        "ADJUSTMENT",
        description="A correction of the book found by a count or an investigation: a gain (`to` only) or a loss "
        "(`from` only).",
    )
    STATUS_CHANGE = strawberry.enum_value(
        "STATUS_CHANGE",
        description="An inspection decision: QC_HOLD became AVAILABLE or REJECTED in the same location and lot; "
        "both sides.",
    )


@strawberry.enum(description="Where a reservation stands; only an OPEN one still holds stock.")
class ReservationState(Enum):
    OPEN = strawberry.enum_value("OPEN", description="It still holds its `open` quantity, which is above zero.")
    CONSUMED = strawberry.enum_value(
        "CONSUMED", description="Nothing is held any more and some of it was issued against the reservation."
    )
    RELEASED = strawberry.enum_value(
        "RELEASED",
        description="Nothing is held any more and nothing was issued: it was given back, or a PARTIAL reservation "
        "got nothing.",
    )
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Its `expiresAt` passed and what was still open was given back."
    )


@strawberry.enum(description="Which stored quantity an integrity report's drift is about.")
class DriftKind(Enum):
    BALANCE = strawberry.enum_value(
        "BALANCE",
        description="A place's stored balance against the sum of its movements in the ledger; the drift names the "
        "place.",
    )
    RESERVED = strawberry.enum_value(
        "RESERVED", description="The item's `reserved` total in the warehouse against its open reservations."
    )
    AVAILABLE = strawberry.enum_value(
        "AVAILABLE",
        description="The item's `available` in the warehouse against its AVAILABLE balances outside the in-transit "
        "location.",
    )
    QC_HOLD = strawberry.enum_value(
        "QC_HOLD",
        description="The item's `qcHold` in the warehouse against its QC_HOLD balances outside the in-transit "
        "location.",
    )
    REJECTED = strawberry.enum_value(
        "REJECTED",
        description="The item's `rejected` in the warehouse against its REJECTED balances outside the in-transit "
        "location.",
    )
    IN_TRANSIT = strawberry.enum_value(
        "IN_TRANSIT",
        description="The item's `inTransit` in the warehouse against its balances in the in-transit location.",
    )


@strawberry.type(description="A location (bin) of a warehouse.")
class Location(FetchedNode):
    # The warehouse's code and the location's, joined by a colon, which neither code may hold.
    id: relay.NodeID[str]
    warehouse: str = strawberry.field(description="The code of the warehouse it belongs to.")
    code: str = strawberry.field(
        description="The location's code, unique within its warehouse: upper-case letters, digits and . _ / -, "
        "up to 40 characters, e.g. `A-01-03`."
    )
    kind: LocationKind = strawberry.field(description="What it is used for.")

    @classmethod
    def from_proto(cls, proto: pb.Location) -> Location:
        return cls(
            id=f"{proto.warehouse}:{proto.code}",
            warehouse=proto.warehouse,
            code=proto.code,
            kind=enum_from_proto(LocationKind, pb.LocationKind, proto.kind),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[Location]:
        keys = [
            pb.LocationKey(warehouse=warehouse, code=code) for warehouse, _, code in (i.partition(":") for i in ids)
        ]
        reply = await call(lambda: info.context.stubs.stock.GetLocations(pb.GetLocationsRequest(keys=keys)))
        return [cls.from_proto(location) for location in reply.locations]


@strawberry.type(description="A warehouse (site) with its locations; stock is always in a location of a warehouse.")
class Warehouse(FetchedNode):
    id: relay.NodeID[str]
    code: str = strawberry.field(
        description="The warehouse's code, as every other field names it: upper-case letters, digits, _ and -, "
        "up to 20 characters, starting with a letter, e.g. `WH1`."
    )
    name: str = strawberry.field(description="The name people know it by, for display.")
    allow_negative_stock: bool = strawberry.field(
        description="Whether a movement may take a balance below zero here. When false, such a movement is refused "
        "with INSUFFICIENT_STOCK."
    )
    in_transit_location: str = strawberry.field(
        description="The code of the location (`IN_TRANSIT`) where stock sent from another warehouse waits, "
        "available in neither, until it arrives."
    )

    @described.field("The warehouse's locations by code, its in-transit location included.")
    async def locations(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Location]:
        page = page_request(first, after, last, before)
        if page.token:
            request = pb.ListLocationsRequest(warehouse=self.code, **page.fields)
            reply = await call(lambda: info.context.stubs.stock.ListLocations(request))
        else:
            reply = await info.context.stock_loaders.first_locations.load((self.code, page.size, page.reverse))
        locations = [Location.from_proto(location) for location in reply.locations]
        return connection(locations, reply.cursors, page, reply.next_page_token)

    @classmethod
    def from_proto(cls, proto: pb.Warehouse) -> Warehouse:
        return cls(
            id=proto.code,
            code=proto.code,
            name=proto.name,
            allow_negative_stock=proto.allow_negative_stock,
            in_transit_location=proto.in_transit_location,
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[Warehouse]:
        reply = await call(lambda: info.context.stubs.stock.GetWarehouses(pb.GetWarehousesRequest(codes=ids)))
        return [cls.from_proto(warehouse) for warehouse in reply.warehouses]


@strawberry.type(description="A lot (batch) of a lot-tracked item, as printed on its labels.")
class Lot:
    item_sku: str = strawberry.field(description="The SKU of the item the lot belongs to.")
    lot: str = strawberry.field(
        description="The lot number, kept as given (case matters): 1 to 40 printable characters without spaces."
    )
    expiry_date: dt.date | None = strawberry.field(
        description="The lot's best-before or expiry date; null when none was given."
    )

    @classmethod
    def from_proto(cls, proto: pb.Lot) -> Lot:
        return cls(item_sku=proto.item_sku, lot=proto.lot, expiry_date=date_from_proto(proto.expiry_date))


@strawberry.type(description="Where stock is: a location of a warehouse, a lot and a status.")
class StockPlace:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    location: str = strawberry.field(description="The location's code within that warehouse.")
    lot: str | None = strawberry.field(description="Null when the item is not lot-tracked.")
    status: StockStatus = strawberry.field(description="The status the stock is in at this place.")

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


@strawberry.type(
    description="The document a movement or a reservation belongs to, by type, number and line, e.g. SALES_ORDER "
    "SO-1 line 2. It is not a node: every line of a document shares its number."
)
class DocumentRef:
    type: str = strawberry.field(
        description="The kind of document, upper case: SALES_ORDER, PURCHASE_ORDER, WORK_ORDER, COUNT, INSPECTION, ..."
    )
    number: str = strawberry.field(
        description="The document's number in the system that owns it, e.g. `SO-1`; for a COUNT, the counting "
        "service's own number of the count, not the Count's `id` in this graph."
    )
    line: str | None = strawberry.field(description="The document's line; null when the whole document is meant.")

    @classmethod
    def from_proto(cls, proto: pb.DocumentRef) -> DocumentRef | None:
        if not proto.type and not proto.id:
            return None
        return cls(type=proto.type, number=proto.id, line=proto.line or None)


@strawberry.type(description="One reason of an adjustment and the part of its quantity that reason explains.")
class ReasonQuantity:
    reason_code: str = strawberry.field(
        description="Why, as a code: COUNTING_ERROR, DAMAGE_NOT_RECORDED, THEFT_OR_UNKNOWN, ... (a count may use its "
        "own codes)."
    )
    quantity: decimal.Decimal = strawberry.field(description="The part this reason explains, in the item's base unit.")

    @classmethod
    def from_proto(cls, proto: pb.ReasonQuantity) -> ReasonQuantity:
        return cls(reason_code=proto.reason_code, quantity=decimal_from_proto(proto.quantity))


@strawberry.type(
    description="One entry of the append-only stock ledger; give its `id` as `correctsMovementId` to post a "
    "compensating movement."
)
class Movement(FetchedNode):
    id: relay.NodeID[str]
    type: MovementType = strawberry.field(description="What the movement did, which says which sides it has.")
    item_sku: str = strawberry.field(description="The SKU of the item moved.")
    quantity: decimal.Decimal = strawberry.field(description="In the item's base unit.")
    entered_unit: str = strawberry.field(description="The unit the quantity was entered in, before conversion.")
    from_: StockPlace | None = strawberry.field(name="from", description="Null for receipts, returns and gains.")
    to: StockPlace | None = strawberry.field(description="Null for issues, scrap and losses.")
    document: DocumentRef | None = strawberry.field(
        description="The document it was posted for (order, inspection, count line); null when it names none."
    )
    reason_code: str | None = strawberry.field(
        description="Why, as a code (e.g. COUNTING_ERROR, RETURN_TO_SUPPLIER); null when none was given."
    )
    reasons: list[ReasonQuantity] = strawberry.field(
        description="An adjustment's reasons, adding up to its quantity; empty for other movements and for an "
        "adjustment with a single reasonCode."
    )
    actor: str = strawberry.field(
        description="The id of the user it was posted for (from their token), kept for the audit trail."
    )
    business_time: dt.datetime = strawberry.field(
        description="When it happened in the warehouse, in UTC; balances as of a time go by this."
    )
    posted_at: dt.datetime = strawberry.field(
        description="When the ledger recorded it, in UTC; at or after businessTime."
    )
    corrects_movement_id: strawberry.ID | None = strawberry.field(
        description="The `id` of the movement this one compensates for (`node` fetches it); null when it corrects none."
    )
    reservation_id: strawberry.ID | None = strawberry.field(
        description="The `id` of the reservation an issue was posted against (`node` fetches it); null otherwise."
    )
    supplier: str | None = strawberry.field(description="A receipt's supplier, where given; null otherwise.")
    supplier_lot: str | None = strawberry.field(
        description="A receipt's lot as the supplier numbered it, where given; null otherwise."
    )

    @classmethod
    def from_proto(cls, proto: pb.Movement) -> Movement:
        return cls(
            id=proto.id,
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
            business_time=instant_from_proto(proto.business_time),
            posted_at=instant_from_proto(proto.posted_at),
            corrects_movement_id=global_id(Movement, proto.corrects_movement_id)
            if proto.corrects_movement_id
            else None,
            reservation_id=global_id(Reservation, proto.reservation_id) if proto.reservation_id else None,
            supplier=proto.supplier or None,
            supplier_lot=proto.supplier_lot or None,
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[Movement]:
        reply = await call(lambda: info.context.stubs.stock.GetMovements(pb.GetMovementsRequest(ids=ids)))
        return [cls.from_proto(movement) for movement in reply.movements]


@strawberry.type(
    description="Stock promised to a document for an item in a warehouse; give its `id` to release and "
    "issueReservation."
)
class Reservation(FetchedNode):
    id: relay.NodeID[str]
    item_sku: str = strawberry.field(description="The SKU of the item reserved.")
    warehouse: str = strawberry.field(
        description="The code of the warehouse it is reserved in; reservations hold no location or lot."
    )
    requested: decimal.Decimal = strawberry.field(
        description="What was asked. Under PARTIAL it may be more than was granted (`open` + `consumed` + `released`)."
    )
    open: decimal.Decimal = strawberry.field(
        description="Still held: counted in the warehouse's `reserved`, so no one else can be promised it."
    )
    consumed: decimal.Decimal = strawberry.field(description="Issued against the reservation.")
    released: decimal.Decimal = strawberry.field(description="Given back, by a release or by expiry.")
    owner: DocumentRef | None = strawberry.field(
        description="The document the stock is promised to, e.g. SALES_ORDER SO-1 line 2; null if it was made "
        "without one."
    )
    expires_at: dt.datetime | None = strawberry.field(
        description="When what is still open is given back by itself (a few seconds after, at most); "
        "null when it never expires."
    )
    state: ReservationState = strawberry.field(description="Whether it still holds stock, and if not, why.")
    created_at: dt.datetime = strawberry.field(description="When it was made, in UTC.")

    @classmethod
    def from_proto(cls, proto: pb.Reservation) -> Reservation:
        return cls(
            id=proto.id,
            item_sku=proto.item_sku,
            warehouse=proto.warehouse,
            requested=decimal_from_proto(proto.requested),
            open=decimal_from_proto(proto.open),
            consumed=decimal_from_proto(proto.consumed),
            released=decimal_from_proto(proto.released),
            owner=DocumentRef.from_proto(proto.owner),
            expires_at=timestamp_from_proto(proto.expires_at),
            state=ReservationState(proto.state),
            created_at=instant_from_proto(proto.created_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[Reservation]:
        reply = await call(lambda: info.context.stubs.stock.GetReservations(pb.GetReservationsRequest(ids=ids)))
        return [cls.from_proto(reservation) for reservation in reply.reservations]


@strawberry.type(description="An item in a warehouse: stock on hand by status, and what reservations hold of it.")
class Availability:
    item_sku: str = strawberry.field(description="The item's SKU.")
    warehouse: str = strawberry.field(description="The warehouse's code.")
    available: decimal.Decimal = strawberry.field(description="AVAILABLE stock on hand, reserved or not.")
    qc_hold: decimal.Decimal = strawberry.field(description="Waiting for inspection.")
    rejected: decimal.Decimal = strawberry.field(
        description="Failed inspection, waiting to be scrapped or returned to the supplier."
    )
    in_transit: decimal.Decimal = strawberry.field(description="Sent from another warehouse, not yet arrived.")
    reserved: decimal.Decimal = strawberry.field(description="What open reservations hold of `available`.")
    available_to_promise: decimal.Decimal = strawberry.field(
        description="`available` less `reserved`: what a new order can still be promised. Negative only when reserved "
        "stock went (a loss, scrap, or an issue where negative stock is allowed); a shortage is then reported."
    )
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
    item_sku: str = strawberry.field(description="The item's SKU.")
    place: StockPlace = strawberry.field(description="The warehouse, location, lot and status it is kept for.")
    quantity: decimal.Decimal = strawberry.field(
        description="The sum of the ledger's movements at the place; zero when everything left, negative only "
        "where the warehouse allows negative stock."
    )
    unit: str = strawberry.field(description="The item's base unit, which the quantity is in.")
    as_of: dt.datetime | None = strawberry.field(
        description="The moment a balanceAsOf answer is for; null on a current balance."
    )
    lot_expiry: dt.date | None = strawberry.field(
        description="The lot's expiry date, on a current balance of a lot that has one; pickers take the lot "
        "that expires first."
    )

    @classmethod
    def from_proto(cls, proto: pb.Balance) -> Balance:
        return cls(
            item_sku=proto.item_sku,
            place=StockPlace.from_proto(proto.place),
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            as_of=timestamp_from_proto(proto.as_of),
            lot_expiry=date_from_proto(proto.lot_expiry),
        )


@strawberry.type(description="A stored quantity that differs from the one recomputed from the ledger.")
class Drift:
    kind: DriftKind = strawberry.field(
        description="What drifted: BALANCE (a place's balance against its movements), RESERVED (a warehouse's "
        "reserved total against its open reservations), or AVAILABLE, QC_HOLD, REJECTED or IN_TRANSIT (that "
        "figure of the item's availability against the balances)."
    )
    item_sku: str = strawberry.field(description="The item's SKU.")
    warehouse: str = strawberry.field(description="The warehouse's code.")
    place: StockPlace | None = strawberry.field(description="The balance's place for a BALANCE drift; null otherwise.")
    recorded: decimal.Decimal = strawberry.field(description="The quantity the service has stored.")
    recomputed: decimal.Decimal = strawberry.field(
        description="The quantity the ledger (or the open reservations) says it should be."
    )

    @classmethod
    def from_proto(cls, proto: pb.Drift) -> Drift:
        return cls(
            kind=enum_from_code(DriftKind, proto.kind, "Drift.kind"),
            item_sku=proto.item_sku,
            warehouse=proto.place.warehouse,
            place=StockPlace.from_proto(proto.place) if proto.place.location else None,
            recorded=decimal_from_proto(proto.recorded),
            recomputed=decimal_from_proto(proto.recomputed),
        )


@strawberry.type(
    description="A check of the stored quantities against the ledger and the reservations; it changes nothing."
)
class IntegrityReport:
    balances_checked: int = strawberry.field(description="How many stored balances were compared.")
    availabilities_checked: int = strawberry.field(
        description="How many (item, warehouse) availabilities were compared."
    )
    drifts: list[Drift] = strawberry.field(description="Empty when the ledger and the stored quantities agree.")

    @classmethod
    def from_proto(cls, proto: pb.IntegrityReport) -> IntegrityReport:
        return cls(
            balances_checked=proto.balances_checked,
            availabilities_checked=proto.availabilities_checked,
            drifts=[Drift.from_proto(drift) for drift in proto.drifts],
        )
