from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from gateway.app import create_app
from gateway.options import GatewayOptions

from support import Catalog, StartGateway, gateway_settings, running, start_catalog


@pytest.fixture
async def catalog(new_database, nats_url: str) -> AsyncIterator[Catalog]:  # type: ignore[no-untyped-def]
    """The real catalog service on a fresh database, counting the calls it answers."""
    started = await start_catalog(await new_database("catalog"), nats_url)
    yield started
    await started.stop()


@pytest.fixture
def start_gateway(catalog: Catalog) -> StartGateway:
    """`async with start_gateway(**env) as client`: a gateway in front of the real catalog."""

    def start(**env: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        settings = gateway_settings(catalog.address, **env)
        return running(create_app(settings, GatewayOptions.from_env(settings, env)))

    return start
