from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from gateway.app import create_app
from gateway.options import GatewayOptions

from support import FakeCatalog, StartGateway, gateway_settings, running, serve


@pytest.fixture
async def fake_catalog() -> AsyncIterator[FakeCatalog]:
    fake = FakeCatalog()
    server = serve(fake)
    await server.start()
    fake.port = server.port
    yield fake
    await server.stop(grace=0)


@pytest.fixture
def start_gateway(fake_catalog: FakeCatalog) -> StartGateway:
    """`async with start_gateway(**env) as client`: a gateway in front of the fake catalog."""

    def start(**env: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        settings = gateway_settings(f"127.0.0.1:{fake_catalog.port}", **env)
        return running(create_app(settings, GatewayOptions.from_env(settings, env)))

    return start
