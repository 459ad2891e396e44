"""The graph: every service's part merged, behind the gateway's limits."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.catalog.mutations import CatalogMutation
from gateway.catalog.queries import CatalogQuery
from gateway.counting.mutations import CountingMutation
from gateway.counting.queries import CountingQuery
from gateway.dead_letters import DeadLetterMutation, DeadLetterQuery
from gateway.errors import DomainErrorExtensions, is_unexpected
from gateway.guard import Authentication
from gateway.health import HealthQuery
from gateway.nodes import NodeQuery
from gateway.one_of import OneOfRefusals
from gateway.orders.fulfilment_mutations import FulfilmentMutation
from gateway.orders.fulfilment_queries import FulfilmentQuery
from gateway.orders.mutations import OrdersMutation
from gateway.orders.purchasing_mutations import PurchasingMutation
from gateway.orders.purchasing_queries import PurchasingQuery
from gateway.orders.queries import OrdersQuery
from gateway.orders.work_orders_mutations import WorkOrdersMutation
from gateway.orders.work_orders_queries import WorkOrdersQuery
from gateway.quality.mutations import QualityMutation
from gateway.quality.queries import QualityQuery
from gateway.quality.types import CHARACTERISTIC_KINDS
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
class Query(
    HealthQuery,
    NodeQuery,
    CatalogQuery,
    StockQuery,
    OrdersQuery,
    PurchasingQuery,
    FulfilmentQuery,
    WorkOrdersQuery,
    QualityQuery,
    CountingQuery,
    DeadLetterQuery,
):
    pass


@strawberry.type(
    description="What can be done. Every mutation takes one `input` and answers refusals as `userErrors`. Sent "
    "again with the same `idempotencyKey` (an entry's `entryId` for count entries), it answers what it answered "
    "the first time without doing it twice."
)
class Mutation(
    CatalogMutation,
    StockMutation,
    OrdersMutation,
    PurchasingMutation,
    FulfilmentMutation,
    WorkOrdersMutation,
    QualityMutation,
    CountingMutation,
    DeadLetterMutation,
):
    pass


# The limits' validation rules, made once: the validation cache keys on the rules as well as on
# the document, so a rule class made afresh per request would never let it hit.
LIMITS = (
    query_depth_limiter.create_validator(MAX_DEPTH, should_ignore=None),
    max_aliases.create_validator(MAX_ALIASES),
)
# Front ends send the same few documents again and again: each is parsed and validated once,
# as long as it stays among the most recent of these (checking one costs more than executing it).
CACHED_DOCUMENTS = 256


def build_schema(*, production: bool, introspection: bool) -> strawberry.Schema:
    # Factories, not instances: strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension]] = [
        Authentication,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: AddValidationRules(list(LIMITS)),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        DomainErrorExtensions,
        OneOfRefusals,
    ]
    if production:
        extensions.append(lambda: MaskErrors(should_mask_error=is_unexpected))
    if not introspection:
        extensions.append(DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=CHARACTERISTIC_KINDS,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
