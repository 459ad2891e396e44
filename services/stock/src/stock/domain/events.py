"""Facts the stock service publishes; the outbox turns them into inventory.stock.* events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from stock.domain.codes import MovementType
from stock.domain.movements import ReasonQuantity
from stock.domain.places import Place
from stock.domain.reservations import DocumentRef


@dataclass(frozen=True)
class MovementPosted:
    # "movement", "receipt" or "adjustment": a receipt is also published as receipt.posted.
    fact: str
    movement_id: str
    sequence: int
    type: MovementType
    item_sku: str
    quantity: Decimal
    from_place: Place | None
    to_place: Place | None
    document: DocumentRef
    reason_code: str
    reasons: tuple[ReasonQuantity, ...]
    business_time: datetime
    reservation_id: str
    supplier: str = ""
    supplier_lot: str = ""


@dataclass(frozen=True)
class ReservationChanged:
    # "created", "released" or "expired".
    fact: str
    reservation_id: str
    item_sku: str
    warehouse: str
    quantity: Decimal
    open: Decimal
    owner: DocumentRef


@dataclass(frozen=True)
class ThresholdCrossed:
    item_sku: str
    warehouse: str
    kind: str
    level: Decimal
    available_to_promise: Decimal
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class ShortageFound:
    item_sku: str
    warehouse: str
    available_on_hand: Decimal
    reserved: Decimal
    short_by: Decimal
    reservation_ids: tuple[str, ...]
    movement_id: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class NegativeBalanceAttempted:
    """A movement refused because it would have taken a balance below zero: the book there
    is probably wrong. Recorded after the refused command rolled back."""

    item_sku: str
    place: Place
    asked: Decimal
    on_hand: Decimal
    movement_type: MovementType
    document: DocumentRef
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class CountAdjustmentsPosted:
    count_id: str
    part: int
    # (count line, movement) for every line of the part, posted now or by an earlier delivery.
    lines: tuple[tuple[str, str], ...]
