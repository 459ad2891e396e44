"""How soon an inspection lot opens after stock holds goods for inspection.

Starts catalog, stock and quality as real processes on PostgreSQL (BENCH_DATABASE_URL,
default the local server) with embedded NATS. Receipts into QC_HOLD of an item inspected on
receipt are posted at a steady 200 a second for 30 seconds, each sent at its time whether or
not the ones before were answered, as receiving docks post them. For each, the time from
stock's answer (its commit is just before) to the inspection lot being readable in quality's
database, seen by one watcher that asks for the lots still awaited every millisecond or so.
Writes bench/results/quality.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from bench_stock import percentile, quantity
from running import started

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc
from invariant_core.testing import scratch_databases

RATE = 200
SECONDS = 30
WARM = 200
ITEMS = 50
WAREHOUSE, LOCATION = "BENCH", "A-01"
# Long enough for a lot that never opens to be noticed, not so long that a run hangs on it.
DEADLINE_SECONDS = 30.0
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).parent / "results" / "quality.json"
BENCH = identity.Identity(actor="bench", roles=frozenset({"admin"}))


def inspected(n: int) -> str:
    return f"INSPECTED-{n}"


async def seed(catalog: catalog_pb2_grpc.CatalogServiceStub, stock: stock_pb2_grpc.StockServiceStub) -> None:
    for n in range(ITEMS):
        await catalog.CreateItem(
            catalog_pb2.CreateItemRequest(
                idempotency_key=f"item-{n}",
                sku=inspected(n),
                name=inspected(n),
                base_unit="EA",
                inspect_on_receipt=True,
            )
        )
    await stock.CreateWarehouse(pb.CreateWarehouseRequest(idempotency_key="wh", code=WAREHOUSE, name="Bench"))
    await stock.CreateLocation(pb.CreateLocationRequest(idempotency_key="loc", warehouse=WAREHOUSE, code=LOCATION))


class LotWatcher:
    """Notes when each awaited movement's inspection lot first shows in quality's database."""

    def __init__(self, connection: asyncpg.Connection, expected: int) -> None:
        self._connection = connection
        self._awaited: dict[str, float] = {}
        self.latencies: list[float] = []
        self.expected = expected

    def await_lot(self, movement_id: str) -> None:
        self._awaited[movement_id] = time.perf_counter()

    async def run(self) -> None:
        """Until `expected` lots were seen, or none was seen for DEADLINE_SECONDS."""
        last_seen = time.perf_counter()
        while len(self.latencies) < self.expected:
            if self._awaited:
                rows = await self._connection.fetch(
                    "SELECT movement_id FROM inspection_lots WHERE movement_id = ANY($1::text[])", list(self._awaited)
                )
                now = time.perf_counter()
                for row in rows:
                    self.latencies.append(now - self._awaited.pop(row["movement_id"]))
                if rows:
                    last_seen = now
            if time.perf_counter() - last_seen > DEADLINE_SECONDS:
                raise TimeoutError(f"{len(self._awaited)} receipts into QC_HOLD opened no inspection lot")
            await asyncio.sleep(0.001)


async def receipts(stock: stock_pb2_grpc.StockServiceStub, watcher: LotWatcher, run: str, count: int) -> float:
    """Post `count` receipts at RATE a second, each on time; the rate they were sent at."""

    async def receive(n: int) -> None:
        posted = await stock.PostMovement(
            pb.PostMovementRequest(
                idempotency_key=f"{run}-{n}",
                type=pb.MOVEMENT_TYPE_RECEIPT,
                item_sku=inspected(n % ITEMS),
                quantity=quantity(100),
                to=pb.StockPlace(warehouse=WAREHOUSE, location=LOCATION, status=pb.STOCK_STATUS_QC_HOLD),
                document=pb.DocumentRef(type="PURCHASE_ORDER", id=f"{run}-PO-{n // 10}", line=str(n % 10 + 1)),
            )
        )
        watcher.await_lot(posted.id)

    sent: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / RATE - time.perf_counter()))
        sent.append(asyncio.create_task(receive(n)))
    await asyncio.gather(*sent)
    return count / (time.perf_counter() - start)


async def lots_opening(stock: stock_pb2_grpc.StockServiceStub, quality_dsn: str) -> dict[str, float | int]:
    connection = await asyncpg.connect(quality_dsn)
    try:
        warm = LotWatcher(connection, WARM)
        await asyncio.gather(receipts(stock, warm, "warm", WARM), warm.run())
        watcher = LotWatcher(connection, RATE * SECONDS)
        rate, _ = await asyncio.gather(receipts(stock, watcher, "run", RATE * SECONDS), watcher.run())
        opened = await connection.fetchval("SELECT count(*) FROM inspection_lots")
    finally:
        await connection.close()
    return {
        "receipts_per_second": round(rate, 1),
        "lots_opened": opened,
        "lot_open_p50_ms": round(percentile(watcher.latencies, 50), 2),
        "lot_open_p99_ms": round(percentile(watcher.latencies, 99), 2),
    }


async def run(data: Path) -> dict[str, float | int]:
    async with (
        scratch_databases(data, SERVER) as make,
        started(data, ("catalog", "stock", "quality"), make) as running,
        rpc.channel(running.address("catalog"), []) as catalog_channel,
        rpc.channel(running.address("stock"), []) as stock_channel,
    ):
        stock = stock_pb2_grpc.StockServiceStub(stock_channel)
        await seed(catalog_pb2_grpc.CatalogServiceStub(catalog_channel), stock)
        return await lots_opening(stock, running.dsn("quality"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, identity.acting(BENCH):
        figures = asyncio.run(run(Path(tmp)))
    print(f"\nquality, receipts into QC_HOLD at {RATE} a second for {SECONDS} s; stock's answer to the lot readable")
    print(f"{'sent/s':>8}{'lots':>7}{'p50 ms':>9}{'p99 ms':>9}")
    print(
        f"{figures['receipts_per_second']:>8}{figures['lots_opened']:>7}"
        f"{figures['lot_open_p50_ms']:>9}{figures['lot_open_p99_ms']:>9}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    sys.stdout.flush()
    if figures["lots_opened"] != WARM + RATE * SECONDS:
        sys.exit(f"{figures['lots_opened']} inspection lots for {WARM + RATE * SECONDS} receipts into QC_HOLD")


if __name__ == "__main__":
    main()
