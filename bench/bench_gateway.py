"""How much the gateway adds over calling the catalog directly.

Starts the catalog and the gateway as real processes (SQLite, embedded NATS), then looks items up by
barcode with 16 concurrent clients: straight over gRPC (the baseline) and through the
gateway over HTTP. Reports requests per second, the ratio gateway/gRPC and latencies,
and writes bench/results/gateway.json.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
from google.type.decimal_pb2 import Decimal as PbDecimal
from running import started

from catalog.bootstrap import SERVICE_NAME
from gateway.auth import User, issue
from invariant.catalog.v1 import catalog_pb2 as pb
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant_core import identity, rpc

CLIENTS = 16
REQUESTS = 3000
ITEMS = 200
SECRET = "bench-secret-" + "x" * 32
RESULTS = Path(__file__).parent / "results" / "gateway.json"

# Who the benchmark acts as: it seeds and calls as an admin.
BENCH = identity.Identity(actor="bench", roles=frozenset({"admin"}))


def barcode(n: int) -> str:
    payload = f"200{n:09d}"
    odd, even = sum(int(c) for c in payload[0::2]), sum(int(c) for c in payload[1::2])
    return payload + str((10 - (odd + 3 * even) % 10) % 10)


async def measure(call: Callable[[int], Awaitable[None]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(REQUESTS))

    async def client() -> None:
        for n in queue:
            started = time.perf_counter()
            await call(n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return REQUESTS / (time.perf_counter() - started), latencies


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def run(data: Path) -> dict[str, float]:
    async def sqlite(name: str) -> str:
        return f"sqlite+aiosqlite:///{data / name}.db"

    async with (
        started(data, ("catalog",), sqlite, {"JWT_SECRET": SECRET}) as running,
        rpc.channel(running.address("catalog"), [SERVICE_NAME]) as channel,
    ):
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        for n in range(ITEMS):
            await stub.CreateItem(
                pb.CreateItemRequest(
                    idempotency_key=f"bench-{n}",
                    sku=f"BENCH-{n}",
                    name=f"Bench item {n}",
                    base_unit="EA",
                    barcodes=[pb.Barcode(code=barcode(n))],
                    standard_cost=PbDecimal(value="1.25"),
                )
            )

        async def direct(n: int) -> None:
            await stub.GetItemByBarcode(pb.GetItemByBarcodeRequest(code=barcode(n % ITEMS)))

        token = issue(User(id="bench", roles=frozenset({"operator"})), SECRET, timedelta(hours=1))
        limits = httpx.Limits(max_connections=CLIENTS)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, limits=limits) as http:
            query = "query($code: String!) { itemByBarcode(code: $code) { sku name standardCost } }"

            async def through_gateway(n: int) -> None:
                reply = await http.post(
                    running.gateway_url, json={"query": query, "variables": {"code": barcode(n % ITEMS)}}
                )
                assert reply.json()["data"]["itemByBarcode"]["sku"] == f"BENCH-{n % ITEMS}"

            await measure(direct)  # warm both paths up before measuring
            await measure(through_gateway)
            grpc_rps, grpc_latency = await measure(direct)
            gateway_rps, gateway_latency = await measure(through_gateway)
    return {
        "grpc_rps": round(grpc_rps, 1),
        "gateway_rps": round(gateway_rps, 1),
        "gateway_ratio": round(gateway_rps / grpc_rps, 3),
        "grpc_p50_ms": round(percentile(grpc_latency, 50), 2),
        "grpc_p99_ms": round(percentile(grpc_latency, 99), 2),
        "gateway_p50_ms": round(percentile(gateway_latency, 50), 2),
        "gateway_p99_ms": round(percentile(gateway_latency, 99), 2),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, identity.acting(BENCH):
        figures = asyncio.run(run(Path(tmp)))
    print(f"\nitem by barcode, {CLIENTS} concurrent clients, {REQUESTS} requests each way")
    print(f"{'path':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for path in ("grpc", "gateway"):
        print(f"{path:<10}{figures[path + '_rps']:>10}{figures[path + '_p50_ms']:>10}{figures[path + '_p99_ms']:>10}")
    print(f"gateway / gRPC throughput ratio: {figures['gateway_ratio']}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
