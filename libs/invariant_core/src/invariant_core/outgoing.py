"""Outgoing commands: what an event makes a service ask of another, recorded with the event, sent after.

An event that must cause a command elsewhere (orders reserving stock for a backorder when a
receipt is posted, quality asking stock to move decided stock) never calls the peer from its
consumer: a call inside the transaction would hold its locks for as long as the peer takes,
and a call made before the commit could take effect for an event whose handling then rolls
back. Instead:

1. The consumer's handler records the command (`OutgoingCommands.send`) in its own
   transaction, the one that writes the inbox row: recorded once per handled event, or not at all.
2. A worker (`CommandSender`) sends it over gRPC once that transaction has committed, as who
   caused the event (in the roles they acted in), with an idempotency key derived from the
   sending service, the command's purpose and the event (`command_key`). A resend after a
   crash, or the same command sent by two replicas, is answered once by the receiver's
   idempotency store. Replicas claim due commands (FOR UPDATE SKIP LOCKED, then a lease)
   only to share the work: correctness rests on the key, never on the claim.
3. It retries until the command is answered: a peer away (UNAVAILABLE, DEADLINE_EXCEEDED,
   ABORTED) for as long as it is away; any other failure up to `max_failures` times, after
   which the command goes to the service's dead letters. An operator's replay sends it again
   under the same key; a discard leaves it unsent.
4. An answer settles the command, once: the response, or the refusal (a DomainError such as
   INSUFFICIENT_STOCK: an answer, never retried), is kept and handed to the command's `settle`
   callback in the transaction that marks it settled, so that the service's own state follows
   the outcome (orders marks the line backordered).

A service that sends commands adds the table with `outgoing_table(metadata)` (and a migration
that creates it) and runs the worker with `send_in_background`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.message import Message
from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
    update,
)

from invariant.events.v1 import envelope_pb2
from invariant_core import identity, rpc
from invariant_core.bus import record_dead_letter
from invariant_core.db import ERROR_LENGTH, UnitOfWork, UnitOfWorkFactory, one_of, utcnow
from invariant_core.idempotency import KEY_FIELD, MAX_KEY_LENGTH
from invariant_core.messages import timestamp_message
from invariant_core.settings import Settings
from invariant_core.tasks import Background
from invariant_core.types import UtcDateTime
from invariant_kernel import limits
from invariant_kernel.errors import DomainError

log = logging.getLogger(__name__)

TABLE = "outgoing_commands"
# The dead letters' source for a command that failed too often (no consumer is named so:
# consumers are named <service>-<what they consume>).
SOURCE = "outgoing-commands"
ANSWERED = "ANSWERED"
REFUSED = "REFUSED"
DEAD_LETTERED = "DEAD_LETTERED"

# What a service's name and a command's purpose may hold: no "/", which separates them in a
# key, so that no two (service, purpose, cause) ever give one key.
_NAME = re.compile(r"[A-Za-z0-9._:-]+")
SERVICE_LENGTH = 32
PURPOSE_LENGTH = 100
COMMAND_LENGTH = 100

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 60.0
MAX_FAILURES = 10
# How long a claimed command is left to its sender before another may send it: longer than
# a call's deadline and its settling take, so that only a sender that died is taken over.
LEASE_SECONDS = 30.0

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)


def outgoing_table(metadata: MetaData) -> Table:
    """Add the outgoing commands to the metadata of a service that sends commands on events.

    Not among the plumbing tables: only a service that sends commands on events needs it.
    """
    return Table(
        TABLE,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), nullable=False, unique=True),
        Column("command", String(COMMAND_LENGTH), nullable=False),
        Column("purpose", String(PURPOSE_LENGTH), nullable=False),
        # The event (or the fact, where the inbox keys by fact) that caused it.
        Column("cause", String(limits.ID), nullable=False),
        # Who caused it, when, and the keyed request, as the dead letters keep a message.
        Column("envelope", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        # When it may be sent next: a retry's time, or the end of a sender's claim.
        Column("due_at", UtcDateTime(), nullable=False),
        Column("attempts", Integer, nullable=False),
        # Failures other than a peer away, which send it to the dead letters at MAX_FAILURES.
        Column("failures", Integer, nullable=False),
        Column("error", String(ERROR_LENGTH)),
        # ANSWERED, REFUSED or DEAD_LETTERED once settled.
        Column("outcome", String(20)),
        Column("answer", LargeBinary),
        Column("refusal", String(40)),
        Column("settled_at", UtcDateTime()),
        Index("ix_outgoing_commands_due", "settled_at", "due_at"),
    )


def command_key(service: str, purpose: str, cause: str) -> str:
    """The idempotency key of the command `service` sends for `purpose` because of `cause`.

    Readable on the receiver's side (`orders/reserve:SO-7:2/<event id>`); the sending service
    keeps it from colliding with another's, the purpose with another command for the same event.
    """
    _named("service", service, SERVICE_LENGTH)
    _named("purpose", purpose, PURPOSE_LENGTH)
    if not cause or len(cause) > limits.ID:
        raise ValueError(f"cause must be the id of an event or a fact, 1 to {limits.ID} characters, not {cause!r}")
    return f"{service}/{purpose}/{cause}"


def _named(what: str, value: str, longest: int) -> None:
    if not _NAME.fullmatch(value) or len(value) > longest:
        raise ValueError(f"{what} {value!r} must be 1 to {longest} letters, digits or . _ : -")


def retry_delay(attempt: int, spread: float) -> float:
    """Seconds before sending again after `attempt` sends went unanswered: doubling from
    FIRST_RETRY_SECONDS up to LAST_RETRY_SECONDS, taken in the upper half at random (`spread`
    in [0, 1)) so that commands that failed together are not sent together again."""
    ceiling = min(LAST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** min(max(attempt - 1, 0), 16))
    return ceiling * (0.5 + spread / 2)


class Unanswered(Enum):
    """Why a sent command has no answer yet."""

    # The peer is down, restarting, overloaded or gave up a transaction for a conflict: sent
    # again for as long as that lasts, since waiting is all that helps.
    AWAY = "AWAY"
    # Anything else (a bug on either side): sent again up to MAX_FAILURES times, then dead-lettered.
    FAILED = "FAILED"


_AWAY_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED})


def classify(error: Exception) -> DomainError | Unanswered:
    """A refusal the receiver answered (an outcome like any answer), or why there is none."""
    if isinstance(error, grpc.aio.AioRpcError):
        if error.code() in _AWAY_CODES:
            return Unanswered.AWAY
        # Not the suite's structured refusal (or a code this build does not know): a failure.
        with contextlib.suppress(grpc.aio.AioRpcError, ValueError):
            return rpc.from_rpc_error(error)
    return Unanswered.FAILED


@dataclass(frozen=True)
class Outcome(Generic[Req, Resp]):
    """How a command ended: answered with `response`, or refused with `refusal`."""

    command_id: str
    purpose: str
    cause: str
    request: Req
    response: Resp | None = None
    refusal: DomainError | None = None


Settle = Callable[[UnitOfWork, Outcome[Req, Resp]], Awaitable[None]]


@dataclass(frozen=True)
class Command(Generic[Req, Resp]):
    """A kind of command a service sends on events: the peer's method it calls, and what the
    service does with its outcome (`settle`, in the transaction that records the outcome).

    `name` is stored with every command recorded: a command renamed while some wait to be
    sent leaves them to the dead letters.
    """

    name: str
    # The peer's name among the settings' peers (its <PEER>_ADDR).
    peer: str
    # The gRPC method, "/invariant.stock.v1.StockService/Reserve".
    method: str
    request: type[Req]
    response: type[Resp]
    settle: Settle[Req, Resp] | None = None

    def __post_init__(self) -> None:
        _named("command name", self.name, COMMAND_LENGTH)
        if KEY_FIELD not in self.request.DESCRIPTOR.fields_by_name:
            raise ValueError(
                f"{self.request.DESCRIPTOR.full_name} has no {KEY_FIELD}: a resend could take effect twice"
            )
        _, service, method = self.method.split("/") if self.method.count("/") == 2 else ("", "", "")
        try:
            found = descriptor_pool.Default().FindServiceByName(service).methods_by_name[method]
        except KeyError:
            raise ValueError(f"{self.method!r} names no gRPC method (expected /package.Service/Method)") from None
        if (found.input_type.full_name, found.output_type.full_name) != (
            self.request.DESCRIPTOR.full_name,
            self.response.DESCRIPTOR.full_name,
        ):
            raise ValueError(
                f"{self.method} takes {found.input_type.full_name} and answers {found.output_type.full_name}"
            )

    @property
    def service(self) -> str:
        return self.method.split("/")[1]

    def outcome(
        self, row: Row[Any], envelope: envelope_pb2.Envelope, answer: bytes | DomainError
    ) -> Outcome[Req, Resp]:
        request = self.request.FromString(envelope.payload.value)
        if isinstance(answer, DomainError):
            return Outcome(row.id, row.purpose, row.cause, request, refusal=answer)
        return Outcome(row.id, row.purpose, row.cause, request, response=self.response.FromString(answer))


class OutgoingCommands:
    """The commands a service sends on events, and where its handlers record them.

    Built where the service wires itself, not at import: it holds an event of the running loop.
    """

    def __init__(self, service: str, commands: Sequence[Command[Any, Any]]) -> None:
        _named("service", service, SERVICE_LENGTH)
        self.service = service
        self.commands = {command.name: command for command in commands}
        if len(self.commands) != len(commands):
            raise ValueError("two commands share a name")
        # Set once a transaction that recorded commands commits: the worker sends them at once.
        self.due = asyncio.Event()
        self._committed = lambda _session: self.due.set()

    async def send(self, uow: UnitOfWork, command: Command[Req, Any], request: Req, *, cause: str, purpose: str) -> str:
        """Have `request` sent as `command` once `uow` commits (nothing is sent if it does not);
        the recorded command's id, which its Outcome carries.

        Its idempotency_key is set here from the service, `purpose` and `cause` (the handled
        event's id, or the fact's where the subscription keys its inbox by fact); `purpose`
        tells apart the commands one event causes ("reserve:SO-7:2"). It is sent as who is
        acting now (the event's actor), or as the service itself when no one is.
        """
        if self.commands.get(command.name) is not command:
            raise ValueError(f"{command.name!r} is not one of the commands {self.service} declared")
        if not isinstance(request, command.request):
            raise TypeError(f"{command.name} sends {command.request.__name__}, not {type(request).__name__}")
        keyed = type(request)()
        keyed.CopyFrom(request)
        key = command_key(self.service, purpose, cause)
        setattr(keyed, KEY_FIELD, key)
        who = identity.current.get()
        now = utcnow()
        envelope = envelope_pb2.Envelope(
            id=str(uuid.uuid4()),
            type=command.name,
            producer=self.service,
            actor=who.actor or self.service,
            correlation_id=who.correlation_id,
            occurred_at=timestamp_message(now),
            actor_roles=sorted(who.roles) if who.actor else [],
        )
        envelope.payload.Pack(keyed)
        await uow.session.execute(
            insert(uow.metadata.tables[TABLE]).values(
                id=envelope.id,
                key=key,
                command=command.name,
                purpose=purpose,
                cause=cause,
                envelope=envelope.SerializeToString(),
                created_at=now,
                due_at=now,
                attempts=0,
                failures=0,
            )
        )
        session = uow.session.sync_session
        if not event.contains(session, "after_commit", self._committed):
            event.listen(session, "after_commit", self._committed)
        return envelope.id

    def services_by_peer(self) -> dict[str, list[str]]:
        """The gRPC services called on each peer, for the channels' retry policy."""
        called: dict[str, list[str]] = {}
        for command in self.commands.values():
            services = called.setdefault(command.peer, [])
            if command.service not in services:
                services.append(command.service)
        return called


async def resend(uow: UnitOfWork, command_id: str) -> None:
    """Send a dead-lettered command again, under its key, from its first failure on (an
    operator's replay); the worker finds it on its next sweep."""
    table = uow.metadata.tables[TABLE]
    await uow.session.execute(
        update(table)
        .where(table.c.id == command_id, table.c.outcome == DEAD_LETTERED)
        .values(outcome=None, settled_at=None, failures=0, due_at=utcnow())
    )


class CommandSender:
    """Sends the recorded commands after their transactions commit, and settles each once.

    A pass claims the commands due (skipping those another replica holds), pushes their due
    time past the claim's lease and commits, then sends them side by side with no transaction
    open, then settles each in a transaction of its own. A sender that dies between sending and
    settling leaves its claims to lapse: the commands are sent again and the receiver answers
    what it answered before. `stop()` lets the commands in hand finish.
    """

    BATCH = 20
    SWEEP_SECONDS = 5.0

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        outgoing: OutgoingCommands,
        channels: Mapping[str, grpc.aio.Channel],
        *,
        deadline: float = rpc.DEFAULT_DEADLINE_SECONDS,
        lease: float = LEASE_SECONDS,
        max_failures: int = MAX_FAILURES,
    ) -> None:
        missing = outgoing.services_by_peer().keys() - channels.keys()
        if missing:
            raise ValueError(f"no channel to {', '.join(sorted(missing))}, which commands are sent to")
        self._uows = uows
        self._outgoing = outgoing
        self._calls = {
            name: channels[command.peer].unary_unary(command.method) for name, command in outgoing.commands.items()
        }
        self._deadline = deadline
        self._lease = timedelta(seconds=lease)
        self._max_failures = max_failures
        self._stopping = False
        table = uows.metadata.tables[TABLE]
        self._table = table
        # Built once: every pass runs them.
        self._due = (
            select(table)
            .where(table.c.settled_at.is_(None), table.c.due_at <= bindparam("now"))
            .order_by(table.c.due_at)
            .limit(self.BATCH)
            .with_for_update(skip_locked=True)
        )
        self._claim = (
            update(table)
            .where(one_of(table.c.id, "ids"))
            .values(due_at=bindparam("until"), attempts=table.c.attempts + 1)
        )
        self._next_due = select(func.min(table.c.due_at)).where(table.c.settled_at.is_(None))

    def stop(self) -> None:
        self._stopping = True
        self._outgoing.due.set()

    async def run(self) -> None:
        failing = 0
        while not self._stopping:
            # Cleared before the pass: a commit during it sets it again, and the next wait ends at once.
            self._outgoing.due.clear()
            try:
                if await self.send_due() == self.BATCH:
                    continue
                wait = await self._until_next_due()
                failing = 0
            except Exception as error:  # noqa: BLE001 - the database is away: try again later
                failing += 1
                wait = retry_delay(failing, random.random())
                log.warning("outgoing commands not sent, retrying", extra={"fields": {"error": repr(error)}})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._outgoing.due.wait()

    async def send_due(self) -> int:
        """One pass: claim what is due, send it, settle it; how many commands were claimed."""
        now = utcnow()
        async with self._uows() as uow:
            claimed = (await uow.session.execute(self._due, {"now": now})).all()
            if claimed:
                await uow.session.execute(self._claim, {"ids": [row.id for row in claimed], "until": now + self._lease})
                await uow.commit()
        results = await asyncio.gather(*(self._deliver(row) for row in claimed), return_exceptions=True)
        for row, result in zip(claimed, results, strict=True):
            if isinstance(result, Exception):
                log.warning(
                    "outgoing command not settled, sent again once its claim lapses",
                    extra={"fields": {"command_id": row.id, "error": repr(result)}},
                )
        return len(claimed)

    async def _until_next_due(self) -> float:
        async with self._uows.reader() as uow:
            due: datetime | None = await uow.session.scalar(self._next_due)
        if due is None:
            return self.SWEEP_SECONDS
        return min(max((due - utcnow()).total_seconds(), 0.0), self.SWEEP_SECONDS)

    async def _deliver(self, row: Row[Any]) -> None:
        envelope = envelope_pb2.Envelope.FromString(row.envelope)
        who = identity.Identity(
            actor=envelope.actor, roles=frozenset(envelope.actor_roles), correlation_id=envelope.correlation_id
        )
        with identity.acting(who):
            try:
                command = self._outgoing.commands.get(row.command)
                if command is None:
                    raise LookupError(f"{self._outgoing.service} declares no command {row.command!r} any more")
                try:
                    answer: bytes | DomainError = await self._calls[command.name](
                        envelope.payload.value, timeout=self._deadline
                    )
                except grpc.aio.AioRpcError as error:
                    refused = classify(error)
                    if not isinstance(refused, DomainError):
                        raise
                    answer = refused
                await self._settle(row, command, envelope, answer)
            except Exception as error:  # noqa: BLE001 - unanswered, or not settled: sent again later
                await self._unanswered(row, envelope, error)

    async def _settle(
        self, row: Row[Any], command: Command[Any, Any], envelope: envelope_pb2.Envelope, answer: bytes | DomainError
    ) -> None:
        """Record the outcome and run the service's `settle` with it, in one transaction, once:
        a sender that finds the command settled already (by a replica that took over its
        lapsed claim) changes nothing."""
        values: dict[str, object]
        if isinstance(answer, DomainError):
            values = {"outcome": REFUSED, "refusal": answer.code, "error": answer.message[:ERROR_LENGTH]}
        else:
            values = {"outcome": ANSWERED, "answer": answer}
        async with self._uows() as uow:
            settled = await uow.session.execute(
                update(self._table)
                .where(self._table.c.id == row.id, self._table.c.settled_at.is_(None))
                .values(**values, settled_at=utcnow())
            )
            if settled.rowcount == 0:  # type: ignore[attr-defined]
                return
            if command.settle is not None:
                await command.settle(uow, command.outcome(row, envelope, answer))
            await uow.commit()
        if isinstance(answer, DomainError):
            log.info(
                "outgoing command refused",
                extra={"fields": {"command_id": row.id, "command": row.command, "refusal": str(answer)}},
            )

    async def _unanswered(self, row: Row[Any], envelope: envelope_pb2.Envelope, error: Exception) -> None:
        attempts = row.attempts + 1
        failures = row.failures if classify(error) is Unanswered.AWAY else row.failures + 1
        dead = failures >= self._max_failures
        fields = {"command_id": row.id, "command": row.command, "attempts": attempts, "error": repr(error)}
        async with self._uows() as uow:
            values: dict[str, object] = {"failures": failures, "error": repr(error)[:ERROR_LENGTH]}
            if dead:
                values |= {"outcome": DEAD_LETTERED, "settled_at": utcnow()}
            else:
                values["due_at"] = utcnow() + timedelta(seconds=retry_delay(attempts, random.random()))
            changed = await uow.session.execute(
                update(self._table)
                .where(self._table.c.id == row.id, self._table.c.settled_at.is_(None))
                .values(**values)
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                return  # settled meanwhile by a replica that took over the claim
            if dead:
                await record_dead_letter(uow, SOURCE, envelope, row.envelope, repr(error), attempts=attempts)
            await uow.commit()
        if dead:
            log.error("outgoing command moved to the dead letters", extra={"fields": fields})
        elif failures > row.failures:
            log.warning("outgoing command failed, sending it again later", extra={"fields": fields})
        else:
            log.info("outgoing command's peer away, sending it again later", extra={"fields": fields})


def send_in_background(
    uows: UnitOfWorkFactory, outgoing: OutgoingCommands, settings: Settings, stack: AsyncExitStack
) -> None:
    """Run the service's CommandSender until the stack closes: channels to the peers it calls
    (closed with the stack), the worker stopped then and given the grace period to settle the
    commands in hand."""
    channels = {}
    for peer, services in outgoing.services_by_peer().items():
        if peer not in settings.peers:
            raise ValueError(f"commands are sent to {peer!r}, which has no address (<PEER>_ADDR)")
        channel = rpc.channel(settings.peers[peer], services)
        stack.push_async_callback(channel.close)
        channels[peer] = channel
    sender = CommandSender(uows, outgoing, channels)
    background = Background()
    background.start(sender.run(), f"{outgoing.service}-commands", stop=sender.stop)
    stack.push_async_callback(background.aclose)
