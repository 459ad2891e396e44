"""Stopping stock while it works: reservations coalesced in a batch, events in the relay and
approved counts in the consumer's hands. It ends within its grace period, and what it
answered, what it refused and what it never got to all come out right after a restart.
Killed instead, its process leaves the events it held to the next one, within seconds."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import grpc
import nats
import pytest
from sqlalchemy.engine import make_url
from stock_support import assert_no_drift, availability, create_item, create_warehouses, d, key, receive

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from catalog.bootstrap import SPEC as CATALOG_SPEC
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.events.v1 import counting_pb2, envelope_pb2
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.rpc import check_health
from invariant_core.settings import Settings
from invariant_core.tasks import GRACE_SECONDS
from invariant_core.testing import DatabaseFactory, EventBus, eventually, service_process
from stock.bootstrap import SERVICE_NAME, SPEC

# Faults injected on purpose: `make test-faults` runs these alone.
pytestmark = pytest.mark.fault


APPROVED = "inventory.counting.adjustment.approved"
CALLERS = 64
APPROVALS = 10
# Enough approved counts that the consumer still holds some when its process is killed.
HELD = 300
# Seconds until a killed process's events are applied by the next: they come back after the ack wait.
BACK_WITHIN = 15.0


@dataclasses.dataclass
class Restartable:
    """Stock and the catalog it reads items from, with what it takes to start stock again."""

    stock: stock_pb2_grpc.StockServiceStub
    catalog: catalog_pb2_grpc.CatalogServiceStub
    running: runtime.Running
    events: EventBus
    settings: Settings


@pytest.fixture
async def services(new_database: DatabaseFactory, event_bus: EventBus) -> AsyncIterator[Restartable]:
    """Stock on a fixed port, so that a test can stop it and start it again where callers find it."""
    catalog = await runtime.start(
        CATALOG_SPEC,
        Settings.from_env(
            "catalog", env={"DATABASE_URL": await new_database("catalog"), **event_bus.env, "GRPC_PORT": "0"}
        ),
    )
    settings = Settings.from_env(
        "stock",
        env={
            "DATABASE_URL": await new_database("stock"),
            **event_bus.env,
            "GRPC_PORT": "0",
            "CATALOG_ADDR": f"127.0.0.1:{catalog.port}",
        },
    )
    stock = await runtime.start(SPEC, settings)
    channels = [
        rpc.channel(f"127.0.0.1:{stock.port}", [SERVICE_NAME]),
        rpc.channel(f"127.0.0.1:{catalog.port}", [CATALOG_SERVICE]),
    ]
    under_test = Restartable(
        stock_pb2_grpc.StockServiceStub(channels[0]),  # type: ignore[no-untyped-call]
        catalog_pb2_grpc.CatalogServiceStub(channels[1]),  # type: ignore[no-untyped-call]
        stock,
        event_bus,
        dataclasses.replace(settings, grpc_port=stock.port),
    )
    try:
        with identity.acting(identity.Identity(actor="tester", roles=frozenset({"admin"}))):
            yield under_test
    finally:
        for channel in channels:
            await channel.close()
        await under_test.running.stop()
        await catalog.stop()


async def approve_gains(events: EventBus, sku: str, counts: int) -> None:
    """Approved counts, each with a gain of one `sku`, as counting's relay publishes them."""
    client = await nats.connect(events.url)
    try:
        for _ in range(counts):
            line = counting_pb2.ApprovedCountLine(line_id=key(), item_sku=sku, location="A-01", variance=d(1))
            line.counted_at.CopyFrom(timestamp_message(utcnow() - timedelta(minutes=1)))
            envelope = envelope_pb2.Envelope(id=key(), type=APPROVED, producer="counting")
            envelope.payload.Pack(
                counting_pb2.CountAdjustmentApproved(count_id=key(), warehouse="WH1", part=1, parts=1, lines=[line])
            )
            await client.jetstream().publish(
                events.subject(APPROVED), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
            )
    finally:
        await client.close()


async def test_stock_stopped_in_the_middle_of_its_work_ends_in_its_grace_and_leaves_nothing_half_written(
    services: Restartable,
) -> None:
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 1000)
    requests = [
        pb.ReserveRequest(
            idempotency_key=key(),
            lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(1))],
            owner=pb.DocumentRef(type="SALES_ORDER", id=f"SO-{uuid.uuid4().hex[:6]}"),
        )
        for _ in range(CALLERS * 4)
    ]

    first: dict[str, pb.ReserveResponse | None] = {}

    async def caller(mine: list[pb.ReserveRequest]) -> None:
        for request in mine:
            try:
                first[request.idempotency_key] = await services.stock.Reserve(request)
            except grpc.aio.AioRpcError:
                first[request.idempotency_key] = None

    await approve_gains(services.events, sku, APPROVALS)
    callers = [asyncio.create_task(caller(requests[i::CALLERS])) for i in range(CALLERS)]
    await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await services.running.stop()
    assert loop.time() - began < GRACE_SECONDS
    assert 0 < len(first) < len(requests), "stopped while reservations were being made"
    # Callers that find it stopped wait for it within their deadline: it is back in time.
    services.running = await runtime.start(SPEC, services.settings)
    await asyncio.gather(*callers)
    # Every request again, with its key: what was answered is answered the same, and what was
    # cut off or never sent is granted now, once.
    for request in requests:
        again = await services.stock.Reserve(request)
        assert first[request.idempotency_key] in (None, again)

    async def all_gains_posted() -> bool:
        return (await availability(services, sku, "WH1"))["on_hand"] == 1000 + APPROVALS

    await eventually(all_gains_posted, "every approved gain posted once")
    assert (await availability(services, sku, "WH1"))["reserved"] == Decimal(len(requests))
    await assert_no_drift(services)


async def test_events_a_killed_stock_process_held_are_applied_by_the_next_one_within_seconds(
    services: Restartable, tmp_path: Path
) -> None:
    await create_warehouses(services)
    sku = await create_item(services)
    await services.running.stop()
    settings = services.settings
    env = {
        "DATABASE_URL": settings.database_url,
        **services.events.env,
        "GRPC_PORT": str(settings.grpc_port),
        "CATALOG_ADDR": settings.peers["catalog"],
    }
    processes: list[asyncio.subprocess.Process] = []

    async def start_process() -> None:
        processes.append(await service_process("stock", env, SERVICE_NAME, tmp_path / "stock.log"))

    try:
        await start_process()
        await approve_gains(services.events, sku, HELD)
        await eventually(lambda: held(services.events), "stock's consumer holds events it has not acknowledged")
        processes[-1].kill()
        await processes[-1].wait()
        assert await held(services.events), "the killed process held no event"

        loop = asyncio.get_running_loop()
        restarted = loop.time()
        await start_process()

        async def all_gains_posted() -> bool:
            return (await availability(services, sku, "WH1"))["on_hand"] == HELD

        await eventually(all_gains_posted, "every approved gain posted once", within=BACK_WITHIN)
        assert loop.time() - restarted < BACK_WITHIN
        await assert_no_drift(services)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
                await process.wait()


async def held(events: EventBus) -> bool:
    """Whether stock's approved-count consumer has events out that it has not acknowledged."""
    client = await nats.connect(events.url)
    try:
        info = await client.jetstream().consumer_info(events.stream.name, "stock-counting")
    finally:
        await client.close()
    return bool(info.num_ack_pending)


async def test_a_stock_process_told_to_stop_keeps_answering_through_its_drain_then_exits(
    services: Restartable, tmp_path: Path
) -> None:
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 1_000_000)
    await services.running.stop()
    settings = services.settings
    # A stopped service holds no lock on its SQLite file: the process started next on it
    # would wait for the lock in its migration.
    assert await asyncio.to_thread(_writable_at_once, settings.database_url)
    drain = 2.0
    env = {
        "DATABASE_URL": settings.database_url,
        **services.events.env,
        "GRPC_PORT": str(settings.grpc_port),
        "CATALOG_ADDR": settings.peers["catalog"],
        "DRAIN_SECONDS": str(drain),
    }
    target = f"127.0.0.1:{settings.grpc_port}"
    # Longer than SQLite's busy timeout: a start that waits for the file's lock that long
    # gives up and exits, saying so, rather than looking merely slow.
    process = await service_process("stock", env, SERVICE_NAME, tmp_path / "stock.log", within=45)
    try:
        loop = asyncio.get_running_loop()
        answered: list[tuple[float, grpc.StatusCode]] = []
        signalled = asyncio.Event()
        # A channel without retries: every answer as the server gives it.
        async with grpc.aio.insecure_channel(target) as bare:
            stub = stock_pb2_grpc.StockServiceStub(bare)  # type: ignore[no-untyped-call]

            async def caller() -> None:
                while loop.time() < stop_calling_at:
                    request = pb.ReserveRequest(
                        idempotency_key=key(),
                        lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(1))],
                        owner=pb.DocumentRef(type="SALES_ORDER", id=key()),
                    )
                    try:
                        await stub.Reserve(request, metadata=identity.current.get().to_metadata(), timeout=5)
                        code = grpc.StatusCode.OK
                    except grpc.aio.AioRpcError as error:
                        code = error.code()
                    if signalled.is_set():
                        answered.append((loop.time(), code))

            stop_calling_at = loop.time() + 30
            callers = [asyncio.create_task(caller()) for _ in range(8)]
            await asyncio.sleep(0.3)
            process.terminate()
            signalled.set()
            stop_calling_at = loop.time() + drain * 0.75
            await eventually(
                lambda: _health_is(target, "NOT_SERVING"), "stock reported not serving once told to stop", within=1
            )
            await asyncio.gather(*callers)
        assert answered, "no call was made during the drain"
        assert {code for _, code in answered} == {grpc.StatusCode.OK}
        assert await asyncio.wait_for(process.wait(), drain + GRACE_SECONDS + 5) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _writable_at_once(url: str) -> bool:
    """Whether a writer takes the database's write lock without waiting (always on PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    connection = sqlite3.connect(str(parsed.database), timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    else:
        connection.execute("ROLLBACK")
        return True
    finally:
        connection.close()


async def _health_is(target: str, status: str) -> bool:
    return await check_health(target, SERVICE_NAME) == status
