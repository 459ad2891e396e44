"""Dead letters, every service's: events it could not publish or apply, for admins to
list, replay or discard with a reason."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from gateway import described
from gateway.auth import require_role
from gateway.commands import command
from gateway.context import Info
from gateway.convert import timestamp_from_proto
from gateway.errors import UserError, call
from gateway.pagination import DEFAULT_PAGE_SIZE, Connection, connection, page_request
from invariant.operations.v1 import dead_letters_pb2 as pb
from invariant.operations.v1 import dead_letters_pb2_grpc

ADMINS = frozenset({"admin"})
Stub = dead_letters_pb2_grpc.DeadLetterServiceStub


@strawberry.enum(description="A service of the suite, each with its own dead letters.")
class SuiteService(Enum):
    CATALOG = "catalog"
    STOCK = "stock"
    COUNTING = "counting"


@strawberry.type(description="An event a service could not publish or apply; the rest of the flow went on.")
class DeadLetter:
    id: strawberry.ID
    service: SuiteService
    source: str = strawberry.field(description="The consumer that could not apply it, or `outbox` if unpublishable.")
    event_id: str
    subject: str = strawberry.field(description="The event's type, e.g. `inventory.stock.receipt.posted`.")
    error: str
    attempts: int
    created_at: dt.datetime | None
    resolution: str | None = strawberry.field(description="`REPLAYED` or `DISCARDED`; null while open.")
    resolved_by: str | None
    resolved_at: dt.datetime | None
    reason: str | None = strawberry.field(description="Why it was discarded.")
    actor: str
    correlation_id: str
    payload_type: str
    size_bytes: int

    @classmethod
    def from_proto(cls, service: SuiteService, letter: pb.DeadLetter) -> DeadLetter:
        return cls(
            id=strawberry.ID(letter.id),
            service=service,
            source=letter.source,
            event_id=letter.event_id,
            subject=letter.subject,
            error=letter.error,
            attempts=letter.attempts,
            created_at=timestamp_from_proto(letter.created_at),
            resolution=letter.resolution or None,
            resolved_by=letter.resolved_by or None,
            resolved_at=timestamp_from_proto(letter.resolved_at),
            reason=letter.reason or None,
            actor=letter.actor,
            correlation_id=letter.correlation_id,
            payload_type=letter.payload_type,
            size_bytes=letter.size_bytes,
        )


@strawberry.input
class ReplayDeadLetterInput:
    service: SuiteService
    id: strawberry.ID


@strawberry.input
class DiscardDeadLetterInput:
    service: SuiteService
    id: strawberry.ID
    reason: str = strawberry.field(description="Required: why the event is dropped.")


@strawberry.type
class DeadLetterPayload:
    dead_letter: DeadLetter | None
    user_errors: list[UserError]


def _stub(info: Info, service: SuiteService) -> Stub:
    return info.context.stubs.dead_letters[service.value]


@strawberry.type
class DeadLetterQuery:
    @described.field("A service's dead letters, oldest first: the open ones, or all with `includeResolved`.")
    async def dead_letters(
        self,
        info: Info,
        service: SuiteService,
        include_resolved: bool = False,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[DeadLetter]:
        require_role(info.context.identity, ADMINS, "reading dead letters")
        page = page_request(first, after)
        request = pb.ListDeadLettersRequest(
            include_resolved=include_resolved, page_size=page.size, page_token=page.token
        )
        reply = await call(lambda: _stub(info, service).ListDeadLetters(request))
        letters = [DeadLetter.from_proto(service, letter) for letter in reply.dead_letters]
        return connection(letters, page, reply.next_page_token)


@strawberry.type
class DeadLetterMutation:
    @described.mutation(
        "Publishes a dead letter's event again: consumers that applied it already do nothing. "
        "Replaying a replayed one answers it as it is."
    )
    async def replay_dead_letter(self, info: Info, input: ReplayDeadLetterInput) -> DeadLetterPayload:
        request = pb.ReplayDeadLetterRequest(id=input.id)
        proto, errors = await command(
            info, ADMINS, "replaying dead letters", lambda: _stub(info, input.service).ReplayDeadLetter(request)
        )
        return DeadLetterPayload(
            dead_letter=DeadLetter.from_proto(input.service, proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation("Closes a dead letter without replaying it, with the reason why.")
    async def discard_dead_letter(self, info: Info, input: DiscardDeadLetterInput) -> DeadLetterPayload:
        request = pb.DiscardDeadLetterRequest(id=input.id, reason=input.reason)
        proto, errors = await command(
            info, ADMINS, "discarding dead letters", lambda: _stub(info, input.service).DiscardDeadLetter(request)
        )
        return DeadLetterPayload(
            dead_letter=DeadLetter.from_proto(input.service, proto) if proto is not None else None, user_errors=errors
        )
