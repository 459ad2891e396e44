"""Reservations and movements through the stock service, against a naive client.

Starts catalog and stock as real processes on PostgreSQL (BENCH_DATABASE_URL, default the local
server) with embedded NATS. 64 concurrent clients reserve one unit at a time over gRPC,
spread over 1,000 items and all on one hot item, then post one-unit issues. The baseline
is the statement pair a naive client would issue itself — the conditional update plus the
ledger insert, in one transaction — by 64 asyncpg tasks in this process, on a database
of the same schema on the same server. The hot item holds fewer units than are asked
for, so the last requests must be refused; what was granted beyond stock is `oversold`.
After each phase the database it wrote is vacuumed and checkpointed, so that the next
phase, on either side, does not pay for it. Writes bench/results/stock.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

import asyncpg
import grpc
import nats
from google.type.decimal_pb2 import Decimal as PbDecimal
from postgres import settle
from running import asyncpg_dsn, started

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, migrations, rpc
from invariant_core.bus import STREAM
from invariant_core.testing import scratch_databases
from invariant_kernel.errors import ErrorCode
from stock.bootstrap import MIGRATIONS
from stock.bootstrap import SERVICE_NAME as STOCK_SERVICE

CLIENTS = 64
ITEMS = 1000
RESERVATIONS = 6000
POSTS = 4000
# Every uniform item holds far more than is asked; the hot item runs out before the end.
PLENTY = Decimal(1_000_000)
HOT_STOCK = RESERVATIONS - 500
WAREHOUSE, LOCATION = "BENCH", "A-01"
HOT = "HOT-0"
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
CASES = ("reserve_uniform", "reserve_hot", "post")
RESULTS = Path(__file__).parent / "results" / "stock.json"

Call = Callable[[int], Awaitable[bool]]

# Who the benchmark acts as: it seeds and calls as an admin.
BENCH = identity.Identity(actor="bench", roles=frozenset({"admin"}))


def sku(n: int) -> str:
    return f"ITEM-{n}"


async def measure(call: Call, requests: int) -> tuple[float, list[float], int]:
    """Requests per second, each request's latency, and how many were granted."""
    latencies: list[float] = []
    granted = 0
    queue: Iterator[int] = iter(range(requests))

    async def client() -> None:
        nonlocal granted
        for n in queue:
            started = time.perf_counter()
            answered = await call(n)  # not `granted += await …`: that reads `granted` before awaiting
            latencies.append(time.perf_counter() - started)
            granted += answered

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return requests / (time.perf_counter() - started), latencies, granted


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def quantity(value: Decimal | int) -> PbDecimal:
    return PbDecimal(value=str(value))


async def gathered(calls: list[Callable[[], Awaitable[object]]], width: int = 32) -> None:
    """Seed in parallel, a few at a time (a gRPC call starts when it is made, not awaited)."""
    gate = asyncio.Semaphore(width)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(call) for call in calls))


async def seed_service(catalog: catalog_pb2_grpc.CatalogServiceStub, stock: stock_pb2_grpc.StockServiceStub) -> None:
    skus = [sku(n) for n in range(ITEMS)] + [HOT]
    await gathered(
        [
            partial(
                catalog.CreateItem,
                catalog_pb2.CreateItemRequest(idempotency_key=f"item-{s}", sku=s, name=s, base_unit="EA"),
            )
            for s in skus
        ]
    )
    await stock.CreateWarehouse(pb.CreateWarehouseRequest(idempotency_key="wh", code=WAREHOUSE, name="Bench"))
    await stock.CreateLocation(pb.CreateLocationRequest(idempotency_key="loc", warehouse=WAREHOUSE, code=LOCATION))
    await gathered(
        [
            partial(
                stock.PostMovement,
                pb.PostMovementRequest(
                    idempotency_key=f"receipt-{s}",
                    type=pb.MOVEMENT_TYPE_RECEIPT,
                    item_sku=s,
                    quantity=quantity(HOT_STOCK if s == HOT else PLENTY),
                    to=pb.StockPlace(warehouse=WAREHOUSE, location=LOCATION, status=pb.STOCK_STATUS_AVAILABLE),
                ),
            )
            for s in skus
        ]
    )


async def replica_settled(nats_url: str) -> None:
    """Wait until stock has applied the catalog's item events, so they do not compete with the run."""
    client = await nats.connect(nats_url)
    try:
        while True:
            info = await client.jetstream().consumer_info(STREAM, "stock-catalog")
            if not info.num_pending and not info.num_ack_pending:
                return
            await asyncio.sleep(0.5)
    finally:
        await client.close()


async def seed_baseline(dsn: str) -> None:
    skus = [sku(n) for n in range(ITEMS)] + [HOT]
    connection = await asyncpg.connect(dsn)
    try:
        await seed_rows(connection, skus)
    finally:
        await connection.close()


async def seed_rows(connection: asyncpg.Connection, skus: list[str]) -> None:
    await connection.executemany(
        "INSERT INTO availability (item_sku, warehouse, available, qc_hold, rejected, in_transit, reserved) "
        "VALUES ($1, $2, $3, 0, 0, 0, 0)",
        [(s, WAREHOUSE, HOT_STOCK if s == HOT else PLENTY) for s in skus],
    )
    await connection.executemany(
        "INSERT INTO balances (item_sku, warehouse, location, lot, status, quantity, negative_allowed) "
        "VALUES ($1, $2, $3, '', 'AVAILABLE', $4, false)",
        [(s, WAREHOUSE, LOCATION, PLENTY) for s in skus],
    )


def service_calls(stock: stock_pb2_grpc.StockServiceStub, run: str) -> tuple[Call, Call, Call]:
    async def reserve(item: str, n: int) -> bool:
        request = pb.ReserveRequest(
            idempotency_key=f"{run}-{item}-{n}",
            lines=[pb.ReservationLine(item_sku=item, warehouse=WAREHOUSE, quantity=quantity(1))],
            owner=pb.DocumentRef(type="SALES_ORDER", id=f"SO-{n}", line="1"),
        )
        try:
            await stock.Reserve(request)
        except grpc.aio.AioRpcError as error:
            if rpc.from_rpc_error(error).code is not ErrorCode.INSUFFICIENT_STOCK:
                raise
            return False
        return True

    async def post(n: int) -> bool:
        await stock.PostMovement(
            pb.PostMovementRequest(
                idempotency_key=f"{run}-issue-{n}",
                type=pb.MOVEMENT_TYPE_ISSUE,
                item_sku=sku(n % ITEMS),
                quantity=quantity(1),
                document=pb.DocumentRef(type="SALES_ORDER", id=f"SO-{n}", line="1"),
                **{"from": pb.StockPlace(warehouse=WAREHOUSE, location=LOCATION, status=pb.STOCK_STATUS_AVAILABLE)},
            )
        )
        return True

    return (lambda n: reserve(sku(n % ITEMS), n)), (lambda n: reserve(HOT, n)), post


def baseline_calls(pool: asyncpg.Pool) -> tuple[Call, Call, Call]:
    """What a naive client sends: the conditional update and the ledger row, one transaction each."""

    async def reserve(item: str, n: int) -> bool:
        async with pool.acquire() as connection, connection.transaction():
            taken = await connection.execute(
                "UPDATE availability SET reserved = reserved + 1 "
                "WHERE item_sku = $1 AND warehouse = $2 AND available - reserved >= 1",
                item,
                WAREHOUSE,
            )
            if taken != "UPDATE 1":
                return False
            await connection.execute(
                "INSERT INTO reservations (id, item_sku, warehouse, requested, open, consumed, released, "
                "owner_type, owner_id, owner_line, state, created_at) "
                "VALUES ($1, $2, $3, 1, 1, 0, 0, 'SALES_ORDER', $4, '1', 'OPEN', $5)",
                str(uuid.uuid4()),
                item,
                WAREHOUSE,
                f"SO-{n}",
                datetime.now(UTC),
            )
        return True

    async def post(n: int) -> bool:
        item = sku(n % ITEMS)
        async with pool.acquire() as connection, connection.transaction():
            taken = await connection.execute(
                "UPDATE balances SET quantity = quantity - 1 WHERE item_sku = $1 AND warehouse = $2 "
                "AND location = $3 AND lot = '' AND status = 'AVAILABLE' AND quantity >= 1",
                item,
                WAREHOUSE,
                LOCATION,
            )
            if taken != "UPDATE 1":
                return False
            now = datetime.now(UTC)
            await connection.execute(
                "INSERT INTO movements (id, type, item_sku, quantity, unit, from_warehouse, from_location, from_lot, "
                "from_status, document_type, document_id, document_line, reason_code, reasons, actor, "
                "business_time, posted_at, idempotency_key) VALUES ($1, 'ISSUE', $2, 1, 'EA', $3, $4, '', "
                "'AVAILABLE', 'SALES_ORDER', $5, '1', '', '[]', 'bench', $6, $6, $7)",
                str(uuid.uuid4()),
                item,
                WAREHOUSE,
                LOCATION,
                f"SO-{n}",
                now,
                f"baseline-issue-{n}",
            )
        return True

    return (lambda n: reserve(sku(n % ITEMS), n)), (lambda n: reserve(HOT, n)), post


async def run(data: Path) -> dict[str, float | int]:
    async with (
        scratch_databases(data, SERVER) as make,
        started(data, ("catalog", "stock"), make) as running,
        rpc.channel(running.address("catalog"), [CATALOG_SERVICE]) as catalog_channel,
        rpc.channel(running.address("stock"), [STOCK_SERVICE]) as stock_channel,
    ):
        baseline_url = await make("baseline")
        await migrations.upgrade(MIGRATIONS, baseline_url)
        dsn, stock_dsn = asyncpg_dsn(baseline_url), running.dsn("stock")
        stock = stock_pb2_grpc.StockServiceStub(stock_channel)
        await seed_service(catalog_pb2_grpc.CatalogServiceStub(catalog_channel), stock)
        await replica_settled(running.nats_url)
        await seed_baseline(dsn)
        await settle(stock_dsn)
        return await compare(stock, dsn, stock_dsn)


async def compare(stock: stock_pb2_grpc.StockServiceStub, dsn: str, stock_dsn: str) -> dict[str, float | int]:
    warm_uniform, _, _ = service_calls(stock, "warm")
    await measure(warm_uniform, 500)  # connections, caches and the item replica
    uniform, hot, post = service_calls(stock, "run")
    figures: dict[str, float | int] = {}
    for case, service_call, requests in (
        ("reserve_uniform", uniform, RESERVATIONS),
        ("reserve_hot", hot, RESERVATIONS),
        ("post", post, POSTS),
    ):
        # Opened per case and closed before the service runs: the server's connection
        # limit has to hold the baseline's 64 and the service's pool, not both at once.
        async with asyncpg.create_pool(dsn, min_size=CLIENTS, max_size=CLIENTS) as pool:
            baseline_call = dict(zip(CASES, baseline_calls(pool), strict=True))[case]
            baseline_rps, baseline_latency, _ = await measure(baseline_call, requests)
        # Each side starts clean: neither pays for the other's dead rows and WAL.
        await settle(dsn)
        service_rps, service_latency, granted = await measure(service_call, requests)
        await settle(stock_dsn)
        figures |= {
            f"{case}_rps": round(service_rps, 1),
            f"{case}_baseline_rps": round(baseline_rps, 1),
            f"{case}_ratio": round(service_rps / baseline_rps, 3),
            f"{case}_p50_ms": round(percentile(service_latency, 50), 2),
            f"{case}_p99_ms": round(percentile(service_latency, 99), 2),
            f"{case}_baseline_p99_ms": round(percentile(baseline_latency, 99), 2),
        }
        if case == "reserve_hot":
            figures["hot_granted"] = granted
            figures["oversold"] = max(0, granted - HOT_STOCK)
    hot_now = await stock.GetAvailability(pb.GetAvailabilityRequest(item_sku=HOT, warehouse=WAREHOUSE))
    figures["oversold"] = max(int(figures["oversold"]), int(Decimal(hot_now.reserved.value)) - HOT_STOCK)
    report = await stock.CheckIntegrity(pb.CheckIntegrityRequest())
    figures["drifts"] = len(report.drifts)
    figures["reserve_p99_ms"] = max(figures["reserve_uniform_p99_ms"], figures["reserve_hot_p99_ms"])
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, identity.acting(BENCH):
        figures = asyncio.run(run(Path(tmp)))
    print(f"\nstock, {CLIENTS} concurrent clients; service over gRPC vs asyncpg baseline")
    print(f"{'case':<18}{'service/s':>11}{'baseline/s':>12}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for case in CASES:
        print(
            f"{case:<18}{figures[case + '_rps']:>11}{figures[case + '_baseline_rps']:>12}"
            f"{figures[case + '_ratio']:>8}{figures[case + '_p50_ms']:>9}{figures[case + '_p99_ms']:>9}"
        )
    print(f"hot item: {figures['hot_granted']} granted of {HOT_STOCK} on hand; oversold {figures['oversold']}")
    print(f"integrity drifts after the run: {figures['drifts']}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    sys.stdout.flush()
    if figures["oversold"] or figures["drifts"]:
        sys.exit("the stock service oversold or drifted")


if __name__ == "__main__":
    main()
