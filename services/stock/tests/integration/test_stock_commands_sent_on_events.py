"""Commands another service sends stock because of an event (invariant_core.outgoing), end to
end: a consumer on real NATS records them, a worker sends them to the real stock service over
gRPC, and stock takes each effect once whatever is resent, redelivered or sent twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import nats
import pytest
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message
from sqlalchemy import MetaData, select
from stock_support import d, movements, place, receive, setup

from invariant.events.v1 import envelope_pb2
from invariant.stock.v1 import stock_pb2 as pb
from invariant_core import bus, outgoing, rpc
from invariant_core.db import UnitOfWork, UnitOfWorkFactory, create_engine, plumbing_tables
from invariant_core.outgoing import Command, CommandSender, Outcome, OutgoingCommands, outgoing_table
from invariant_core.tasks import finish
from invariant_core.testing import DatabaseFactory, eventually
from invariant_kernel.errors import ErrorCode
from stock.bootstrap import SERVICE_NAME

ARRIVED = "inventory.test.goods.arrived"

# The sending service ("orders"): its plumbing and its outgoing commands.
metadata = MetaData()
plumbing_tables(metadata)
commands = outgoing_table(metadata)


@dataclass(frozen=True)
class Backordered:
    """What the sending service publishes when stock refuses to reserve for one of its lines."""

    purpose: str


def publish(event: object) -> tuple[str, Message]:
    assert isinstance(event, Backordered)
    return "inventory.orders.line.backordered", wrappers_pb2.StringValue(value=event.purpose)


@dataclass
class Sender:
    uows: UnitOfWorkFactory
    channel: grpc.aio.Channel
    # Every outcome its settle callback was handed, as often as it was handed one.
    handed: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        post, reserve = f"/{SERVICE_NAME}/PostMovement", f"/{SERVICE_NAME}/Reserve"
        self.receive = Command("receive", "stock", post, pb.PostMovementRequest, pb.Movement, self.settle)
        self.reserve = Command("reserve", "stock", reserve, pb.ReserveRequest, pb.ReserveResponse, self.settle)
        self.outgoing = OutgoingCommands("orders", [self.receive, self.reserve])

    async def settle(self, uow: UnitOfWork, outcome: Outcome[Any, Any]) -> None:
        """The sending service's own code: a refused reservation leaves its line backordered."""
        self.handed.append((outcome.purpose, "answered" if outcome.refusal is None else outcome.refusal.code))
        if outcome.refusal is not None:
            uow.record(Backordered(outcome.purpose))

    def worker(self, channel: Any = None, lease: float = 30.0) -> CommandSender:
        return CommandSender(self.uows, self.outgoing, {"stock": channel or self.channel}, lease=lease)

    async def settled(self) -> list[tuple[str, str | None, int]]:
        async with self.uows.reader() as uow:
            query = select(commands.c.purpose, commands.c.outcome, commands.c.attempts).order_by(commands.c.purpose)
            return [tuple(row) for row in await uow.session.execute(query)]  # type: ignore[misc]

    async def published(self) -> list[str]:
        outbox = metadata.tables["outbox"]
        async with self.uows.reader() as uow:
            return list(await uow.session.scalars(select(outbox.c.subject).order_by(outbox.c.seq)))


@pytest.fixture
async def sender(services: Any, new_database: DatabaseFactory) -> AsyncIterator[Sender]:
    engine = create_engine(await new_database("orders"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    channel = rpc.channel(f"127.0.0.1:{services.running.port}", [SERVICE_NAME])
    try:
        yield Sender(UnitOfWorkFactory(engine, metadata, "orders", publish), channel)
    finally:
        await channel.close()
        await engine.dispose()


def receipt(sku: str, quantity: str = "5") -> pb.PostMovementRequest:
    document = pb.DocumentRef(type="PURCHASE_ORDER", id="PO-1", line="1")
    return pb.PostMovementRequest(
        type=pb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d(quantity), to=place("WH1"), document=document
    )


async def record(
    sender: Sender, command: Command[Any, Any], request: Message, purpose: str, commit: bool = True
) -> None:
    async with sender.uows() as uow:
        await sender.outgoing.send(uow, command, request, cause=str(uuid.uuid4()), purpose=purpose)
        if commit:
            await uow.commit()


async def test_a_goods_event_delivered_twice_posts_one_receipt_on_stock(services: Any, sender: Sender) -> None:
    sku = await setup(services)

    async def arrived(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        """The sending service's consumer: the command is recorded with the inbox row."""
        goods = wrappers_pb2.StringValue()
        envelope.payload.Unpack(goods)
        await sender.outgoing.send(
            uow, sender.receive, receipt(goods.value), cause=envelope.id, purpose="receipt:PO-1:1"
        )

    nc = await nats.connect(services.events.url)
    js = nc.jetstream()
    subscription = bus.Subscription(durable="orders-arrivals", subject=ARRIVED, handler=arrived)
    consumer = bus.Consumer(sender.uows, js, services.events.stream, subscription)
    worker = sender.worker()
    running = [asyncio.create_task(consumer.run()), asyncio.create_task(worker.run())]
    try:
        envelope = envelope_pb2.Envelope(id=str(uuid.uuid4()), type=ARRIVED, actor="receiver-clerk")
        envelope.payload.Pack(wrappers_pb2.StringValue(value=sku))
        # The same event twice, under two message ids, as a replay publishes it.
        for _ in range(2):
            headers = {"Nats-Msg-Id": str(uuid.uuid4())}
            await js.publish(services.events.subject(ARRIVED), envelope.SerializeToString(), headers=headers)

        async def both_handled() -> bool:
            info = await js.consumer_info(services.events.stream.name, "orders-arrivals")
            return info.delivered.stream_seq >= 2 and info.num_ack_pending == 0 and info.num_pending == 0

        async def answered() -> bool:
            return sender.handed == [("receipt:PO-1:1", "answered")]

        await eventually(both_handled, "both deliveries handled")
        await eventually(answered, "the receipt sent and answered")
    finally:
        consumer.stop()
        worker.stop()
        await finish(running, 5.0)
        await nc.close()
    (posted,) = await movements(services, sku)
    assert (posted.quantity.value, posted.actor) == ("5", "receiver-clerk")
    assert await sender.settled() == [("receipt:PO-1:1", outgoing.ANSWERED, 1)]


class DiesAfterTheAnswer:
    """The real channel to stock, but the sending process dies once stock has answered, before
    the answer is settled."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        self.answered = asyncio.Event()

    def unary_unary(self, method: str) -> Callable[..., Awaitable[bytes]]:
        call = self._channel.unary_unary(method)

        async def answered_then_dead(request: bytes, **options: Any) -> bytes:
            await call(request, **options)
            self.answered.set()
            await asyncio.Future()  # the process is gone: nothing after this runs
            raise AssertionError("unreachable")

        return answered_then_dead


@pytest.mark.fault
async def test_a_sender_killed_between_stocks_answer_and_settling_resends_and_stock_posts_once(
    services: Any, sender: Sender
) -> None:
    sku = await setup(services)
    await record(sender, sender.receive, receipt(sku), "receipt:PO-1:1")
    dying = DiesAfterTheAnswer(sender.channel)
    killed = asyncio.create_task(sender.worker(dying, lease=0.5).send_due())
    await asyncio.wait_for(dying.answered.wait(), 10)
    await finish([killed], 0)
    (first,) = await movements(services, sku)
    assert await sender.settled() == [("receipt:PO-1:1", None, 1)]

    restarted = sender.worker(lease=0.5)
    # Still claimed by the dead sender: left alone until the claim lapses.
    assert await restarted.send_due() == 0
    await asyncio.sleep(0.6)
    assert await restarted.send_due() == 1

    assert [m.id for m in await movements(services, sku)] == [first.id]
    assert await sender.settled() == [("receipt:PO-1:1", outgoing.ANSWERED, 2)]
    assert sender.handed == [("receipt:PO-1:1", "answered")]
    async with sender.uows.reader() as uow:
        answer = await uow.session.scalar(select(commands.c.answer))
    assert pb.Movement.FromString(answer).id == first.id


async def test_replicas_whose_claims_overlap_still_post_each_receipt_once(services: Any, sender: Sender) -> None:
    sku = await setup(services)
    purposes = [f"receipt:PO-1:{line}" for line in range(10)]
    for purpose in purposes:
        await record(sender, sender.receive, receipt(sku, "1"), purpose)
    # Claims that lapse at once: both replicas send every command, and only stock's
    # idempotency keeps the effects single.
    replicas = [sender.worker(lease=0), sender.worker(lease=0)]
    while any(outcome is None for _, outcome, _ in await sender.settled()):
        await asyncio.gather(*(replica.send_due() for replica in replicas))

    posted = await movements(services, sku)
    assert len(posted) == len(purposes) and sum(int(m.quantity.value) for m in posted) == len(purposes)
    assert sorted(purpose for purpose, _ in sender.handed) == sorted(purposes)


async def test_a_reservation_stock_refuses_reaches_the_senders_code_once_and_is_not_sent_again(
    services: Any, sender: Sender
) -> None:
    sku = await setup(services)
    await receive(services, sku, 3)
    line = pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(5))
    backorder = pb.ReserveRequest(
        lines=[line],
        policy=pb.RESERVATION_POLICY_ALL_OR_NOTHING,
        owner=pb.DocumentRef(type="SALES_ORDER", id="SO-7", line="2"),
    )
    await record(sender, sender.reserve, backorder, "reserve:SO-7:2")
    worker = sender.worker()

    assert await worker.send_due() == 1
    assert await worker.send_due() == 0
    assert sender.handed == [("reserve:SO-7:2", ErrorCode.INSUFFICIENT_STOCK)]
    assert await sender.settled() == [("reserve:SO-7:2", outgoing.REFUSED, 1)]
    held = await services.stock.ListReservations(pb.ListReservationsRequest(item_sku=sku))
    assert list(held.reservations) == []
    # What the callback recorded committed with the settlement.
    assert await sender.published() == ["inventory.orders.line.backordered"]


async def test_a_command_recorded_in_a_transaction_that_rolls_back_never_reaches_stock(
    services: Any, sender: Sender
) -> None:
    sku = await setup(services)
    await record(sender, sender.receive, receipt(sku), "receipt:PO-1:1", commit=False)
    assert await sender.worker().send_due() == 0
    assert await movements(services, sku) == []
    assert await sender.settled() == []
