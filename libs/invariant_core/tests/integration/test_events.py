"""The outbox loses nothing and the inbox keeps every effect single, on real NATS JetStream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from plumbing_support import scratch_uows
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from invariant.events.v1 import envelope_pb2
from invariant_core import bus
from invariant_core.db import COPY_FROM, UnitOfWork, UnitOfWorkFactory, plumbing_tables
from invariant_core.embedded import free_port, start_nats
from invariant_core.tasks import finish
from invariant_core.testing import EventBus, eventually

metadata = MetaData()
plumbing_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
)


@dataclass(frozen=True)
class Happened:
    subject: str
    payload: str = "payload"


def translate(event: object) -> tuple[str, Message]:
    assert isinstance(event, Happened)
    return event.subject, wrappers_pb2.StringValue(value=event.payload)


@pytest.fixture
async def uows(new_database) -> AsyncIterator[UnitOfWorkFactory]:  # type: ignore[no-untyped-def]
    async with scratch_uows(await new_database("plumbing"), metadata, translate, "plumbing") as made:
        yield made


async def commit_event(uows: UnitOfWorkFactory, subject: str, payload: str = "payload") -> str:
    async with uows() as uow:
        uow.record(Happened(subject, payload))
        await uow.commit()
    async with uows() as uow:
        outbox = metadata.tables["outbox"]
        return str(await uow.session.scalar(select(outbox.c.id).order_by(outbox.c.seq.desc()).limit(1)))


async def delivered_ids(js: JetStreamContext, subject: str, wait: float = 1.0) -> list[str]:
    """Every envelope id stored in the stream on `subject`."""
    sub = await js.subscribe(subject, ordered_consumer=True)
    ids: list[str] = []
    try:
        while True:
            msg = await sub.next_msg(timeout=wait)
            ids.append(envelope_pb2.Envelope.FromString(msg.data).id)
    except nats.errors.TimeoutError:
        return ids
    finally:
        await sub.unsubscribe()


async def jetstream(event_bus: EventBus) -> tuple[NatsClient, JetStreamContext]:
    """A connection to the test's NATS, with its stream made."""
    nc = await nats.connect(event_bus.url)
    js = nc.jetstream()
    await bus.ensure_stream(js, event_bus.stream)
    return nc, js


def unique_subject() -> str:
    return f"inventory.test.{uuid.uuid4().hex}.happened"


@pytest.mark.fault
async def test_an_event_committed_while_nats_is_down_is_delivered_once_nats_is_back(
    uows: UnitOfWorkFactory, tmp_path: Path
) -> None:
    port = free_port()
    subject = unique_subject()
    event_id = await commit_event(uows, subject)

    # The relay starts with NATS down: the commit stands, the event waits in the outbox.
    relay_task = asyncio.create_task(_relay_forever(uows, f"nats://127.0.0.1:{port}"))
    await asyncio.sleep(0.5)
    server = start_nats(port, tmp_path / "nats")
    try:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        for _ in range(100):
            if await _unpublished(uows) == 0:
                break
            await asyncio.sleep(0.1)
        assert await delivered_ids(js, subject) == [event_id]
        await nc.close()
    finally:
        await finish([relay_task], 0)
        server.terminate()
        server.wait(10)


@pytest.mark.fault
async def test_a_connection_closed_while_nats_is_away_leaves_none_of_its_tasks_running(tmp_path: Path) -> None:
    port = free_port()
    server = start_nats(port, tmp_path / "nats")
    try:
        nc = await bus.connect(f"nats://127.0.0.1:{port}", "closing")
        # Subscriptions with a task of their own: the replies of requests and of publishes.
        js = nc.jetstream()
        await bus.ensure_stream(js, bus.Stream("closing"))
        await js.publish(bus.Stream("closing").subject("inventory.test.one"), b"one")
    finally:
        server.kill()
        server.wait(10)

    async def reconnecting() -> bool:
        return nc.is_reconnecting

    await eventually(reconnecting, "the client noticing that NATS is gone")
    # Buffered while reconnecting: closing tries to write it into the socket that is gone.
    await nc.publish("inventory.test.two", b"two")

    await bus.disconnect(nc)

    assert nc.is_closed
    # The guard every test runs (conftest) fails this test if a subscription's task is left.


@pytest.mark.fault
async def test_a_relay_that_dies_after_publishing_but_before_marking_does_not_duplicate(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    event_id = await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)

    class DiesAfterPublishing:
        """The real JetStream, but the process dies right after JetStream acknowledged."""

        async def publish_async(self, *args: object, **kwargs: object) -> None:
            await (await js.publish_async(*args, **kwargs))  # type: ignore[arg-type]
            raise ConnectionResetError("relay process killed")

    with pytest.raises(ConnectionResetError):
        await bus.OutboxRelay(uows, DiesAfterPublishing(), event_bus.stream).publish_pending()  # type: ignore[arg-type]
    assert await _unpublished(uows) == 1

    assert await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending() == 1
    assert await _unpublished(uows) == 0
    assert await delivered_ids(js, event_bus.subject(subject)) == [event_id]
    await nc.close()


async def test_a_batch_jetstream_does_not_acknowledge_stays_in_the_outbox_and_goes_out_whole_later(
    uows: UnitOfWorkFactory, event_bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = unique_subject()
    first = await commit_event(uows, subject)
    second = await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)

    class LosesTheSecondAck:
        """The real JetStream, but the second acknowledgement is lost on the way back."""

        def __init__(self) -> None:
            self.published: list[asyncio.Future[object]] = []

        async def publish_async(self, *args: object, **kwargs: object) -> asyncio.Future[object]:
            ack = await js.publish_async(*args, **kwargs)  # type: ignore[arg-type]
            if self.published:
                ack = asyncio.get_running_loop().create_future()
            self.published.append(ack)
            return ack

    monkeypatch.setattr(bus, "PUBLISH_TIMEOUT_SECONDS", 0.5)
    losing = LosesTheSecondAck()
    with pytest.raises(TimeoutError, match="JetStream acknowledged 1 of 2 events"):
        await bus.OutboxRelay(uows, losing, event_bus.stream).publish_pending()  # type: ignore[arg-type]
    # Neither is marked sent, and the lost acknowledgement is no longer awaited.
    assert await _unpublished(uows) == 2
    assert [ack.cancelled() for ack in losing.published] == [False, True]

    assert await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending() == 2
    assert await _unpublished(uows) == 0
    # JetStream drops the first one's second publish: it knows its Nats-Msg-Id.
    assert await delivered_ids(js, event_bus.subject(subject)) == [first, second]
    await nc.close()


@pytest.mark.fault
async def test_a_relay_killed_before_publishing_delivers_after_restart(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    # No relay runs when the command commits (it was killed).
    event_id = await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)
    relay = asyncio.create_task(bus.OutboxRelay(uows, js, event_bus.stream).run())
    for _ in range(100):
        if await _unpublished(uows) == 0:
            break
        await asyncio.sleep(0.05)
    await finish([relay], 0)
    assert await delivered_ids(js, event_bus.subject(subject)) == [event_id]
    await nc.close()


class CountingRelay(bus.OutboxRelay):
    """A relay that remembers how many rows each of its batches sent."""

    GATHER_SECONDS = 0.5

    def __init__(self, uows: UnitOfWorkFactory, js: JetStreamContext, stream: bus.Stream) -> None:
        super().__init__(uows, js, stream)
        self.sent: list[int] = []
        self.batch_sent = asyncio.Event()

    async def publish_pending(self) -> int:
        sent = await super().publish_pending()
        if sent:
            self.sent.append(sent)
            self.batch_sent.set()
        return sent


async def test_a_busy_relay_sends_the_commits_made_while_it_gathers_in_one_batch(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    nc, js = await jetstream(event_bus)
    relay = CountingRelay(uows, js, event_bus.stream)
    running = asyncio.create_task(relay.run())
    async with asyncio.timeout(10):
        first = await commit_event(uows, subject)
        await relay.batch_sent.wait()
        relay.batch_sent.clear()
        later = [await commit_event(uows, subject) for _ in range(3)]
        await relay.batch_sent.wait()
    await finish([running], 0)
    assert relay.sent == [1, 3]
    assert await delivered_ids(js, event_bus.subject(subject)) == [first, *later]
    await nc.close()


@pytest.mark.fault
async def test_a_consumer_that_crashes_before_acking_gets_the_event_again_and_applies_it_once(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)
    await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending()

    async def record(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        await uow.session.execute(insert(effects).values(event_id=envelope.id))

    durable = f"test_{uuid.uuid4().hex[:12]}"
    sub = bus.Subscription(durable=durable, subject=subject, handler=record, ack_wait=1.0)
    consumer = bus.Consumer(uows, js, event_bus.stream, sub)
    await consumer.declare()
    pull = await js.pull_subscribe_bind(durable, stream=event_bus.stream.name)

    first = (await pull.fetch(1, timeout=5))[0]
    envelope = envelope_pb2.Envelope.FromString(first.data)
    # The effect commits, then the process dies before the ack.
    await consumer.apply_once(envelope)

    again = (await pull.fetch(1, timeout=10))[0]
    assert again.metadata.num_delivered == 2
    await consumer.handle(again)

    async with uows() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(effects))
    assert count == 1
    with pytest.raises(nats.errors.TimeoutError):
        await pull.fetch(1, timeout=2)  # acked: nothing comes back
    await js.delete_consumer(event_bus.stream.name, durable)
    await nc.close()


async def test_a_poison_event_goes_to_the_dead_letters_with_its_error_and_the_next_event_flows(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    poison = await commit_event(uows, subject)
    healthy = await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)
    await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending()

    async def explode_on_the_first(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        if envelope.id == poison:
            raise ValueError("cannot digest this")
        await uow.session.execute(insert(effects).values(event_id=envelope.id))

    sub = bus.Subscription(durable="test", subject=subject, handler=explode_on_the_first, max_deliver=2, backoff=(0.2,))
    consumer = bus.Consumer(uows, js, event_bus.stream, sub)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: dead_letter_count(uows), "the poison event is a dead letter", within=10)
    finally:
        consumer.stop()
        await finish([task], 5)
    async with uows() as uow:
        (letter,) = (await uow.session.execute(select(metadata.tables["dead_letters"]))).all()
        applied = (await uow.session.scalars(select(effects.c.event_id))).all()
    assert (letter.event_id, letter.source, letter.subject, letter.attempts) == (poison, "test", subject, 2)
    assert "cannot digest this" in letter.error
    assert applied == [healthy]
    await nc.close()


@pytest.mark.parametrize("many", [False, True], ids=["each", "together"])
async def test_events_fetched_together_are_applied_in_one_transaction_and_a_fact_in_it_twice_once(
    uows: UnitOfWorkFactory, event_bus: EventBus, many: bool
) -> None:
    subject = unique_subject()
    events = [await commit_event(uows, subject, payload) for payload in ("a", "b", "c", "c")]
    nc, js = await jetstream(event_bus)
    await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending()
    transactions: set[int] = set()

    async def record(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        transactions.add(id(uow))
        await uow.session.execute(insert(effects).values(event_id=envelope.id))

    def payload(envelope: envelope_pb2.Envelope) -> str:
        stated = wrappers_pb2.StringValue()
        envelope.payload.Unpack(stated)
        return stated.value

    calls: list[int] = []

    async def record_all(envelopes: Sequence[envelope_pb2.Envelope], uow: UnitOfWork) -> None:
        calls.append(len(envelopes))
        for envelope in envelopes:
            await record(envelope, uow)

    sub = bus.Subscription(
        durable="together",
        subject=subject,
        handler=record,
        handler_many=record_all if many else None,
        fact_id=payload,
    )
    consumer = bus.Consumer(uows, js, event_bus.stream, sub)
    task = asyncio.create_task(consumer.run())
    try:

        async def all_acked() -> bool:
            try:
                info = await js.consumer_info(event_bus.stream.name, "together")
            except NotFoundError:  # not declared yet
                return False
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(all_acked, "the four events acknowledged", within=10)
    finally:
        consumer.stop()
        await finish([task], 5)
    async with uows() as uow:
        applied = (await uow.session.scalars(select(effects.c.event_id).order_by(effects.c.seq))).all()
    assert applied == events[:3]
    assert len(transactions) == 1
    assert calls == ([3] if many else [])
    await nc.close()


async def test_an_event_larger_than_nats_takes_goes_to_the_dead_letters_and_the_next_one_is_published(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    too_large = await commit_event(uows, subject, "x" * (bus.MAX_PAYLOAD + 1))
    after_it = await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)

    assert await bus.OutboxRelay(uows, js, event_bus.stream, nc.max_payload).publish_pending() == 2
    assert await delivered_ids(js, event_bus.subject(subject)) == [after_it]
    assert await _unpublished(uows) == 0
    async with uows() as uow:
        (letter,) = (await uow.session.execute(select(metadata.tables["dead_letters"]))).all()
    assert (letter.event_id, letter.source, letter.subject) == (too_large, "outbox", subject)
    assert "more than NATS takes" in letter.error
    await nc.close()


async def test_a_handler_that_outlasts_the_ack_wait_reports_progress_and_is_not_handed_out_again(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    await commit_event(uows, subject)
    nc, js = await jetstream(event_bus)
    await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending()
    deliveries: list[int] = []

    async def slow(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        deliveries.append(len(deliveries) + 1)
        await asyncio.sleep(2.5)
        await uow.session.execute(insert(effects).values(event_id=envelope.id))

    sub = bus.Subscription(durable="slow", subject=subject, handler=slow, ack_wait=1.0)
    # Two replicas of the service: an event JetStream handed out again would go to the idle one.
    consumers = [bus.Consumer(uows, js, event_bus.stream, sub) for _ in range(2)]
    tasks = [asyncio.create_task(consumer.run()) for consumer in consumers]
    try:

        async def applied() -> bool:
            async with uows() as uow:
                return bool(await uow.session.scalar(select(func.count()).select_from(effects)))

        await eventually(applied, "the slow handler's effect", within=10)
        await asyncio.sleep(1.5)
    finally:
        for consumer in consumers:
            consumer.stop()
        await finish(tasks, 5)
    info = await js.consumer_info(event_bus.stream.name, "slow")
    assert deliveries == [1]
    # Handed out once: JetStream counts every delivery in the consumer's sequence.
    assert (info.delivered.consumer_seq, info.num_ack_pending) == (1, 0)
    await nc.close()


async def dead_letter_count(uows: UnitOfWorkFactory) -> int:
    async with uows() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(metadata.tables["dead_letters"])) or 0)


async def _relay_forever(uows: UnitOfWorkFactory, url: str) -> None:
    nc = await bus.connect(url, "relay-under-test")
    js = nc.jetstream()
    await bus.ensure_stream(js, bus.Stream())
    try:
        await bus.OutboxRelay(uows, js, bus.Stream()).run()
    finally:
        await nc.close()


async def _unpublished(uows: UnitOfWorkFactory) -> int:
    outbox = metadata.tables["outbox"]
    async with uows() as uow:
        return int(await uow.session.scalar(select(func.count()).where(outbox.c.published_at.is_(None))) or 0)


async def test_a_transaction_with_many_events_delivers_all_in_order_and_one_rolled_back_delivers_none(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    """A posting of thousands of movements records thousands of events: on PostgreSQL they
    go into the outbox by COPY, inside the command's transaction, as an INSERT would."""
    subject = unique_subject()
    many = COPY_FROM + 50
    async with uows() as uow:
        uow.record(*(Happened(subject) for _ in range(many)))
        # Not committed: the command failed after recording them.
    async with uows() as uow:
        uow.record(*(Happened(subject) for _ in range(many)))
        await uow.commit()
    outbox = metadata.tables["outbox"]
    async with uows() as uow:
        rows = (await uow.session.execute(select(outbox).order_by(outbox.c.seq))).all()
    assert len(rows) == many
    assert all(envelope_pb2.Envelope.FromString(row.envelope).type == row.subject == subject for row in rows)
    nc, js = await jetstream(event_bus)
    while await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending():
        pass
    assert await delivered_ids(js, event_bus.subject(subject)) == [row.id for row in rows]
    await nc.close()


async def test_an_event_a_consumer_does_not_want_is_acknowledged_without_a_transaction(
    uows: UnitOfWorkFactory, event_bus: EventBus
) -> None:
    subject = unique_subject()
    unwanted = await commit_event(uows, subject, "skip")
    wanted = await commit_event(uows, subject, "keep")
    nc, js = await jetstream(event_bus)
    await bus.OutboxRelay(uows, js, event_bus.stream).publish_pending()

    async def record(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        await uow.session.execute(insert(effects).values(event_id=envelope.id))

    async def keeps(envelope: envelope_pb2.Envelope) -> bool:
        value = wrappers_pb2.StringValue()
        envelope.payload.Unpack(value)
        return value.value == "keep"

    durable = f"test_{uuid.uuid4().hex[:12]}"
    sub = bus.Subscription(durable=durable, subject=subject, handler=record, ack_wait=1.0, wants=keeps)
    consumer = bus.Consumer(uows, js, event_bus.stream, sub)
    await consumer.declare()
    pull = await js.pull_subscribe_bind(durable, stream=event_bus.stream.name)
    for msg in await pull.fetch(2, timeout=5):
        await consumer.handle(msg)

    async with uows() as uow:
        applied = list(await uow.session.scalars(select(effects.c.event_id)))
        inbox = metadata.tables["inbox"]
        kept = list(await uow.session.scalars(select(inbox.c.event_id).where(inbox.c.consumer == durable)))
    assert applied == [wanted] and kept == [wanted]
    with pytest.raises(nats.errors.TimeoutError):
        await pull.fetch(1, timeout=2)  # both acked: the unwanted one is not handed out again
    assert unwanted not in kept
    await js.delete_consumer(event_bus.stream.name, durable)
    await nc.close()
