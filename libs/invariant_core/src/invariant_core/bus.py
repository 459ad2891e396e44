"""NATS JetStream: the connection, the one stream, the outbox relay and durable consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import nats.errors
from google.protobuf.message import DecodeError
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from invariant.events.v1 import envelope_pb2
from invariant_core import identity
from invariant_core.db import ERROR_LENGTH, UnitOfWork, UnitOfWorkFactory, one_of, utcnow
from invariant_core.tasks import GRACE_SECONDS
from invariant_kernel.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

STREAM = "INVENTORY"
ROOT_SUBJECT = "inventory.>"
# JetStream drops a message whose Nats-Msg-Id it has seen within this window, which
# covers a relay that published and died before marking the row sent.
DUPLICATE_WINDOW_SECONDS = 600.0
# How long the relay waits for JetStream to acknowledge a batch before it tries again.
PUBLISH_TIMEOUT_SECONDS = 5.0
# NATS's default limit on a message; a server tells its own when a client connects.
MAX_PAYLOAD = 1024 * 1024
# What a message's headers take of that limit besides the envelope (its Nats-Msg-Id).
HEADER_ROOM = 256


@dataclass(frozen=True)
class Stream:
    """The suite's one stream and the subjects in it.

    A namespace gives a suite a stream and subjects of its own on a NATS server that others
    share (a staging and a test suite on one cluster; every test of the test suite); subjects
    are named in the code without it, as `inventory.<service>.<fact>`.
    """

    namespace: str = ""

    @property
    def name(self) -> str:
        return f"{STREAM}_{self.namespace.upper()}" if self.namespace else STREAM

    def subject(self, subject: str) -> str:
        return f"{self.namespace}.{subject}" if self.namespace else subject


class EventsHealth:
    """Whether a service's events flow: NATS connected and every consumer running.

    Reported in the gRPC health service under a name of its own (EVENTS_HEALTH), never as
    the service's: the outbox keeps the service taking commands while NATS is away, and a
    NATS blip must not take every pod out of its load balancer.
    """

    def __init__(self) -> None:
        self._connected = False
        self._failing: set[str] = set()
        self.changed = asyncio.Event()

    @property
    def flowing(self) -> bool:
        return self._connected and not self._failing

    def connection(self, up: bool) -> None:
        self._connected = up
        self.changed.set()

    def consumer(self, durable: str, running: bool) -> None:
        if running:
            self._failing.discard(durable)
        else:
            self._failing.add(durable)
        self.changed.set()


EVENTS_HEALTH = "invariant.events"


async def connect(url: str, name: str, health: EventsHealth | None = None) -> NatsClient:
    """Connect, retrying until NATS answers: a service outlives a NATS outage."""
    delay = 0.2
    watched = health or EventsHealth()

    async def disconnected() -> None:
        log.warning("NATS connection lost, reconnecting", extra={"fields": {"url": url}})
        watched.connection(False)

    async def reconnected() -> None:
        log.info("NATS connection back", extra={"fields": {"url": url}})
        watched.connection(True)

    while True:
        client = NatsClient()
        try:
            await client.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=2,
                drain_timeout=int(GRACE_SECONDS),
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
            )
            watched.connection(True)
            return client
        except asyncio.CancelledError:
            # Stopped while connecting: close the half-open socket before giving up.
            with contextlib.suppress(Exception):
                await client.close()
            raise
        except Exception as error:  # noqa: BLE001 - any failure to connect is retried
            _honour_cancellation()
            log.warning("NATS not reachable, retrying", extra={"fields": {"url": url, "error": str(error)}})
            with contextlib.suppress(Exception):
                await client.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def disconnect(client: NatsClient) -> None:
    """Drain the connection (in-flight publishes and subscriptions finish); while NATS is
    away a drain fails, and the connection is closed instead, so that none of nats-py's
    reconnecting tasks outlives the service."""
    try:
        await client.drain()
    except Exception as error:  # noqa: BLE001 - closed all the same
        log.info("NATS connection closed without draining", extra={"fields": {"error": repr(error)}})
        try:
            await client.close()
        except Exception:  # noqa: BLE001 - the connection is gone either way
            # nats-py's close stops at its first error (writing what it buffered during a
            # reconnect into a socket that is gone) before it stops its subscriptions, whose
            # tasks would then wait for messages for ever.
            for sub in list(client._subs.values()):
                sub._stop_processing()


async def ensure_stream(js: JetStreamContext, stream: Stream, replicas: int = 1) -> None:
    config = StreamConfig(
        name=stream.name,
        subjects=[stream.subject(ROOT_SUBJECT)],
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )
    try:
        await js.stream_info(stream.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)


class OutboxRelay:
    """Publishes outbox rows to JetStream in order, marks them sent.

    Woken right after a commit; a slow timer only catches rows left by a crash.
    A row is marked sent only after JetStream acknowledged it; a crash in between
    publishes it again with the same Nats-Msg-Id, which JetStream drops. A row that NATS
    refuses for good (larger than it takes) moves to the dead letters, so that it does
    not hold back the events behind it.
    """

    # A count's posting leaves thousands of movements at once: big batches keep the round
    # trips (one transaction, one burst of publishes) few.
    BATCH = 1000
    GATHER_SECONDS = 0.02

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        js: JetStreamContext,
        stream: Stream,
        max_payload: int = MAX_PAYLOAD,
        sweep_seconds: float = 5.0,
    ) -> None:
        self._uows = uows
        self._js = js
        self._stream = stream
        # Checked here: nats-py refuses a message over the limit only after it has taken a
        # slot among the pending publishes, which it then never gives back.
        self._max_payload = max_payload - HEADER_ROOM
        self._sweep = sweep_seconds
        outbox = uows.metadata.tables["outbox"]
        # Built once: a relay runs these after every commit of its service.
        self._pending = (
            select(outbox.c.seq, outbox.c.id, outbox.c.subject, outbox.c.envelope)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self.BATCH)
            .with_for_update(skip_locked=True)
        )
        self._mark_sent = update(outbox).where(one_of(outbox.c.seq, "seqs")).values(published_at=bindparam("sent_at"))
        self._remove = delete(outbox).where(one_of(outbox.c.seq, "seqs"))

    async def run(self) -> None:
        delay = 0.1
        while True:
            try:
                # A batch short of BATCH took every row committed before it: rows committed
                # since have set `wake`, so asking again at once would only find nothing.
                while (sent := await self.publish_pending()) == self.BATCH:
                    pass
                if sent:
                    # Busy: let the next few commits' rows gather into one batch, since each
                    # batch costs a transaction. An event waits at most this much longer.
                    # Not shorter: the relay's transactions compete with the commands' for the
                    # same cores, and a relay that never pauses takes more of them under load.
                    await asyncio.sleep(self.GATHER_SECONDS)
                delay = 0.1
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the event is set, and the relay would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._sweep):
                        await self._uows.wake.wait()
                self._uows.wake.clear()
            except Exception as error:  # noqa: BLE001 - NATS or the database is down: retry
                _honour_cancellation()
                log.warning(
                    "outbox relay could not publish, retrying",
                    extra={"fields": {"error": repr(error), "retry_in": delay}},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def publish_pending(self) -> int:
        """Publish one batch; return how many rows left the outbox."""
        async with self._uows() as uow:
            rows = (await uow.session.execute(self._pending)).all()
            # Sent back to back, in order on one connection, then the acknowledgements
            # awaited together: one round trip per batch, not per event. Asynchronous
            # publishes share one reply subscription, where a request per event costs a
            # task, a timer and an inbox of its own.
            acks = []
            refused = []
            for row in rows:
                if len(row.envelope) > self._max_payload:
                    refused.append((row, f"{len(row.envelope)} bytes, more than NATS takes in one message"))
                    continue
                subject = self._stream.subject(row.subject)
                acks.append(await self._js.publish_async(subject, row.envelope, headers={"Nats-Msg-Id": row.id}))
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    await asyncio.gather(*acks)
            except TimeoutError:
                acknowledged = sum(ack.done() and not ack.cancelled() for ack in acks)
                raise TimeoutError(
                    f"JetStream acknowledged {acknowledged} of {len(acks)} events in {PUBLISH_TIMEOUT_SECONDS} s"
                ) from None
            finally:
                # An ack that never came must not keep its place among the pending publishes.
                for ack in acks:
                    ack.cancel()
            for row, error in refused:
                envelope = envelope_pb2.Envelope.FromString(row.envelope)
                await record_dead_letter(uow, "outbox", envelope, row.envelope, error, attempts=1)
                log.error(
                    "event cannot be published, moved to the dead letters",
                    extra={"fields": {"event_id": envelope.id, "type": row.subject, "bytes": len(row.envelope)}},
                )
            if refused:
                await uow.session.execute(self._remove, {"seqs": [row.seq for row, _ in refused]})
            if len(refused) < len(rows):
                gone = {row.seq for row, _ in refused}
                sent = [row.seq for row in rows if row.seq not in gone]
                await uow.session.execute(self._mark_sent, {"seqs": sent, "sent_at": utcnow()})
            await uow.commit()
            return len(rows)


Handler = Callable[[envelope_pb2.Envelope, UnitOfWork], Awaitable[None]]
BatchHandler = Callable[[Sequence[envelope_pb2.Envelope], UnitOfWork], Awaitable[None]]
Prepare = Callable[[envelope_pb2.Envelope], Awaitable[None]]
FactId = Callable[[envelope_pb2.Envelope], str]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer: its name, the subjects it wants and its handler."""

    durable: str
    # One filter (wildcards allowed): NATS servers before 2.10 take a single filter.
    subject: str
    handler: Handler
    # Applies the new events of one fetch in place of `handler` on each, in the order they
    # came: for a busy subject whose events can share their statements (one read and one
    # insert for all). It runs as the consumer; `as_sender` acts as an event's sender.
    handler_many: BatchHandler | None = None
    # Runs before the handler's transaction, to fetch what the event needs from another
    # service (an item the replica lacks, from the catalog): no remote call runs inside it.
    prepare: Prepare | None = None
    # Deliveries of an event whose handler fails unexpectedly before it goes to the dead
    # letters. An event refused for good goes at once; one whose peer is unavailable waits.
    max_deliver: int = 5
    # Delay before redelivering after the n-th failure (the last one repeats).
    backoff: tuple[float, ...] = (0.5, 2.0, 10.0, 30.0)
    # How long a delivery may go unanswered before JetStream hands it out again, as it does
    # when a consumer's process dies; a handler that runs longer reports progress.
    ack_wait: float = 10.0
    # The id of the fact an event states (a movement's id), for a handler whose effect adds
    # up: the inbox then takes the fact once, even republished in another envelope. Without
    # it, or where it gives none, the envelope's id.
    fact_id: FactId | None = None
    # Whether the handler would act on the event at all (it may read, never write): one it
    # would not is acknowledged at once, with no transaction and no inbox row, since applying
    # it changes nothing. For a consumer of a busy subject that acts on few of its events
    # (orders on stock's movements).
    wants: Callable[[envelope_pb2.Envelope], Awaitable[bool]] | None = None


class Replica(Protocol):
    """Another service's records kept here, read through from their owner on a miss."""

    async def views(self, fields: Mapping[str, str]) -> Mapping[str, object]: ...


def reading_through(replica: Replica, named: Callable[[envelope_pb2.Envelope], Mapping[str, str]]) -> Prepare:
    """A `prepare` that reads what an event names (key → the field naming it) through the replica."""

    async def prepare(envelope: envelope_pb2.Envelope) -> None:
        if fields := named(envelope):
            await replica.views(fields)

    return prepare


def _permanent(error: Exception) -> bool:
    """Whether delivering the event again cannot change the outcome."""
    return isinstance(error, DecodeError) or (
        isinstance(error, DomainError) and error.code is not ErrorCode.UNAVAILABLE
    )


class Consumer:
    """Runs one durable pull consumer with an inbox: each event has one effect.

    The inbox row and the handler's effect commit together; the ack comes after the
    commit. A crash before the ack redelivers the event, and the inbox row turns the
    second delivery into a no-op. An event that can never be applied, or that failed
    `max_deliver` times, goes to the service's dead letters and is terminated.

    `stop()` lets the event in hand finish and gives the rest of the fetched batch back,
    so that whoever consumes next gets them at once instead of after the ack wait.
    """

    FETCH = 50
    FETCH_TIMEOUT = 1.0
    # A pull from a consumer deleted under the service finds nothing on NATS 2.9, as if no
    # event came: after this long without events the consumer checks that it still exists.
    CHECK_IDLE_SECONDS = 5.0

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        js: JetStreamContext,
        stream: Stream,
        sub: Subscription,
        health: EventsHealth | None = None,
    ) -> None:
        self._uows = uows
        self._js = js
        self._stream = stream
        self._sub = sub
        self._health = health or EventsHealth()
        self._inbox = uows.metadata.tables["inbox"]
        self._stopping = asyncio.Event()
        self._fetching: asyncio.Future[list[Msg]] | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._fetching is not None:
            # Nothing is in hand while it waits for events: no need to wait out its timeout.
            self._fetching.cancel()

    async def declare(self) -> None:
        config = ConsumerConfig(
            durable_name=self._sub.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self._stream.subject(self._sub.subject),
            # Unlimited: the consumer itself decides when an event goes to the dead letters,
            # so that an outage of a peer never exhausts an event's deliveries unseen.
            max_deliver=-1,
            ack_wait=self._sub.ack_wait,
        )
        await self._js.add_consumer(self._stream.name, config)

    async def run(self) -> None:
        """Consume until stopped; whatever breaks the subscription, declare it again and go on."""
        delay = 0.5
        while not self._stopping.is_set():
            try:
                await self.declare()
                pull = await self._js.pull_subscribe_bind(self._sub.durable, stream=self._stream.name)
                self._health.consumer(self._sub.durable, running=True)
                delay = 0.5
                try:
                    await self._consume(pull)
                finally:
                    # A pull subscription left open makes the connection's drain wait its full timeout.
                    with contextlib.suppress(Exception):
                        await pull.unsubscribe()
            except Exception as error:  # noqa: BLE001 - a consumer outlives every failure
                _honour_cancellation()
                self._health.consumer(self._sub.durable, running=False)
                log.warning(
                    "event consumer failed, declaring it again",
                    extra={"fields": {"durable": self._sub.durable, "error": repr(error), "retry_in": delay}},
                )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stopping.wait()
                delay = min(delay * 2, 5.0)

    async def _consume(self, pull: JetStreamContext.PullSubscription) -> None:
        loop = asyncio.get_running_loop()
        active = loop.time()
        while not self._stopping.is_set():
            self._fetching = asyncio.ensure_future(pull.fetch(batch=self.FETCH, timeout=self.FETCH_TIMEOUT))
            try:
                messages = await self._fetching
            except (TimeoutError, nats.errors.TimeoutError, asyncio.CancelledError):
                _honour_cancellation()
                if loop.time() - active > self.CHECK_IDLE_SECONDS:
                    # NotFoundError if it is gone: `run` declares it again.
                    await self._js.consumer_info(self._stream.name, self._sub.durable)
                    active = loop.time()
                continue
            finally:
                self._fetching = None
            active = loop.time()
            wanted = [taken for msg in messages if (taken := await self._take(msg)) is not None]
            if len(wanted) > 1 and self._sub.prepare is None and await self._apply_together(wanted):
                continue
            for index, (msg, envelope) in enumerate(wanted):
                if self._stopping.is_set():
                    for left, _ in wanted[index:]:
                        await _settle(left.nak())
                    return
                await self._handle(msg, envelope)

    async def handle(self, msg: Msg) -> None:
        taken = await self._take(msg)
        if taken is not None:
            await self._handle(*taken)

    async def _take(self, msg: Msg) -> tuple[Msg, envelope_pb2.Envelope] | None:
        """The event a message carries, if the handler would act on it; else it is settled here."""
        try:
            envelope = envelope_pb2.Envelope.FromString(msg.data)
        except DecodeError as error:
            await self._dead_letter(msg, envelope_pb2.Envelope(type=msg.subject), error)
            return None
        if self._sub.wants is not None and not await self._sub.wants(envelope):
            await _settle(msg.ack())
            return None
        return msg, envelope

    async def _apply_together(self, taken: list[tuple[Msg, envelope_pb2.Envelope]]) -> bool:
        """Apply a fetched batch in one transaction, each event once; False if any failed.

        Events that come faster than one transaction each can take then cost one between
        them. If one fails, nothing of the batch is kept and the caller applies them one by
        one, so that only the failing event is retried or set aside. Not for a consumer that
        prepares its events: a prepared event is applied right after it is prepared.
        """
        working = [asyncio.create_task(self._working_on(msg)) for msg, _ in taken]
        try:
            async with self._uows() as uow:
                keys = [self._key(envelope) for _, envelope in taken]
                seen = set(
                    await uow.session.scalars(
                        select(self._inbox.c.event_id).where(
                            self._inbox.c.consumer == self._sub.durable, self._inbox.c.event_id.in_(set(keys))
                        )
                    )
                )
                fresh = []
                for key, (_, envelope) in zip(keys, taken, strict=True):
                    if key not in seen:
                        seen.add(key)  # the same fact twice in one batch counts once
                        fresh.append((key, envelope))
                if fresh:
                    now = utcnow()
                    await uow.session.execute(
                        insert(self._inbox),
                        [{"consumer": self._sub.durable, "event_id": key, "handled_at": now} for key, _ in fresh],
                    )
                if self._sub.handler_many is not None:
                    await self._sub.handler_many([envelope for _, envelope in fresh], uow)
                else:
                    for _, envelope in fresh:
                        with as_sender(envelope):
                            await self._sub.handler(envelope, uow)
                await uow.commit()
        except Exception as error:  # noqa: BLE001 - each event then gets its own transaction and verdict
            _honour_cancellation()
            log.info(
                "a batch of events failed together, applying them one by one",
                extra={"fields": {"durable": self._sub.durable, "events": len(taken), "error": repr(error)}},
            )
            return False
        finally:
            for task in working:
                task.cancel()
        for msg, _ in taken:
            await _settle(msg.ack())
        return True

    async def _handle(self, msg: Msg, envelope: envelope_pb2.Envelope) -> None:
        working = asyncio.create_task(self._working_on(msg))
        with as_sender(envelope):
            try:
                if self._sub.prepare is not None:
                    await self._sub.prepare(envelope)
                await self.apply_once(envelope)
            except Exception as error:  # noqa: BLE001 - a failing event must not stop the others
                await self._failed(msg, envelope, error)
            else:
                await _settle(msg.ack())
            finally:
                working.cancel()

    async def _working_on(self, msg: Msg) -> None:
        """Tell JetStream the event is still being handled, so that it is not handed out again meanwhile."""
        while True:
            await asyncio.sleep(self._sub.ack_wait / 3)
            await _settle(msg.in_progress())

    async def _failed(self, msg: Msg, envelope: envelope_pb2.Envelope, error: Exception) -> None:
        delivered = msg.metadata.num_delivered
        fields = {"durable": self._sub.durable, "event_id": envelope.id, "type": envelope.type, "delivered": delivered}
        if _permanent(error) or delivered >= self._sub.max_deliver:
            await self._dead_letter(msg, envelope, error)
            return
        delay = self._sub.backoff[min(delivered, len(self._sub.backoff)) - 1]
        if isinstance(error, DomainError):
            # A peer is away, or an event came before what it depends on: it comes back later.
            log.info("event waits for a peer, delivering it again", extra={"fields": {**fields, "error": str(error)}})
        else:
            log.warning("event handler failed, delivering it again", exc_info=error, extra={"fields": fields})
        await _settle(msg.nak(delay=delay))

    async def _dead_letter(self, msg: Msg, envelope: envelope_pb2.Envelope, error: Exception) -> None:
        fields = {"durable": self._sub.durable, "event_id": envelope.id, "type": envelope.type}
        try:
            async with self._uows() as uow:
                await record_dead_letter(
                    uow, self._sub.durable, envelope, msg.data, repr(error), attempts=msg.metadata.num_delivered
                )
                await uow.commit()
        except Exception as failure:
            log.warning("could not record a dead letter, delivering the event again", exc_info=failure)
            await _settle(msg.nak(delay=self._sub.backoff[-1]))
            return
        log.error("event moved to the dead letters", exc_info=error, extra={"fields": fields})
        await _settle(msg.term())

    def _key(self, envelope: envelope_pb2.Envelope) -> str:
        return (self._sub.fact_id(envelope) if self._sub.fact_id is not None else "") or envelope.id

    async def apply_once(self, envelope: envelope_pb2.Envelope) -> None:
        key = self._key(envelope)
        async with self._uows() as uow:
            seen = await uow.session.scalar(
                select(self._inbox.c.event_id).where(
                    self._inbox.c.consumer == self._sub.durable, self._inbox.c.event_id == key
                )
            )
            if seen is not None:
                return
            await uow.session.execute(
                insert(self._inbox).values(consumer=self._sub.durable, event_id=key, handled_at=utcnow())
            )
            await self._sub.handler(envelope, uow)
            try:
                await uow.commit()
            except IntegrityError:
                # A concurrent delivery of the same event committed first.
                return


@contextlib.contextmanager
def as_sender(envelope: envelope_pb2.Envelope) -> Iterator[None]:
    """Act as whoever caused the event, under its correlation id."""
    with identity.acting(identity.Identity(actor=envelope.actor, correlation_id=envelope.correlation_id)):
        yield


async def record_dead_letter(
    uow: UnitOfWork, source: str, envelope: envelope_pb2.Envelope, data: bytes, error: str, attempts: int
) -> None:
    """A message that cannot be published or applied, kept with why, for an operator to replay or discard."""
    await uow.session.execute(
        insert(uow.metadata.tables["dead_letters"]).values(
            id=str(uuid.uuid4()),
            source=source,
            event_id=envelope.id,
            subject=envelope.type,
            envelope=data,
            error=error[:ERROR_LENGTH],
            attempts=attempts,
            created_at=utcnow(),
        )
    )


async def _settle(answer: Awaitable[None]) -> None:
    """Ack, nak or progress: if NATS is away it is lost, and JetStream delivers the event again."""
    try:
        await answer
    except Exception as error:  # noqa: BLE001 - see the docstring
        _honour_cancellation()
        log.info("could not answer JetStream", extra={"fields": {"error": repr(error)}})


def _honour_cancellation() -> None:
    """nats-py turns a cancellation into a timeout or an error in places: raise it again, or a
    stopping service would wait for a task that took its cancellation for a failure."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
