"""What stock publishes on NATS JetStream, and the catalog events it consumes, end to end."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import nats
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from stock_support import (
    StockEvents,
    availability,
    create_item,
    create_warehouses,
    d,
    eventually,
    key,
    movement,
    movements,
    place,
    post,
    receive,
    refused,
    reserve,
    stock_events,
)

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.events.v1 import catalog_pb2 as catalog_events
from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import stock_pb2 as events
from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.db import utcnow
from invariant_kernel.errors import ErrorCode
from stock.adapters.repository import SqlStockRepository
from stock.domain import StockKey

RECEIPT, ISSUE, TRANSFER, SCRAP = (
    pb.MOVEMENT_TYPE_RECEIPT,
    pb.MOVEMENT_TYPE_ISSUE,
    pb.MOVEMENT_TYPE_TRANSFER,
    pb.MOVEMENT_TYPE_SCRAP,
)
RETURN, ADJUSTMENT, STATUS_CHANGE = pb.MOVEMENT_TYPE_RETURN, pb.MOVEMENT_TYPE_ADJUSTMENT, pb.MOVEMENT_TYPE_STATUS_CHANGE
QC_HOLD = pb.STOCK_STATUS_QC_HOLD
UPSERTED = "inventory.catalog.item.upserted"


@pytest.fixture
def services(services_on_their_own):  # type: ignore[no-untyped-def]
    """Here the stock service has a catalog consumer of its own and a fast expiry sweep."""
    return services_on_their_own


@pytest.fixture
async def sku(services) -> str:  # type: ignore[no-untyped-def]
    """A new item, with warehouses WH1 and WH2 to keep it in."""
    await create_warehouses(services)
    return await create_item(services)


def entry(message: pb.Movement | events.MovementPosted) -> tuple[Any, ...]:
    """A ledger entry, or its movement.posted payload, in one shape to compare them by."""

    def name(value: int | str, enum: Any, prefix: str) -> str:
        return value if isinstance(value, str) else str(enum.Name(value)).removeprefix(prefix)

    def side(field: str) -> tuple[str, ...] | None:
        if not message.HasField(field):
            return None
        spot = getattr(message, field)
        return (spot.warehouse, spot.location, spot.lot, name(spot.status, pb.StockStatus, "STOCK_STATUS_"))

    return (
        message.id if isinstance(message, pb.Movement) else message.movement_id,
        message.sequence,
        name(message.type, pb.MovementType, "MOVEMENT_TYPE_"),
        message.item_sku,
        Decimal(message.quantity.value),
        side("from"),
        side("to"),
        (message.document.type, message.document.id, message.document.line),
        message.reason_code,
        [(r.reason_code, Decimal(r.quantity.value)) for r in message.reasons],
        message.reservation_id,
    )


def crossings(watched: StockEvents) -> list[tuple[str, str, Decimal, Decimal]]:
    return [
        (c.warehouse, c.kind, Decimal(c.level.value), Decimal(c.available_to_promise.value))
        for c in watched.of("threshold.crossed")
    ]


def shortages(watched: StockEvents) -> list[tuple[Decimal, Decimal, Decimal, list[str], str]]:
    return [
        (
            Decimal(s.available_on_hand.value),
            Decimal(s.reserved.value),
            Decimal(s.short_by.value),
            list(s.reservation_ids),
            s.movement_id,
        )
        for s in watched.of("shortage")
    ]


async def set_thresholds(services: Any, sku: str, warehouse: str, safety: int, maximum: int) -> None:
    """Set them in the catalog, and wait until the stock service has them from the event."""
    await services.catalog.SetThresholds(
        cpb.SetThresholdsRequest(
            idempotency_key=key(), sku=sku, warehouse=warehouse, safety_stock=d(safety), max_stock=d(maximum)
        )
    )

    async def replicated() -> bool:
        async with services.running.uows.reader() as uow:
            found = await SqlStockRepository(uow.session).thresholds_of([StockKey(sku, warehouse)])
        return found.get(StockKey(sku, warehouse)) == (Decimal(safety), Decimal(maximum))

    await eventually(replicated, f"thresholds of {sku} in stock's replica")


async def test_every_movement_is_published_and_receipts_and_adjustments_are_announced_too(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    async with stock_events(services.events, sku) as watched:
        await post(
            services,
            RECEIPT,
            sku,
            10,
            target=place("WH1"),
            document=pb.DocumentRef(type="PURCHASE_ORDER", id="PO-1", line="2"),
        )
        await receive(services, sku, 4, place("WH1", status=QC_HOLD))
        await post(services, RETURN, sku, 2, target=place("WH1", status=QC_HOLD), reason_code="WRONG_SIZE")
        await post(
            services, STATUS_CHANGE, sku, 6, place("WH1", status=QC_HOLD), place("WH1"), reason_code="ENTRY_ERROR"
        )
        await post(services, TRANSFER, sku, 3, place("WH1"), place("WH2", "IN_TRANSIT"))
        await post(services, TRANSFER, sku, 3, place("WH2", "IN_TRANSIT"), place("WH2"))
        await post(services, ISSUE, sku, 2, source=place("WH1"))
        await post(services, SCRAP, sku, 1, source=place("WH1"), reason_code="DAMAGED")
        await post(
            services,
            ADJUSTMENT,
            sku,
            "1.5",
            target=place("WH2"),
            reasons=[
                pb.ReasonQuantity(reason_code="COUNTING_ERROR", quantity=d(1)),
                pb.ReasonQuantity(reason_code="RECEIPT_NOT_RECORDED", quantity=d("0.5")),
            ],
        )
        await post(services, ADJUSTMENT, sku, 1, source=place("WH1"), reason_code="THEFT_OR_UNKNOWN")
        await watched.settle(services, sku)

    ledger = await movements(services, sku)
    assert [entry(m) for m in watched.of("movement.posted")] == [entry(m) for m in ledger]
    assert [entry(m) for m in watched.of("receipt.posted")] == [entry(m) for m in ledger if m.type in (RECEIPT, RETURN)]
    assert [entry(m) for m in watched.of("adjustment.posted")] == [entry(m) for m in ledger if m.type == ADJUSTMENT]


async def test_a_purchase_receipt_keeps_and_announces_its_supplier_and_the_suppliers_lot(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    bought = {"supplier": "ACME", "supplier_lot": "ACME-7781"}
    async with stock_events(services.events, sku) as watched:
        receipt = await post(services, RECEIPT, sku, 10, target=place("WH1"), **bought)
        await watched.settle(services, sku)

    [posted] = [m for m in watched.of("movement.posted") if m.movement_id == receipt.id]
    assert (posted.supplier, posted.supplier_lot) == ("ACME", "ACME-7781")
    [kept] = [m for m in await movements(services, sku) if m.id == receipt.id]
    assert (kept.supplier, kept.supplier_lot) == ("ACME", "ACME-7781")
    issued = await refused(post(services, ISSUE, sku, 1, source=place("WH1"), supplier="ACME"))
    assert (issued.code, issued.field) == (ErrorCode.INVALID_FORMAT, "supplier")
    assert len(await movements(services, sku)) == 2


async def test_reservations_announce_that_they_were_made_released_and_expired(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    await receive(services, sku, 10, place("WH1"))
    await receive(services, sku, 5, place("WH2"))
    order = pb.DocumentRef(type="SALES_ORDER", id=f"SO-{key()[:8]}")
    async with stock_events(services.events, sku) as watched:
        both = await services.stock.Reserve(
            pb.ReserveRequest(
                idempotency_key=key(),
                lines=[
                    pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(4)),
                    pb.ReservationLine(item_sku=sku, warehouse="WH2", quantity=d(3)),
                ],
                owner=order,
            )
        )
        first, second = both.reservations
        await services.stock.Release(pb.ReleaseRequest(idempotency_key=key(), reservation_id=first.id, quantity=d(1)))
        await services.stock.Release(pb.ReleaseRequest(idempotency_key=key(), reservation_id=first.id))
        partly = await services.stock.Reserve(
            pb.ReserveRequest(
                idempotency_key=key(),
                lines=[
                    pb.ReservationLine(item_sku=sku, warehouse="WH2", quantity=d(5)),
                    pb.ReservationLine(item_sku=sku, warehouse="WH2", quantity=d(1)),
                ],
                policy=pb.RESERVATION_POLICY_PARTIAL,
                owner=order,
            )
        )
        granted, nothing = partly.reservations
        shipped = await services.stock.IssueReservation(
            pb.IssueReservationRequest(idempotency_key=key(), reservation_id=second.id, quantity=d(3), location="A-01")
        )
        expiring = await reserve(services, sku, 2, owner=order, expires_at=in_(timedelta(milliseconds=500)))

        async def expired() -> bool:
            return bool(watched.of("reservation.expired"))

        await eventually(expired, "the reservation.expired event")
        await watched.settle(services, sku)

    def changes(fact: str) -> list[tuple[str, str, Decimal, Decimal, str]]:
        return [
            (c.reservation_id, c.warehouse, Decimal(c.quantity.value), Decimal(c.open.value), c.owner.id)
            for c in watched.of(f"reservation.{fact}")
        ]

    assert changes("created") == [
        (first.id, "WH1", 4, 4, order.id),
        (second.id, "WH2", 3, 3, order.id),
        (granted.id, "WH2", 2, 2, order.id),
        (expiring.id, "WH1", 2, 2, order.id),
    ]
    assert (nothing.state, nothing.open.value) == ("RELEASED", "0")
    assert changes("released") == [(first.id, "WH1", 1, 3, order.id), (first.id, "WH1", 3, 0, order.id)]
    assert changes("expired") == [(expiring.id, "WH1", 2, 0, order.id)]
    [issued] = [m for m in watched.of("movement.posted") if m.movement_id == shipped.id]
    assert (issued.reservation_id, issued.type, issued.quantity.value) == (second.id, "ISSUE", "3")
    # An issue is also published on a subject of its own, for consumers of issues alone.
    assert [m.movement_id for m in watched.of("issue.posted")] == [shipped.id]
    assert (await availability(services, sku, "WH1"))["reserved"] == 0
    listed = await services.stock.ListReservations(pb.ListReservationsRequest(owner=order))
    assert {r.id: r.state for r in listed.reservations} == {
        first.id: "RELEASED",
        second.id: "CONSUMED",
        granted.id: "OPEN",
        nothing.id: "RELEASED",
        expiring.id: "EXPIRED",
    }


async def test_a_threshold_crossing_is_published_once_per_crossing(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    await set_thresholds(services, sku, "WH1", safety=10, maximum=100)
    async with stock_events(services.events, sku) as watched:
        await receive(services, sku, 15)  # 0 -> 15: back above safety stock
        for quantity in (3, 3, 2):  # 15 -> 12 -> 9 (below) -> 7 (still below)
            await post(services, ISSUE, sku, quantity, source=place("WH1"))
        await receive(services, sku, 10)  # 7 -> 17: back above
        await post(services, ISSUE, sku, 9, source=place("WH1"))  # 17 -> 8: below again
        await receive(services, sku, 100)  # 8 -> 108: back above safety, and above max
        await receive(services, sku, 1)  # 108 -> 109: still above max
        await watched.settle(services, sku)

    assert crossings(watched) == [
        ("WH1", "BACK_ABOVE_SAFETY", 10, 15),
        ("WH1", "BELOW_SAFETY", 10, 9),
        ("WH1", "BACK_ABOVE_SAFETY", 10, 17),
        ("WH1", "BELOW_SAFETY", 10, 8),
        ("WH1", "BACK_ABOVE_SAFETY", 10, 108),
        ("WH1", "ABOVE_MAX", 100, 108),
    ]
    # Each crossing is a fact of its own, which a consumer may take once whatever envelope it comes in.
    ids = [c.id for c in watched.of("threshold.crossed")]
    assert all(ids) and len(set(ids)) == len(ids)


async def test_a_scrap_or_loss_below_what_is_reserved_is_posted_and_reports_the_shortage(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    await receive(services, sku, 10)
    promised = [await reserve(services, sku, 6), await reserve(services, sku, 3)]
    async with stock_events(services.events, sku) as watched:
        scrapped = await post(services, SCRAP, sku, 4, source=place("WH1"), reason_code="DAMAGED")
        lost = await post(services, ADJUSTMENT, sku, 2, source=place("WH1"), reason_code="THEFT_OR_UNKNOWN")
        await receive(services, sku, 3, place("WH1", status=QC_HOLD))
        await post(services, SCRAP, sku, 1, source=place("WH1", status=QC_HOLD))  # not AVAILABLE: no shortage
        await watched.settle(services, sku)

    held = [r.id for r in promised]
    assert shortages(watched) == [(6, 9, 3, held, scrapped.id), (4, 9, 5, held, lost.id)]
    found = await availability(services, sku, "WH1")
    assert (found["on_hand"], found["reserved"], found["atp"]) == (4, 9, -5)
    error = await refused(services.stock.PostMovement(movement(ISSUE, sku, 1, source=place("WH1"))))
    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "quantity")


async def test_items_and_their_changes_reach_stock_through_catalog_events(services, sku: str) -> None:  # type: ignore[no-untyped-def]

    async def replica() -> Any:
        async with services.running.uows.reader() as uow:
            return await SqlStockRepository(uow.session).item(sku)

    async def replicated() -> bool:
        return await replica() is not None

    # Stock is not asked about the item: only the catalog's event can bring it.
    await eventually(replicated, f"{sku} in stock's item replica")
    found = await replica()
    assert (found.base_unit, found.units, found.lot_tracked) == ("EA", {"BOX": Decimal(10)}, False)
    error = await refused(services.stock.PostMovement(movement(RECEIPT, sku, 2, target=place("WH1"), unit="PALLET")))
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "unit")

    await services.catalog.UpdateItem(
        cpb.UpdateItemRequest(
            idempotency_key=key(),
            sku=sku,
            replace_units=True,
            units=[cpb.UnitConversion(unit="BOX", factor=d(10)), cpb.UnitConversion(unit="PALLET", factor=d(100))],
        )
    )

    async def knows_pallets() -> bool:
        return "PALLET" in (await replica()).units

    await eventually(knows_pallets, "the PALLET unit in stock's replica")
    received = await services.stock.PostMovement(movement(RECEIPT, sku, 2, target=place("WH1"), unit="PALLET"))
    assert (received.quantity.value, received.unit) == ("200", "PALLET")

    await services.catalog.UpdateItem(cpb.UpdateItemRequest(idempotency_key=key(), sku=sku, lot_tracked=True))

    async def tracks_lots() -> bool:
        return bool((await replica()).lot_tracked)

    await eventually(tracks_lots, "lot tracking in stock's replica")
    error = await refused(services.stock.PostMovement(movement(RECEIPT, sku, 1, target=place("WH1"))))
    assert (error.code, error.field) == (ErrorCode.REQUIRED, "to.lot")
    await services.stock.PostMovement(movement(RECEIPT, sku, 1, target=place("WH1", lot="L-1")))
    assert [m.quantity.value for m in await movements(services, sku)] == ["200", "1"]


@pytest.mark.fault
async def test_a_late_older_state_of_an_item_leaves_the_newer_one_in_stocks_replica(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    await services.catalog.UpdateItem(cpb.UpdateItemRequest(idempotency_key=key(), sku=sku, lot_tracked=True))
    item = await services.catalog.GetItem(cpb.GetItemRequest(sku=sku))
    assert item.version == 2

    async def replica() -> Any:
        async with services.running.uows.reader() as uow:
            return await SqlStockRepository(uow.session).item(sku)

    async def tracks_lots() -> bool:
        found = await replica()
        return found is not None and bool(found.lot_tracked)

    await eventually(tracks_lots, "lot tracking in stock's replica")
    # The item as it was created, arriving late in an envelope of its own (a republished event).
    stale = envelope_pb2.Envelope(id=key(), type=UPSERTED, producer="catalog", actor="catalog")
    stale.payload.Pack(
        catalog_events.ItemUpserted(
            item_id=item.id,
            sku=sku,
            name=item.name,
            base_unit="EA",
            units=[catalog_events.UnitConversion(unit="BOX", factor=d(10))],
            lot_tracked=False,
            status="ACTIVE",
            version=1,
        )
    )
    client = await nats.connect(services.events.url)
    try:
        await client.jetstream().publish(
            services.events.subject(UPSERTED), stale.SerializeToString(), headers={"Nats-Msg-Id": stale.id}
        )
    finally:
        await client.close()

    async def handled() -> bool:
        async with services.running.uows.reader() as uow:
            inbox = uow.metadata.tables["inbox"]
            return await uow.session.scalar(select(inbox.c.event_id).where(inbox.c.event_id == stale.id)) is not None

    await eventually(handled, "the late event handled")
    assert (await replica()).lot_tracked


async def test_issuing_against_a_reservation_repeats_no_threshold_alert(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    """Issuing what a reservation holds leaves available to promise where it was."""
    await set_thresholds(services, sku, "WH1", safety=10, maximum=100)
    async with stock_events(services.events, sku) as watched:
        await receive(services, sku, 20)  # ATP 0 -> 20: back above safety
        promised = await reserve(services, sku, 8)  # ATP 20 -> 12
        await post(services, ISSUE, sku, 5, source=place("WH1"))  # ATP 12 -> 7: below safety
        await services.stock.IssueReservation(
            pb.IssueReservationRequest(
                idempotency_key=key(), reservation_id=promised.id, quantity=d(8), location="A-01"
            )
        )  # on hand 15 -> 7, reserved 8 -> 0: ATP stays 7
        await watched.settle(services, sku)

    assert (await availability(services, sku, "WH1"))["atp"] == 7
    assert crossings(watched) == [("WH1", "BACK_ABOVE_SAFETY", 10, 20), ("WH1", "BELOW_SAFETY", 10, 7)]


async def test_issuing_against_a_reservation_during_a_shortage_reports_no_new_shortage(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    await receive(services, sku, 10)
    promised = await reserve(services, sku, 8)
    async with stock_events(services.events, sku) as watched:
        scrapped = await post(services, SCRAP, sku, 5, source=place("WH1"))  # on hand 5, reserved 8: short 3
        await services.stock.IssueReservation(
            pb.IssueReservationRequest(
                idempotency_key=key(), reservation_id=promised.id, quantity=d(5), location="A-01"
            )
        )  # on hand 0, reserved 3: still short 3, no worse
        await watched.settle(services, sku)

    assert shortages(watched) == [(5, 8, 3, [promised.id], scrapped.id)]


async def test_a_reservation_that_takes_atp_below_safety_stock_raises_the_alert(services, sku: str) -> None:  # type: ignore[no-untyped-def]
    """Thresholds are on available to promise (domain/thresholds.py): a reservation moves it too."""
    await set_thresholds(services, sku, "WH1", safety=10, maximum=100)
    async with stock_events(services.events, sku) as watched:
        await receive(services, sku, 20)  # ATP 0 -> 20
        promised = await reserve(services, sku, 15)  # ATP 20 -> 5: below safety
        await services.stock.Release(pb.ReleaseRequest(idempotency_key=key(), reservation_id=promised.id))  # -> 20
        await watched.settle(services, sku)

    assert crossings(watched) == [
        ("WH1", "BACK_ABOVE_SAFETY", 10, 20),
        ("WH1", "BELOW_SAFETY", 10, 5),
        ("WH1", "BACK_ABOVE_SAFETY", 10, 20),
    ]


def in_(delta: timedelta) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(utcnow() + delta)
    return stamp
