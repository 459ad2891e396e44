"""The typed GraphQL context: who is asking, the service stubs, per-request loaders."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import strawberry
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from gateway.auth import InvalidTokenError, User, verify
from gateway.catalog.loaders import CatalogLoaders
from gateway.stock.loaders import StockLoaders
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.counting.v1 import counting_pb2_grpc
from invariant.operations.v1 import dead_letters_pb2_grpc
from invariant.orders.v1 import orders_pb2_grpc
from invariant.quality.v1 import quality_pb2_grpc
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core.identity import Identity
from invariant_kernel import limits

CORRELATION_HEADER = "x-correlation-id"


@dataclass(frozen=True)
class Stubs:
    """gRPC stubs over the channels the app's lifespan opened."""

    catalog: catalog_pb2_grpc.CatalogServiceStub
    stock: stock_pb2_grpc.StockServiceStub
    counting: counting_pb2_grpc.CountingServiceStub
    orders: orders_pb2_grpc.OrdersServiceStub
    quality: quality_pb2_grpc.QualityServiceStub
    # Every service serves its dead letters beside its own API, by service name.
    dead_letters: Mapping[str, dead_letters_pb2_grpc.DeadLetterServiceStub]


class Context(BaseContext):
    def __init__(
        self,
        identity: Identity,
        unauthenticated_reason: str | None,
        stubs: Stubs,
        peers: Mapping[str, str],
    ) -> None:
        super().__init__()
        self.identity = identity
        # Why the request acts as nobody (None once a user is known); the guard
        # refuses every non-public field with this message.
        self.unauthenticated_reason = unauthenticated_reason
        self.stubs = stubs
        self.peers = peers
        self.catalog_loaders = CatalogLoaders.create(stubs.catalog)
        self.stock_loaders = StockLoaders.create(stubs.stock)


Info = strawberry.Info[Context, None]


def build_context(
    connection: HTTPConnection, secret: str, dev_user: User | None, stubs: Stubs, peers: Mapping[str, str]
) -> Context:
    user, reason = authenticate(connection.headers.get("authorization", ""), secret, dev_user)
    identity = Identity(
        actor=user.id if user else "",
        roles=user.roles if user else frozenset(),
        correlation_id=correlation_id(connection.headers.get(CORRELATION_HEADER, "")),
    )
    return Context(identity=identity, unauthenticated_reason=reason, stubs=stubs, peers=peers)


def authenticate(header: str, secret: str, dev_user: User | None) -> tuple[User | None, str | None]:
    if not header:
        if dev_user is not None:
            return dev_user, None
        return None, "a bearer token is required: send the header 'Authorization: Bearer <token>'"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "the Authorization header must be 'Bearer <token>'"
    try:
        return verify(token.strip(), secret), None
    except InvalidTokenError as error:
        return None, str(error)


def correlation_id(sent: str) -> str:
    """The client's correlation id when it is reasonable to log, else a new one."""
    sent = sent.strip()
    if sent and len(sent) <= limits.ID and sent.isprintable():
        return sent
    return str(uuid.uuid4())
