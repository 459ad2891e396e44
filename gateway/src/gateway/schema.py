"""The graph: every service's part merged, behind the gateway's limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway import described
from gateway.catalog.mutations import CatalogMutation
from gateway.catalog.queries import CatalogQuery
from gateway.context import Info
from gateway.counting.mutations import CountingMutation
from gateway.counting.queries import CountingQuery
from gateway.dead_letters import DeadLetterMutation, DeadLetterQuery
from gateway.errors import DomainErrorExtensions, is_unexpected
from gateway.guard import Authentication
from gateway.health import HealthQuery
from gateway.scalars import SCALARS
from gateway.stock.mutations import StockMutation
from gateway.stock.queries import StockQuery

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Refusals and invalid documents are answered to the client; only the unexpected needs a log line.
        super().process_errors([error for error in errors if is_unexpected(error)], execution_context)


@strawberry.type(description="What can be read: every service's part of the graph.")
class Query(HealthQuery, CatalogQuery, StockQuery, CountingQuery, DeadLetterQuery):
    # A resolver of its own rather than `relay.node()`, whose field takes its resolver once and
    # fails the second schema built from this class (every app builds one).
    @described.field(
        "Any object by its global `id`, whatever its type: what Relay refetches and caches normalize by; null when "
        "it no longer exists."
    )
    async def node(
        self, info: Info, id: Annotated[relay.GlobalID, strawberry.argument(description="The ID of the object.")]
    ) -> relay.Node | None:
        found: relay.Node | None = await id.resolve_node(info, required=False)
        return found


@strawberry.type(
    description="What can be done. Every mutation takes one `input` and answers refusals as `userErrors`. Sent "
    "again with the same `idempotencyKey` (an entry's `entryId` for count entries), it answers what it answered "
    "the first time without doing it twice."
)
class Mutation(CatalogMutation, StockMutation, CountingMutation, DeadLetterMutation):
    pass


def build_schema(*, production: bool, introspection: bool) -> strawberry.Schema:
    # Factories, not instances: strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension]] = [
        Authentication,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        DomainErrorExtensions,
    ]
    if production:
        extensions.append(lambda: MaskErrors(should_mask_error=is_unexpected))
    if not introspection:
        extensions.append(DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
