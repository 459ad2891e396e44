"""Helpers for the quality tests: catalog, stock and quality on their own databases, over gRPC."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import grpc
import nats
from google.type.decimal_pb2 import Decimal as PbDecimal

from catalog.bootstrap import SPEC as CATALOG_SPEC
from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.events.v1 import envelope_pb2
from invariant.quality.v1 import quality_pb2 as pb
from invariant.quality.v1 import quality_pb2_grpc
from invariant.stock.v1 import stock_pb2 as spb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.settings import Settings
from invariant_core.testing import DatabaseFactory, EventBus, eventually
from invariant_kernel.errors import DomainError
from quality.bootstrap import SPEC as QUALITY_SPEC
from stock.bootstrap import SPEC as STOCK_SPEC

WAREHOUSE = "WH1"
SHELF = "A-01"
QUARANTINE = "QZ-1"
ENGINEER = identity.Identity(actor="quinn", roles=frozenset({"supervisor"}))
INSPECTOR = identity.Identity(actor="ines", roles=frozenset({"inspector"}))
OTHER_INSPECTOR = identity.Identity(actor="otto", roles=frozenset({"inspector"}))
RECEIVER = identity.Identity(actor="rita", roles=frozenset({"operator"}))


def d(value: str | int | Decimal) -> PbDecimal:
    return PbDecimal(value=str(value))


def key() -> str:
    return str(uuid.uuid4())


@dataclass
class Suite:
    catalog: catalog_pb2_grpc.CatalogServiceStub
    stock: stock_pb2_grpc.StockServiceStub
    quality: quality_pb2_grpc.QualityServiceStub
    events: EventBus
    stack: AsyncExitStack
    quality_env: dict[str, str]
    running: dict[str, runtime.Running] = field(default_factory=dict)
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    async def stop_quality(self) -> None:
        await self.running.pop("quality").stop()

    async def start_quality(self, **env: str) -> None:
        """Quality again on its database and port, with `env` over its usual settings."""
        settings = Settings.from_env("quality", env={**self.quality_env, **env})
        self.running["quality"] = await runtime.start(QUALITY_SPEC, settings)


@asynccontextmanager
async def running_suite(new_database: DatabaseFactory, events: EventBus, *more: Any) -> AsyncIterator[Suite]:
    """Each service started in this process on a port of its own; each finds the others by address.
    `more`: the specs of services started too, between stock and quality."""
    async with AsyncExitStack() as stack:
        peers: dict[str, str] = {}
        channels = {}
        running = {}
        env: dict[str, str] = {}
        for spec in (CATALOG_SPEC, STOCK_SPEC, *more, QUALITY_SPEC):
            env = {"DATABASE_URL": await new_database(spec.name), **events.env, "GRPC_PORT": "0", **peers}
            running[spec.name] = await runtime.start(spec, Settings.from_env(spec.name, env=env))
            port = running[spec.name].port
            peers[f"{spec.name.upper()}_ADDR"] = f"127.0.0.1:{port}"
            channels[spec.name] = rpc.channel(f"127.0.0.1:{port}", spec.grpc_services)
            stack.push_async_callback(channels[spec.name].close)
        # Quality keeps its port when it is started again: its channel reconnects to it.
        quality_env = {**env, "GRPC_PORT": str(running["quality"].port)}
        suite = Suite(
            catalog_pb2_grpc.CatalogServiceStub(channels["catalog"]),  # type: ignore[no-untyped-call]
            stock_pb2_grpc.StockServiceStub(channels["stock"]),  # type: ignore[no-untyped-call]
            quality_pb2_grpc.QualityServiceStub(channels["quality"]),  # type: ignore[no-untyped-call]
            events,
            stack,
            quality_env,
            running,
            channels,
        )

        async def stop_all() -> None:
            # The last started first: quality (started again last, if it was), then the others.
            for name in reversed(list(suite.running)):
                await suite.running.pop(name).stop()

        stack.push_async_callback(stop_all)
        with identity.acting(identity.Identity(actor="desk", roles=frozenset({"operator"}))):
            yield suite


async def warehouse(suite: Suite) -> None:
    """WH1 with a shelf and a quarantine location."""
    await suite.stock.CreateWarehouse(spb.CreateWarehouseRequest(idempotency_key=key(), code=WAREHOUSE, name="Main"))
    for code, kind in ((SHELF, spb.LOCATION_KIND_STORAGE), (QUARANTINE, spb.LOCATION_KIND_QUARANTINE)):
        await suite.stock.CreateLocation(
            spb.CreateLocationRequest(idempotency_key=key(), warehouse=WAREHOUSE, code=code, kind=kind)
        )


async def inspected_item(suite: Suite) -> str:
    """A new item inspected on receipt, in EA."""
    sku = f"Q-{uuid.uuid4().hex[:10].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(), sku=sku, name="Inspected item", base_unit="EA", inspect_on_receipt=True
        )
    )
    return sku


async def active_plan(suite: Suite, sku: str, aql: str = "2.5") -> pb.InspectionPlan:
    """A plan checking one attribute (FINISH) and one measurement (DIA), at `aql`, level II, in force."""
    with identity.acting(ENGINEER):
        plan = await suite.quality.DraftPlan(
            pb.DraftPlanRequest(
                idempotency_key=key(),
                item_sku=sku,
                characteristics=[
                    pb.Characteristic(
                        code="FINISH",
                        name="Surface finish",
                        attribute=pb.AttributeCharacteristic(defect_codes=["SCRATCH", "RUST"]),
                    ),
                    pb.Characteristic(
                        code="DIA",
                        name="Shank diameter",
                        measured=pb.MeasuredCharacteristic(
                            nominal=d("8.00"), lower=d("7.90"), upper=d("8.05"), unit="MM"
                        ),
                    ),
                ],
                sampling=pb.Sampling(aql=pb.AqlSampling(level=pb.INSPECTION_LEVEL_II, aql=d(aql))),
            )
        )
        return await suite.quality.ActivatePlan(pb.ActivatePlanRequest(idempotency_key=key(), plan_id=plan.id))


async def receive_on_hold(suite: Suite, sku: str, quantity: int | str, order: str = "PO-1") -> spb.Movement:
    """A purchase receipt into QC_HOLD on the shelf."""
    into = spb.StockPlace(warehouse=WAREHOUSE, location=SHELF, status=spb.STOCK_STATUS_QC_HOLD)
    with identity.acting(RECEIVER):
        return await suite.stock.PostMovement(
            spb.PostMovementRequest(
                idempotency_key=key(),
                type=spb.MOVEMENT_TYPE_RECEIPT,
                item_sku=sku,
                quantity=d(quantity),
                to=into,
                document=spb.DocumentRef(type="PURCHASE_ORDER", id=order, line="1"),
            )
        )


async def receive_available(suite: Suite, sku: str, quantity: int | str) -> spb.Movement:
    into = spb.StockPlace(warehouse=WAREHOUSE, location=SHELF, status=spb.STOCK_STATUS_AVAILABLE)
    with identity.acting(RECEIVER):
        return await suite.stock.PostMovement(
            spb.PostMovementRequest(
                idempotency_key=key(), type=spb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d(quantity), to=into
            )
        )


async def lots_of(suite: Suite, sku: str) -> list[pb.InspectionLot]:
    found = await suite.quality.ListInspectionLots(pb.ListInspectionLotsRequest(item_sku=sku, page_size=100))
    return list(found.lots)


async def the_lot(suite: Suite, sku: str) -> pb.InspectionLot:
    """The item's one lot, once quality has opened it."""

    async def opened() -> bool:
        return len(await lots_of(suite, sku)) > 0

    await eventually(opened, f"a lot of {sku} is opened")
    [lot] = await lots_of(suite, sku)
    return lot


def checked(sample: int, good: bool = True) -> list[pb.ResultInput]:
    """Both characteristics of one sample: a good finish and diameter, or rust and an oversize shank."""
    return [
        pb.ResultInput(sample=sample, characteristic="FINISH", passed=good, defect_code="" if good else "RUST"),
        pb.ResultInput(sample=sample, characteristic="DIA", value=d("8.00" if good else "8.10")),
    ]


async def record(suite: Suite, lot_id: str, results: Sequence[pb.ResultInput]) -> pb.InspectionLot:
    with identity.acting(INSPECTOR):
        return await suite.quality.RecordResults(
            pb.RecordResultsRequest(idempotency_key=key(), inspection_lot_id=lot_id, results=results)
        )


async def decide(
    suite: Suite, lot_id: str, outcome: int, accepted: str = "", rejected: str = "", who: identity.Identity = INSPECTOR
) -> pb.InspectionLot:
    request = pb.DecideLotRequest(idempotency_key=key(), inspection_lot_id=lot_id, outcome=outcome)
    if accepted:
        request.accepted.CopyFrom(d(accepted))
    if rejected:
        request.rejected.CopyFrom(d(rejected))
    with identity.acting(who):
        return await suite.quality.DecideLot(request)


async def balances(suite: Suite, sku: str) -> dict[tuple[str, str], Decimal]:
    """(location, status) → quantity, of the item in WH1, as stock answers over gRPC."""
    found = await suite.stock.ListBalances(spb.ListBalancesRequest(item_sku=sku, warehouse=WAREHOUSE, page_size=100))
    return {
        (b.place.location, spb.StockStatus.Name(b.place.status).removeprefix("STOCK_STATUS_")): Decimal(
            b.quantity.value
        )
        for b in found.balances
        if Decimal(b.quantity.value)
    }


async def inspection_movements(suite: Suite, lot_id: str) -> list[spb.Movement]:
    """Stock's movements with the lot as document (its decisions, or its hold by hand)."""
    found = await suite.stock.ListMovements(
        spb.ListMovementsRequest(document=spb.DocumentRef(type="INSPECTION", id=lot_id), page_size=100)
    )
    return list(found.movements)


async def publish(events: EventBus, subject: str, envelope: envelope_pb2.Envelope) -> int:
    """Publish an event as a relay would, under its own envelope id; its stream sequence."""
    client = await nats.connect(events.url)
    try:
        ack = await client.jetstream().publish(
            events.subject(subject), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
        )
        return int(ack.seq)
    finally:
        await client.close()


async def caught_up(events: EventBus, durable: str, sequence: int) -> None:
    """Wait until the durable consumer has settled every event up to `sequence`."""
    client = await nats.connect(events.url)
    try:

        async def settled() -> bool:
            info = await client.jetstream().consumer_info(events.stream.name, durable)
            return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence

        await eventually(settled, f"{durable} settled the events up to {sequence}")
    finally:
        await client.close()


async def refused(call: Any) -> DomainError:
    """The refusal a call ends in, as the service raised it; fails when there is none."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return rpc.from_rpc_error(error)
    raise AssertionError("the call was not refused")


async def inspected_lot(suite: Suite, defective: int = 1) -> tuple[str, pb.InspectionLot]:
    """A receipt of 100 into QC_HOLD under an AQL 2.5 plan, its 20 samples inspected."""
    await warehouse(suite)
    sku = await inspected_item(suite)
    await active_plan(suite, sku)
    await receive_on_hold(suite, sku, 100)
    lot = await the_lot(suite, sku)
    results = [r for sample in range(1, 21) for r in checked(sample, good=sample > defective)]
    return sku, await record(suite, lot.id, results)


async def moved(suite: Suite, sku: str, expected: dict[tuple[str, str], Decimal]) -> None:
    async def there() -> bool:
        return await balances(suite, sku) == expected

    await eventually(there, f"stock holds {expected} of {sku}")
