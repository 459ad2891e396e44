"""What the gateway tests share: tokens, settings, a running app and a fake catalog.

The fake catalog answers from memory, served by a real gRPC server on port 0.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import grpc
import httpx
from fastapi import FastAPI
from google.type import decimal_pb2

from gateway.auth import User, issue
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core import identity
from invariant_core.errors import DomainError, ErrorCode
from invariant_core.identity import Identity
from invariant_core.rpc import RpcServer, build_server
from invariant_core.settings import SERVICE_PORTS, Settings

SERVICE = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
StartGateway = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bearer(user: str = "alice", roles: tuple[str, ...] = ("supervisor",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(User(id=user, roles=frozenset(roles)), SECRET, timedelta(hours=1))}"}


def gateway_settings(catalog_addr: str, **env: str) -> Settings:
    """Every peer on a loopback port nobody listens on, the catalog on `catalog_addr`."""
    peers = {f"{name.upper()}_ADDR": f"127.0.0.1:{unused_port()}" for name in SERVICE_PORTS}
    return Settings.from_env("gateway", env={**peers, "CATALOG_ADDR": catalog_addr, "JWT_SECRET": SECRET, **env})


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan started, behind an HTTP client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def item(sku: str) -> catalog_pb2.Item:
    return catalog_pb2.Item(
        id=f"id-{sku}",
        sku=sku,
        name=f"Item {sku}",
        base_unit="PCS",
        standard_cost=decimal_pb2.Decimal(value="0.1"),
        status="ACTIVE",
    )


@dataclass
class FakeCatalog(catalog_pb2_grpc.CatalogServiceServicer):
    items: dict[str, catalog_pb2.Item] = field(default_factory=dict)
    boms: dict[str, catalog_pb2.BomVersion] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    callers: list[Identity] = field(default_factory=list)
    refusal: DomainError | None = None
    requests: list[object] = field(default_factory=list)
    port: int = 0

    def _record(self, method: str, request: object) -> None:
        self.calls[method] += 1
        self.callers.append(identity.current.get())
        self.requests.append(request)
        if self.refusal is not None:
            raise self.refusal

    async def GetItem(self, request: catalog_pb2.GetItemRequest, context: grpc.aio.ServicerContext) -> catalog_pb2.Item:
        self._record("GetItem", request)
        if request.sku not in self.items:
            raise DomainError(ErrorCode.NOT_FOUND, f"item {request.sku!r} does not exist", "sku")
        return self.items[request.sku]

    async def SearchItems(
        self, request: catalog_pb2.SearchItemsRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.SearchItemsResponse:
        self._record("SearchItems", request)
        matching = [self.items[sku] for sku in sorted(self.items) if sku.startswith(request.prefix)]
        start = int(request.page_token or 0)
        end = start + request.page_size
        next_token = str(end) if end < len(matching) else ""
        return catalog_pb2.SearchItemsResponse(items=matching[start:end], next_page_token=next_token)

    async def ConvertQuantity(
        self, request: catalog_pb2.ConvertQuantityRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ConvertQuantityResponse:
        self._record("ConvertQuantity", request)
        return catalog_pb2.ConvertQuantityResponse(
            quantity=decimal_pb2.Decimal(value="0.30000000000000000001"), unit=request.to_unit
        )

    async def GetBomVersion(
        self, request: catalog_pb2.GetBomVersionRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.BomVersion:
        self._record("GetBomVersion", request)
        if request.bom_id not in self.boms:
            raise DomainError(ErrorCode.NOT_FOUND, f"BOM {request.bom_id!r} does not exist", "bom_id")
        return self.boms[request.bom_id]

    async def CreateItem(
        self, request: catalog_pb2.CreateItemRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.Item:
        self._record("CreateItem", request)
        created = item(request.sku)
        self.items[request.sku] = created
        return created

    async def ExplodeBom(
        self, request: catalog_pb2.ExplodeBomRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ExplodeBomResponse:
        """Every item but the parent is a component, and a bolt appears on two paths."""
        self._record("ExplodeBom", request)
        components = sorted(sku for sku in self.items if sku != request.parent_sku)
        nodes = [
            catalog_pb2.ExplosionNode(level=1, path=[request.parent_sku, sku], component_sku=sku, bom_id="bom-1")
            for sku in [*components, *components]
        ]
        requirements = [catalog_pb2.Requirement(component_sku=sku, leaf=True) for sku in components]
        return catalog_pb2.ExplodeBomResponse(requirements=requirements, tree=nodes)

    async def WhereUsed(
        self, request: catalog_pb2.WhereUsedRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.WhereUsedResponse:
        self._record("WhereUsed", request)
        raise RuntimeError("the fake catalog broke")


def serve(fake: FakeCatalog) -> RpcServer:
    return build_server(
        "127.0.0.1",
        0,
        [lambda server: catalog_pb2_grpc.add_CatalogServiceServicer_to_server(fake, server)],
        [SERVICE],
        reflect=False,
    )
