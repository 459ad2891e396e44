"""Outgoing commands on a real database, sent over real gRPC on loopback to a receiver that
keeps its answers in a real idempotency store: sent after the commit only, answered once,
refusals settled, a peer away waited for, anything else dead-lettered and replayable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import grpc
import pytest
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from invariant.events.v1 import envelope_pb2
from invariant.operations.v1 import dead_letters_pb2, dead_letters_pb2_grpc
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import dead_letters, identity, outgoing, rpc
from invariant_core.db import Translate, UnitOfWork, UnitOfWorkFactory, create_engine, plumbing_tables
from invariant_core.embedded import free_port
from invariant_core.idempotency import run_idempotent
from invariant_core.outgoing import Command, CommandSender, Outcome, OutgoingCommands, outgoing_table
from invariant_core.settings import Settings
from invariant_core.testing import DatabaseFactory, eventually
from invariant_kernel.errors import DomainError, ErrorCode

STOCK = pb.DESCRIPTOR.services_by_name["StockService"].full_name
ADMIN = identity.Identity(actor="ada", roles=frozenset({"admin"}))

sender_metadata = MetaData()
plumbing_tables(sender_metadata)
commands = outgoing_table(sender_metadata)

receiver_metadata = MetaData()
plumbing_tables(receiver_metadata)
effects = Table(
    "effects",
    receiver_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("actor", String(100), nullable=False),
)


@dataclass(frozen=True)
class Settled:
    """What the sending service's own code publishes once one of its commands is settled."""

    purpose: str
    result: str


def publish(event: object) -> tuple[str, Message]:
    assert isinstance(event, Settled)
    return "inventory.orders.command.settled", wrappers_pb2.StringValue(value=f"{event.purpose} {event.result}")


async def remember(uow: UnitOfWork, outcome: Outcome[pb.PostMovementRequest, pb.Movement]) -> None:
    """The settle callback: its event leaves with the settlement's commit, or not at all."""
    result = outcome.response.id if outcome.response is not None else str(outcome.refusal and outcome.refusal.code)
    uow.record(Settled(outcome.purpose, result))


POST = Command(
    "post-receipt",
    "stock",
    "/invariant.stock.v1.StockService/PostMovement",
    pb.PostMovementRequest,
    pb.Movement,
    remember,
)


def no_events(event: object) -> tuple[str, Message]:
    raise AssertionError(f"no events expected, got {event!r}")


@dataclass
class Receiver(stock_pb2_grpc.StockServiceServicer):
    """Posts a "movement" once per idempotency key; refuses a request whose reason code is
    REFUSE (as stock refuses what it cannot post), fails while `failing`, dawdles `slow` s."""

    uows: UnitOfWorkFactory
    calls: int = 0
    failing: bool = False
    slow: float = 0.0
    seen: list[pb.PostMovementRequest] = field(default_factory=list)

    async def PostMovement(self, request: pb.PostMovementRequest, context: grpc.aio.ServicerContext) -> pb.Movement:
        self.calls += 1
        self.seen.append(request)
        await asyncio.sleep(self.slow)
        if self.failing:
            raise RuntimeError("a bug in the receiver")
        if request.reason_code == "REFUSE":
            raise DomainError(ErrorCode.INSUFFICIENT_STOCK, "nothing to post from", "quantity")

        async def post(uow: UnitOfWork) -> pb.Movement:
            actor = identity.current.get().actor
            await uow.session.execute(insert(effects).values(key=request.idempotency_key, actor=actor))
            return pb.Movement(id=str(uuid.uuid4()), idempotency_key=request.idempotency_key, actor=actor)

        return await run_idempotent(self.uows, request, pb.Movement, post)


async def factory(url: str, metadata: MetaData, name: str, translate: Translate) -> UnitOfWorkFactory:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return UnitOfWorkFactory(engine, metadata, name, translate)


@dataclass
class Parts:
    sender: UnitOfWorkFactory
    receiver: Receiver
    outgoing: OutgoingCommands
    port: int
    stack: AsyncExitStack

    def worker(self, *, max_failures: int = 3, uows: UnitOfWorkFactory | None = None) -> CommandSender:
        channel = rpc.channel(f"127.0.0.1:{self.port}", [STOCK])
        self.stack.push_async_callback(channel.close)
        return CommandSender(
            uows or self.sender, self.outgoing, {"stock": channel}, deadline=1.0, max_failures=max_failures
        )

    async def serve(self) -> None:
        def register(server: rpc.Registry) -> None:
            stock_pb2_grpc.add_StockServiceServicer_to_server(self.receiver, server)  # type: ignore[no-untyped-call]

        server = rpc.build_server("127.0.0.1", self.port, [register], [STOCK], reflect=False)
        await server.start()
        self.stack.push_async_callback(server.stop, 0)

    def run(self, worker: CommandSender) -> None:
        task = asyncio.create_task(worker.run())

        async def stop() -> None:
            worker.stop()
            await task

        self.stack.push_async_callback(stop)


@pytest.fixture
async def parts(new_database: DatabaseFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Parts]:
    # Retries a few hundredths of a second apart: the tests wait for several of them.
    monkeypatch.setattr(outgoing, "FIRST_RETRY_SECONDS", 0.02)
    monkeypatch.setattr(outgoing, "LAST_RETRY_SECONDS", 0.1)
    sender = await factory(await new_database("sender"), sender_metadata, "orders", publish)
    receiver = await factory(await new_database("receiver"), receiver_metadata, "stock", no_events)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(sender.engine.dispose)
        stack.push_async_callback(receiver.engine.dispose)
        yield Parts(sender, Receiver(receiver), OutgoingCommands("orders", [POST]), free_port(), stack)


async def record(parts: Parts, purpose: str, reason: str = "", cause: str | None = None) -> str:
    async with parts.sender() as uow:
        request = pb.PostMovementRequest(type=pb.MOVEMENT_TYPE_RECEIPT, item_sku="SKU-1", reason_code=reason)
        command_id = await parts.outgoing.send(uow, POST, request, cause=cause or str(uuid.uuid4()), purpose=purpose)
        await uow.commit()
    return command_id


async def settled(parts: Parts) -> list[tuple[str, str | None, int]]:
    async with parts.sender.reader() as uow:
        rows = await uow.session.execute(
            select(commands.c.purpose, commands.c.outcome, commands.c.attempts).order_by(commands.c.purpose)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def results(parts: Parts) -> list[tuple[str, ...]]:
    """What the settle callback published, in order: committed once per settled command."""
    outbox = sender_metadata.tables["outbox"]
    async with parts.sender.reader() as uow:
        envelopes = list(await uow.session.scalars(select(outbox.c.envelope).order_by(outbox.c.seq)))
    published = []
    for data in envelopes:
        text = wrappers_pb2.StringValue()
        envelope_pb2.Envelope.FromString(data).payload.Unpack(text)
        published.append(tuple(text.value.split(" ")))
    return published


async def effected(parts: Parts) -> list[tuple[str, str]]:
    async with parts.receiver.uows.reader() as uow:
        return [tuple(row) for row in await uow.session.execute(select(effects.c.key, effects.c.actor))]  # type: ignore[misc]


async def test_a_command_is_sent_as_soon_as_its_transaction_commits_and_never_before(parts: Parts) -> None:
    await parts.serve()
    parts.run(parts.worker())
    await asyncio.sleep(0.3)  # its first pass done, the worker waits for its 5 s sweep
    event_id = str(uuid.uuid4())
    with identity.acting(identity.Identity(actor="clerk", correlation_id="corr-7")):
        async with parts.sender() as uow:
            request = pb.PostMovementRequest(type=pb.MOVEMENT_TYPE_RECEIPT, item_sku="SKU-1")
            command_id = await parts.outgoing.send(uow, POST, request, cause=event_id, purpose="receipt:PO-1:1")
            await asyncio.sleep(0.3)  # the worker is free to look meanwhile
            assert parts.receiver.calls == 0
            await uow.commit()

    async def answered() -> bool:
        return await results(parts) != []

    # Woken by the commit, well before its 5 s sweep.
    await eventually(answered, "the command sent and settled after its commit", within=2.0)
    ((key, actor),) = await effected(parts)
    assert (key, actor) == (f"orders/receipt:PO-1:1/{event_id}", "clerk")
    assert parts.receiver.seen[0].item_sku == "SKU-1" and parts.receiver.calls == 1
    assert await settled(parts) == [("receipt:PO-1:1", outgoing.ANSWERED, 1)]
    async with parts.sender.reader() as uow:
        answer = await uow.session.scalar(select(commands.c.answer).where(commands.c.id == command_id))
    assert pb.Movement.FromString(answer).idempotency_key == key


async def test_a_command_recorded_in_a_transaction_that_rolls_back_is_never_sent(parts: Parts) -> None:
    await parts.serve()
    async with parts.sender() as uow:
        request = pb.PostMovementRequest(type=pb.MOVEMENT_TYPE_RECEIPT, item_sku="SKU-1")
        await parts.outgoing.send(uow, POST, request, cause=str(uuid.uuid4()), purpose="receipt")
    await record(parts, "kept")

    assert await parts.worker().send_due() == 1
    assert await parts.worker().send_due() == 0
    assert [purpose for purpose, _ in await results(parts)] == ["kept"]
    assert parts.receiver.calls == 1 and len(await effected(parts)) == 1


async def test_a_command_recorded_with_no_one_acting_is_sent_as_the_service_itself(parts: Parts) -> None:
    await parts.serve()
    await record(parts, "receipt")
    await parts.worker().send_due()
    assert [actor for _, actor in await effected(parts)] == ["orders"]


async def test_a_refusal_is_an_answer_settled_once_and_handed_to_the_service_never_retried(parts: Parts) -> None:
    await parts.serve()
    await record(parts, "refused", reason="REFUSE")
    worker = parts.worker()

    assert await worker.send_due() == 1
    assert await worker.send_due() == 0
    assert await settled(parts) == [("refused", outgoing.REFUSED, 1)]
    assert await results(parts) == [("refused", ErrorCode.INSUFFICIENT_STOCK)]
    assert parts.receiver.calls == 1 and await effected(parts) == []
    async with parts.sender.reader() as uow:
        kept = (await uow.session.execute(select(commands.c.refusal, commands.c.error))).one()
    assert tuple(kept) == ("INSUFFICIENT_STOCK", "nothing to post from")


@pytest.mark.fault
async def test_a_peer_that_is_away_is_waited_for_past_the_failure_limit_and_answers_once_back(parts: Parts) -> None:
    await record(parts, "waiting")
    parts.run(parts.worker(max_failures=2))

    async def tried_often() -> bool:
        return (await settled(parts))[0][2] >= 4

    await eventually(tried_often, "several sends to a peer that is not there")
    assert (await settled(parts))[0][1] is None  # still pending, not dead-lettered
    await parts.serve()

    async def answered() -> bool:
        return await results(parts) != []

    await eventually(answered, "the command answered once its peer is back")
    assert len(await effected(parts)) == 1
    assert await dead(parts) == []


@asynccontextmanager
async def operator(parts: Parts) -> AsyncIterator[dead_letters_pb2_grpc.DeadLetterServiceStub]:
    """The sending service's dead letters, as an admin reaches them over gRPC."""
    server = rpc.build_server(
        "127.0.0.1", 0, [dead_letters.registrar(parts.sender)], [dead_letters.SERVICE_NAME], reflect=False
    )
    await server.start()
    try:
        async with rpc.channel(f"127.0.0.1:{server.port}", [dead_letters.SERVICE_NAME]) as channel:
            with identity.acting(ADMIN):
                yield dead_letters_pb2_grpc.DeadLetterServiceStub(channel)  # type: ignore[no-untyped-call]
    finally:
        await server.stop(0)


async def dead(parts: Parts) -> list[dead_letters_pb2.DeadLetter]:
    async with operator(parts) as stub:
        return list((await stub.ListDeadLetters(dead_letters_pb2.ListDeadLettersRequest())).dead_letters)


@pytest.mark.fault
async def test_a_command_that_keeps_failing_goes_to_the_dead_letters_and_a_replay_sends_it_again(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CommandSender, "SWEEP_SECONDS", 0.1)
    await parts.serve()
    parts.receiver.failing = True
    with identity.acting(identity.Identity(actor="clerk", correlation_id="corr-9")):
        command_id = await record(parts, "failing")
    parts.run(parts.worker(max_failures=3))

    async def dead_lettered() -> bool:
        return (await settled(parts))[0][1] == outgoing.DEAD_LETTERED

    await eventually(dead_lettered, "the command in the dead letters")
    (letter,) = await dead(parts)
    assert (letter.source, letter.event_id, letter.subject, letter.attempts) == (
        outgoing.SOURCE,
        command_id,
        "post-receipt",
        3,
    )
    assert (letter.actor, letter.correlation_id, letter.payload_type) == (
        "clerk",
        "corr-9",
        "invariant.stock.v1.PostMovementRequest",
    )
    assert "StatusCode.INTERNAL" in letter.error
    assert parts.receiver.calls == 3 and await results(parts) == []

    parts.receiver.failing = False
    async with operator(parts) as stub:
        await stub.ReplayDeadLetter(dead_letters_pb2.ReplayDeadLetterRequest(id=letter.id))

    async def answered() -> bool:
        return await results(parts) != []

    await eventually(answered, "the replayed command answered")
    assert await settled(parts) == [("failing", outgoing.ANSWERED, 4)]
    assert len(await effected(parts)) == 1 and await dead(parts) == []


async def test_replicas_sending_side_by_side_effect_and_settle_each_command_once(parts: Parts) -> None:
    await parts.serve()
    purposes = [f"line:{n}" for n in range(30)]
    for purpose in purposes:
        await record(parts, purpose)
    # A second replica: its own engine on the same database.
    replica = await factory(
        str(parts.sender.engine.url.render_as_string(hide_password=False)), sender_metadata, "orders", publish
    )
    parts.stack.push_async_callback(replica.engine.dispose)
    parts.run(parts.worker())
    parts.run(parts.worker(uows=replica))

    async def all_settled() -> bool:
        return all(outcome == outgoing.ANSWERED for _, outcome, _ in await settled(parts))

    await eventually(all_settled, "every command answered")
    assert sorted(purpose for purpose, _ in await results(parts)) == sorted(purposes)
    keys = [key for key, _ in await effected(parts)]
    assert len(keys) == len(set(keys)) == len(purposes)


@pytest.mark.fault
async def test_a_stopping_service_settles_the_command_in_hand_and_leaves_no_sender_running(parts: Parts) -> None:
    await parts.serve()
    parts.receiver.slow = 1.0
    await record(parts, "in-hand")
    settings = Settings.from_env("orders", env={"STOCK_ADDR": f"127.0.0.1:{parts.port}"})
    async with AsyncExitStack() as service:
        outgoing.send_in_background(parts.sender, parts.outgoing, settings, service)

        async def sent() -> bool:
            return parts.receiver.calls == 1

        await eventually(sent, "the command sent")
    # The service has stopped: within its grace period the answer came and was settled.
    assert await settled(parts) == [("in-hand", outgoing.ANSWERED, 1)]
    assert len(await results(parts)) == 1
    # The guard every test runs (conftest) fails this test if the worker's task is left.
