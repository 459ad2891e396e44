"""Dead letters, served by every service: an operator lists them, replays one or discards it.

A replay puts the event back in the service's outbox with the same envelope, so consumers
that applied it already do nothing (their inbox knows its id), under a new message id, so
that JetStream does not drop it as a duplicate. A command the service failed to send to
another (source `outgoing-commands`) is sent again instead, under its idempotency key. Both
commands are idempotent by state: a retry finds the dead letter resolved and answers it as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import grpc
from google.protobuf.message import DecodeError
from sqlalchemy import Row, Table, insert, select, update

from invariant.events.v1 import envelope_pb2
from invariant.operations.v1 import dead_letters_pb2 as pb
from invariant.operations.v1 import dead_letters_pb2_grpc
from invariant_core import identity, outgoing
from invariant_core.commands import Dispatcher, Route
from invariant_core.db import ERROR_LENGTH, UnitOfWork, UnitOfWorkFactory, utcnow
from invariant_core.messages import timestamp_message
from invariant_core.paging import at_most_a_page, keyset, page_of, page_query
from invariant_core.rpc import Registrar, Registry
from invariant_kernel.errors import DomainError, ErrorCode, not_found

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DeadLetterService"].full_name
REPLAYED = "REPLAYED"
DISCARDED = "DISCARDED"
OPERATORS = frozenset({"admin"})


@dataclass(frozen=True)
class Replay:
    dead_letter_id: str


@dataclass(frozen=True)
class Discard:
    dead_letter_id: str
    reason: str


async def replay(uow: UnitOfWork, dead_letters: Table, command: Replay) -> Row[tuple[object, ...]]:
    row = await _locked(uow, dead_letters, command.dead_letter_id)
    if row.resolution == DISCARDED:
        raise DomainError(ErrorCode.INVALID_STATE, "a discarded dead letter cannot be replayed", "id")
    if row.resolution is not None:
        return row
    if row.source == outgoing.SOURCE:
        # A command that failed too often: its envelope's id is the command's.
        await outgoing.resend(uow, envelope_pb2.Envelope.FromString(row.envelope).id)
    else:
        await uow.session.execute(
            insert(uow.metadata.tables["outbox"]).values(
                id=str(uuid.uuid4()), subject=row.subject, envelope=row.envelope, created_at=utcnow()
            )
        )
    return await _resolve(uow, dead_letters, row.id, REPLAYED, None)


async def discard(uow: UnitOfWork, dead_letters: Table, command: Discard) -> Row[tuple[object, ...]]:
    reason = command.reason.strip()
    if not reason:
        raise DomainError(ErrorCode.REQUIRED, "reason is required: say why the event is dropped", "reason")
    if len(reason) > ERROR_LENGTH:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"reason takes at most {ERROR_LENGTH} characters", "reason")
    row = await _locked(uow, dead_letters, command.dead_letter_id)
    if row.resolution == REPLAYED:
        raise DomainError(ErrorCode.INVALID_STATE, "a replayed dead letter cannot be discarded", "id")
    if row.resolution is not None:
        return row
    return await _resolve(uow, dead_letters, row.id, DISCARDED, reason)


# Idempotent by state, not by a request key: a retry finds the dead letter resolved.
COMMANDS: dict[type, Route[Table]] = {
    Replay: Route(replay, keyed=False),
    Discard: Route(discard, keyed=False),
}


class DeadLetterServicer(dead_letters_pb2_grpc.DeadLetterServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self._uows = uows
        self._table: Table = uows.metadata.tables["dead_letters"]
        self._dispatch = Dispatcher(uows, lambda uow: self._table, COMMANDS)

    async def ListDeadLetters(
        self, request: pb.ListDeadLettersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListDeadLettersResponse:
        _require_operator()
        page = page_query(request, datetime, str)
        table = self._table
        query = select(table)
        if not request.include_resolved:
            query = query.where(table.c.resolution.is_(None))
        async with self._uows.reader() as uow:
            rows = (await uow.session.execute(keyset(query, [table.c.created_at, table.c.id], page))).all()
        found = page_of(rows, page, lambda row: (row.created_at, row.id))
        return pb.ListDeadLettersResponse(
            dead_letters=[_message(row) for row in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def GetDeadLetters(
        self, request: pb.GetDeadLettersRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetDeadLettersResponse:
        _require_operator()
        ids = list(at_most_a_page(request.ids, "ids"))
        table = self._table
        async with self._uows.reader() as uow:
            rows = (await uow.session.execute(select(table).where(table.c.id.in_(ids)))).all()
        return pb.GetDeadLettersResponse(dead_letters=[_message(row) for row in rows])

    async def ReplayDeadLetter(
        self, request: pb.ReplayDeadLetterRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeadLetter:
        _require_operator()
        answer = await self._dispatch(request, Replay(request.id), pb.DeadLetter, _message)
        # The event is back in the outbox: the relay need not wait for its next look.
        self._uows.wake.set()
        return answer

    async def DiscardDeadLetter(
        self, request: pb.DiscardDeadLetterRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeadLetter:
        _require_operator()
        return await self._dispatch(request, Discard(request.id, request.reason), pb.DeadLetter, _message)


async def _locked(uow: UnitOfWork, dead_letters: Table, dead_letter_id: str) -> Row[tuple[object, ...]]:
    if not dead_letter_id.strip():
        raise DomainError(ErrorCode.REQUIRED, "id is required", "id")
    query = select(dead_letters).where(dead_letters.c.id == dead_letter_id).with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise not_found("dead letter", dead_letter_id[:40], "id")
    return row


async def _resolve(
    uow: UnitOfWork, dead_letters: Table, dead_letter_id: str, resolution: str, reason: str | None
) -> Row[tuple[object, ...]]:
    changed = (
        update(dead_letters)
        .where(dead_letters.c.id == dead_letter_id)
        .values(resolution=resolution, resolved_by=identity.current.get().actor, resolved_at=utcnow(), reason=reason)
        .returning(*dead_letters.c)
    )
    return (await uow.session.execute(changed)).one()


def _require_operator() -> None:
    if not identity.current.get().roles & OPERATORS:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "dead letters are for admins", "")


def _message(row: Row[tuple[object, ...]]) -> pb.DeadLetter:
    letter = pb.DeadLetter(
        id=row.id,
        source=row.source,
        event_id=row.event_id,
        subject=row.subject,
        error=row.error,
        attempts=row.attempts,
        created_at=timestamp_message(row.created_at),
        resolution=row.resolution or "",
        resolved_by=row.resolved_by or "",
        reason=row.reason or "",
        size_bytes=len(row.envelope),
    )
    if row.resolved_at is not None:
        letter.resolved_at.CopyFrom(timestamp_message(row.resolved_at))
    try:
        envelope = envelope_pb2.Envelope.FromString(row.envelope)
    except DecodeError:
        return letter
    letter.actor = envelope.actor
    letter.correlation_id = envelope.correlation_id
    letter.payload_type = envelope.payload.type_url.rpartition("/")[2]
    return letter


def registrar(uows: UnitOfWorkFactory) -> Registrar:
    servicer = DeadLetterServicer(uows)

    def register(server: Registry) -> None:
        dead_letters_pb2_grpc.add_DeadLetterServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    return register
