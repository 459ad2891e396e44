"""How soon an inspection lot opens after stock holds goods for inspection, and how fast a
lot's forward trace runs through quality.

Starts catalog, stock and quality as real processes on PostgreSQL (BENCH_DATABASE_URL,
default the local server) with embedded NATS. Receipts into QC_HOLD of an item inspected on
receipt are posted at a steady 200 a second for 30 seconds, each sent at its time whether or
not the ones before were answered, as receiving docks post them. For each, the time from
stock's answer (its commit is just before) to the inspection lot being readable in quality's
database, seen by one watcher that asks for the lots still awaited every millisecond or so.

Then a genealogy of 10,000 lots over 5 levels (supplier lots received, each lot issued to a
work order that made 6 lots of the next level, the last level shipped to customers) is
written into quality's lot facts, and 64 clients trace a supplier lot forward through the
quality service, against a baseline of the same recursive query over the same facts sent
straight through asyncpg. Writes bench/results/quality.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
from bench_stock import CLIENTS, measure, percentile, quantity
from running import started

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.quality.v1 import quality_pb2, quality_pb2_grpc
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
# The genealogy: supplier lots at level 0, each lot issued to a work order making FAN_OUT lots
# of the next level, until LOTS lots over LEVELS levels.
ROOTS, FAN_OUT, LEVELS, LOTS = 8, 6, 5, 10_000
TRACES = 400
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


def genealogy() -> list[tuple[object, ...]]:
    """The lot facts of the genealogy, as quality keeps them."""
    at = datetime.now(UTC)
    facts: list[tuple[object, ...]] = []

    def fact(fact_id: str, kind: str, level: int, lot: str, amount: int, document: str, **more: str) -> None:
        facts.append(
            (
                fact_id,
                kind,
                f"PART-{level}",
                lot,
                Decimal(amount),
                document,
                "1",
                more.get("supplier", ""),
                more.get("supplier_lot", ""),
                more.get("customer", ""),
                "bench",
                at,
            )
        )

    level = [f"L0-{n}" for n in range(ROOTS)]
    for n, lot in enumerate(level):
        fact(f"receipt-{n}", "RECEIPT", 0, lot, 100, f"PO-{n}", supplier="SUP", supplier_lot=f"S-{n}")
    made = ROOTS
    for depth in range(1, LEVELS):
        below = []
        for parent in level:
            children = [f"L{depth}-{len(below) + n}" for n in range(min(FAN_OUT, LOTS - made - len(below)))]
            if not children:
                break
            order = f"WO-{parent}"
            fact(f"issue-{parent}", "WORK_ORDER", depth - 1, parent, -10, order)
            for child in children:
                fact(f"made-{child}", "WORK_ORDER", depth, child, 10, order)
            below += children
        made += len(below)
        level = below
    for n, lot in enumerate(level):
        fact(f"shipped-{lot}", "SHIPMENT", LEVELS - 1, lot, 10, f"SO-{n}", customer=f"CUST-{n % 50}")
    return facts


# The trace's query as quality sends it: the lots a work order links to the start, then their facts.
BASELINE_TRACE = """
WITH RECURSIVE reached(item_sku, lot) AS (
    SELECT item_sku, lot FROM lot_facts
    WHERE kind = 'RECEIPT' AND supplier = $1 AND supplier_lot = $2 AND item_sku = $3
    UNION
    SELECT went.item_sku, went.lot FROM reached
    JOIN lot_facts AS came ON came.kind = 'WORK_ORDER' AND came.item_sku = reached.item_sku
        AND came.lot = reached.lot AND came.quantity < 0
    JOIN lot_facts AS went ON went.kind = 'WORK_ORDER' AND went.document_id = came.document_id
        AND went.quantity > 0
)
SELECT kind, lot_facts.item_sku, lot_facts.lot, quantity, document_id, document_line, supplier, supplier_lot,
    customer
FROM lot_facts JOIN reached
    ON lot_facts.item_sku = reached.item_sku AND lot_facts.lot = reached.lot
"""


async def traces(quality: quality_pb2_grpc.QualityServiceStub, quality_dsn: str) -> dict[str, float | int]:
    facts = genealogy()
    connection = await asyncpg.connect(quality_dsn)
    try:
        await connection.copy_records_to_table(
            "lot_facts",
            records=facts,
            columns=[
                "fact_id",
                "kind",
                "item_sku",
                "lot",
                "quantity",
                "document_id",
                "document_line",
                "supplier",
                "supplier_lot",
                "customer",
                "actor",
                "at",
            ],
        )
        await connection.execute("VACUUM ANALYZE lot_facts")
    finally:
        await connection.close()
    starts = [n % ROOTS for n in range(TRACES)]
    reached: list[int] = []

    async def service(n: int) -> bool:
        start = quality_pb2.TraceStart(item_sku="PART-0", supplier="SUP", supplier_lot=f"S-{starts[n]}")
        found = await quality.TraceForward(quality_pb2.TraceForwardRequest(start=start))
        reached.append(len(found.lots))
        return True

    # The baseline's connections are closed before the service runs: with the services' own
    # pools both would not fit in a default PostgreSQL's 100 connections.
    async with asyncpg.create_pool(quality_dsn, min_size=CLIENTS, max_size=CLIENTS) as pool:

        async def baseline(n: int) -> bool:
            async with pool.acquire() as connection:
                await connection.fetch(BASELINE_TRACE, "SUP", f"S-{starts[n]}", "PART-0")
            return True

        baseline_rps, _, _ = await measure(baseline, TRACES)
    await measure(service, ROOTS)  # connections and caches
    service_rps, latencies, _ = await measure(service, TRACES)
    return {
        "genealogy_lots": LOTS,
        "lots_per_trace": round(sum(reached) / len(reached)),
        "trace_rps": round(service_rps, 1),
        "trace_baseline_rps": round(baseline_rps, 1),
        "trace_ratio": round(service_rps / baseline_rps, 3),
        "trace_p99_ms": round(percentile(latencies, 99), 2),
    }


async def run(data: Path) -> dict[str, float | int]:
    async with (
        scratch_databases(data, SERVER) as make,
        started(data, ("catalog", "stock", "quality"), make) as running,
        rpc.channel(running.address("catalog"), []) as catalog_channel,
        rpc.channel(running.address("stock"), []) as stock_channel,
        rpc.channel(running.address("quality"), []) as quality_channel,
    ):
        stock = stock_pb2_grpc.StockServiceStub(stock_channel)
        await seed(catalog_pb2_grpc.CatalogServiceStub(catalog_channel), stock)
        opening = await lots_opening(stock, running.dsn("quality"))
        quality = quality_pb2_grpc.QualityServiceStub(quality_channel)
        return opening | await traces(quality, running.dsn("quality"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, identity.acting(BENCH):
        figures = asyncio.run(run(Path(tmp)))
    print(f"\nquality, receipts into QC_HOLD at {RATE} a second for {SECONDS} s; stock's answer to the lot readable")
    print(f"{'sent/s':>8}{'lots':>7}{'p50 ms':>9}{'p99 ms':>9}")
    print(
        f"{figures['receipts_per_second']:>8}{figures['lots_opened']:>7}"
        f"{figures['lot_open_p50_ms']:>9}{figures['lot_open_p99_ms']:>9}"
    )
    print(
        f"\nquality, forward traces of a supplier lot through {LOTS:,} lots over {LEVELS} levels by {CLIENTS} clients"
    )
    print(f"{'lots':>6}{'service/s':>11}{'baseline/s':>12}{'ratio':>8}{'p99 ms':>9}")
    print(
        f"{figures['lots_per_trace']:>6}{figures['trace_rps']:>11}{figures['trace_baseline_rps']:>12}"
        f"{figures['trace_ratio']:>8}{figures['trace_p99_ms']:>9}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    sys.stdout.flush()
    if figures["lots_opened"] != WARM + RATE * SECONDS:
        sys.exit(f"{figures['lots_opened']} inspection lots for {WARM + RATE * SECONDS} receipts into QC_HOLD")


if __name__ == "__main__":
    main()
