"""What stock is asked to do, as its handlers take it. Items are named by their SKU as
stored (upper case, trimmed): the handler finds them in the replica, in its transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from stock.domain.codes import LocationKind, MovementType, ReservationPolicy
from stock.domain.movements import ADJUSTMENT_REASON_CODES
from stock.domain.places import Place
from stock.domain.reservations import DocumentRef


@dataclass(frozen=True)
class CreateWarehouse:
    code: str
    name: str
    allow_negative_stock: bool


@dataclass(frozen=True)
class CreateLocation:
    warehouse: str
    code: str
    kind: LocationKind


@dataclass(frozen=True)
class CreateLot:
    item_sku: str
    lot: str
    expiry: date | None


@dataclass(frozen=True)
class PostMovement:
    type: MovementType
    item_sku: str
    quantity: str
    unit: str
    source: Place | None
    target: Place | None
    document: DocumentRef
    idempotency_key: str
    reason_code: str = ""
    reasons: Sequence[tuple[str, str]] = ()
    business_time: datetime | None = None
    corrects_movement_id: str = ""
    # A purchase receipt's supplier and the supplier's lot number (RECEIPT only).
    supplier: str = ""
    supplier_lot: str = ""
    # Set only by stock's consumer of quality's decisions, never from a request: QC_HOLD is
    # released by an inspection decision, and otherwise only by an admin's correction.
    by_inspection: bool = False
    # The reason codes an adjustment may give; a count's come from the counting service,
    # which keeps its own configurable list and has already checked them.
    adjustment_reasons: Collection[str] = ADJUSTMENT_REASON_CODES
    # The request fields holding the item and the places; "" where the request has flat fields.
    item_field: str = "item_sku"
    from_field: str = "from"
    to_field: str = "to"
    quantity_field: str = "quantity"


@dataclass(frozen=True)
class PostInspectionDecision:
    """Quality decided an inspection lot: what was on hold at `held` becomes AVAILABLE
    (accepted) or REJECTED (rejected). Keyed by the decision: posted at most once."""

    decision_id: str
    inspection_lot_id: str
    item_sku: str
    held: Place
    # In the item's base unit; either may be zero, not both.
    accepted: str
    rejected: str


@dataclass(frozen=True)
class CountAdjustment:
    line: str
    item_sku: str
    place: Place
    # counted - book, signed, in `unit`.
    variance: str
    unit: str
    reasons: Sequence[tuple[str, str]]
    business_time: datetime | None


@dataclass(frozen=True)
class PostCountAdjustments:
    """Keyed by count line, not by a request key: each line is posted at most once."""

    count_id: str
    lines: Sequence[CountAdjustment]


@dataclass(frozen=True)
class ReservationLine:
    item_sku: str
    warehouse: str
    quantity: str
    unit: str


@dataclass(frozen=True)
class Reserve:
    lines: Sequence[ReservationLine]
    policy: ReservationPolicy
    owner: DocumentRef
    expires_at: datetime | None


@dataclass(frozen=True)
class Release:
    reservation_id: str
    # In the item's base unit; None releases all that is still reserved.
    quantity: str | None


@dataclass(frozen=True)
class IssueReservation:
    reservation_id: str
    quantity: str
    unit: str
    location: str
    lot: str
    # The reservation's owner when it has no id.
    document: DocumentRef
    business_time: datetime | None
    idempotency_key: str
