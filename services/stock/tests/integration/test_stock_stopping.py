"""Stopping stock while it works: reservations coalesced in a batch, events in the relay and
an approved count in the consumer's hands. It ends within its grace period, and what it
answered, what it refused and what it never got to all come out right after a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import grpc
import nats
import pytest
from stock_support import assert_no_drift, availability, create_item, create_warehouses, d, key, receive

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from catalog.bootstrap import SPEC as CATALOG_SPEC
from conftest import StockUnderTest
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.events.v1 import counting_pb2, envelope_pb2
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.settings import Settings
from invariant_core.tasks import GRACE_SECONDS
from invariant_core.testing import DatabaseFactory, EventBus, eventually
from stock.bootstrap import SERVICE_NAME, SPEC

CALLERS = 64
APPROVALS = 10


@dataclasses.dataclass
class Restartable(StockUnderTest):
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
    token = identity.current.set(identity.Identity(actor="tester", roles=frozenset({"admin"})))
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
        yield under_test
    finally:
        identity.current.reset(token)
        for channel in channels:
            await channel.close()
        await under_test.running.stop()
        await catalog.stop()


async def approve_gain(events: EventBus, sku: str) -> None:
    """An approved count with a gain of one `sku`, as counting's relay publishes it."""
    line = counting_pb2.ApprovedCountLine(line_id=key(), item_sku=sku, location="A-01", variance=d(1))
    line.counted_at.CopyFrom(timestamp_message(utcnow() - timedelta(minutes=1)))
    envelope = envelope_pb2.Envelope(id=key(), type="inventory.counting.adjustment.approved", producer="counting")
    envelope.payload.Pack(
        counting_pb2.CountAdjustmentApproved(count_id=key(), warehouse="WH1", part=1, parts=1, lines=[line])
    )
    client = await nats.connect(events.url)
    try:
        await client.jetstream().publish(
            events.subject(envelope.type), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
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

    for _ in range(APPROVALS):
        await approve_gain(services.events, sku)
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
