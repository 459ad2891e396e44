"""All the stock service's SQL: reads, and the conditional writes that move stock.

Guards are single conditional statements (`... WHERE available - reserved >= :q`) or
rows locked before they are read, so no read-then-write race can oversell; callers
touch keys in sorted order.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import dialect_insert, insert_rows, one_of, utcnow
from invariant_core.paging import PageQuery, keyset
from stock.adapters.tables import (
    availability,
    balance_days,
    balances,
    items,
    locations,
    lots,
    movements,
    reservations,
    thresholds,
    warehouses,
)
from stock.domain import (
    AvailabilityDelta,
    ItemView,
    LocationKind,
    LocationView,
    MovementPlan,
    MovementType,
    Place,
    ReasonQuantity,
    Reservation,
    ReservationState,
    StockKey,
    StockStatus,
    WarehouseView,
)
from stock.domain.reservations import DocumentRef
from stock.service.ports import Availability, Book, BookQuery, Drift, MovementRecord, Promisable

BUCKETS = ("available", "qc_hold", "rejected", "in_transit")
# How many balances a stream holds in memory at a time.
STREAM_BATCH = 5000

# Statements every reservation batch runs, built once: their lists are bound when they run,
# not turned into expressions value by value on each call.
_WAREHOUSES = select(warehouses).where(one_of(warehouses.c.code, "codes"))
_ITEMS = select(items).where(one_of(items.c.sku, "skus"))
_THRESHOLDS_OF = select(thresholds).where(
    tuple_(thresholds.c.item_sku, thresholds.c.warehouse).in_(bindparam("keys", expanding=True))
)
_AVAILABILITY_OF = select(availability).where(
    tuple_(availability.c.item_sku, availability.c.warehouse).in_(bindparam("keys", expanding=True))
)
_ADD_RESERVED = (
    update(availability)
    .where(availability.c.item_sku == bindparam("key_item"), availability.c.warehouse == bindparam("key_warehouse"))
    .values(reserved=availability.c.reserved + bindparam("added", type_=availability.c.reserved.type))
)
# Only the availability rows are locked: thresholds change by catalog events alone.
_LOCK_TO_PROMISE = (
    select(
        availability.c.item_sku,
        availability.c.warehouse,
        (availability.c.available - availability.c.reserved).label("to_promise"),
        thresholds.c.safety_stock,
        thresholds.c.max_stock,
    )
    .select_from(
        availability.outerjoin(
            thresholds,
            and_(thresholds.c.item_sku == availability.c.item_sku, thresholds.c.warehouse == availability.c.warehouse),
        )
    )
    .where(tuple_(availability.c.item_sku, availability.c.warehouse).in_(bindparam("keys", expanding=True)))
    .order_by(availability.c.item_sku, availability.c.warehouse)
    .with_for_update(of=availability)
)
# Each status with its text as balances store it: made once, not for every place a count asks about.
_EVERY_STATUS = tuple((status, str(status)) for status in StockStatus)
# item_sku, warehouse, location, lot, status: the key of a balance.
BalanceKey = tuple[str, str, str, str, str]
BALANCE_KEY = ("item_sku", "warehouse", "location", "lot", "status")


class SqlStockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Table) -> Any:
        return dialect_insert(self.session, table)

    async def _upsert_add(
        self, table: Table, key: Sequence[str], amounts: Sequence[str], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert each row, or add its `amounts` to the row that is there: one statement, rows in order."""
        if not rows:
            return
        statement = self._insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(key), set_={name: table.c[name] + statement.excluded[name] for name in amounts}
        )
        await self.session.execute(statement, list(rows))

    # places

    async def warehouses(self, codes: Collection[str]) -> dict[str, WarehouseView]:
        rows = await self.session.execute(_WAREHOUSES, {"codes": list(codes)})
        return {r.code: WarehouseView(r.code, r.allow_negative_stock, r.in_transit_location) for r in rows}

    async def locations(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], LocationView]:
        found: dict[tuple[str, str], LocationView] = {}
        for warehouse in {w for w, _ in keys}:
            codes = [c for w, c in keys if w == warehouse]
            rows = await self.session.execute(
                select(locations).where(locations.c.warehouse == warehouse, locations.c.code.in_(codes))
            )
            for r in rows:
                found[(r.warehouse, r.code)] = LocationView(r.warehouse, r.code, LocationKind(r.kind))
        return found

    async def add_warehouse(self, view: WarehouseView, name: str) -> None:
        await self.session.execute(
            insert(warehouses).values(
                code=view.code,
                name=name,
                allow_negative_stock=view.allow_negative_stock,
                in_transit_location=view.in_transit_location,
            )
        )

    async def add_location(self, view: LocationView) -> None:
        await self.session.execute(
            insert(locations).values(warehouse=view.warehouse, code=view.code, kind=str(view.kind))
        )

    async def first_location_of_kind(self, warehouse: str, kind: LocationKind) -> str | None:
        found: str | None = await self.session.scalar(
            select(locations.c.code)
            .where(locations.c.warehouse == warehouse, locations.c.kind == str(kind))
            .order_by(locations.c.code)
            .limit(1)
        )
        return found

    async def lots(self, sku: str) -> set[str]:
        return set(await self.session.scalars(select(lots.c.lot).where(lots.c.item_sku == sku)))

    async def add_lot(self, sku: str, lot: str, expiry: date | None) -> bool:
        statement = self._insert(lots).values(item_sku=sku, lot=lot, expiry_date=expiry).on_conflict_do_nothing()
        return (await self.session.execute(statement)).rowcount == 1  # type: ignore[attr-defined,no-any-return]

    # the item replica

    async def item(self, sku: str) -> ItemView | None:
        return (await self.items([sku])).get(sku)

    async def items(self, skus: Collection[str]) -> dict[str, ItemView]:
        rows = await self.session.execute(_ITEMS, {"skus": list(skus)})
        return {
            row.sku: ItemView(
                row.sku,
                row.base_unit,
                {unit: Decimal(factor) for unit, factor in json.loads(row.units).items()},
                row.lot_tracked,
            )
            for row in rows
        }

    async def save_item(self, view: ItemView, standard_cost: Decimal, version: int) -> None:
        """Keep the item as the catalog has it at `version`, unless a later version is kept already."""
        values = {
            "base_unit": view.base_unit,
            "units": json.dumps({unit: str(factor) for unit, factor in view.units.items()}),
            "lot_tracked": view.lot_tracked,
            "standard_cost": standard_cost,
            "updated_at": utcnow(),
            "version": version,
        }
        statement = self._insert(items).values(sku=view.sku, **values)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["sku"], set_=values, where=items.c.version <= version)
        )

    async def save_thresholds(self, sku: str, warehouse: str, safety: Decimal, maximum: Decimal) -> None:
        values = {"safety_stock": safety, "max_stock": maximum}
        statement = self._insert(thresholds).values(item_sku=sku, warehouse=warehouse, **values)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["item_sku", "warehouse"], set_=values)
        )

    async def thresholds_of(self, keys: Collection[StockKey]) -> dict[StockKey, tuple[Decimal, Decimal]]:
        """Safety and max stock of the keys that have them."""
        if not keys:
            return {}
        rows = await self.session.execute(_THRESHOLDS_OF, {"keys": [tuple(key) for key in keys]})
        return {StockKey(r.item_sku, r.warehouse): (r.safety_stock, r.max_stock) for r in rows}

    # balances and availability

    async def lock_balances(self, keys: Collection[tuple[str, Place]]) -> dict[tuple[str, Place], Decimal]:
        """Lock the balances there are and read them: place by place in order, and items in
        order within a place (every locker of balances goes through here, so the order is
        the same for all). A read per place, not a row comparison per key: the planner
        turns a list of row values into as many index probes."""
        by_place: dict[Place, set[str]] = {}
        for sku, place in keys:
            by_place.setdefault(place, set()).add(sku)
        held: dict[tuple[str, Place], Decimal] = {}
        for place in sorted(by_place, key=lambda p: (p.warehouse, p.location, p.lot, str(p.status))):
            wanted = sorted(by_place[place])
            for start in range(0, len(wanted), STREAM_BATCH):
                rows = await self.session.execute(
                    select(balances.c.item_sku, balances.c.quantity)
                    .where(
                        balances.c.warehouse == place.warehouse,
                        balances.c.location == place.location,
                        balances.c.lot == place.lot,
                        balances.c.status == str(place.status),
                        balances.c.item_sku.in_(wanted[start : start + STREAM_BATCH]),
                    )
                    .order_by(balances.c.item_sku)
                    .with_for_update()
                )
                held |= {(r.item_sku, place): r.quantity for r in rows}
        return held

    async def statuses_at(
        self, warehouse: str, spots: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], dict[StockStatus, Decimal]]:
        """The balances of each (item, location, lot) of a warehouse in every status, unlocked,
        a read per location and lot (as `lock_balances` reads): where a count's differences
        are split, which the posting checks again under lock."""
        by_spot: dict[tuple[str, str], set[str]] = {}
        for sku, location, lot in spots:
            by_spot.setdefault((location, lot), set()).add(sku)
        found: dict[tuple[str, str, str], dict[StockStatus, Decimal]] = {}
        for (location, lot), skus in sorted(by_spot.items()):
            wanted = sorted(skus)
            for start in range(0, len(wanted), STREAM_BATCH):
                rows = await self.session.execute(
                    select(balances.c.item_sku, balances.c.status, balances.c.quantity).where(
                        balances.c.warehouse == warehouse,
                        balances.c.location == location,
                        balances.c.lot == lot,
                        balances.c.item_sku.in_(wanted[start : start + STREAM_BATCH]),
                    )
                )
                for r in rows:
                    found.setdefault((r.item_sku, location, lot), {})[StockStatus(r.status)] = r.quantity
        return found

    async def add_balances(
        self,
        changes: Mapping[tuple[str, Place], Decimal],
        negative_allowed: Collection[str],
        days: Mapping[tuple[str, Place, date], Decimal],
    ) -> None:
        """Add to balances and to their day's net change, in key order.

        A balance that must not go negative and loses stock was locked and checked by the
        caller, so it exists: it is updated (an upsert's insert would fail the database's
        check on its own). The others are created if need be.
        """
        ordered = sorted(changes.items(), key=lambda change: _balance_key(*change[0]))
        taking = [
            {f"b_{name}": value for name, value in zip(BALANCE_KEY, _balance_key(sku, place), strict=True)}
            | {"b_delta": delta}
            for (sku, place), delta in ordered
            if delta < 0 and place.warehouse not in negative_allowed
        ]
        if taking:
            await self.session.execute(
                update(balances)
                .where(*(balances.c[name] == bindparam(f"b_{name}") for name in BALANCE_KEY))
                .values(quantity=balances.c.quantity + bindparam("b_delta", type_=balances.c.quantity.type)),
                taking,
            )
        await self._upsert_add(
            balances,
            BALANCE_KEY,
            ["quantity"],
            [
                dict(zip(BALANCE_KEY, _balance_key(sku, place), strict=True))
                | {"quantity": delta, "negative_allowed": place.warehouse in negative_allowed}
                for (sku, place), delta in ordered
                if delta >= 0 or place.warehouse in negative_allowed
            ],
        )
        await self._upsert_add(
            balance_days,
            [*BALANCE_KEY, "day"],
            ["net_change"],
            [
                dict(zip(BALANCE_KEY, _balance_key(sku, place), strict=True)) | {"day": day, "net_change": delta}
                for (sku, place, day), delta in sorted(
                    days.items(), key=lambda change: (*_balance_key(change[0][0], change[0][1]), change[0][2])
                )
            ],
        )

    async def add_availability(self, changes: Mapping[StockKey, AvailabilityDelta]) -> None:
        """Add to the buckets of each key (creating its row), in key order."""
        await self._upsert_add(
            availability,
            ["item_sku", "warehouse"],
            BUCKETS,
            [
                {"item_sku": key.item_sku, "warehouse": key.warehouse, "reserved": Decimal(0)}
                | {bucket: getattr(change, bucket) for bucket in BUCKETS}
                for key, change in sorted(changes.items())
            ],
        )

    async def availability(self, key: StockKey) -> Availability | None:
        return (await self.availability_of([key])).get(key)

    async def availability_of(self, keys: Collection[StockKey]) -> dict[StockKey, Availability]:
        rows = await self.session.execute(_AVAILABILITY_OF, {"keys": [tuple(key) for key in keys]})
        return {StockKey(r.item_sku, r.warehouse): _availability(r) for r in rows}

    async def lock_to_promise(self, keys: Collection[StockKey]) -> dict[StockKey, Promisable]:
        """Lock the availability rows there are, in key order (DESIGN §3.2), and read what
        each can still promise, with its thresholds: one statement for a batch.

        PostgreSQL locks the rows as the sorted scan returns them; SQLite's writer already
        holds the database lock.
        """
        rows = await self.session.execute(_LOCK_TO_PROMISE, {"keys": [tuple(key) for key in keys]})
        return {StockKey(r.item_sku, r.warehouse): Promisable(r.to_promise, r.safety_stock, r.max_stock) for r in rows}

    async def add_reserved(self, totals: Mapping[StockKey, Decimal]) -> None:
        """Add to what is reserved on rows this transaction locked with `lock_to_promise`."""
        if not totals:
            return
        await self.session.execute(
            _ADD_RESERVED,
            [
                {"key_item": key.item_sku, "key_warehouse": key.warehouse, "added": quantity}
                for key, quantity in sorted(totals.items())
            ],
        )

    async def unreserve(self, key: StockKey, quantity: Decimal) -> None:
        await self.session.execute(
            update(availability)
            .where(availability.c.item_sku == key.item_sku, availability.c.warehouse == key.warehouse)
            .values(reserved=availability.c.reserved - quantity)
        )

    # the ledger

    async def insert_movements(self, records: Sequence[MovementRecord]) -> list[int]:
        """The movements' ledger rows in one statement; their sequence numbers, in order."""
        statement = insert(movements).returning(movements.c.seq, sort_by_parameter_order=True)
        result = await self.session.execute(statement, [_movement_row(record) for record in records])
        return [int(seq) for seq in result.scalars()]

    async def movement_exists(self, movement_id: str) -> bool:
        return await self.session.scalar(select(movements.c.seq).where(movements.c.id == movement_id)) is not None

    async def document_movements(
        self, document_type: str, document_id: str, lines: Collection[str]
    ) -> dict[tuple[str, StockStatus], MovementRecord]:
        """What the ledger holds for these lines of a document, by line and the status it
        moved (the last, if several)."""
        rows = await self.session.execute(
            select(movements)
            .order_by(movements.c.seq)
            .where(
                movements.c.document_type == document_type,
                movements.c.document_id == document_id,
                movements.c.document_line.in_(list(lines)),
            )
        )
        found = {}
        for row in rows:
            record = record_from_row(row._mapping)
            place = record.plan.from_place or record.plan.to_place
            if place is not None:
                found[row.document_line, place.status] = record
        return found

    # reservations

    async def add_reservations(self, made: Collection[Reservation]) -> None:
        await insert_rows(self.session, reservations, [_reservation_row(r) for r in made])

    async def reservation(self, reservation_id: str, lock: bool = False) -> Reservation | None:
        query = select(reservations).where(reservations.c.id == reservation_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).one_or_none()
        return None if row is None else _reservation(row._mapping)

    async def save_reservation(self, reservation: Reservation) -> None:
        await self.session.execute(
            update(reservations).where(reservations.c.id == reservation.id).values(**_reservation_row(reservation))
        )

    async def open_reservations(self, key: StockKey) -> list[Reservation]:
        rows = await self.session.execute(
            select(reservations)
            .where(
                reservations.c.item_sku == key.item_sku,
                reservations.c.warehouse == key.warehouse,
                reservations.c.state == str(ReservationState.OPEN),
            )
            .order_by(reservations.c.created_at)
        )
        return [_reservation(r._mapping) for r in rows]

    async def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        rows = await self.session.execute(
            select(reservations)
            .where(reservations.c.state == str(ReservationState.OPEN), reservations.c.expires_at <= now)
            .order_by(reservations.c.item_sku, reservations.c.warehouse, reservations.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_reservation(r._mapping) for r in rows]


def _movement_row(record: MovementRecord) -> dict[str, Any]:
    plan = record.plan
    source, target = plan.from_place, plan.to_place
    return {
        "id": record.id,
        "type": str(plan.movement_type),
        "item_sku": plan.item_sku,
        "quantity": plan.quantity_base,
        "unit": plan.unit,
        "from_warehouse": source.warehouse if source else None,
        "from_location": source.location if source else None,
        "from_lot": source.lot if source else None,
        "from_status": str(source.status) if source else None,
        "to_warehouse": target.warehouse if target else None,
        "to_location": target.location if target else None,
        "to_lot": target.lot if target else None,
        "to_status": str(target.status) if target else None,
        "document_type": record.document.type,
        "document_id": record.document.id,
        "document_line": record.document.line,
        "reason_code": plan.reason_code,
        "reasons": json.dumps([[r.reason_code, str(r.quantity)] for r in plan.reasons]),
        "actor": record.actor,
        "business_time": record.business_time,
        "posted_at": record.posted_at,
        "idempotency_key": record.idempotency_key,
        "corrects_movement_id": record.corrects_movement_id or None,
        "reservation_id": record.reservation_id or None,
        "supplier": record.supplier or None,
        "supplier_lot": record.supplier_lot or None,
    }


def _availability(row: Any) -> Availability:
    return Availability(
        StockKey(row.item_sku, row.warehouse), row.available, row.qc_hold, row.rejected, row.in_transit, row.reserved
    )


def _match(table: Table, key: Mapping[str, Any]) -> Any:
    return and_(*(table.c[name] == value for name, value in key.items()))


def _reservation_row(r: Reservation) -> dict[str, Any]:
    return {
        "id": r.id,
        "item_sku": r.item_sku,
        "warehouse": r.warehouse,
        "requested": r.requested,
        "open": r.open,
        "consumed": r.consumed,
        "released": r.released,
        "owner_type": r.owner.type,
        "owner_id": r.owner.id,
        "owner_line": r.owner.line,
        "expires_at": r.expires_at,
        "state": str(r.state),
        "created_at": r.created_at,
    }


def _reservation(row: Any) -> Reservation:
    return Reservation(
        id=row["id"],
        item_sku=row["item_sku"],
        warehouse=row["warehouse"],
        requested=row["requested"],
        open=row["open"],
        consumed=row["consumed"],
        released=row["released"],
        owner=DocumentRef(row["owner_type"], row["owner_id"], row["owner_line"]),
        expires_at=row["expires_at"],
        state=ReservationState(row["state"]),
        created_at=row["created_at"],
    )


async def integrity_drifts(session: AsyncSession) -> tuple[int, int, list[Drift]]:
    """Recompute balances and availability from the ledger, reserved quantities from reservations."""
    sums: dict[tuple[str, str, str, str, str], Decimal] = {}
    for side in ("from", "to"):
        sign = -1 if side == "from" else 1
        columns = [movements.c[f"{side}_{name}"] for name in ("warehouse", "location", "lot", "status")]
        rows = await session.execute(
            select(movements.c.item_sku, *columns, func.sum(movements.c.quantity))
            .where(columns[0].is_not(None))
            .group_by(movements.c.item_sku, *columns)
        )
        for row in rows:
            key = (row[0], row[1], row[2], row[3], row[4])
            sums[key] = sums.get(key, Decimal(0)) + sign * Decimal(row[5])
    drifts: list[Drift] = []
    recorded = {
        (r.item_sku, r.warehouse, r.location, r.lot, r.status): r.quantity
        for r in await session.execute(select(balances))
    }
    for key in sorted(set(sums) | set(recorded)):
        if sums.get(key, Decimal(0)) != recorded.get(key, Decimal(0)):
            place = Place(key[1], key[2], key[3], StockStatus(key[4]))
            drifts.append(
                Drift("BALANCE", key[0], place, key[1], recorded.get(key, Decimal(0)), sums.get(key, Decimal(0)))
            )
    drifts.extend(await _bucket_drifts(session, sums))
    held: dict[tuple[str, str], Decimal] = {}
    for sku, warehouse, total in await session.execute(
        select(reservations.c.item_sku, reservations.c.warehouse, func.sum(reservations.c.open))
        .where(reservations.c.state == str(ReservationState.OPEN))
        .group_by(reservations.c.item_sku, reservations.c.warehouse)
    ):
        held[(sku, warehouse)] = Decimal(total)
    kept = list(await session.execute(select(availability)))
    for r in kept:
        expected = held.get((r.item_sku, r.warehouse), Decimal(0))
        if r.reserved != expected:
            drifts.append(Drift("RESERVED", r.item_sku, None, r.warehouse, r.reserved, expected))
    return len(recorded), len(kept), drifts


async def _bucket_drifts(
    session: AsyncSession, ledger: Mapping[tuple[str, str, str, str, str], Decimal]
) -> list[Drift]:
    """Each availability bucket against the ledger's balances, bucketed as movements bucket them."""
    kinds = {(r.warehouse, r.code): LocationKind(r.kind) for r in await session.execute(select(locations))}
    expected: dict[tuple[str, str, str], Decimal] = {}
    for (sku, warehouse, location, _, status), quantity in ledger.items():
        if kinds.get((warehouse, location)) is LocationKind.IN_TRANSIT:
            bucket = "in_transit"
        else:
            bucket = {"AVAILABLE": "available", "QC_HOLD": "qc_hold", "REJECTED": "rejected"}[status]
        expected[(sku, warehouse, bucket)] = expected.get((sku, warehouse, bucket), Decimal(0)) + quantity
    recorded = {
        (r.item_sku, r.warehouse, bucket): r._mapping[bucket]
        for r in await session.execute(select(availability))
        for bucket in BUCKETS
    }
    return [
        Drift(key[2].upper(), key[0], None, key[1], recorded.get(key, Decimal(0)), expected.get(key, Decimal(0)))
        for key in sorted(set(expected) | set(recorded))
        if recorded.get(key, Decimal(0)) != expected.get(key, Decimal(0))
    ]


async def balance_as_of(session: AsyncSession, sku: str, place: Place, moment: datetime) -> Decimal:
    """Σ of the days before `moment`'s day, plus that day's movements up to `moment`."""
    key = {"item_sku": sku, "warehouse": place.warehouse, "location": place.location, "lot": place.lot}
    status = str(place.status)
    days = await session.scalar(
        select(func.sum(balance_days.c.net_change)).where(
            _match(balance_days, key), balance_days.c.status == status, balance_days.c.day < moment.date()
        )
    )
    total = Decimal(days or 0)
    start = datetime.combine(moment.date(), datetime.min.time(), tzinfo=moment.tzinfo)
    for side, sign in (("to", 1), ("from", -1)):
        moved = await session.scalar(
            select(func.sum(movements.c.quantity)).where(
                movements.c.item_sku == sku,
                movements.c[f"{side}_warehouse"] == place.warehouse,
                movements.c[f"{side}_location"] == place.location,
                movements.c[f"{side}_lot"] == place.lot,
                movements.c[f"{side}_status"] == status,
                movements.c.business_time >= start,
                movements.c.business_time <= moment,
            )
        )
        total += sign * Decimal(moved or 0)
    return total


async def stream_balances(
    session: AsyncSession,
    warehouse: str,
    status: StockStatus | None,
    locations: Collection[str],
    skus: Collection[str],
    in_transit_location: str,
) -> AsyncIterator[Sequence[Any]]:
    """The non-zero balances of a warehouse, in one status or in all (None), in (location,
    item, lot, status) order, a batch at a time, but for its in-transit location.

    Read through a server-side cursor, so that a whole warehouse never sits in memory.
    """
    query = (
        select(
            balances.c.item_sku,
            balances.c.location,
            balances.c.lot,
            balances.c.status,
            balances.c.quantity,
            items.c.base_unit,
        )
        .outerjoin(items, items.c.sku == balances.c.item_sku)
        .where(
            balances.c.warehouse == warehouse,
            balances.c.quantity != 0,
            balances.c.location != in_transit_location,
        )
        .order_by(balances.c.location, balances.c.item_sku, balances.c.lot, balances.c.status)
        .execution_options(yield_per=STREAM_BATCH)
    )
    if status is not None:
        query = query.where(balances.c.status == str(status))
    if locations:
        query = query.where(balances.c.location.in_(list(locations)))
    if skus:
        query = query.where(balances.c.item_sku.in_(list(skus)))
    result = await session.stream(query)
    async for rows in result.partitions():
        yield rows


async def books_as_of(session: AsyncSession, queries: Sequence[BookQuery]) -> list[Book]:
    """Each key's balance as of its own time, and its movements in its window, from two reads for all keys.

    The balance as of T is the balance now less the movements after T: Σ movements up to T,
    as balance_as_of computes it from its days. Both reads cover every key's items and
    warehouses (the balances' its locations too); what belongs to other keys is dropped here.
    A query of every status sums its place's statuses, so that a status change within the
    place moves nothing there.
    """
    if not queries:
        return []
    keyed = [(q, _book_keys(q)) for q in queries]
    wanted = {key for _, keys in keyed for _, key in keys}
    skus = sorted({q.item_sku for q in queries})
    warehouse_codes = sorted({q.place.warehouse for q in queries})
    location_codes = sorted({q.place.location for q in queries})
    current: dict[BalanceKey, Decimal] = {}
    for r in await session.execute(
        select(balances).where(
            balances.c.item_sku.in_(skus),
            balances.c.warehouse.in_(warehouse_codes),
            balances.c.location.in_(location_codes),
        )
    ):
        key = (r.item_sku, r.warehouse, r.location, r.lot, r.status)
        if key in wanted:
            current[key] = r.quantity
    earliest = min(q.as_of if q.since is None else min(q.as_of, q.since) for q in queries)
    # Per key: (movement, business time, signed quantity).
    moved: dict[BalanceKey, list[tuple[int, datetime, Decimal]]] = {}
    sides = [
        movements.c[f"{side}_{name}"] for side in ("from", "to") for name in ("warehouse", "location", "lot", "status")
    ]
    for r in await session.execute(
        select(movements.c.seq, movements.c.item_sku, movements.c.quantity, movements.c.business_time, *sides).where(
            movements.c.item_sku.in_(skus),
            movements.c.business_time > earliest,
            or_(movements.c.from_warehouse.in_(warehouse_codes), movements.c.to_warehouse.in_(warehouse_codes)),
        )
    ):
        row = r._mapping
        for side, sign in (("from", -1), ("to", 1)):
            key = (
                r.item_sku,
                row[f"{side}_warehouse"],
                row[f"{side}_location"],
                row[f"{side}_lot"],
                row[f"{side}_status"],
            )
            if key in wanted:
                moved.setdefault(key, []).append((r.seq, r.business_time, sign * r.quantity))
    books = []
    zero = Decimal(0)
    for q, keys in keyed:
        parts: dict[StockStatus, Decimal] = {}
        window: dict[int, Decimal] = {}
        for status, key in keys:
            entries = moved.get(key)
            if entries is None:  # most places of a count did not move since
                parts[status] = current.get(key, zero)
                continue
            later = sum((amount for _, when, amount in entries if when > q.as_of), zero)
            parts[status] = current.get(key, zero) - later
            if q.since is not None:
                for seq, when, amount in entries:
                    if q.since < when <= q.as_of:
                        window[seq] = window.get(seq, zero) + amount
        books.append(
            Book(
                sum(parts.values(), Decimal(0)),
                sum(1 for net in window.values() if net),
                {status: part for status, part in parts.items() if part} if q.every_status else {},
            )
        )
    return books


def _book_keys(query: BookQuery) -> list[tuple[StockStatus, BalanceKey]]:
    """The balances a query sums, each with its status."""
    place = query.place
    statuses = _EVERY_STATUS if query.every_status else ((place.status, str(place.status)),)
    return [(status, (query.item_sku, place.warehouse, place.location, place.lot, text)) for status, text in statuses]


def _balance_key(sku: str, place: Place) -> BalanceKey:
    return (sku, place.warehouse, place.location, place.lot, str(place.status))


async def list_movements(session: AsyncSession, filters: Mapping[str, Any], page: PageQuery) -> list[MovementRecord]:
    """History in ledger order; a place filter matches either side of a movement."""
    query = select(movements)
    if filters.get("item_sku"):
        query = query.where(movements.c.item_sku == filters["item_sku"])
    for name in ("warehouse", "location", "lot"):
        if filters.get(name):
            query = query.where(
                or_(movements.c[f"from_{name}"] == filters[name], movements.c[f"to_{name}"] == filters[name])
            )
    for name in ("document_type", "document_id", "actor"):
        if filters.get(name):
            query = query.where(movements.c[name] == filters[name])
    if filters.get("from_time"):
        query = query.where(movements.c.business_time >= filters["from_time"])
    if filters.get("to_time"):
        query = query.where(movements.c.business_time <= filters["to_time"])
    return [record_from_row(r._mapping) for r in await session.execute(keyset(query, [movements.c.seq], page))]


async def movements_by_id(session: AsyncSession, ids: Collection[str]) -> list[MovementRecord]:
    query = select(movements).where(movements.c.id.in_(list(ids))).order_by(movements.c.seq)
    return [record_from_row(r._mapping) for r in await session.execute(query)]


async def list_balances(session: AsyncSession, filters: Mapping[str, str], page: PageQuery) -> list[Any]:
    """Balances with their item's base unit and their lot's expiry date."""
    query = (
        select(balances, items.c.base_unit, lots.c.expiry_date)
        .outerjoin(items, items.c.sku == balances.c.item_sku)
        .outerjoin(lots, (lots.c.item_sku == balances.c.item_sku) & (lots.c.lot == balances.c.lot))
    )
    for name, value in filters.items():
        if value:
            query = query.where(balances.c[name] == value)
    return list(await session.execute(keyset(query, [balances.c[name] for name in BALANCE_KEY], page)))


async def list_warehouses(session: AsyncSession, page: PageQuery) -> list[tuple[WarehouseView, str]]:
    """Warehouses by code, each with its name."""
    return _named_warehouses(await session.execute(keyset(select(warehouses), [warehouses.c.code], page)))


async def warehouses_by_code(session: AsyncSession, codes: Collection[str]) -> list[tuple[WarehouseView, str]]:
    query = select(warehouses).where(warehouses.c.code.in_(list(codes))).order_by(warehouses.c.code)
    return _named_warehouses(await session.execute(query))


def _named_warehouses(rows: Any) -> list[tuple[WarehouseView, str]]:
    return [(WarehouseView(r.code, r.allow_negative_stock, r.in_transit_location), r.name) for r in rows]


async def list_locations(session: AsyncSession, warehouse: str, page: PageQuery) -> list[LocationView]:
    """A warehouse's locations by code."""
    query = select(locations).where(locations.c.warehouse == warehouse)
    rows = await session.execute(keyset(query, [locations.c.code], page))
    return [LocationView(r.warehouse, r.code, LocationKind(r.kind)) for r in rows]


async def list_reservations(
    session: AsyncSession, item_sku: str, warehouse: str, owner: DocumentRef, open_only: bool, page: PageQuery
) -> list[Reservation]:
    query = select(reservations)
    for column, value in (
        (reservations.c.item_sku, item_sku),
        (reservations.c.warehouse, warehouse),
        (reservations.c.owner_type, owner.type),
        (reservations.c.owner_id, owner.id),
        (reservations.c.owner_line, owner.line),
    ):
        if value:
            query = query.where(column == value)
    if open_only:
        query = query.where(reservations.c.state == str(ReservationState.OPEN))
    rows = await session.execute(keyset(query, [reservations.c.created_at, reservations.c.id], page))
    return [_reservation(r._mapping) for r in rows]


async def reservations_by_id(session: AsyncSession, ids: Collection[str]) -> list[Reservation]:
    query = (
        select(reservations)
        .where(reservations.c.id.in_(list(ids)))
        .order_by(reservations.c.created_at, reservations.c.id)
    )
    return [_reservation(r._mapping) for r in await session.execute(query)]


def record_from_row(row: Any) -> MovementRecord:
    """A ledger row as the record the posting produced."""

    def side(name: str) -> Place | None:
        if row[f"{name}_warehouse"] is None:
            return None
        return Place(
            row[f"{name}_warehouse"], row[f"{name}_location"], row[f"{name}_lot"], StockStatus(row[f"{name}_status"])
        )

    source, target = side("from"), side("to")
    quantity = row["quantity"]
    deltas = [(p, sign * quantity) for p, sign in ((source, -1), (target, 1)) if p is not None]
    plan = MovementPlan(
        movement_type=MovementType(row["type"]),
        item_sku=row["item_sku"],
        quantity_base=quantity,
        unit=row["unit"],
        from_place=source,
        to_place=target,
        deltas=deltas,
        reason_code=row["reason_code"],
        reasons=[ReasonQuantity(code, Decimal(amount)) for code, amount in json.loads(row["reasons"])],
        new_lots=frozenset(),
    )
    return MovementRecord(
        id=row["id"],
        sequence=row["seq"],
        plan=plan,
        document=DocumentRef(row["document_type"], row["document_id"], row["document_line"]),
        actor=row["actor"],
        business_time=row["business_time"],
        posted_at=row["posted_at"],
        idempotency_key=row["idempotency_key"],
        corrects_movement_id=row["corrects_movement_id"] or "",
        reservation_id=row["reservation_id"] or "",
        supplier=row["supplier"] or "",
        supplier_lot=row["supplier_lot"] or "",
    )
