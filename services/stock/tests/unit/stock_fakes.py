"""Stock's storage in memory, for the handlers' unit tests.

FakeStockRepository answers as SqlStockRepository (stock.adapters.repository) does and
refuses what the tables' keys and CHECK constraints refuse (stock.adapters.tables), so
that a handler behaves over it as it does over the database. Rows are copied in and out:
a handler's change to a reservation is stored only when it saves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.testing import ConstraintViolation, FakeService
from invariant_kernel.errors import DomainError
from invariant_kernel.units import ItemView
from stock.domain import IN_TRANSIT_LOCATION, AvailabilityDelta, DocumentRef, Reservation, commands
from stock.domain.codes import LocationKind, MovementType, ReservationPolicy, ReservationState, StockStatus
from stock.domain.places import LocationView, Place, StockKey, WarehouseView
from stock.service import handlers
from stock.service.ports import Availability, MovementRecord, Promisable, StockRepository

ZERO = Decimal(0)
# A balance is kept for an item at a place, and its net change for each business day.
BalanceKey = tuple[str, Place]
Day = tuple[str, Place, date]
E = TypeVar("E")
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class Balance:
    quantity: Decimal
    negative_allowed: bool


class FakeStockRepository(StockRepository):
    def __init__(self) -> None:
        self.warehouse_rows: dict[str, tuple[WarehouseView, str]] = {}
        self.location_rows: dict[tuple[str, str], LocationView] = {}
        self.lot_rows: dict[tuple[str, str], date | None] = {}
        # sku → the item, its standard cost and the catalog's version of it.
        self.item_rows: dict[str, tuple[ItemView, Decimal, int]] = {}
        self.threshold_rows: dict[StockKey, tuple[Decimal, Decimal]] = {}
        self.balances: dict[BalanceKey, Balance] = {}
        self.balance_days: dict[Day, Decimal] = {}
        self.availability: dict[StockKey, Availability] = {}
        # The ledger, in sequence order.
        self.movements: list[MovementRecord] = []
        self.reservations: dict[str, Reservation] = {}

    def balance(self, sku: str, place: Place) -> Decimal:
        row = self.balances.get((sku, place))
        return ZERO if row is None else row.quantity

    # places

    async def warehouses(self, codes: Collection[str]) -> dict[str, WarehouseView]:
        return {code: self.warehouse_rows[code][0] for code in codes if code in self.warehouse_rows}

    async def locations(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], LocationView]:
        return {key: self.location_rows[key] for key in keys if key in self.location_rows}

    async def add_warehouse(self, view: WarehouseView, name: str) -> None:
        _insert(self.warehouse_rows, view.code, (view, name))

    async def add_location(self, view: LocationView) -> None:
        if view.warehouse not in self.warehouse_rows:
            raise ConstraintViolation(f"locations.warehouse {view.warehouse} is no warehouse")
        _insert(self.location_rows, (view.warehouse, view.code), view)

    async def first_location_of_kind(self, warehouse: str, kind: LocationKind) -> str | None:
        return min(
            (v.code for (w, _), v in self.location_rows.items() if w == warehouse and v.kind is kind), default=None
        )

    async def lots(self, sku: str) -> set[str]:
        return {lot for item_sku, lot in self.lot_rows if item_sku == sku}

    async def add_lot(self, sku: str, lot: str, expiry: date | None) -> bool:
        if (sku, lot) in self.lot_rows:
            return False
        self.lot_rows[(sku, lot)] = expiry
        return True

    # the item replica

    async def item(self, sku: str) -> ItemView | None:
        return (await self.items([sku])).get(sku)

    async def items(self, skus: Collection[str]) -> dict[str, ItemView]:
        return {sku: self.item_rows[sku][0] for sku in skus if sku in self.item_rows}

    async def save_item(self, view: ItemView, standard_cost: Decimal, version: int) -> None:
        kept = self.item_rows.get(view.sku)
        if kept is None or kept[2] <= version:
            self.item_rows[view.sku] = (view, standard_cost, version)

    async def save_thresholds(self, sku: str, warehouse: str, safety: Decimal, maximum: Decimal) -> None:
        self.threshold_rows[StockKey(sku, warehouse)] = (safety, maximum)

    async def thresholds_of(self, keys: Collection[StockKey]) -> dict[StockKey, tuple[Decimal, Decimal]]:
        return {key: self.threshold_rows[key] for key in keys if key in self.threshold_rows}

    # balances and availability

    async def lock_balances(self, keys: Collection[tuple[str, Place]]) -> dict[tuple[str, Place], Decimal]:
        return {key: self.balances[key].quantity for key in keys if key in self.balances}

    async def statuses_at(
        self, warehouse: str, spots: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], dict[StockStatus, Decimal]]:
        wanted = set(spots)
        found: dict[tuple[str, str, str], dict[StockStatus, Decimal]] = {}
        for (sku, place), row in self.balances.items():
            spot = (sku, place.location, place.lot)
            if place.warehouse == warehouse and spot in wanted:
                found.setdefault(spot, {})[place.status] = row.quantity
        return found

    async def add_balances(
        self,
        changes: Mapping[tuple[str, Place], Decimal],
        negative_allowed: Collection[str],
        days: Mapping[Day, Decimal],
    ) -> None:
        for (sku, place), delta in changes.items():
            allowed = place.warehouse in negative_allowed
            row = self.balances.get((sku, place))
            if row is None:
                if delta < 0 and not allowed:
                    # Taken by an UPDATE, as the SQL takes it: no row, nothing changes.
                    continue
                row = self.balances[(sku, place)] = Balance(ZERO, allowed)
            row.quantity += delta
            if row.quantity < 0 and not row.negative_allowed:
                raise ConstraintViolation(f"balance_not_negative: {sku} at {place}")
        for day, delta in days.items():
            self.balance_days[day] = self.balance_days.get(day, ZERO) + delta

    async def add_availability(self, changes: Mapping[StockKey, AvailabilityDelta]) -> None:
        for key, change in changes.items():
            row = self.availability.get(key) or Availability(key, ZERO, ZERO, ZERO, ZERO, ZERO)
            self.availability[key] = replace(
                row,
                available=row.available + change.available,
                qc_hold=row.qc_hold + change.qc_hold,
                rejected=row.rejected + change.rejected,
                in_transit=row.in_transit + change.in_transit,
            )

    async def availability_of(self, keys: Collection[StockKey]) -> dict[StockKey, Availability]:
        return {key: self.availability[key] for key in keys if key in self.availability}

    async def lock_to_promise(self, keys: Collection[StockKey]) -> dict[StockKey, Promisable]:
        found = {}
        for key in sorted(keys):
            if key in self.availability:
                safety, maximum = self.threshold_rows.get(key, (None, None))
                found[key] = Promisable(self.availability[key].to_promise, safety, maximum)
        return found

    async def add_reserved(self, totals: Mapping[StockKey, Decimal]) -> None:
        for key, quantity in totals.items():
            self._reserve(key, quantity)

    async def unreserve(self, key: StockKey, quantity: Decimal) -> None:
        self._reserve(key, -quantity)

    def _reserve(self, key: StockKey, quantity: Decimal) -> None:
        row = self.availability.get(key)
        if row is None:
            return
        if row.reserved + quantity < 0:
            raise ConstraintViolation(f"reserved_not_negative: {key}")
        self.availability[key] = replace(row, reserved=row.reserved + quantity)

    # the ledger

    async def insert_movements(self, records: Sequence[MovementRecord]) -> list[int]:
        sequences = []
        for record in records:
            if record.plan.quantity_base <= 0:
                raise ConstraintViolation(f"movement_quantity_positive: {record.plan.quantity_base}")
            if await self.movement_exists(record.id) or self._count_line_posted(record):
                raise ConstraintViolation(f"movement {record.id} or its count line is in the ledger already")
            sequence = len(self.movements) + 1
            # The ledger keeps no new lots: they are in the lots table.
            self.movements.append(replace(record, sequence=sequence, plan=replace(record.plan, new_lots=frozenset())))
            sequences.append(sequence)
        return sequences

    def _count_line_posted(self, record: MovementRecord) -> bool:
        """ux_movements_count_line: a count line moves each status once."""
        if record.document.type != "COUNT":
            return False
        return any(
            (earlier.document, _status(earlier)) == (record.document, _status(record)) for earlier in self.movements
        )

    async def movement_exists(self, movement_id: str) -> bool:
        return any(record.id == movement_id for record in self.movements)

    async def document_movements(
        self, document_type: str, document_id: str, lines: Collection[str]
    ) -> dict[tuple[str, StockStatus], MovementRecord]:
        found = {}
        for record in self.movements:
            document = record.document
            if (document.type, document.id) == (document_type, document_id) and document.line in lines:
                found[(document.line, _status(record))] = record
        return found

    # reservations

    async def add_reservations(self, made: Collection[Reservation]) -> None:
        for reservation in made:
            _insert(self.reservations, reservation.id, _checked(reservation))

    async def reservation(self, reservation_id: str, lock: bool = False) -> Reservation | None:
        found = self.reservations.get(reservation_id)
        return None if found is None else replace(found)

    async def save_reservation(self, reservation: Reservation) -> None:
        if reservation.id in self.reservations:
            self.reservations[reservation.id] = _checked(reservation)

    async def open_reservations(self, key: StockKey) -> list[Reservation]:
        found = [
            replace(r)
            for r in self.reservations.values()
            if (r.item_sku, r.warehouse) == key and r.state is ReservationState.OPEN
        ]
        return sorted(found, key=lambda r: r.created_at)

    async def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        found = [
            replace(r)
            for r in self.reservations.values()
            if r.state is ReservationState.OPEN and r.expires_at is not None and r.expires_at <= now
        ]
        return sorted(found, key=lambda r: (r.item_sku, r.warehouse, r.id))[:limit]


def _insert(table: dict[K, V], key: K, row: V) -> None:
    if key in table:
        raise ConstraintViolation(f"duplicate key {key!r}")
    table[key] = row


def _status(record: MovementRecord) -> StockStatus:
    place = record.plan.from_place or record.plan.to_place
    assert place is not None  # every movement has a side
    return place.status


def _checked(reservation: Reservation) -> Reservation:
    """A copy of the reservation, as the table's CHECK constraints let it be stored."""
    parts = (reservation.open, reservation.consumed, reservation.released)
    if min(parts) < 0 or sum(parts) > reservation.requested:
        raise ConstraintViolation(f"reservation {reservation.id} holds {parts} of {reservation.requested}")
    return replace(reservation)


StockService = FakeService[FakeStockRepository]


WIDGET = ItemView("WIDGET", "EA", {"BOX": Decimal(12)})
RESIN = ItemView("RESIN", "KG", {"DRUM": Decimal(200)}, lot_tracked=True)
ORDER = DocumentRef("SALES_ORDER", "SO-1")
# The document of the movements the tests post.
DOCUMENT = DocumentRef("TEST", "T-1")


async def new_stock(repo: FakeStockRepository | None = None) -> StockService:
    """Warehouses WH1 (no negative stock) and WH2 (negative stock allowed), each with bins A
    and B, and the items WIDGET and RESIN replicated from the catalog, in `repo`."""
    repo = FakeStockRepository() if repo is None else repo
    for code, negative in (("WH1", False), ("WH2", True)):
        await repo.add_warehouse(WarehouseView(code, negative, IN_TRANSIT_LOCATION), f"Warehouse {code}")
        await repo.add_location(LocationView(code, IN_TRANSIT_LOCATION, LocationKind.IN_TRANSIT))
        for location in ("A", "B"):
            await repo.add_location(LocationView(code, location, LocationKind.STORAGE))
    for item in (WIDGET, RESIN):
        await repo.save_item(item, Decimal("2.50"), 1)
    return FakeService(repo)


def at(
    location: str = "A", status: StockStatus = StockStatus.AVAILABLE, warehouse: str = "WH1", lot: str = ""
) -> Place:
    return Place(warehouse, location, lot, status)


def movement(
    type: MovementType,
    quantity: str,
    *,
    source: Place | None = None,
    target: Place | None = None,
    sku: str = "WIDGET",
) -> commands.PostMovement:
    """A movement of `quantity` in the item's base unit; `dataclasses.replace` sets the rest."""
    return commands.PostMovement(type, sku, quantity, "", source, target, DOCUMENT, f"key-{uuid.uuid4()}")


async def post(stock: StockService, command: commands.PostMovement) -> MovementRecord:
    """One movement as a caller posts it, alone in its batch: its record, or its refusal raised."""
    [posted] = await stock.run(handlers.post_requested, [Call(command, identity.current.get())])
    if isinstance(posted, Exception):
        raise posted
    return posted


async def decide(
    stock: StockService,
    accepted: str,
    rejected: str,
    held: Place | None = None,
    *,
    decision_id: str = "D-1",
    sku: str = "WIDGET",
) -> list[MovementRecord]:
    """Quality's decision on what is on hold at `held` (bin A of WH1), as stock's consumer posts it."""
    decision = commands.PostInspectionDecision(
        decision_id, "LOT-1", sku, held or at(status=StockStatus.QC_HOLD), accepted, rejected
    )
    return await stock.run(handlers.post_inspection_decision, decision)


async def receive(stock: StockService, quantity: str, place: Place | None = None, sku: str = "WIDGET") -> None:
    await post(stock, movement(MovementType.RECEIPT, quantity, target=place or at(), sku=sku))


async def reserve(stock: StockService, quantity: str, *, expires_at: datetime | None = None) -> Reservation:
    """One line of WIDGET in WH1 reserved for ORDER, all or nothing: the reservation, or its refusal raised."""
    line = commands.ReservationLine("WIDGET", "WH1", quantity, "")
    request = commands.Reserve([line], ReservationPolicy.ALL_OR_NOTHING, ORDER, expires_at)
    [outcome] = await stock.run(handlers.reserve_together, [Call(request, identity.current.get())])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome[0]


def decimals(*values: int | str) -> tuple[Decimal, ...]:
    return tuple(Decimal(value) for value in values)


def of_type(kind: type[E], events: Sequence[object]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]
