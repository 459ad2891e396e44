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
strawberry.enum(ErrorCode, name="ErrorCode", description="Stable error codes, the same in gRPC and GraphQL.")

_SNAKE = re.compile(r"_([a-z0-9])")


def graphql_field(service_field: str) -> str:
    """The service's snake_case field path in GraphQL's camelCase: units[1].unit_code -> units[1].unitCode."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), service_field)


@strawberry.type(description="Why a mutation was refused; nothing was written.")
class UserError:
    field: str | None = strawberry.field(description="The input field concerned, e.g. `units[1].factor`.")
    message: str
    code: ErrorCode

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
