"""Helpers for the orders tests: catalog, stock and orders on their own databases, over gRPC."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

import grpc
from google.type.decimal_pb2 import Decimal as PbDecimal

from catalog.bootstrap import SPEC as CATALOG_SPEC
from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.orders.v1 import orders_pb2 as pb
from invariant.orders.v1 import orders_pb2_grpc
from invariant.stock.v1 import stock_pb2 as spb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.settings import Settings
from invariant_core.testing import DatabaseFactory, EventBus
from invariant_kernel.errors import DomainError
from orders.bootstrap import SPEC as ORDERS_SPEC
from stock.bootstrap import SPEC as STOCK_SPEC

WAREHOUSE = "WH1"


def d(value: str | int | Decimal) -> PbDecimal:
    return PbDecimal(value=str(value))


def key() -> str:
    return str(uuid.uuid4())


@dataclass
class Suite:
    catalog: catalog_pb2_grpc.CatalogServiceStub
    stock: stock_pb2_grpc.StockServiceStub
    orders: orders_pb2_grpc.OrdersServiceStub
    events: EventBus
    orders_db: str


@asynccontextmanager
async def running_suite(new_database: DatabaseFactory, events: EventBus) -> AsyncIterator[Suite]:
    """Each service started in this process on a port of its own; orders finds the others by address."""
    async with AsyncExitStack() as stack:
        peers: dict[str, str] = {}
        channels = {}
        databases = {}
        for spec in (CATALOG_SPEC, STOCK_SPEC, ORDERS_SPEC):
            databases[spec.name] = await new_database(spec.name)
            env = {"DATABASE_URL": databases[spec.name], **events.env, "GRPC_PORT": "0", **peers}
            running = await runtime.start(spec, Settings.from_env(spec.name, env=env))
            stack.push_async_callback(running.stop)
            peers[f"{spec.name.upper()}_ADDR"] = f"127.0.0.1:{running.port}"
            channels[spec.name] = rpc.channel(f"127.0.0.1:{running.port}", spec.grpc_services)
            stack.push_async_callback(channels[spec.name].close)
        suite = Suite(
            catalog_pb2_grpc.CatalogServiceStub(channels["catalog"]),  # type: ignore[no-untyped-call]
            stock_pb2_grpc.StockServiceStub(channels["stock"]),  # type: ignore[no-untyped-call]
            orders_pb2_grpc.OrdersServiceStub(channels["orders"]),  # type: ignore[no-untyped-call]
            events,
            databases["orders"],
        )
        with identity.acting(identity.Identity(actor="desk", roles=frozenset({"sales"}))):
            yield suite


async def stocked_item(suite: Suite, on_hand: int | str, barcode: str = "") -> str:
    """A new item (EA, boxes of 12) with `on_hand` available in the warehouse."""
    sku = f"O-{uuid.uuid4().hex[:10].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name="Sold item",
            base_unit="EA",
            units=[cpb.UnitConversion(unit="BOX", factor=d(12))],
            barcodes=[cpb.Barcode(code=barcode, symbology="OTHER")] if barcode else [],
        )
    )
    if Decimal(on_hand):
        await receive(suite, sku, on_hand)
    return sku


async def receive(suite: Suite, sku: str, quantity: int | str, location: str = "A-01") -> spb.Movement:
    """Goods received into AVAILABLE stock at a location of the warehouse."""
    into = spb.StockPlace(warehouse=WAREHOUSE, location=location, status=spb.STOCK_STATUS_AVAILABLE)
    receipt = spb.PostMovementRequest(
        idempotency_key=key(), type=spb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d(quantity), to=into
    )
    return await suite.stock.PostMovement(receipt)


async def warehouse(suite: Suite) -> None:
    await suite.stock.CreateWarehouse(spb.CreateWarehouseRequest(idempotency_key=key(), code=WAREHOUSE, name="Main"))
    await suite.stock.CreateLocation(spb.CreateLocationRequest(idempotency_key=key(), warehouse=WAREHOUSE, code="A-01"))


async def customer(suite: Suite) -> str:
    code = f"C{uuid.uuid4().hex[:8].upper()}"
    await suite.orders.CreateCustomer(pb.CreateCustomerRequest(idempotency_key=key(), code=code, name="Customer"))
    return code


async def order(
    suite: Suite,
    customer_code: str,
    lines: Sequence[tuple[str, int | str]],
    policy: int = pb.PROMISE_POLICY_ALL_OR_NOTHING,
    unit: str = "",
) -> pb.SalesOrder:
    return await suite.orders.CreateSalesOrder(
        pb.CreateSalesOrderRequest(
            idempotency_key=key(),
            customer=customer_code,
            policy=policy,
            lines=[pb.SalesOrderLineInput(item_sku=s, quantity=d(q), unit=unit, warehouse=WAREHOUSE) for s, q in lines],
        )
    )


async def available(suite: Suite, sku: str) -> Decimal:
    found = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
    return Decimal(found.available_to_promise.value or "0")


async def refused(call: object) -> DomainError:
    """The refusal a call to a service ends in, as the service raised it; fails when there is none."""
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        return rpc.from_rpc_error(error)
    raise AssertionError("the call was not refused")
