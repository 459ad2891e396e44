from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from catalog.bootstrap import SPEC as CATALOG_SPEC
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.settings import Settings
from stock.bootstrap import SERVICE_NAME, SPEC


@dataclass
class StockUnderTest:
    stock: stock_pb2_grpc.StockServiceStub
    catalog: catalog_pb2_grpc.CatalogServiceStub
    running: runtime.Running


@pytest.fixture
async def services(new_database, nats_url: str) -> AsyncIterator[StockUnderTest]:  # type: ignore[no-untyped-def]
    """The stock service and the catalog it reads items from, each on its own database."""
    catalog = await runtime.start(
        CATALOG_SPEC,
        Settings.from_env(
            "catalog", env={"DATABASE_URL": await new_database("catalog"), "NATS_URL": nats_url, "GRPC_PORT": "0"}
        ),
    )
    stock = await runtime.start(
        SPEC,
        Settings.from_env(
            "stock",
            env={
                "DATABASE_URL": await new_database("stock"),
                "NATS_URL": nats_url,
                "GRPC_PORT": "0",
                "CATALOG_ADDR": f"127.0.0.1:{catalog.port}",
            },
        ),
    )
    token = identity.current.set(identity.Identity(actor="tester", roles=frozenset({"admin"})))
    stock_channel = rpc.channel(f"127.0.0.1:{stock.port}", [SERVICE_NAME])
    catalog_channel = rpc.channel(f"127.0.0.1:{catalog.port}", [CATALOG_SERVICE])
    yield StockUnderTest(
        stock_pb2_grpc.StockServiceStub(stock_channel),  # type: ignore[no-untyped-call]
        catalog_pb2_grpc.CatalogServiceStub(catalog_channel),  # type: ignore[no-untyped-call]
        stock,
    )
    identity.current.reset(token)
    await stock_channel.close()
    await catalog_channel.close()
    await stock.stop()
    await catalog.stop()
