"""What the stock handlers need from storage, as an abstract port."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from stock.domain import (
    AvailabilityDelta,
    ItemView,
    LocationKind,
    LocationView,
    MovementPlan,
    Place,
    Reservation,
    StockKey,
    StockStatus,
    WarehouseView,
)
from stock.domain.reservations import DocumentRef


@dataclass(frozen=True)
class Availability:
    key: StockKey
    available: Decimal
    qc_hold: Decimal
    rejected: Decimal
    in_transit: Decimal
    reserved: Decimal

    @property
    def to_promise(self) -> Decimal:
        return self.available - self.reserved


@dataclass(frozen=True)
class Promisable:
    """What an (item, warehouse) can still promise, and its thresholds where it has them."""

    to_promise: Decimal
    safety: Decimal | None
    maximum: Decimal | None


@dataclass(frozen=True)
class MovementRecord:
    id: str
    sequence: int
    plan: MovementPlan
    document: DocumentRef
    actor: str
    business_time: datetime
    posted_at: datetime
    idempotency_key: str
    corrects_movement_id: str
    reservation_id: str
    # A receipt's supplier and the supplier's lot number; empty on every other movement.
    supplier: str = ""
    supplier_lot: str = ""


@dataclass(frozen=True)
class BookQuery:
    item_sku: str
    place: Place
    as_of: datetime
    # Movements after `since` and up to `as_of` are counted; None counts none.
    since: datetime | None
    # Every status at the place (what a counter finds there), not only the place's own.
    every_status: bool = False


@dataclass(frozen=True)
class Book:
    quantity: Decimal
    # Movements in the window that changed the quantity.
    movements: int
    # With every_status: the quantity's non-zero parts.
    statuses: Mapping[StockStatus, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Drift:
    kind: str
    item_sku: str
    place: Place | None
    warehouse: str
    recorded: Decimal
    recomputed: Decimal


class StockRepository(Protocol):
    async def warehouses(self, codes: Collection[str]) -> dict[str, WarehouseView]: ...
    async def locations(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], LocationView]: ...
    async def add_warehouse(self, view: WarehouseView, name: str) -> None: ...
    async def add_location(self, view: LocationView) -> None: ...
    async def first_location_of_kind(self, warehouse: str, kind: LocationKind) -> str | None: ...
    async def lots(self, sku: str) -> set[str]: ...
    async def add_lot(self, sku: str, lot: str, expiry: date | None) -> bool: ...
    async def item(self, sku: str) -> ItemView | None: ...
    async def items(self, skus: Collection[str]) -> dict[str, ItemView]: ...
    async def save_item(self, view: ItemView, standard_cost: Decimal, version: int) -> None: ...
    async def save_thresholds(self, sku: str, warehouse: str, safety: Decimal, maximum: Decimal) -> None: ...
    async def thresholds_of(self, keys: Collection[StockKey]) -> dict[StockKey, tuple[Decimal, Decimal]]: ...
    async def lock_balances(self, keys: Collection[tuple[str, Place]]) -> dict[tuple[str, Place], Decimal]: ...
    async def statuses_at(
        self, warehouse: str, spots: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], dict[StockStatus, Decimal]]: ...
    async def add_balances(
        self,
        changes: Mapping[tuple[str, Place], Decimal],
        negative_allowed: Collection[str],
        days: Mapping[tuple[str, Place, date], Decimal],
    ) -> None: ...
    async def add_availability(self, changes: Mapping[StockKey, AvailabilityDelta]) -> None: ...
    async def availability_of(self, keys: Collection[StockKey]) -> dict[StockKey, Availability]: ...
    async def lock_to_promise(self, keys: Collection[StockKey]) -> dict[StockKey, Promisable]: ...
    async def add_reserved(self, totals: Mapping[StockKey, Decimal]) -> None: ...
    async def unreserve(self, key: StockKey, quantity: Decimal) -> None: ...
    async def insert_movements(self, records: Sequence[MovementRecord]) -> list[int]: ...
    async def movement_exists(self, movement_id: str) -> bool: ...
    async def document_movements(
        self, document_type: str, document_id: str, lines: Collection[str]
    ) -> dict[tuple[str, StockStatus], MovementRecord]: ...
    async def add_reservations(self, made: Collection[Reservation]) -> None: ...
    async def reservation(self, reservation_id: str, lock: bool = False) -> Reservation | None: ...
    async def save_reservation(self, reservation: Reservation) -> None: ...
    async def open_reservations(self, key: StockKey) -> list[Reservation]: ...
    async def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]: ...
