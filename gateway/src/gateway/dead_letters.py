"""Dead letters, every service's: events it could not publish or apply, for admins to
list, replay or discard with a reason.

Every service keeps its own, under ids of its own, so a dead letter's id in the graph
names its service too: its node id is `<SERVICE>/<id within the service>`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.convert import instant_from_proto, timestamp_from_proto
from gateway.errors import UserError, call
from gateway.health import SuiteService
from gateway.nodes import FetchedNode, local_id
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from gateway.permissions import require
from invariant.operations.v1 import dead_letters_pb2 as pb
from invariant.operations.v1 import dead_letters_pb2_grpc
from invariant_kernel.errors import DomainError, ErrorCode

Stub = dead_letters_pb2_grpc.DeadLetterServiceStub


@strawberry.enum(description="How a dead letter was resolved.")
class Resolution(Enum):
    REPLAYED = strawberry.enum_value("REPLAYED", description="Published again: its consumers applied it then.")
    DISCARDED = strawberry.enum_value("DISCARDED", description="Set aside for good, with a reason.")


@strawberry.type(
    description="An event a service could not publish or apply; the rest of the flow went on. Its `id` names its "
    "service too: `node(id:)` fetches it again (admins only)."
)
class DeadLetter(FetchedNode):
    id: relay.NodeID[str]
    service: SuiteService = strawberry.field(description="The service that holds it.")
    source: str = strawberry.field(description="The consumer that could not apply it, or `outbox` if unpublishable.")
    event_id: str = strawberry.field(description="The event's own id, the same in every service that saw it.")
    subject: str = strawberry.field(description="The event's type, e.g. `inventory.stock.receipt.posted`.")
    error: str = strawberry.field(description="What went wrong the last time, as the service reported it.")
    attempts: int = strawberry.field(description="How many times the service tried before it set the event aside.")
    created_at: dt.datetime = strawberry.field(description="When it was set aside.")
    resolution: Resolution | None = strawberry.field(description="How it was resolved; null while open.")
    resolved_by: str | None = strawberry.field(description="Who replayed or discarded it; null while open.")
    resolved_at: dt.datetime | None = strawberry.field(description="When it was resolved; null while open.")
    reason: str | None = strawberry.field(description="Why it was discarded.")
    actor: str = strawberry.field(description="Who caused the event (the user behind the command that recorded it).")
    correlation_id: str = strawberry.field(
        description="Shared by every event of one user action across the services: follow it in the logs."
    )
    payload_type: str = strawberry.field(description="The protobuf message the event carries, e.g. `ReceiptPosted`.")
    size_bytes: int = strawberry.field(description="The event's size as sent, in bytes.")

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[DeadLetter]:
        require(info, "deadLetters")
        wanted: dict[SuiteService, list[str]] = defaultdict(list)
        for node_id in ids:
            place = _place(node_id)
            if place is not None:
                wanted[place[0]].append(place[1])

        async def read(service: SuiteService, letter_ids: list[str]) -> list[DeadLetter]:
            request = pb.GetDeadLettersRequest(ids=letter_ids)
            reply = await call(lambda: _stub(info, service).GetDeadLetters(request))
            return [cls.from_proto(service, letter) for letter in reply.dead_letters]

        # One call per service the ids name, side by side.
        found = await asyncio.gather(*(read(service, letter_ids) for service, letter_ids in wanted.items()))
        return [letter for letters in found for letter in letters]

    @classmethod
    def from_proto(cls, service: SuiteService, letter: pb.DeadLetter) -> DeadLetter:
        return cls(
            id=f"{service.name}/{letter.id}",
            service=service,
            source=letter.source,
            event_id=letter.event_id,
            subject=letter.subject,
            error=letter.error,
            attempts=letter.attempts,
            created_at=instant_from_proto(letter.created_at),
            resolution=Resolution(letter.resolution) if letter.resolution else None,
            resolved_by=letter.resolved_by or None,
            resolved_at=timestamp_from_proto(letter.resolved_at),
            reason=letter.reason or None,
            actor=letter.actor,
            correlation_id=letter.correlation_id,
            payload_type=letter.payload_type,
            size_bytes=letter.size_bytes,
        )


@strawberry.input(description="The dead letter to publish again.")
class ReplayDeadLetterInput:
    id: strawberry.ID = strawberry.field(description="The dead letter's `id`, which names its service too.")


@strawberry.input(description="The dead letter to close without replaying it.")
class DiscardDeadLetterInput:
    id: strawberry.ID = strawberry.field(description="The dead letter's `id`, which names its service too.")
    reason: str = strawberry.field(description="Required: why the event is dropped.")


@strawberry.type(description="What a dead-letter mutation answers.")
class DeadLetterPayload:
    dead_letter: DeadLetter | None = strawberry.field(description="The dead letter as it now stands; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty when it was done.")


def _stub(info: Info, service: SuiteService) -> Stub:
    return info.context.stubs.dead_letters[service.name.lower()]


def _place(node_id: str) -> tuple[SuiteService, str] | None:
    """The service and the id within it that a dead letter's node id names; None if it names none."""
    service, _, letter_id = node_id.partition("/")
    if service not in SuiteService.__members__ or not letter_id:
        return None
    return SuiteService[service], letter_id


def _target(id: strawberry.ID) -> tuple[SuiteService, str]:
    """The dead letter an input's `id` names, or a refusal naming `id`."""
    place = _place(local_id(id, DeadLetter, "id"))
    if place is None:
        raise DomainError(ErrorCode.INVALID_FORMAT, "id is not the id of a dead letter from this API", "id")
    return place


@strawberry.type
class DeadLetterQuery:
    @described.field("A service's dead letters, oldest first: the open ones, or all with `includeResolved`.")
    async def dead_letters(
        self,
        info: Info,
        service: Annotated[SuiteService, strawberry.argument(description="Whose dead letters.")],
        include_resolved: Annotated[
            bool, strawberry.argument(description="Also the replayed and discarded ones.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DeadLetter]:
        require(info)
        page = page_request(first, after, last, before)
        request = pb.ListDeadLettersRequest(include_resolved=include_resolved, **page.fields)
        reply = await call(lambda: _stub(info, service).ListDeadLetters(request))
        letters = [DeadLetter.from_proto(service, letter) for letter in reply.dead_letters]
        return connection(letters, reply.cursors, page, reply.next_page_token)


@strawberry.type
class DeadLetterMutation:
    @described.mutation(
        "Publishes a dead letter's event again: consumers that applied it already do nothing. "
        "Replaying a replayed one answers it as it is."
    )
    async def replay_dead_letter(
        self, info: Info, input: Annotated[ReplayDeadLetterInput, strawberry.argument(description="Which one.")]
    ) -> DeadLetterPayload:

        async def send() -> DeadLetter:
            service, letter_id = _target(input.id)
            request = pb.ReplayDeadLetterRequest(id=letter_id)
            return DeadLetter.from_proto(service, await _stub(info, service).ReplayDeadLetter(request))

        letter, errors = await command(info, send)
        return DeadLetterPayload(dead_letter=letter, user_errors=errors)

    @described.mutation("Closes a dead letter without replaying it, with the reason why.")
    async def discard_dead_letter(
        self,
        info: Info,
        input: Annotated[DiscardDeadLetterInput, strawberry.argument(description="Which one, and why.")],
    ) -> DeadLetterPayload:

        async def send() -> DeadLetter:
            service, letter_id = _target(input.id)
            request = pb.DiscardDeadLetterRequest(id=letter_id, reason=input.reason)
            return DeadLetter.from_proto(service, await _stub(info, service).DiscardDeadLetter(request))

        letter, errors = await command(info, send)
        return DeadLetterPayload(dead_letter=letter, user_errors=errors)
