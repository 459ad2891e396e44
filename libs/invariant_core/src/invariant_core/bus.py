"""NATS JetStream: the connection, the one stream, the outbox relay and durable consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from invariant.events.v1 import envelope_pb2
from invariant_core import identity
from invariant_core.db import UnitOfWork, UnitOfWorkFactory, utcnow

log = logging.getLogger(__name__)

STREAM = "INVENTORY"
SUBJECTS = ["inventory.>"]
# JetStream drops a message whose Nats-Msg-Id it has seen within this window, which
# covers a relay that published and died before marking the row sent.
DUPLICATE_WINDOW_SECONDS = 600.0
# How long the relay waits for JetStream to acknowledge a batch before it tries again.
PUBLISH_TIMEOUT_SECONDS = 5.0


async def connect(url: str, name: str) -> NatsClient:
    """Connect, retrying until NATS answers: a service outlives a NATS outage."""
    delay = 0.2
    while True:
        client = NatsClient()
        try:
            await client.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=1, connect_timeout=2)
            return client
        except asyncio.CancelledError:
            # Stopped while connecting: close the half-open socket before giving up.
            with contextlib.suppress(Exception):
                await client.close()
            raise
        except Exception as error:  # noqa: BLE001 - any failure to connect is retried
            log.warning("NATS not reachable, retrying", extra={"fields": {"url": url, "error": str(error)}})
            with contextlib.suppress(Exception):
                await client.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def ensure_stream(js: JetStreamContext, replicas: int = 1) -> None:
    config = StreamConfig(
        name=STREAM, subjects=SUBJECTS, duplicate_window=DUPLICATE_WINDOW_SECONDS, num_replicas=replicas
    )
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)


class OutboxRelay:
    """Publishes outbox rows to JetStream in order, marks them sent.

    Woken right after a commit; a slow timer only catches rows left by a crash.
    A row is marked sent only after JetStream acknowledged it; a crash in between
    publishes it again with the same Nats-Msg-Id, which JetStream drops.
    """

    # A count's posting leaves thousands of movements at once: big batches keep the round
    # trips (one transaction, one burst of publishes) few.
    BATCH = 1000
    GATHER_SECONDS = 0.02

    def __init__(self, uows: UnitOfWorkFactory, js: JetStreamContext, sweep_seconds: float = 5.0) -> None:
        self._uows = uows
        self._js = js
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
        self._mark_sent = (
            update(outbox)
            .where(outbox.c.seq.in_(bindparam("seqs", expanding=True)))
            .values(published_at=bindparam("sent_at"))
        )

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
                    # batch costs a transaction (make bench: about 5 % of a busy stock
                    # service's time). An event waits at most this much longer.
                    await asyncio.sleep(self.GATHER_SECONDS)
                delay = 0.1
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the event is set, and the relay would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._sweep):
                        await self._uows.wake.wait()
                self._uows.wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - NATS or the database is down: retry
                log.warning("outbox relay failed, retrying", extra={"fields": {"error": str(error)}})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def publish_pending(self) -> int:
        """Publish one batch; return how many rows were sent."""
        async with self._uows() as uow:
            rows = (await uow.session.execute(self._pending)).all()
            # Sent back to back, in order on one connection, then the acknowledgements
            # awaited together: one round trip per batch, not per event. Asynchronous
            # publishes share one reply subscription, where a request per event costs a
            # task, a timer and an inbox of its own (a third of the relay's time, make bench).
            acks = [
                await self._js.publish_async(row.subject, row.envelope, headers={"Nats-Msg-Id": row.id}) for row in rows
            ]
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    await asyncio.gather(*acks)
            finally:
                # An ack that never came must not keep its place among the pending publishes.
                for ack in acks:
                    ack.cancel()
            if rows:
                await uow.session.execute(self._mark_sent, {"seqs": [r.seq for r in rows], "sent_at": utcnow()})
            await uow.commit()
            return len(rows)


Handler = Callable[[envelope_pb2.Envelope, UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer: its name, the subjects it wants and its handler."""

    durable: str
    # One filter (wildcards allowed): NATS servers before 2.10 take a single filter.
    subject: str
    handler: Handler
    max_deliver: int = 5
    # Delay before redelivering after the n-th failure (the last one repeats).
    backoff: tuple[float, ...] = (0.5, 2.0, 10.0, 30.0)
    # How long an unacknowledged delivery waits before it is redelivered.
    ack_wait: float = 30.0


def dead_letter_subject(service: str, durable: str) -> str:
    return f"inventory.deadletter.{service}.{durable}"


class Consumer:
    """Runs one durable pull consumer with an inbox: each event has one effect.

    The inbox row and the handler's effect commit together; the ack comes after the
    commit. A crash before the ack redelivers the event, and the inbox row turns the
    second delivery into a no-op. After `max_deliver` failures the message goes to a
    dead-letter subject with the error, and is terminated.
    """

    def __init__(self, uows: UnitOfWorkFactory, js: JetStreamContext, service: str, sub: Subscription) -> None:
        self._uows = uows
        self._js = js
        self._service = service
        self._sub = sub
        self._inbox = uows.metadata.tables["inbox"]

    async def declare(self) -> None:
        config = ConsumerConfig(
            durable_name=self._sub.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self._sub.subject,
            max_deliver=self._sub.max_deliver,
            ack_wait=self._sub.ack_wait,
        )
        await self._js.add_consumer(STREAM, config)

    async def run(self) -> None:
        await self.declare()
        pull = await self._js.pull_subscribe_bind(self._sub.durable, stream=STREAM)
        try:
            await self._consume(pull)
        finally:
            # A pull subscription left open makes the connection's drain wait its full timeout.
            with contextlib.suppress(Exception):
                await pull.unsubscribe()

    async def _consume(self, pull: JetStreamContext.PullSubscription) -> None:
        while True:
            try:
                messages = await pull.fetch(batch=50, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                # fetch can turn a cancellation into a timeout: honour the cancellation.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None
                continue
            for msg in messages:
                await self.handle(msg)

    async def handle(self, msg: Msg) -> None:
        envelope = envelope_pb2.Envelope.FromString(msg.data)
        token = identity.current.set(identity.Identity(actor=envelope.actor, correlation_id=envelope.correlation_id))
        try:
            await self.apply_once(envelope)
        except Exception as error:
            delivered = msg.metadata.num_delivered
            log.exception("event handler failed", extra={"fields": {"event_id": envelope.id, "delivered": delivered}})
            if delivered >= self._sub.max_deliver:
                await self._js.publish(
                    dead_letter_subject(self._service, self._sub.durable),
                    msg.data,
                    headers={"Invariant-Error": repr(error)[:1000], "Invariant-Subject": msg.subject},
                )
                await msg.term()
            else:
                await msg.nak(delay=self._sub.backoff[min(delivered, len(self._sub.backoff)) - 1])
        else:
            await msg.ack()
        finally:
            identity.current.reset(token)

    async def apply_once(self, envelope: envelope_pb2.Envelope) -> None:
        async with self._uows() as uow:
            seen = await uow.session.scalar(
                select(self._inbox.c.event_id).where(
                    self._inbox.c.consumer == self._sub.durable, self._inbox.c.event_id == envelope.id
                )
            )
            if seen is not None:
                return
            await uow.session.execute(
                insert(self._inbox).values(consumer=self._sub.durable, event_id=envelope.id, handled_at=utcnow())
            )
            await self._sub.handler(envelope, uow)
            try:
                await uow.commit()
            except IntegrityError:
                # A concurrent delivery of the same event committed first.
                return
