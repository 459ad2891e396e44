"""Domain errors become GraphQL errors here, and only here.

Mutations return them as data (`userErrors`), next to the result; queries raise
them and they reach the client as errors whose `extensions` carry the same
`code` and `field`. Anything else is unexpected and is masked in production.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TypeVar

import grpc
import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from invariant_core.rpc import from_rpc_error
from invariant_kernel.errors import DomainError, ErrorCode

T = TypeVar("T")

# Registers the shared enum itself with GraphQL, so that both sides name the same codes.
strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="Stable error codes, the same in gRPC and GraphQL: `userErrors[].code` in a mutation's answer, "
    "`extensions.code` on a query's error.",
)
# What each code means to a client. The enum is the kernel's, which knows nothing of GraphQL:
# its values are described here, where the graph is.
_MEANINGS = {
    ErrorCode.REQUIRED: "A required value is missing or empty.",
    ErrorCode.INVALID_FORMAT: "A value is not in the form the field takes (a code, a number, a date, a cursor).",
    ErrorCode.OUT_OF_RANGE: "A value is outside what the field allows (a negative quantity, a page too large).",
    ErrorCode.MUTUALLY_EXCLUSIVE: "Two values were given that exclude each other (`first` with `last`).",
    ErrorCode.TOO_PRECISE: "A quantity has more decimal places than its unit keeps.",
    ErrorCode.NOT_FOUND: "What the request names does not exist.",
    ErrorCode.ALREADY_EXISTS: "Something with this code exists already.",
    ErrorCode.INVALID_STATE: "Not allowed in the state it is in (a posted count cannot be cancelled).",
    ErrorCode.CYCLE: "The change would make a bill of materials contain itself.",
    ErrorCode.INSUFFICIENT_STOCK: "Less is available than asked; the message says how much there is.",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "This idempotency key was used before for a different request.",
    ErrorCode.UNAUTHENTICATED: "No valid token: sign in again.",
    ErrorCode.PERMISSION_DENIED: "The user's roles do not allow it.",
    ErrorCode.UNAVAILABLE: "A service could not be reached in time; retry with the same idempotency key.",
}
for _value in ErrorCode.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = _MEANINGS[ErrorCode(_value.value)]

_SNAKE = re.compile(r"_([a-z0-9])")


def graphql_field(service_field: str) -> str:
    """The service's snake_case field path in GraphQL's camelCase: units[1].unit_code -> units[1].unitCode."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), service_field)


@strawberry.type(description="Why a mutation was refused; nothing was written.")
class UserError:
    field: str | None = strawberry.field(description="The input field concerned, e.g. `units[1].factor`.")
    message: str = strawberry.field(description="What was wrong, for a person: names the field and the rule.")
    code: ErrorCode = strawberry.field(description="What was wrong, for a program: branch on this, not on the message.")

    @classmethod
    def from_domain(cls, error: DomainError, fields: Mapping[str, str] | None = None) -> UserError:
        field = (fields or {}).get(error.field, error.field)
        return cls(field=graphql_field(field) or None, message=error.message, code=error.code)


async def call(send: Callable[[], Awaitable[T]]) -> T:
    """Await a gRPC call; a refusal by the service is raised as its DomainError."""
    try:
        return await send()
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from error


async def call_or_none(send: Callable[[], Awaitable[T]]) -> T | None:
    """Like `call`, with None for NOT_FOUND: a lookup of something absent is not an error."""
    try:
        return await call(send)
    except DomainError as error:
        if error.code is ErrorCode.NOT_FOUND:
            return None
        raise


async def attempt(
    send: Callable[[], Awaitable[T]], fields: Mapping[str, str] | None = None
) -> tuple[T | None, list[UserError]]:
    """Run a command; a DomainError becomes user errors instead of an exception.

    `fields` renames the service's fields that the mutation's input names otherwise
    (a receipt's `to.location` is its input's `location`).
    """
    try:
        return await send(), []
    except DomainError as error:
        return None, [UserError.from_domain(error, fields)]


def is_unexpected(error: GraphQLError) -> bool:
    """Errors raised while resolving, other than domain errors; parse and validation errors are the client's."""
    return error.path is not None and not isinstance(error.original_error, DomainError)


class DomainErrorExtensions(SchemaExtension):
    """Put a query's DomainError code and field into the GraphQL error's extensions."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {"code": original.code.value, "field": graphql_field(original.field) or None}
