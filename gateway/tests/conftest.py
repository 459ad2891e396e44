from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from gateway.app import create_app
from gateway.options import GatewayOptions
from invariant_core.testing import EventBus

from support import (
    Catalog,
    Service,
    StartGateway,
    gateway_settings,
    running,
    start_catalog,
    start_counting,
    start_orders,
    start_quality,
    start_stock,
)


@pytest.fixture
async def catalog(new_database, event_bus: EventBus) -> AsyncIterator[Catalog]:  # type: ignore[no-untyped-def]
    """The real catalog service on a fresh database, counting the calls it answers."""
    started = await start_catalog(await new_database("catalog"), event_bus)
    yield started
    await started.stop()


@pytest.fixture
async def stock(new_database, event_bus: EventBus, catalog: Catalog) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    """The real stock service on a fresh database, reading items from the real catalog."""
    started = await start_stock(await new_database("stock"), event_bus, catalog.address)
    yield started
    await started.stop()


@pytest.fixture
async def counting(new_database, event_bus: EventBus, catalog: Catalog, stock: Service) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    """The real counting service on a fresh database, reading items from the catalog and the book from stock."""
    started = await start_counting(await new_database("counting"), event_bus, catalog.address, stock.address)
    yield started
    await started.stop()


@pytest.fixture
async def orders(new_database, event_bus: EventBus, catalog: Catalog, stock: Service) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    """The real orders service on a fresh database, reading items from the catalog and reserving through stock."""
    started = await start_orders(await new_database("orders"), event_bus, catalog.address, stock.address)
    yield started
    await started.stop()


@pytest.fixture
async def quality(new_database, event_bus: EventBus, catalog: Catalog, stock: Service) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    """The real quality service on a fresh database, opening lots for what stock puts on hold."""
    started = await start_quality(await new_database("quality"), event_bus, catalog.address, stock.address)
    yield started
    await started.stop()


@pytest.fixture
def start_gateway(catalog: Catalog) -> StartGateway:
    """`async with start_gateway(**env) as client`: a gateway in front of the real catalog.

    The stock, orders, quality and counting services are behind it when a test passes STOCK_ADDR=stock.address,
    ORDERS_ADDR=orders.address, QUALITY_ADDR=quality.address and COUNTING_ADDR=counting.address.
    """

    def start(**env: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        settings = gateway_settings(catalog.address, **env)
        return running(create_app(settings, GatewayOptions.from_env(settings, env)))

    return start
