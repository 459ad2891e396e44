"""The composition root: settings in, a FastAPI app with the GraphQL router out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter

from gateway.body_limit import BodyLimit
from gateway.context import Context, Stubs, build_context
from gateway.options import GatewayOptions
from gateway.schema import build_schema
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.counting.v1 import counting_pb2, counting_pb2_grpc
from invariant.operations.v1 import dead_letters_pb2
from invariant.operations.v1.dead_letters_pb2_grpc import DeadLetterServiceStub
from invariant.orders.v1 import orders_pb2, orders_pb2_grpc
from invariant.quality.v1 import quality_pb2, quality_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.rpc import channel
from invariant_core.settings import Settings

DEAD_LETTERS = dead_letters_pb2.DESCRIPTOR.services_by_name["DeadLetterService"].full_name
# The peers the gateway talks to, with the gRPC services it calls on each.
PEER_SERVICES = {
    "catalog": (catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name, DEAD_LETTERS),
    "stock": (stock_pb2.DESCRIPTOR.services_by_name["StockService"].full_name, DEAD_LETTERS),
    "orders": (orders_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name, DEAD_LETTERS),
    "quality": (quality_pb2.DESCRIPTOR.services_by_name["QualityService"].full_name, DEAD_LETTERS),
    "counting": (counting_pb2.DESCRIPTOR.services_by_name["CountingService"].full_name, DEAD_LETTERS),
}


@dataclass
class _Runtime:
    """What the lifespan opens; None outside it."""

    stubs: Stubs | None = None


def create_app(settings: Settings, options: GatewayOptions | None = None) -> FastAPI:
    options = options or GatewayOptions.from_env(settings)
    if not settings.jwt_secret:
        raise ValueError("JWT_SECRET must be set in production")
    runtime = _Runtime()
    # Health lists the services the gateway composes, not every port a service may one day use.
    peers = {name: settings.peers[name] for name in PEER_SERVICES}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        channels = {name: channel(settings.peers[name], services) for name, services in PEER_SERVICES.items()}
        # The generated gRPC module has no type stubs.
        catalog = catalog_pb2_grpc.CatalogServiceStub(channels["catalog"])  # type: ignore[no-untyped-call]
        stock = stock_pb2_grpc.StockServiceStub(channels["stock"])  # type: ignore[no-untyped-call]
        counting = counting_pb2_grpc.CountingServiceStub(channels["counting"])  # type: ignore[no-untyped-call]
        orders = orders_pb2_grpc.OrdersServiceStub(channels["orders"])  # type: ignore[no-untyped-call]
        quality = quality_pb2_grpc.QualityServiceStub(channels["quality"])  # type: ignore[no-untyped-call]
        dead_letters = {name: DeadLetterServiceStub(open_channel) for name, open_channel in channels.items()}  # type: ignore[no-untyped-call]
        runtime.stubs = Stubs(
            catalog=catalog, stock=stock, counting=counting, orders=orders, quality=quality, dead_letters=dead_letters
        )
        try:
            yield
        finally:
            runtime.stubs = None
            await asyncio.gather(*(open_channel.close() for open_channel in channels.values()))

    async def get_context(connection: HTTPConnection) -> Context:
        if runtime.stubs is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return build_context(connection, settings.jwt_secret, options.dev_user, runtime.stubs, peers)

    schema = build_schema(production=settings.production, introspection=options.graphiql)
    router: GraphQLRouter[Context, None] = GraphQLRouter(
        schema,
        path="/graphql",
        context_getter=get_context,
        graphql_ide="graphiql" if options.graphiql else None,
    )
    app = FastAPI(title="Invariant gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router)
    app.add_middleware(BodyLimit)
    return app
