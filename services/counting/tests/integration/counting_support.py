"""Helpers for the counting tests: people with roles, items with stock, and a count's steps."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import grpc
import nats
from google.type.decimal_pb2 import Decimal as PbDecimal

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from catalog.bootstrap import SPEC as CATALOG_SPEC
from counting.bootstrap import SERVICE_NAME as COUNTING_SERVICE
from counting.bootstrap import SPEC as COUNTING_SPEC
from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc
from invariant.stock.v1 import stock_pb2 as spb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.settings import Settings
from invariant_core.testing import DatabaseFactory, EventBus
from invariant_kernel.errors import DomainError
from stock.bootstrap import SERVICE_NAME as STOCK_SERVICE
from stock.bootstrap import SPEC as STOCK_SPEC

WAREHOUSE = "WH1"


def d(value: str | int | Decimal) -> PbDecimal:
    return PbDecimal(value=str(value))


def key() -> str:
    return str(uuid.uuid4())


@contextmanager
def acting(actor: str, *roles: str) -> Iterator[None]:
    with identity.acting(identity.Identity(actor=actor, roles=frozenset(roles))):
        yield


async def refused(call: Any) -> DomainError:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return rpc.from_rpc_error(error)
    raise AssertionError("the call was not refused")


async def create_item(suite: Any, cost: str = "2", barcode: str = "") -> str:
    sku = f"C-{uuid.uuid4().hex[:10].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name="Counted item",
            base_unit="EA",
            units=[cpb.UnitConversion(unit="BOX", factor=d(12))],
            barcodes=[cpb.Barcode(code=barcode, symbology="OTHER")] if barcode else [],
            standard_cost=d(cost),
        )
    )
    return sku


async def create_warehouse(suite: Any, locations: Sequence[str] = ("A-01", "A-02")) -> None:
    await suite.stock.CreateWarehouse(spb.CreateWarehouseRequest(idempotency_key=key(), code=WAREHOUSE, name="Main"))
    for location in locations:
        await suite.stock.CreateLocation(
            spb.CreateLocationRequest(idempotency_key=key(), warehouse=WAREHOUSE, code=location)
        )


def place(location: str = "A-01") -> spb.StockPlace:
    return spb.StockPlace(warehouse=WAREHOUSE, location=location, status=spb.STOCK_STATUS_AVAILABLE)


async def receive(suite: Any, sku: str, quantity: int | str, location: str = "A-01") -> spb.Movement:
    return await suite.stock.PostMovement(
        spb.PostMovementRequest(
            idempotency_key=key(),
            type=spb.MOVEMENT_TYPE_RECEIPT,
            item_sku=sku,
            quantity=d(quantity),
            to=place(location),
        )
    )


async def book(suite: Any, sku: str, location: str = "A-01") -> Decimal:
    balances = await suite.stock.ListBalances(
        spb.ListBalancesRequest(item_sku=sku, warehouse=WAREHOUSE, location=location)
    )
    return sum(
        (Decimal(b.quantity.value) for b in balances.balances if b.place.status == spb.STOCK_STATUS_AVAILABLE),
        Decimal(0),
    )


async def create_count(suite: Any, **fields: Any) -> pb.Count:
    request = pb.CreateCountRequest(idempotency_key=key(), warehouse=WAREHOUSE, **({"kind": "SPOT"} | fields))
    return await suite.counting.CreateCount(request)


async def open_count(suite: Any, count_id: str) -> pb.Count:
    return await suite.counting.OpenCount(pb.OpenCountRequest(idempotency_key=key(), count_id=count_id))


async def lines(suite: Any, count_id: str) -> list[pb.CountLine]:
    found: list[pb.CountLine] = []
    token = ""
    while True:
        # A count's lines come a thousand to a page at most, ten times other lists' pages.
        page = await suite.counting.ListLines(pb.ListLinesRequest(count_id=count_id, page_size=1000, page_token=token))
        found.extend(page.lines)
        token = page.next_page_token
        if not token:
            return found


async def enter(suite: Any, count_id: str, line_id: str, quantity: int | str, unit: str = "") -> pb.AcceptedEntry:
    answer = await suite.counting.SubmitEntries(
        pb.SubmitEntriesRequest(
            count_id=count_id, entries=[pb.Entry(entry_id=key(), line_id=line_id, quantity=d(quantity), unit=unit)]
        )
    )
    return answer.entries[0]


async def finish(suite: Any, count_id: str) -> pb.Count:
    return await suite.counting.FinishRound(pb.FinishRoundRequest(idempotency_key=key(), count_id=count_id))


@dataclass
class Suite:
    """Catalog, stock and counting, each on its own database, talking over gRPC and NATS."""

    catalog: catalog_pb2_grpc.CatalogServiceStub
    stock: stock_pb2_grpc.StockServiceStub
    counting: counting_pb2_grpc.CountingServiceStub
    events: EventBus
    stock_running: runtime.Running
    stock_settings: Settings


@asynccontextmanager
async def running_suite(new_database: DatabaseFactory, events: EventBus) -> AsyncIterator[Suite]:
    catalog = await runtime.start(
        CATALOG_SPEC,
        Settings.from_env(
            "catalog", env={"DATABASE_URL": await new_database("catalog"), **events.env, "GRPC_PORT": "0"}
        ),
    )
    peers = {"CATALOG_ADDR": f"127.0.0.1:{catalog.port}"}
    stock_settings = Settings.from_env(
        "stock", env={"DATABASE_URL": await new_database("stock"), **events.env, "GRPC_PORT": "0", **peers}
    )
    stock = await runtime.start(STOCK_SPEC, stock_settings)
    # A fixed port, so that a stock service restarted by a test is found at the same address.
    stock_settings = dataclasses.replace(stock_settings, grpc_port=stock.port)
    counting = await runtime.start(
        COUNTING_SPEC,
        Settings.from_env(
            "counting",
            env={
                "DATABASE_URL": await new_database("counting"),
                **events.env,
                "GRPC_PORT": "0",
                "STOCK_ADDR": f"127.0.0.1:{stock.port}",
                **peers,
            },
        ),
    )
    channels = [
        rpc.channel(f"127.0.0.1:{catalog.port}", [CATALOG_SERVICE]),
        rpc.channel(f"127.0.0.1:{stock.port}", [STOCK_SERVICE]),
        rpc.channel(f"127.0.0.1:{counting.port}", [COUNTING_SERVICE]),
    ]
    suite = Suite(
        catalog_pb2_grpc.CatalogServiceStub(channels[0]),  # type: ignore[no-untyped-call]
        stock_pb2_grpc.StockServiceStub(channels[1]),  # type: ignore[no-untyped-call]
        counting_pb2_grpc.CountingServiceStub(channels[2]),  # type: ignore[no-untyped-call]
        events,
        stock,
        stock_settings,
    )
    try:
        with identity.acting(identity.Identity(actor="setup", roles=frozenset({"admin"}))):
            yield suite
    finally:
        for channel in channels:
            await channel.close()
        await counting.stop()
        await suite.stock_running.stop()
        await catalog.stop()


async def caught_up(suite: Suite, durable: str) -> bool:
    """Whether counting's consumer `durable` has applied every event on the bus."""
    client = await nats.connect(suite.events.url)
    try:
        info = await client.jetstream().consumer_info(suite.events.stream.name, durable)
    finally:
        await client.close()
    return not info.num_pending and not info.num_ack_pending


async def is_posted(suite: Suite, count_id: str) -> bool:
    count = await suite.counting.GetCount(pb.GetCountRequest(count_id=count_id))
    return bool(count.state == "POSTED")
