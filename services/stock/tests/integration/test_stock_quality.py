"""Stock for quality through its real server and NATS: the inspection decisions it consumes,
who may release QC_HOLD by hand, quality holds that leave reservations short, use as is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import nats
from sqlalchemy import select
from stock_support import (
    availability,
    balances,
    create_item,
    d,
    key,
    movements,
    place,
    post,
    receive,
    refused,
    reserve,
    stock_events,
)

from invariant.events.v1 import envelope_pb2, quality_pb2
from invariant.events.v1 import stock_pb2 as events
from invariant.stock.v1 import stock_pb2 as pb
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.testing import EventBus, eventually
from invariant_kernel.errors import ErrorCode

DECIDED = "inventory.quality.inspection.decided"
DURABLE = "stock-inspections"
STATUS_CHANGE, ISSUE = pb.MOVEMENT_TYPE_STATUS_CHANGE, pb.MOVEMENT_TYPE_ISSUE
AVAILABLE, QC_HOLD, REJECTED = "STOCK_STATUS_AVAILABLE", "STOCK_STATUS_QC_HOLD", "STOCK_STATUS_REJECTED"
INSPECTOR = identity.Identity(actor="ines", roles=frozenset({"inspector"}))
SUPERVISOR = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))
MANAGER = identity.Identity(actor="mia", roles=frozenset({"manager"}))
NCR = pb.DocumentRef(type="NCR", id="NCR-1")


async def warehouse_with_quarantine(services: Any) -> None:
    """WH1 with a shelf A-01 and two quarantine locations; the rejected go to the first by code."""
    await services.stock.CreateWarehouse(pb.CreateWarehouseRequest(idempotency_key=key(), code="WH1", name="WH1"))
    for code, kind in (("A-01", pb.LOCATION_KIND_STORAGE), ("QZ-2", pb.LOCATION_KIND_QUARANTINE)):
        await services.stock.CreateLocation(
            pb.CreateLocationRequest(idempotency_key=key(), warehouse="WH1", code=code, kind=kind)
        )
    await services.stock.CreateLocation(
        pb.CreateLocationRequest(idempotency_key=key(), warehouse="WH1", code="QZ-1", kind=pb.LOCATION_KIND_QUARANTINE)
    )


def decided(sku: str, accepted: int, rejected: int, decision_id: str = "") -> envelope_pb2.Envelope:
    """quality's event as its outbox writes it, decided by ines, on what is held in WH1/A-01."""
    envelope = envelope_pb2.Envelope(id=key(), type=DECIDED, producer="quality", actor="ines", correlation_id=key())
    envelope.occurred_at.CopyFrom(timestamp_message(utcnow()))
    envelope.payload.Pack(
        quality_pb2.InspectionDecided(
            decision_id=decision_id or key(),
            inspection_lot_id="LOT-7",
            movement_id=key(),
            item_sku=sku,
            place=events.StockPlace(warehouse="WH1", location="A-01", status="QC_HOLD"),
            document=events.DocumentRef(type="PURCHASE_ORDER", id="PO-7", line="1"),
            accepted=d(accepted),
            rejected=d(rejected),
            decided_by="ines",
            plan_version=1,
        )
    )
    return envelope


async def publish(bus: EventBus, *sent: envelope_pb2.Envelope, deduplicated: bool = True) -> int:
    """As quality's relay publishes; the stream sequence of the last one."""
    client = await nats.connect(bus.url)
    try:
        sequence = 0
        for envelope in sent:
            headers = {"Nats-Msg-Id": envelope.id} if deduplicated else None
            ack = await client.jetstream().publish(bus.subject(DECIDED), envelope.SerializeToString(), headers=headers)
            sequence = ack.seq
        return sequence
    finally:
        await client.close()


async def caught_up(bus: EventBus, sequence: int) -> None:
    """Wait until stock's consumer of decisions has settled every event up to `sequence`."""
    client = await nats.connect(bus.url)
    try:

        async def settled() -> bool:
            info = await client.jetstream().consumer_info(bus.stream.name, DURABLE)
            return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence

        await eventually(settled, f"{DURABLE} settled the events up to {sequence}")
    finally:
        await client.close()


async def dead_letters(services: Any) -> dict[str, tuple[str, str]]:
    """Stock's dead letters: event id → (the consumer, the error)."""
    async with services.running.uows() as uow:
        letters = uow.metadata.tables["dead_letters"]
        rows = await uow.session.execute(select(letters.c.event_id, letters.c.source, letters.c.error))
        return {row.event_id: (row.source, row.error) for row in rows}


async def held(services: Any, quantity: int = 100) -> str:
    """An item received into QC_HOLD at WH1/A-01."""
    await warehouse_with_quarantine(services)
    sku = await create_item(services)
    await receive(services, sku, quantity, place("WH1", status=pb.STOCK_STATUS_QC_HOLD))
    return sku


def spot(location: str, status: str) -> tuple[str, str, str, str]:
    return ("WH1", location, "", status)


async def test_a_decision_makes_90_available_and_moves_10_rejected_into_quarantine_once_however_often_it_comes(
    services_on_their_own: Any,
) -> None:
    services = services_on_their_own
    sku = await held(services)
    decision_id = key()
    decision = decided(sku, 90, 10, decision_id)

    await caught_up(services.events, await publish(services.events, decision))
    # The same event again, as a copy JetStream keeps (the inbox knows it), and the same
    # decision in another envelope (the ledger knows it).
    await publish(services.events, decision, deduplicated=False)
    await caught_up(services.events, await publish(services.events, decided(sku, 90, 10, decision_id)))

    found = await balances(services, sku)
    assert found[spot("A-01", AVAILABLE)] == 90
    assert found[spot("QZ-1", REJECTED)] == 10
    assert found.get(spot("A-01", QC_HOLD), Decimal(0)) == 0
    assert spot("QZ-2", REJECTED) not in found
    changes = [m for m in await movements(services, sku) if m.type == STATUS_CHANGE]
    assert [(m.to.location, m.to.status, m.quantity.value) for m in changes] == [
        ("A-01", pb.STOCK_STATUS_AVAILABLE, "90"),
        ("QZ-1", pb.STOCK_STATUS_REJECTED, "10"),
    ]
    assert {(m.document.type, m.document.id, m.document.line, m.actor) for m in changes} == {
        ("INSPECTION", "LOT-7", decision_id, "ines")
    }
    buckets = await availability(services, sku, "WH1")
    assert (buckets["on_hand"], buckets["qc_hold"], buckets["rejected"]) == (90, 0, 10)
    # The decision in another envelope was known, not refused for want of stock on hold.
    assert await dead_letters(services) == {}


async def test_a_decision_naming_more_than_is_on_hold_goes_to_the_dead_letters_and_moves_nothing(
    services_on_their_own: Any,
) -> None:
    services = services_on_their_own
    sku = await held(services, 50)
    too_much = decided(sku, 45, 10)

    await caught_up(services.events, await publish(services.events, too_much))

    source, error = (await dead_letters(services))[too_much.id]
    assert source == DURABLE and "50 is on hold" in error
    assert [m.type for m in await movements(services, sku)] == [pb.MOVEMENT_TYPE_RECEIPT]


async def test_qc_hold_is_released_by_hand_only_by_an_admin_giving_a_reason(services: Any) -> None:
    sku = await held(services)
    release = (STATUS_CHANGE, sku, 5, place("WH1", status=pb.STOCK_STATUS_QC_HOLD), place("WH1"))

    with identity.acting(INSPECTOR):
        by_inspector = await refused(post(services, *release, reason_code="ENTRY_ERROR"))
    without_reason = await refused(post(services, *release))
    corrected = await post(services, *release, reason_code="ENTRY_ERROR")

    assert (by_inspector.code, by_inspector.field) == (ErrorCode.PERMISSION_DENIED, "from.status")
    assert (without_reason.code, without_reason.field) == (ErrorCode.REQUIRED, "reason_code")
    assert (corrected.actor, corrected.reason_code) == ("tester", "ENTRY_ERROR")
    assert (await balances(services, sku))[spot("A-01", AVAILABLE)] == 5


async def test_a_quality_hold_on_reserved_stock_publishes_a_shortage(services: Any) -> None:
    await warehouse_with_quarantine(services)
    sku = await create_item(services)
    await receive(services, sku, 10)
    reservation = await reserve(services, sku, 8)

    async with stock_events(services.events, sku) as watched:
        with identity.acting(SUPERVISOR):
            hold = await post(
                services,
                STATUS_CHANGE,
                sku,
                5,
                place("WH1"),
                place("WH1", status=pb.STOCK_STATUS_QC_HOLD),
                document=NCR,
            )
        await watched.settle(services, sku)

    [short] = watched.of("shortage")
    assert (short.short_by.value, short.movement_id, list(short.reservation_ids)) == ("3", hold.id, [reservation.id])


async def test_rejected_stock_is_used_as_is_only_with_a_manager(services_on_their_own: Any) -> None:
    services = services_on_their_own
    sku = await held(services)
    await caught_up(services.events, await publish(services.events, decided(sku, 0, 100)))
    use_as_is = (STATUS_CHANGE, sku, 4, place("WH1", "QZ-1", status=pb.STOCK_STATUS_REJECTED), place("WH1", "QZ-1"))

    with identity.acting(SUPERVISOR):
        by_supervisor = await refused(post(services, *use_as_is, document=NCR))
    with identity.acting(MANAGER):
        used = await post(services, *use_as_is, document=NCR)
        issued = await post(
            services,
            ISSUE,
            sku,
            6,
            source=place("WH1", "QZ-1", status=pb.STOCK_STATUS_REJECTED),
            reason_code="REWORK",
            document=NCR,
        )

    assert (by_supervisor.code, by_supervisor.field) == (ErrorCode.PERMISSION_DENIED, "to.status")
    assert (used.actor, used.document.id, issued.reason_code) == ("mia", "NCR-1", "REWORK")
    found = await balances(services, sku)
    assert (found[spot("QZ-1", AVAILABLE)], found[spot("QZ-1", REJECTED)]) == (4, 90)
