"""Sales order confirmations through the orders service, against the same reservations sent
straight to stock.

Starts catalog, stock and orders as real processes on PostgreSQL (BENCH_DATABASE_URL, default the local
server) with embedded NATS. Every order has 5 lines of items spread over 1,000 items, each
holding far more than is asked. 64 concurrent clients confirm orders through the orders
service, which reserves each order's lines in one Reserve call to stock; the baseline is
the same 5-line Reserve calls sent by 64 clients straight to stock, in the same run.
Afterwards stock's integrity check must report no drift, and stock must hold exactly what
the confirmed orders say they were promised. Writes bench/results/orders.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from decimal import Decimal
from functools import partial
from pathlib import Path

from bench_stock import measure, percentile, quantity, seed_service, sku
from postgres import settle
from running import started

from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.orders.v1 import orders_pb2, orders_pb2_grpc
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc
from invariant_core.testing import scratch_databases

ITEMS = 1000
ORDERS = 2000
WARM = 500
LINES = 5
WAREHOUSE = "BENCH"
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).parent / "results" / "orders.json"
BENCH = identity.Identity(actor="bench", roles=frozenset({"admin"}))


def order_skus(n: int) -> list[str]:
    """The 5 items of order n: apart, so that two orders rarely share all their rows."""
    return [sku((n * LINES + line * 197) % ITEMS) for line in range(LINES)]


async def create_orders(orders: orders_pb2_grpc.OrdersServiceStub, run: str, count: int) -> list[str]:
    """`count` DRAFT orders, created by 64 clients; their numbers in order."""
    numbers: list[str] = [""] * count

    async def create(n: int) -> bool:
        created = await orders.CreateSalesOrder(
            orders_pb2.CreateSalesOrderRequest(
                idempotency_key=f"{run}-create-{n}",
                customer="BENCH",
                lines=[
                    orders_pb2.SalesOrderLineInput(item_sku=s, quantity=quantity(1), warehouse=WAREHOUSE)
                    for s in order_skus(n)
                ],
            )
        )
        numbers[n] = created.number
        return True

    await measure(create, count)
    return numbers


async def compare(
    orders: orders_pb2_grpc.OrdersServiceStub, stock: stock_pb2_grpc.StockServiceStub, stock_dsn: str, orders_dsn: str
) -> dict[str, float | int]:
    await orders.CreateCustomer(orders_pb2.CreateCustomerRequest(idempotency_key="customer", code="BENCH", name="B"))
    warm = await create_orders(orders, "warm", WARM)

    async def confirm(numbers: list[str], n: int) -> bool:
        await orders.ConfirmSalesOrder(
            orders_pb2.ConfirmSalesOrderRequest(idempotency_key=f"confirm-{numbers[n]}", number=numbers[n])
        )
        return True

    async def reserve(n: int) -> bool:
        await stock.Reserve(
            pb.ReserveRequest(
                idempotency_key=f"baseline-{n}",
                lines=[
                    pb.ReservationLine(item_sku=s, warehouse=WAREHOUSE, quantity=quantity(1)) for s in order_skus(n)
                ],
                owner=pb.DocumentRef(type="SALES_ORDER", id=f"BASE-{n}"),
            )
        )
        return True

    await measure(partial(confirm, warm), WARM)  # connections, caches and the item replicas
    numbers = await create_orders(orders, "run", ORDERS)
    await settle(stock_dsn)
    await settle(orders_dsn)
    baseline_rps, baseline_latency, _ = await measure(reserve, ORDERS)
    await settle(stock_dsn)
    service_rps, service_latency, confirmed = await measure(partial(confirm, numbers), ORDERS)
    promised = Decimal(0)
    for start in range(0, ORDERS, 100):
        found = await orders.GetSalesOrders(orders_pb2.GetSalesOrdersRequest(numbers=numbers[start : start + 100]))
        promised += sum((Decimal(line.reserved.value) for o in found.orders for line in o.lines), Decimal(0))
    reserved = Decimal(0)
    for n in range(ITEMS):
        held = await stock.GetAvailability(pb.GetAvailabilityRequest(item_sku=sku(n), warehouse=WAREHOUSE))
        reserved += Decimal(held.reserved.value or "0")
    # Stock holds the warm-up's orders, the baseline's and the run's: a unit a line.
    expected = promised + (WARM + ORDERS) * LINES
    report = await stock.CheckIntegrity(pb.CheckIntegrityRequest())
    return {
        "confirm_rps": round(service_rps, 1),
        "confirm_baseline_rps": round(baseline_rps, 1),
        "confirm_ratio": round(service_rps / baseline_rps, 3),
        "confirm_p50_ms": round(percentile(service_latency, 50), 2),
        "confirm_p99_ms": round(percentile(service_latency, 99), 2),
        "confirm_baseline_p99_ms": round(percentile(baseline_latency, 99), 2),
        "confirmed": confirmed,
        "oversold": int(max(Decimal(0), reserved - expected)),
        "unaccounted": int(abs(reserved - expected)),
        "drifts": len(report.drifts),
    }


async def run(data: Path) -> dict[str, float | int]:
    async with (
        scratch_databases(data, SERVER) as make,
        started(data, ("catalog", "stock", "orders"), make) as running,
        rpc.channel(running.address("catalog"), []) as catalog_channel,
        rpc.channel(running.address("stock"), []) as stock_channel,
        rpc.channel(running.address("orders"), []) as orders_channel,
    ):
        stock = stock_pb2_grpc.StockServiceStub(stock_channel)
        await seed_service(catalog_pb2_grpc.CatalogServiceStub(catalog_channel), stock)
        orders = orders_pb2_grpc.OrdersServiceStub(orders_channel)
        return await compare(orders, stock, running.dsn("stock"), running.dsn("orders"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, identity.acting(BENCH):
        figures = asyncio.run(run(Path(tmp)))
    print(f"\norders, {LINES}-line sales orders confirmed by 64 clients; orders service vs Reserve straight to stock")
    print(f"{'case':<10}{'service/s':>11}{'baseline/s':>12}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}")
    print(
        f"{'confirm':<10}{figures['confirm_rps']:>11}{figures['confirm_baseline_rps']:>12}"
        f"{figures['confirm_ratio']:>8}{figures['confirm_p50_ms']:>9}{figures['confirm_p99_ms']:>9}"
    )
    print(f"stock holds what the orders were promised: oversold {figures['oversold']}, drifts {figures['drifts']}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    sys.stdout.flush()
    if figures["oversold"] or figures["unaccounted"] or figures["drifts"]:
        sys.exit("the orders service oversold, or stock's book and the orders disagree")


if __name__ == "__main__":
    main()
