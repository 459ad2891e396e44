"""Fulfilling sales orders against the real catalog and stock over gRPC and NATS: backorders
filled as stock comes in (each stock event acted on once), picking by scan from the pick
list, failed picks and shipments published, and closing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

import grpc
import nats
import pytest
from google.type.date_pb2 import Date as PbDate
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy, RawStreamMsg
from nats.js.errors import NotFoundError
from orders_support import (
    WAREHOUSE,
    Suite,
    available,
    customer,
    d,
    key,
    order,
    receive,
    refused,
    stocked_item,
    warehouse,
)

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import orders_pb2 as order_events
from invariant.events.v1 import stock_pb2 as stock_events
from invariant.orders.v1 import orders_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import bus, rpc
from invariant_core.testing import EventBus, eventually
from invariant_kernel.errors import ErrorCode


async def confirmed(suite: Suite, sku: str, quantity: int, policy: int = pb.PROMISE_POLICY_PARTIAL) -> pb.SalesOrder:
    draft = await order(suite, await customer(suite), [(sku, quantity)], policy=policy)
    return await suite.orders.ConfirmSalesOrder(pb.ConfirmSalesOrderRequest(idempotency_key=key(), number=draft.number))


async def line_of(suite: Suite, number: str) -> pb.SalesOrderLine:
    found = await suite.orders.GetSalesOrders(pb.GetSalesOrdersRequest(numbers=[number]))
    return found.orders[0].lines[0]


async def holds(suite: Suite, number: str, reserved: int, backordered: int) -> None:
    async def booked() -> bool:
        line = await line_of(suite, number)
        return (Decimal(line.reserved.value), Decimal(line.backordered.value), line.asking.value) == (
            reserved,
            backordered,
            "0",
        )

    await eventually(booked, f"{number} holding {reserved} with {backordered} backordered", within=30)


async def test_a_partial_order_s_backorder_is_filled_by_the_next_receipts(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 4)
    placed = await confirmed(suite, sku, 10)
    assert (placed.lines[0].reserved.value, placed.lines[0].backordered.value) == ("4", "6")

    await receive(suite, sku, 5)
    await holds(suite, placed.number, 9, 1)
    await receive(suite, sku, 3)
    await holds(suite, placed.number, 10, 0)

    line = await line_of(suite, placed.number)
    assert [r.open.value for r in line.reservations] == ["4", "5", "1"]
    assert await available(suite, sku) == Decimal(2)


async def confirmed_for_day(suite: Suite, buyer: str, sku: str, quantity: int, day: int) -> str:
    """A partial order of one line, requested for that day of January 2027, confirmed: its number."""
    draft = await suite.orders.CreateSalesOrder(
        pb.CreateSalesOrderRequest(
            idempotency_key=key(),
            customer=buyer,
            policy=pb.PROMISE_POLICY_PARTIAL,
            lines=[
                pb.SalesOrderLineInput(
                    item_sku=sku,
                    quantity=d(quantity),
                    warehouse=WAREHOUSE,
                    requested_date={"year": 2027, "month": 1, "day": day},
                )
            ],
        )
    )
    await suite.orders.ConfirmSalesOrder(pb.ConfirmSalesOrderRequest(idempotency_key=key(), number=draft.number))
    return draft.number


async def test_the_oldest_requested_date_is_filled_first(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 0)
    buyer = await customer(suite)
    later = await confirmed_for_day(suite, buyer, sku, 4, 20)
    sooner = await confirmed_for_day(suite, buyer, sku, 4, 10)

    await receive(suite, sku, 6)

    await holds(suite, sooner, 4, 0)
    await holds(suite, later, 2, 2)


async def publish_again(events: EventBus, movement: spb.Movement) -> None:
    """The receipt's fact once more, twice, each in an envelope of its own (a relay restored
    from a backup, say), as stock would state it."""
    fact = stock_events.MovementPosted(
        movement_id=movement.id,
        sequence=movement.sequence,
        type="RECEIPT",
        item_sku=movement.item_sku,
        quantity=movement.quantity,
        to=stock_events.StockPlace(warehouse=WAREHOUSE, location="A-01", status="AVAILABLE"),
    )
    client = await nats.connect(events.url)
    try:
        for _ in range(2):
            envelope = envelope_pb2.Envelope(id=key(), type="inventory.stock.movement.posted", producer="stock")
            envelope.payload.Pack(fact)
            await client.jetstream().publish(
                events.subject(envelope.type), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
            )
    finally:
        await client.close()


@pytest.mark.fault
async def test_a_receipt_delivered_again_fills_the_backorder_once(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 0)
    placed = await confirmed(suite, sku, 10)
    first = await receive(suite, sku, 4)
    await holds(suite, placed.number, 4, 6)

    await publish_again(suite.events, first)
    # Events are handled in turn: once this one is booked, the copies before it were handled.
    await receive(suite, sku, 1)
    await holds(suite, placed.number, 5, 5)

    asked = await suite.stock.ListReservations(
        spb.ListReservationsRequest(owner=spb.DocumentRef(type="SALES_ORDER", id=placed.number))
    )
    # One grant per receipt, whichever ask carried it (the confirmation's and the ask that
    # follows it may both have found nothing): the receipt delivered again granted nothing more.
    assert [r.open.value for r in asked.reservations if r.open.value != "0"] == ["4", "1"]
    assert await available(suite, sku) == 0


GIVEN_BACK = "inventory.stock.reservation.released"
SHORTAGE = "inventory.stock.shortage"


def given_back_by(number: str) -> Callable[[envelope_pb2.Envelope], bool]:
    def matches(envelope: envelope_pb2.Envelope) -> bool:
        changed = stock_events.ReservationChanged()
        envelope.payload.Unpack(changed)
        return changed.owner.id == number

    return matches


def short_of(sku: str) -> Callable[[envelope_pb2.Envelope], bool]:
    def matches(envelope: envelope_pb2.Envelope) -> bool:
        shortage = stock_events.Shortage()
        envelope.payload.Unpack(shortage)
        return shortage.item_sku == sku

    return matches


async def stock_published(
    events: EventBus, kind: str, matches: Callable[[envelope_pb2.Envelope], bool]
) -> RawStreamMsg:
    """The message on the stream stating stock's event of `kind` that `matches`, once stock's
    relay has published it: its bytes and headers as stored."""
    client = await nats.connect(events.url)
    found: list[RawStreamMsg] = []

    async def published() -> bool:
        after = 1
        while True:
            try:
                msg = await client.jetstream().get_msg(
                    events.stream.name, seq=after, subject=events.subject(kind), next=True
                )
            except NotFoundError:
                return False
            if matches(envelope_pb2.Envelope.FromString(msg.data)):
                found.append(msg)
                return True
            after = msg.seq + 1

    try:
        await eventually(published, f"stock's {kind} published")
    finally:
        await client.close()
    return found[0]


async def publish_copies(events: EventBus, kind: str, *copies: tuple[bytes, str | None]) -> int:
    """Each copy (its bytes, and the Nats-Msg-Id it goes under, or none) stored on the stream
    beside what is there, which JetStream's duplicate window would have dropped; the stream
    sequence of the last."""
    client = await nats.connect(events.url)
    try:
        for data, msg_id in copies:
            headers = {"Nats-Msg-Id": msg_id} if msg_id is not None else None
            ack = await client.jetstream().publish(events.subject(kind), data, headers=headers)
            assert not ack.duplicate, "the copy must reach the consumer"
        return ack.seq
    finally:
        await client.close()


async def handled(events: EventBus, durable: str, sequence: int) -> None:
    """Wait until orders' consumer `durable` has acknowledged every event up to `sequence`:
    the ack follows the commit of whatever the event did."""
    client = await nats.connect(events.url)

    async def settled() -> bool:
        info = await client.jetstream().consumer_info(events.stream.name, durable)
        return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence

    try:
        await eventually(settled, f"{durable} handled the events up to {sequence}", within=30)
    finally:
        await client.close()


async def stock_reservations(suite: Suite, number: str) -> list[tuple[str, str, str, str, str]]:
    """Every reservation stock holds for the order, given back or not: (id, requested, open,
    released, state)."""
    found = await suite.stock.ListReservations(
        spb.ListReservationsRequest(owner=spb.DocumentRef(type="SALES_ORDER", id=number))
    )
    return sorted((r.id, r.requested.value, r.open.value, r.released.value, r.state) for r in found.reservations)


def figures(line: pb.SalesOrderLine) -> tuple[str, str, str, str]:
    return line.reserved.value, line.backordered.value, line.asking.value, line.shorted.value


@pytest.mark.fault
async def test_a_reservation_given_back_and_delivered_again_fills_the_backorders_once(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 5)
    holder = await confirmed(suite, sku, 5)
    buyer = await customer(suite)
    later = await confirmed_for_day(suite, buyer, sku, 3, 20)
    sooner = await confirmed_for_day(suite, buyer, sku, 3, 10)
    await holds(suite, later, 0, 3)
    await holds(suite, sooner, 0, 3)

    await suite.orders.CancelSalesOrder(pb.CancelSalesOrderRequest(idempotency_key=key(), number=holder.number))
    await holds(suite, sooner, 3, 0)
    await holds(suite, later, 2, 1)
    given_back = await stock_published(suite.events, GIVEN_BACK, given_back_by(holder.number))
    await handled(suite.events, "orders-reservations", given_back.seq)
    before = {number: await stock_reservations(suite, number) for number in (sooner, later)}

    # The consumer takes an event once by its envelope's id (the fact has no id of its own):
    # the same envelope again, published after JetStream's duplicate window and once more
    # under another Nats-Msg-Id.
    last = await publish_copies(suite.events, GIVEN_BACK, (given_back.data, None), (given_back.data, key()))
    await handled(suite.events, "orders-reservations", last)

    # Read at once: an ask recorded for a copy would show on the line until stock answered it.
    assert figures(await line_of(suite, sooner)) == ("3", "0", "0", "0")
    assert figures(await line_of(suite, later)) == ("2", "1", "0", "0")
    assert {number: await stock_reservations(suite, number) for number in (sooner, later)} == before
    granted = {n: [r[2] for r in rows if r[2] != "0"] for n, rows in before.items()}
    assert granted == {sooner: ["3"], later: ["2"]}
    assert await available(suite, sku) == 0


@asynccontextmanager
async def orders_events(events: EventBus) -> AsyncIterator[list[envelope_pb2.Envelope]]:
    client = await nats.connect(events.url)
    js = client.jetstream()
    await bus.ensure_stream(js, events.stream)
    seen: list[envelope_pb2.Envelope] = []

    async def keep(msg: Msg) -> None:
        seen.append(envelope_pb2.Envelope.FromString(msg.data))

    subscription = await js.subscribe(
        events.subject("inventory.orders.>"), ordered_consumer=True, deliver_policy=DeliverPolicy.ALL, cb=keep
    )
    try:
        yield seen
    finally:
        await subscription.unsubscribe()
        await client.close()


def payloads(seen: list[envelope_pb2.Envelope], kind: str, message: type) -> list:  # type: ignore[type-arg]
    found = []
    for envelope in seen:
        if envelope.type == kind:
            payload = message()
            envelope.payload.Unpack(payload)
            found.append(payload)
    return found


def scanned_at(number: str, location: str, barcode: str, quantity: int, lot: str = "") -> pb.PickLineRequest:
    """A picker's scan for the first line of an order."""
    return pb.PickLineRequest(
        idempotency_key=key(), number=number, line=1, location=location, barcode=barcode, lot=lot, quantity=d(quantity)
    )


async def test_a_picker_scans_from_the_pick_list_and_the_order_ships_what_was_picked(suite: Suite) -> None:
    await warehouse(suite)
    barcode = f"SCAN-{uuid.uuid4().hex[:8]}"
    sku = await stocked_item(suite, 0, barcode=barcode)
    other_code = f"OTHER-{uuid.uuid4().hex[:8]}"
    other = await stocked_item(suite, 0, barcode=other_code)
    await suite.stock.CreateLocation(spb.CreateLocationRequest(idempotency_key=key(), warehouse=WAREHOUSE, code="B-01"))
    await receive(suite, sku, 5, "B-01")
    await receive(suite, sku, 5, "A-01")
    placed = await confirmed(suite, sku, 8, pb.PROMISE_POLICY_ALL_OR_NOTHING)

    listed = await suite.orders.GetPickList(pb.GetPickListRequest(number=placed.number))
    assert [(e.location, e.quantity.value) for e in listed.entries] == [("A-01", "5"), ("B-01", "3")]

    def pick(location: str, scanned: str, quantity: int) -> object:
        return suite.orders.PickLine(scanned_at(placed.number, location, scanned, quantity))

    unknown = await refused(pick("A-01", "NO-SUCH-CODE", 1))
    assert (unknown.field, unknown.code) == ("barcode", ErrorCode.NOT_FOUND)
    mismatch = await refused(pick("A-01", other_code, 1))
    assert (mismatch.field, mismatch.code) == ("barcode", ErrorCode.INVALID_STATE)
    assert f"is item {other}" in mismatch.message and f"expects item {sku}" in mismatch.message
    elsewhere = await refused(pick("C-09", barcode, 1))
    assert elsewhere.field == "location"

    async with orders_events(suite.events) as seen:
        picked = await pick("a-01", barcode, 5)
        assert picked.state == pb.SALES_ORDER_STATE_PICKING
        short = await suite.orders.ShortPick(
            pb.ShortPickRequest(idempotency_key=key(), number=placed.number, line=1, location="B-01", found=d(2))
        )
        assert short.lines[0].picked.value == "7"
        shipped = await suite.orders.ShipSalesOrder(
            pb.ShipSalesOrderRequest(idempotency_key=key(), number=placed.number)
        )

        async def published() -> bool:
            return bool(payloads(seen, "inventory.orders.shipment.posted", order_events.ShipmentPosted))

        await eventually(published, "the shipment published")

    assert shipped.state == pb.SALES_ORDER_STATE_PARTLY_SHIPPED
    assert (shipped.lines[0].shipped.value, shipped.lines[0].reserved.value) == ("7", "1")
    [failed] = payloads(seen, "inventory.orders.pick.failed", order_events.PickFailed)
    assert (failed.order, failed.line, failed.item_sku, failed.location, failed.expected.value, failed.found.value) == (
        placed.number,
        1,
        sku,
        "B-01",
        "3",
        "2",
    )
    assert failed.who == "desk"
    # Which failed pick it is (the order's second pick), so that a consumer takes it once.
    assert (failed.order_id, failed.pick) == (placed.id, 2)
    [shipment] = payloads(seen, "inventory.orders.shipment.posted", order_events.ShipmentPosted)
    assert (shipment.number, shipment.customer, shipment.complete) == (placed.number, placed.customer, False)
    assert [(s.item_sku, s.lot, s.quantity.value) for s in shipment.lines] == [(sku, "", "7")]
    stock_now = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
    assert (stock_now.available_on_hand.value, stock_now.reserved.value) == ("3", "1")
    # The short shelf is left out for the line from now on.
    again = await suite.orders.GetPickList(pb.GetPickListRequest(number=placed.number))
    assert [(e.location, e.quantity.value) for e in again.entries] == []

    closed = await suite.orders.CloseSalesOrder(pb.CloseSalesOrderRequest(idempotency_key=key(), number=placed.number))
    assert closed.state == pb.SALES_ORDER_STATE_CLOSED

    async def given_back() -> bool:
        return await available(suite, sku) == 3

    await eventually(given_back, "the closed order's last unit released")
    late = await refused(
        suite.orders.CancelSalesOrder(pb.CancelSalesOrderRequest(idempotency_key=key(), number=placed.number))
    )
    assert late.code is ErrorCode.INVALID_STATE


async def scrap(suite: Suite, sku: str, quantity: int) -> None:
    """Stock found damaged at WH1/A-01 and scrapped."""
    await suite.stock.PostMovement(
        spb.PostMovementRequest(
            idempotency_key=key(),
            type=spb.MOVEMENT_TYPE_SCRAP,
            item_sku=sku,
            quantity=d(quantity),
            reason_code="DAMAGED",
            **{"from": spb.StockPlace(warehouse=WAREHOUSE, location="A-01", status=spb.STOCK_STATUS_AVAILABLE)},
        )
    )


async def test_stock_lost_under_an_order_flags_its_line_and_backorders_it_until_the_next_receipt(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 10)
    placed = await confirmed(suite, sku, 8)

    await scrap(suite, sku, 5)

    await holds(suite, placed.number, 5, 3)
    line = await line_of(suite, placed.number)
    assert line.shorted.value == "3"
    report = await suite.stock.CheckIntegrity(spb.CheckIntegrityRequest())
    assert list(report.drifts) == []
    assert await available(suite, sku) == 0

    await receive(suite, sku, 4)
    await holds(suite, placed.number, 8, 0)
    assert await available(suite, sku) == 1


@pytest.mark.fault
async def test_a_shortage_delivered_again_flags_the_line_and_asks_for_it_once(suite: Suite) -> None:
    await warehouse(suite)
    sku = await stocked_item(suite, 10)
    placed = await confirmed(suite, sku, 8)
    await scrap(suite, sku, 5)
    await holds(suite, placed.number, 5, 3)
    shortage = await stock_published(suite.events, SHORTAGE, short_of(sku))
    await handled(suite.events, "orders-shortages", shortage.seq)
    # What the line gave back is announced too, and may make it ask once more: settled first.
    given_back = await stock_published(suite.events, GIVEN_BACK, given_back_by(placed.number))
    await handled(suite.events, "orders-reservations", given_back.seq)
    await holds(suite, placed.number, 5, 3)
    before = await stock_reservations(suite, placed.number)

    # The consumer takes a shortage once by its id, whatever envelope states it: the same
    # envelope again (published after JetStream's duplicate window), and the same shortage in
    # another envelope as a relay publishes it.
    republished = envelope_pb2.Envelope.FromString(shortage.data)
    republished.id = key()
    last = await publish_copies(
        suite.events, SHORTAGE, (shortage.data, None), (republished.SerializeToString(), republished.id)
    )
    await handled(suite.events, "orders-shortages", last)

    # Read at once: a copy taken again would have cut the line further in its own commit.
    line = await line_of(suite, placed.number)
    assert figures(line) == ("5", "3", "0", "3")
    assert await stock_reservations(suite, placed.number) == before
    [confirmation] = [r for r in before if r[0] == line.reservation_id]
    # Given back once: 3 of the 8 held, 5 still open.
    assert confirmation[1:] == ("8", "5", "3", "OPEN")
    # Asked for again once by the shortage, granted nothing (nothing was left), and once more
    # if what it gave back was handled after that ask was answered.
    asked_again = [r[1:] for r in before if r != confirmation]
    assert asked_again in ([("3", "0", "0", "RELEASED")], [("3", "0", "0", "RELEASED")] * 2)
    assert await available(suite, sku) == 0


async def test_a_customer_return_goes_into_qc_hold_with_its_rma_as_document(suite: Suite) -> None:
    await warehouse(suite)
    barcode = f"RET-{uuid.uuid4().hex[:8]}"
    sku = await stocked_item(suite, 6, barcode=barcode)
    placed = await confirmed(suite, sku, 5, pb.PROMISE_POLICY_ALL_OR_NOTHING)
    await suite.orders.PickLine(scanned_at(placed.number, "A-01", barcode, 5))
    await suite.orders.ShipSalesOrder(pb.ShipSalesOrderRequest(idempotency_key=key(), number=placed.number))

    def sent_back(quantity: int, location: str = "A-01") -> object:
        return suite.orders.CreateReturn(
            pb.CreateReturnRequest(
                idempotency_key=key(),
                number=placed.number,
                line=1,
                quantity=d(quantity),
                location=location,
                reason="scratched",
            )
        )

    too_many = await refused(sent_back(6))
    assert (too_many.code, too_many.field) == (ErrorCode.OUT_OF_RANGE, "quantity")
    nowhere = await refused(sent_back(1, "Z-99"))
    assert (nowhere.code, nowhere.field) == (ErrorCode.NOT_FOUND, "location")
    rma = await sent_back(2)
    assert rma.number.startswith("RMA-")
    assert (rma.order_number, rma.item_sku, rma.quantity.value) == (placed.number, sku, "2")

    async def on_hold() -> bool:
        found = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
        return found.qc_hold.value == "2"

    await eventually(on_hold, "the return on hold in stock")
    posted = await suite.stock.ListMovements(
        spb.ListMovementsRequest(item_sku=sku, document=spb.DocumentRef(type="RMA", id=rma.number))
    )
    [movement] = posted.movements
    assert (movement.type, movement.to.status) == (spb.MOVEMENT_TYPE_RETURN, spb.STOCK_STATUS_QC_HOLD)
    assert await available(suite, sku) == 1
    line = await line_of(suite, placed.number)
    assert line.returned.value == "2"

    async def booked() -> bool:
        found = await suite.orders.GetCustomerReturns(pb.GetCustomerReturnsRequest(numbers=[rma.number.lower()]))
        return [r.movement_id for r in found.returns] == [movement.id]

    await eventually(booked, "the return names stock's movement")
    unknown = await suite.orders.GetCustomerReturns(pb.GetCustomerReturnsRequest(numbers=["RMA-999999"]))
    assert list(unknown.returns) == []
    listed = await suite.orders.ListCustomerReturns(pb.ListCustomerReturnsRequest(order_number=placed.number))
    assert [(r.number, r.line, r.reason) for r in listed.returns] == [(rma.number, 1, rma.reason)]
    elsewhere = await suite.orders.ListCustomerReturns(pb.ListCustomerReturnsRequest(order_number="SO-999999"))
    assert list(elsewhere.returns) == []


async def test_a_lot_tracked_line_is_picked_first_expiry_first_with_the_lot_scanned(suite: Suite) -> None:
    await warehouse(suite)
    await suite.stock.CreateLocation(spb.CreateLocationRequest(idempotency_key=key(), warehouse=WAREHOUSE, code="B-01"))
    sku, barcode = f"L-{uuid.uuid4().hex[:10].upper()}", f"LOT-{uuid.uuid4().hex[:8]}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name="Lot item",
            base_unit="EA",
            lot_tracked=True,
            barcodes=[cpb.Barcode(code=barcode, symbology="OTHER")],
        )
    )
    # L2 expires first, though L1 comes first by its code.
    for location, lot, quantity, expiry in (("A-01", "L2", 3, (2027, 3, 1)), ("B-01", "L1", 4, (2027, 9, 1))):
        year, month, day = expiry
        await suite.stock.CreateLot(
            spb.CreateLotRequest(
                idempotency_key=key(), item_sku=sku, lot=lot, expiry_date=PbDate(year=year, month=month, day=day)
            )
        )
        into = spb.StockPlace(warehouse=WAREHOUSE, location=location, lot=lot, status=spb.STOCK_STATUS_AVAILABLE)
        await suite.stock.PostMovement(
            spb.PostMovementRequest(
                idempotency_key=key(), type=spb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d(quantity), to=into
            )
        )
    placed = await confirmed(suite, sku, 5, pb.PROMISE_POLICY_ALL_OR_NOTHING)

    listed = await suite.orders.GetPickList(pb.GetPickListRequest(number=placed.number))
    assert [(e.location, e.lot, e.quantity.value) for e in listed.entries] == [("A-01", "L2", "3"), ("B-01", "L1", "2")]

    def pick(location: str, lot: str, quantity: int) -> object:
        return suite.orders.PickLine(scanned_at(placed.number, location, barcode, quantity, lot))

    assert (await refused(pick("B-01", "", 2))).field == "lot"
    assert (await refused(pick("B-01", "L2", 2))).field == "lot"
    await pick("B-01", "L1", 2)
    await pick("A-01", "L2", 3)
    shipped = await suite.orders.ShipSalesOrder(pb.ShipSalesOrderRequest(idempotency_key=key(), number=placed.number))

    assert shipped.state == pb.SALES_ORDER_STATE_SHIPPED
    issued = await suite.stock.ListMovements(
        spb.ListMovementsRequest(item_sku=sku, document=spb.DocumentRef(type="SALES_ORDER", id=placed.number))
    )
    assert sorted((getattr(m, "from").lot, m.quantity.value) for m in issued.movements) == [
        ("L1", "2"),
        ("L2", "3"),
    ]


async def test_a_retried_pick_counts_once_and_two_shippers_at_once_issue_once(suite: Suite) -> None:
    await warehouse(suite)
    barcode = f"TWICE-{uuid.uuid4().hex[:8]}"
    sku = await stocked_item(suite, 10, barcode=barcode)
    placed = await confirmed(suite, sku, 4, pb.PROMISE_POLICY_ALL_OR_NOTHING)
    scan = scanned_at(placed.number, "A-01", barcode, 4)
    first = await suite.orders.PickLine(scan)
    again = await suite.orders.PickLine(scan)
    assert again == first
    assert len(again.picks) == 1

    shippers = [
        suite.orders.ShipSalesOrder(pb.ShipSalesOrderRequest(idempotency_key=key(), number=placed.number))
        for _ in range(2)
    ]
    outcomes = await asyncio.gather(*shippers, return_exceptions=True)

    shipped = [o for o in outcomes if isinstance(o, pb.SalesOrder)]
    assert shipped
    assert all(o.state == pb.SALES_ORDER_STATE_SHIPPED and o.picks[0].shipment == 1 for o in shipped)
    for refusal in outcomes:
        if not isinstance(refusal, pb.SalesOrder):
            assert isinstance(refusal, grpc.aio.AioRpcError)
            assert rpc.from_rpc_error(refusal).code is ErrorCode.INVALID_STATE
    stock_now = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
    assert (stock_now.available_on_hand.value, stock_now.reserved.value) == ("6", "0")
    report = await suite.stock.CheckIntegrity(spb.CheckIntegrityRequest())
    assert list(report.drifts) == []
