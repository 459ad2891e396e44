from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest

from catalog.bootstrap import SERVICE_NAME, SPEC
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.settings import Settings
from invariant_core.testing import EventBus


@dataclass
class CatalogUnderTest:
    running: runtime.Running
    stub: catalog_pb2_grpc.CatalogServiceStub
    channel: grpc.aio.Channel
    settings: Settings


async def start_catalog(database_url: str, events: EventBus) -> CatalogUnderTest:
    settings = Settings.from_env("catalog", env={"DATABASE_URL": database_url, **events.env, "GRPC_PORT": "0"})
    running = await runtime.start(SPEC, settings)
    channel = rpc.channel(f"127.0.0.1:{running.port}", [SERVICE_NAME])
    return CatalogUnderTest(running, catalog_pb2_grpc.CatalogServiceStub(channel), channel, settings)


@pytest.fixture
async def catalog(new_database, event_bus: EventBus) -> AsyncIterator[CatalogUnderTest]:  # type: ignore[no-untyped-def]
    service = await start_catalog(await new_database("catalog"), event_bus)
    with identity.acting(identity.Identity(actor="tester", roles=frozenset({"admin"}))):
        yield service
    await service.channel.close()
    await service.running.stop()
