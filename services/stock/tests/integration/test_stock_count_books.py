"""Stock's side of a count: the balances it opens from, the books its variances are taken
against, and the approved adjustments it posts from the counting service's event."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import nats
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import event
from stock_support import (
    StockEvents,
    assert_no_drift,
    availability,
    create_item,
    create_warehouses,
    d,
    eventually,
    key,
    movements,
    place,
    post,
    receive,
    refused,
    reserve,
    stock_events,
)

from invariant.events.v1 import counting_pb2, envelope_pb2
from invariant.events.v1 import stock_pb2 as events
from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.db import utcnow
from invariant_core.testing import EventBus
from invariant_kernel.errors import ErrorCode
from stock.adapters import repository
from stock.api.servicer import MAX_BOOK_QUERIES

RECEIPT, ISSUE, TRANSFER = pb.MOVEMENT_TYPE_RECEIPT, pb.MOVEMENT_TYPE_ISSUE, pb.MOVEMENT_TYPE_TRANSFER
STATUS_CHANGE = pb.MOVEMENT_TYPE_STATUS_CHANGE
QC_HOLD, REJECTED = pb.STOCK_STATUS_QC_HOLD, pb.STOCK_STATUS_REJECTED
INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
APPROVED = "inventory.counting.adjustment.approved"
# A streamed balance: warehouse, location, item, lot, status, quantity, unit.
Streamed = tuple[str, str, str, str, str, Decimal, str]


def stamp(moment: datetime) -> Timestamp:
    found = Timestamp()
    found.FromDatetime(moment)
    return found


async def streamed(replies: AsyncIterator[pb.Balance]) -> list[Streamed]:
    return [
        (
            b.place.warehouse,
            b.place.location,
            b.item_sku,
            b.place.lot,
            pb.StockStatus.Name(b.place.status),
            Decimal(b.quantity.value),
            b.unit,
        )
        async for page in replies
        for b in page.balances
    ]


async def stream(services: Any, **fields: Any) -> list[Streamed]:
    return await streamed(services.stock.StreamBalances(pb.StreamBalancesRequest(**fields)))


def balance(
    location: str, sku: str, quantity: str | int, lot: str = "", status: str = "AVAILABLE", warehouse: str = "WH1"
) -> Streamed:
    return (warehouse, location, sku, lot, f"STOCK_STATUS_{status}", Decimal(quantity), "EA")


async def test_a_count_opens_from_the_non_zero_balances_in_its_scope_of_every_status_in_location_item_lot_order(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rows a batch, so that the stream reads its cursor several times.
    monkeypatch.setattr(repository, "STREAM_BATCH", 2)
    await create_warehouses(services, locations=("A-01", "A-02", "B-01"))
    plain, other = sorted([await create_item(services), await create_item(services)])
    lots = await create_item(services, lot_tracked=True)
    await receive(services, plain, 10, place("WH1", "A-01"))
    await receive(services, plain, 5, place("WH1", "A-02"))
    await receive(services, plain, 7, place("WH1", "A-01", status=QC_HOLD))
    await receive(services, plain, 9, place("WH2", "A-01"))
    await receive(services, other, 3, place("WH1", "A-01"))
    await receive(services, other, 4, place("WH1", "B-01"))
    await post(services, ISSUE, other, 4, source=place("WH1", "B-01"))  # leaves a balance of zero
    await receive(services, lots, 2, place("WH1", "A-01", lot="L2"))
    await receive(services, lots, 1, place("WH1", "A-01", lot="L1"))
    in_a01 = sorted(
        [
            balance("A-01", plain, 10),
            balance("A-01", plain, 7, status="QC_HOLD"),
            balance("A-01", other, 3),
            balance("A-01", lots, 2, lot="L2"),
            balance("A-01", lots, 1, lot="L1"),
        ]
    )

    assert await stream(services, warehouse=" wh1") == [*in_a01, balance("A-02", plain, 5)]
    assert await stream(services, warehouse="WH1", locations=["a-02 "]) == [balance("A-02", plain, 5)]
    assert await stream(services, warehouse="WH1", item_skus=[f" {other.lower()}"]) == [balance("A-01", other, 3)]
    assert await stream(services, warehouse="WH1", locations=["B-01", "A-02"], item_skus=[plain, other]) == [
        balance("A-02", plain, 5)
    ]
    assert await stream(services, warehouse="WH1", status="available", locations=["A-01"], item_skus=[plain]) == [
        balance("A-01", plain, 10)
    ]
    assert await stream(services, warehouse="WH1", status="qc_hold") == [balance("A-01", plain, 7, status="QC_HOLD")]
    assert await stream(services, warehouse="WH2", status="STOCK_STATUS_AVAILABLE") == [
        balance("A-01", plain, 9, warehouse="WH2")
    ]
    assert await stream(services, warehouse="WH1", status="REJECTED") == []
    await assert_no_drift(services)


async def test_a_stream_of_balances_is_refused_naming_the_field(services: Any) -> None:
    await create_warehouses(services)
    cases = [
        ({"warehouse": " "}, INVALID, ErrorCode.REQUIRED, "warehouse"),
        ({"warehouse": "WH9"}, NOT_FOUND, ErrorCode.NOT_FOUND, "warehouse"),
        ({"warehouse": "WH1", "status": "LOST"}, INVALID, ErrorCode.INVALID_FORMAT, "status"),
        ({"warehouse": "WH1", "locations": ["A-01", "A 01"]}, INVALID, ErrorCode.INVALID_FORMAT, "locations[1]"),
        ({"warehouse": "WH1", "item_skus": [" "]}, INVALID, ErrorCode.REQUIRED, "item_skus[0]"),
    ]
    for fields, status, code, field in cases:
        refusal = await refused(stream(services, **fields))
        assert (refusal.status, refusal.code, refusal.field) == (status, code, field), fields


async def test_books_are_the_ledger_up_to_each_keys_time_with_the_movements_in_its_window_counted(
    services: Any,
) -> None:
    await create_warehouses(services, locations=("A-01", "A-02"))
    sku, idle = await create_item(services), await create_item(services)
    midnight = datetime.combine(utcnow().date(), datetime.min.time(), tzinfo=UTC) - timedelta(days=4)
    start = midnight + timedelta(hours=22)

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    here, there, held = place("WH1"), place("WH1", "A-02"), place("WH1", status=QC_HOLD)
    # Some fall on midnight, where the as-of balance switches from the movements of the day to the days before.
    await post(services, RECEIPT, sku, 10, target=here, business_time=stamp(at(0)))
    await post(services, RECEIPT, sku, 4, target=held, business_time=stamp(at(1)))
    await post(services, RECEIPT, sku, 5, target=here, business_time=stamp(at(2)))
    await post(services, ISSUE, sku, 3, source=here, business_time=stamp(at(26)))
    await post(services, TRANSFER, sku, 2, here, there, business_time=stamp(at(50)))
    await post(services, RECEIPT, sku, 9, target=place("WH2"), business_time=stamp(at(0)))
    await post(services, RECEIPT, sku, "0.5", target=here)
    now = utcnow()

    def query(item: str, spot: pb.StockPlace, as_of: datetime, since: datetime | None = None) -> pb.BookQuery:
        asked = pb.BookQuery(item_sku=item, place=spot, as_of=stamp(as_of))
        if since is not None:
            asked.since.CopyFrom(stamp(since))
        return asked

    expected = [
        (query(sku, here, at(-1)), (0, 0)),
        (query(sku, here, at(0), at(-1)), (10, 1)),  # a movement at as_of is in the book
        (query(f" {sku.lower()}", here, at(2), at(0)), (15, 1)),  # one at since is not in the window
        (query(sku, here, at(25.5)), (15, 0)),
        (query(sku, here, at(26), at(1)), (12, 2)),
        (query(sku, here, at(60), at(-1)), (10, 4)),
        (query(sku, here, now, at(60)), (Decimal("10.5"), 1)),
        (query(sku, there, now, at(0)), (2, 1)),
        (query(sku, held, at(1), at(0)), (4, 1)),
        (query(sku, place("WH2"), now, at(-1)), (9, 1)),
        (query(sku, place("WH1", lot="NO-SUCH-LOT"), now, at(-1)), (0, 0)),
        (query(idle, here, now, at(-1)), (0, 0)),
        (query("NO-SUCH-ITEM", place("WH9", "Z-99"), now, at(-1)), (0, 0)),
    ]

    reply = await services.stock.GetBooks(pb.GetBooksRequest(queries=[q for q, _ in expected]))
    assert [(Decimal(b.quantity.value), b.movements) for b in reply.books] == [book for _, book in expected]
    # The same book as GetBalanceAsOf gives, key by key.
    for asked, (quantity, _) in expected[:-1]:
        one = await services.stock.GetBalanceAsOf(
            pb.GetBalanceAsOfRequest(item_sku=asked.item_sku, place=asked.place, as_of=asked.as_of)
        )
        assert Decimal(one.quantity.value) == quantity, asked
    assert await services.stock.GetBooks(pb.GetBooksRequest()) == pb.GetBooksResponse()
    await assert_no_drift(services)


async def test_a_place_without_a_status_is_booked_as_a_counter_finds_it_every_status_summed(services: Any) -> None:
    await create_warehouses(services)
    sku = await create_item(services)
    start = utcnow() - timedelta(hours=10)

    def at(hours: float) -> Timestamp:
        return stamp(start + timedelta(hours=hours))

    here, held, rejected = place("WH1"), place("WH1", status=QC_HOLD), place("WH1", status=REJECTED)
    await post(services, RECEIPT, sku, 10, target=here, business_time=at(0))
    await post(services, RECEIPT, sku, 4, target=held, business_time=at(1))
    # An admin's corrections (a decision cannot be dated in the past): QC_HOLD released by hand.
    await post(services, STATUS_CHANGE, sku, 3, held, here, business_time=at(2), reason_code="ENTRY_ERROR")
    await post(services, STATUS_CHANGE, sku, 1, held, rejected, business_time=at(3), reason_code="ENTRY_ERROR")
    shelf = place("WH1", status=pb.STOCK_STATUS_UNSPECIFIED)

    def query(spot: pb.StockPlace, as_of: float, since: float) -> pb.BookQuery:
        return pb.BookQuery(item_sku=sku, place=spot, as_of=at(as_of), since=at(since))

    reply = await services.stock.GetBooks(
        pb.GetBooksRequest(queries=[query(shelf, 1.5, 0.5), query(shelf, 4, 1.5), query(here, 4, 1.5)])
    )

    def book(b: pb.Book) -> tuple[Decimal, int, dict[str, Decimal]]:
        parts = {pb.StockStatus.Name(s.status): Decimal(s.quantity.value) for s in b.statuses}
        return Decimal(b.quantity.value), b.movements, parts

    assert [book(b) for b in reply.books] == [
        (14, 1, {"STOCK_STATUS_AVAILABLE": 10, "STOCK_STATUS_QC_HOLD": 4}),
        # Status changes within the place move nothing there.
        (14, 0, {"STOCK_STATUS_AVAILABLE": 13, "STOCK_STATUS_REJECTED": 1}),
        (13, 1, {}),
    ]


async def test_five_thousand_books_take_one_read_of_balances_and_one_of_movements(services: Any) -> None:
    await create_warehouses(services, locations=("A-01", "A-02"))
    skus = [await create_item(services) for _ in range(5)]
    for sku in skus:
        await receive(services, sku, 7, place("WH1", "A-01"))
    kept = [(sku, spot) for sku in skus for spot in (place("WH1", "A-01"), place("WH1", "A-02"), place("WH2"))]
    # The rest of the keys are items of their own, none of them stocked: as many as the call takes.
    unknown = [(f"NONE-{i}", place("WH1", "A-01")) for i in range(MAX_BOOK_QUERIES - len(kept))]
    as_of, since = stamp(utcnow()), stamp(utcnow() - timedelta(hours=1))
    queries = [pb.BookQuery(item_sku=sku, place=spot, as_of=as_of, since=since) for sku, spot in kept + unknown]
    reads: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if re.search(r"\bFROM (balances|movements)\b", statement):
            reads.append(statement)

    engine = services.running.uows.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = await services.stock.GetBooks(pb.GetBooksRequest(queries=queries))
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert len(reads) == 2
    stocked = (Decimal(7), 1)
    assert [(Decimal(b.quantity.value), b.movements) for b in reply.books] == [
        stocked if (spot.warehouse, spot.location) == ("WH1", "A-01") else (Decimal(0), 0) for _, spot in kept
    ] + [(Decimal(0), 0)] * len(unknown)


async def test_bad_book_queries_are_refused_naming_the_query_and_its_field(services: Any) -> None:
    await create_warehouses(services)
    sku = await create_item(services)
    good = pb.BookQuery(item_sku=sku, place=place("WH1"), as_of=stamp(utcnow()))

    def bad(**changes: Any) -> pb.BookQuery:
        changed = pb.BookQuery()
        changed.CopyFrom(good)
        for name, value in changes.items():
            if value is None:
                changed.ClearField(name)
            elif name == "place":
                changed.place.CopyFrom(value)
            else:
                setattr(changed, name, value)
        return changed

    cases = [
        (bad(item_sku=" "), ErrorCode.REQUIRED, "queries[1].item_sku"),
        (bad(place=None), ErrorCode.REQUIRED, "queries[1].place"),
        (bad(place=place(" ")), ErrorCode.REQUIRED, "queries[1].place.warehouse"),
        (bad(place=place("WH1", "A 01")), ErrorCode.INVALID_FORMAT, "queries[1].place.location"),
        (bad(place=place("WH1", lot="L 1")), ErrorCode.INVALID_FORMAT, "queries[1].place.lot"),
        (bad(as_of=None), ErrorCode.REQUIRED, "queries[1].as_of"),
    ]
    for query, code, field in cases:
        refusal = await refused(services.stock.GetBooks(pb.GetBooksRequest(queries=[good, query])))
        assert (refusal.status, refusal.code, refusal.field) == (INVALID, code, field), query
    too_many = pb.GetBooksRequest(queries=[good] * (MAX_BOOK_QUERIES + 1))
    refusal = await refused(services.stock.GetBooks(too_many))
    assert (refusal.status, refusal.code, refusal.field) == (INVALID, ErrorCode.OUT_OF_RANGE, "queries")


def approved_line(line_id: str, sku: str, variance: str, *reasons: tuple[str, int]) -> counting_pb2.ApprovedCountLine:
    line = counting_pb2.ApprovedCountLine(
        line_id=line_id,
        item_sku=sku,
        location="A-01",
        variance=d(variance),
        reasons=[events.ReasonQuantity(reason_code=code, quantity=d(quantity)) for code, quantity in reasons],
    )
    line.counted_at.CopyFrom(stamp(utcnow() - timedelta(hours=1)))
    return line


def approval(count_id: str, *lines: counting_pb2.ApprovedCountLine) -> envelope_pb2.Envelope:
    """The event as the counting service's outbox would write it: one part of one."""
    envelope = envelope_pb2.Envelope(
        id=key(), type=APPROVED, producer="counting", actor="supervisor", correlation_id=key()
    )
    envelope.occurred_at.CopyFrom(stamp(utcnow()))
    envelope.payload.Pack(
        counting_pb2.CountAdjustmentApproved(count_id=count_id, warehouse="WH1", part=1, parts=1, lines=lines)
    )
    return envelope


async def publish(events: EventBus, envelope: envelope_pb2.Envelope, deduplicated: bool = True) -> None:
    """As the relay publishes; without the Nats-Msg-Id, JetStream keeps a second copy of the same event."""
    client = await nats.connect(events.url)
    try:
        headers = {"Nats-Msg-Id": envelope.id} if deduplicated else None
        await client.jetstream().publish(events.subject(APPROVED), envelope.SerializeToString(), headers=headers)
    finally:
        await client.close()


def confirmations(watched: StockEvents, count: int) -> Callable[[], Awaitable[bool]]:
    async def arrived() -> bool:
        return len(watched.of("count.adjustments.posted")) >= count

    return arrived


async def test_an_approved_count_posts_each_gain_and_loss_once_however_often_it_arrives(
    services_on_their_own: Any,
) -> None:
    services = services_on_their_own
    await create_warehouses(services)
    short, found = await create_item(services), await create_item(services)
    await receive(services, short, 100)
    # The consumer reads items from stock's replica only; this reads the second one into it.
    await availability(services, found, "WH1")
    count_id = f"CNT-{uuid.uuid4().hex[:8]}"
    loss = approved_line("1", short, "-40", ("GIFT_OR_SAMPLE_NOT_RECORDED", 30), ("ENTRY_ERROR", 10))
    gain = approved_line("2", found, "3", ("RECEIPT_NOT_RECORDED", 3))
    first, again = approval(count_id, loss, gain), approval(count_id, loss, gain)

    async with stock_events(services.events, short, found, count_id) as watched:
        await publish(services.events, first)
        await eventually(confirmations(watched, 1), f"the first confirmation of {count_id}")
        await publish(services.events, first, deduplicated=False)
        await publish(services.events, again)
        # The consumer takes events in order: the copy of the first was handled before `again`.
        await eventually(confirmations(watched, 2), f"the second confirmation of {count_id}")
        await watched.settle(services, short)

    counted = [m for sku in (short, found) for m in await movements(services, sku) if m.document.type == "COUNT"]
    assert [
        (
            m.type,
            m.item_sku,
            m.HasField("from") and getattr(m, "from").location,
            m.HasField("to") and m.to.location,
            Decimal(m.quantity.value),
            (m.document.id, m.document.line),
            [(r.reason_code, Decimal(r.quantity.value)) for r in m.reasons],
            m.business_time,
        )
        for m in counted
    ] == [
        (
            pb.MOVEMENT_TYPE_ADJUSTMENT,
            short,
            "A-01",
            False,
            Decimal(40),
            (count_id, "1"),
            [("GIFT_OR_SAMPLE_NOT_RECORDED", 30), ("ENTRY_ERROR", 10)],
            loss.counted_at,
        ),
        (
            pb.MOVEMENT_TYPE_ADJUSTMENT,
            found,
            False,
            "A-01",
            Decimal(3),
            (count_id, "2"),
            [("RECEIPT_NOT_RECORDED", 3)],
            gain.counted_at,
        ),
    ]
    posted = [("1", counted[0].id), ("2", counted[1].id)]
    assert [
        (c.count_id, c.part, [(line.line_id, line.movement_id) for line in c.lines])
        for c in watched.of("count.adjustments.posted")
    ] == [(count_id, 1, posted)] * 2
    assert [m.movement_id for m in watched.of("adjustment.posted")] == [m.id for m in counted]
    assert (await availability(services, short, "WH1"))["on_hand"] == 60
    assert (await availability(services, found, "WH1"))["on_hand"] == 3
    await assert_no_drift(services)


async def test_an_approved_difference_on_a_place_with_held_stock_goes_to_the_statuses_it_belongs_to(
    services_on_their_own: Any,
) -> None:
    services = services_on_their_own
    await create_warehouses(services)
    mixed, inspected = await create_item(services), await create_item(services)
    await receive(services, mixed, 10)
    await receive(services, mixed, 6, place("WH1", status=QC_HOLD))
    await post(
        services,
        STATUS_CHANGE,
        mixed,
        2,
        place("WH1", status=QC_HOLD),
        place("WH1", status=REJECTED),
        reason_code="ENTRY_ERROR",
    )
    await receive(services, inspected, 5, place("WH1", status=QC_HOLD))
    count_id = f"CNT-{uuid.uuid4().hex[:8]}"
    # Rejected goods go first, then those under inspection, then available ones.
    loss = approved_line("1", mixed, "-7", ("DAMAGE_NOT_RECORDED", 3), ("THEFT_OR_UNKNOWN", 4))
    # Found beside goods under inspection only: held with them.
    gain = approved_line("2", inspected, "2", ("RECEIPT_NOT_RECORDED", 2))

    async with stock_events(services.events, mixed, inspected, count_id) as watched:
        await publish(services.events, approval(count_id, loss, gain))
        await eventually(confirmations(watched, 1), f"the confirmation of {count_id}")
        await publish(services.events, approval(count_id, loss, gain))
        await eventually(confirmations(watched, 2), f"the second confirmation of {count_id}")
        await watched.settle(services, mixed)

    counted = [m for sku in (mixed, inspected) for m in await movements(services, sku) if m.document.type == "COUNT"]
    assert [
        (
            m.item_sku,
            pb.StockStatus.Name((getattr(m, "from") if m.HasField("from") else m.to).status),
            Decimal(m.quantity.value) * (-1 if m.HasField("from") else 1),
            m.document.line,
            [(r.reason_code, Decimal(r.quantity.value)) for r in m.reasons],
        )
        for m in counted
    ] == [
        (mixed, "STOCK_STATUS_REJECTED", -2, "1", [("DAMAGE_NOT_RECORDED", 2)]),
        (mixed, "STOCK_STATUS_QC_HOLD", -4, "1", [("DAMAGE_NOT_RECORDED", 1), ("THEFT_OR_UNKNOWN", 3)]),
        (mixed, "STOCK_STATUS_AVAILABLE", -1, "1", [("THEFT_OR_UNKNOWN", 1)]),
        (inspected, "STOCK_STATUS_QC_HOLD", 2, "2", [("RECEIPT_NOT_RECORDED", 2)]),
    ]
    assert (await availability(services, mixed, "WH1"))["on_hand"] == 9
    assert (await availability(services, inspected, "WH1"))["on_hand"] == 0
    await assert_no_drift(services)


async def test_an_approved_loss_below_what_is_reserved_posts_and_reports_the_shortage(
    services_on_their_own: Any,
) -> None:
    services = services_on_their_own
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 100)
    held = await reserve(services, sku, 80)
    count_id = f"CNT-{uuid.uuid4().hex[:8]}"

    async with stock_events(services.events, sku, count_id) as watched:
        await publish(services.events, approval(count_id, approved_line("1", sku, "-40", ("THEFT_OR_UNKNOWN", 40))))
        await eventually(confirmations(watched, 1), f"the confirmation of {count_id}")
        await watched.settle(services, sku)

    (confirmed,) = watched.of("count.adjustments.posted")
    (line,) = confirmed.lines
    (short,) = watched.of("shortage")
    assert (
        Decimal(short.available_on_hand.value),
        Decimal(short.reserved.value),
        Decimal(short.short_by.value),
        list(short.reservation_ids),
        short.movement_id,
    ) == (60, 80, 20, [held.id], line.movement_id)
    assert (await availability(services, sku, "WH1"))["atp"] == -20
    await assert_no_drift(services)


@pytest.mark.fault
async def test_a_consumer_deleted_under_the_running_service_is_declared_again_and_applies_later_events(
    services_on_their_own: Any,
) -> None:
    services = services_on_their_own
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 10)
    count_id = f"CNT-{uuid.uuid4().hex[:8]}"
    async with stock_events(services.events, sku, count_id) as watched:
        client = await nats.connect(services.events.url)
        try:
            await eventually(lambda: consumer_exists(client, services.events), "stock declared its consumer")
            await client.jetstream().delete_consumer(services.events.stream.name, "stock-counting")
        finally:
            await client.close()
        await publish(services.events, approval(count_id, approved_line("1", sku, "5")))
        await eventually(confirmations(watched, 1), f"the confirmation of {count_id}", within=20)
    assert (await availability(services, sku, "WH1"))["on_hand"] == 15


async def consumer_exists(client: nats.NATS, events: EventBus) -> bool:
    try:
        await client.jetstream().consumer_info(events.stream.name, "stock-counting")
    except nats.js.errors.NotFoundError:
        return False
    return True
