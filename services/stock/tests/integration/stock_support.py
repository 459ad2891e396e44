"""What the stock integration tests share: requests, refusals, reads of the book, and events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import grpc
import nats
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from google.type.decimal_pb2 import Decimal as PbDecimal
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import stock_pb2 as events
from invariant.stock.v1 import stock_pb2 as pb
from invariant_core import bus
from invariant_core.rpc import ERROR_DOMAIN
from invariant_core.testing import EventBus, eventually
from invariant_kernel.errors import ErrorCode

WAREHOUSES = ("WH1", "WH2")
# A balance's place: warehouse, location, lot and status (as STOCK_STATUS_…).
Spot = tuple[str, str, str, str]


def d(value: str | Decimal | int) -> PbDecimal:
    return PbDecimal(value=str(value))


def key() -> str:
    return str(uuid.uuid4())


def place(
    warehouse: str, location: str = "A-01", lot: str = "", status: int = pb.STOCK_STATUS_AVAILABLE
) -> pb.StockPlace:
    return pb.StockPlace(warehouse=warehouse, location=location, lot=lot, status=status)


async def create_item(services: Any, lot_tracked: bool = False, units: Mapping[str, str] | None = None) -> str:
    """A new item in the catalog, counted in EA (and BOX of 10 unless `units` says otherwise)."""
    sku = f"S-{uuid.uuid4().hex[:10].upper()}"
    await services.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name="Stock test item",
            base_unit="EA",
            units=[cpb.UnitConversion(unit=u, factor=d(f)) for u, f in (units or {"BOX": "10"}).items()],
            lot_tracked=lot_tracked,
        )
    )
    return sku


async def create_warehouses(services: Any, locations: Sequence[str] = ("A-01",)) -> None:
    """WH1 and WH2 with `locations` each (every warehouse has its IN_TRANSIT location too)."""
    for code in WAREHOUSES:
        await services.stock.CreateWarehouse(
            pb.CreateWarehouseRequest(idempotency_key=f"wh-{code}", code=code, name=code)
        )
        for location in locations:
            await services.stock.CreateLocation(
                pb.CreateLocationRequest(idempotency_key=f"loc-{code}-{location}", warehouse=code, code=location)
            )


async def setup(services: Any, lot_tracked: bool = False) -> str:
    await create_warehouses(services)
    return await create_item(services, lot_tracked)


def movement(
    kind: int,
    sku: str,
    quantity: str | int,
    source: pb.StockPlace | None = None,
    target: pb.StockPlace | None = None,
    **fields: Any,
) -> pb.PostMovementRequest:
    """A movement request: `source` is its `from` place, `target` its `to`."""
    sides = {name: spot for name, spot in (("from", source), ("to", target)) if spot is not None}
    return pb.PostMovementRequest(
        idempotency_key=key(), type=kind, item_sku=sku, quantity=d(quantity), **sides, **fields
    )


async def post(
    services: Any,
    kind: int,
    sku: str,
    quantity: str | int,
    source: pb.StockPlace | None = None,
    target: pb.StockPlace | None = None,
    **fields: Any,
) -> pb.Movement:
    posted: pb.Movement = await services.stock.PostMovement(movement(kind, sku, quantity, source, target, **fields))
    return posted


async def receive(services: Any, sku: str, quantity: str | int, target: pb.StockPlace | None = None) -> pb.Movement:
    return await post(services, pb.MOVEMENT_TYPE_RECEIPT, sku, quantity, target=target or place("WH1"))


async def reserve(
    services: Any,
    sku: str,
    quantity: str | int,
    warehouse: str = "WH1",
    owner: pb.DocumentRef | None = None,
    **fields: Any,
) -> pb.Reservation:
    """Reserve one line; refused calls raise grpc.aio.AioRpcError."""
    response = await services.stock.Reserve(
        pb.ReserveRequest(
            idempotency_key=key(),
            lines=[pb.ReservationLine(item_sku=sku, warehouse=warehouse, quantity=d(quantity))],
            owner=owner or pb.DocumentRef(type="SALES_ORDER", id=f"SO-{uuid.uuid4().hex[:6]}"),
            **fields,
        )
    )
    reservation: pb.Reservation = response.reservations[0]
    return reservation


@dataclass(frozen=True)
class Refusal:
    """A refused call as a client sees it: the status, and the ErrorInfo reason and field."""

    status: grpc.StatusCode
    code: ErrorCode
    field: str

    @classmethod
    def of(cls, error: grpc.aio.AioRpcError) -> Refusal:
        """Read the google.rpc details; the BadRequest violation must name the ErrorInfo field."""
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        found_info = found_bad = False
        for name, value in error.trailing_metadata() or ():
            if name == "grpc-status-details-bin" and isinstance(value, bytes):
                for detail in status_pb2.Status.FromString(value).details:
                    found_info = found_info or detail.Unpack(info)
                    found_bad = found_bad or detail.Unpack(bad)
        assert found_info and info.domain == ERROR_DOMAIN, f"no ErrorInfo in {error!r}"
        named = info.metadata.get("field", "")
        if named:
            assert found_bad and [v.field for v in bad.field_violations] == [named], f"BadRequest of {error!r}"
        return cls(error.code(), ErrorCode(info.reason), named)


async def refused(call: Awaitable[object]) -> Refusal:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return Refusal.of(caught.value)


async def answer(call: Awaitable[Any]) -> Any:
    """The call's reply, or how it was refused (a Refusal)."""
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        return Refusal.of(error)


async def outcome(call: Awaitable[object]) -> Refusal | None:
    """None when the call succeeded, else how it was refused."""
    got = await answer(call)
    return got if isinstance(got, Refusal) else None


async def availability(services: Any, sku: str, warehouse: str) -> dict[str, Decimal]:
    found = await services.stock.GetAvailability(pb.GetAvailabilityRequest(item_sku=sku, warehouse=warehouse))
    return {
        "on_hand": Decimal(found.available_on_hand.value),
        "qc_hold": Decimal(found.qc_hold.value),
        "rejected": Decimal(found.rejected.value),
        "in_transit": Decimal(found.in_transit.value),
        "reserved": Decimal(found.reserved.value),
        "atp": Decimal(found.available_to_promise.value),
    }


async def assert_no_drift(services: Any) -> None:
    report = await services.stock.CheckIntegrity(pb.CheckIntegrityRequest())
    assert list(report.drifts) == []


async def every_entry(list_call: Callable[[Any], Awaitable[Any]], request: Any, entries: str) -> list[Any]:
    """Every entry of a list call, page by page (`request` is read on from each page's token)."""
    found: list[Any] = []
    while True:
        page = await list_call(request)
        found += getattr(page, entries)
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token


async def movements(services: Any, sku: str) -> list[pb.Movement]:
    """The item's whole history, in ledger order."""
    request = pb.ListMovementsRequest(item_sku=sku, page_size=100)
    return await every_entry(services.stock.ListMovements, request, "movements")


async def listed_reservations(services: Any, **filters: Any) -> list[pb.Reservation]:
    """Every reservation the filters match, oldest first."""
    request = pb.ListReservationsRequest(page_size=100, **filters)
    return await every_entry(services.stock.ListReservations, request, "reservations")


def place_key(spot: pb.StockPlace) -> Spot:
    return (spot.warehouse, spot.location, spot.lot, pb.StockStatus.Name(spot.status))


async def balances(services: Any, sku: str) -> dict[Spot, Decimal]:
    """The item's balances by place (zero balances included)."""
    request = pb.ListBalancesRequest(item_sku=sku, page_size=100)
    found = await every_entry(services.stock.ListBalances, request, "balances")
    return {place_key(b.place): Decimal(b.quantity.value) for b in found}


def sum_of_movements(history: Sequence[pb.Movement]) -> dict[Spot, Decimal]:
    sums: dict[Spot, Decimal] = {}
    for movement in history:
        for side, sign in (("from", -1), ("to", 1)):
            if movement.HasField(side):
                spot = place_key(getattr(movement, side))
                sums[spot] = sums.get(spot, Decimal(0)) + sign * Decimal(movement.quantity.value)
    return sums


def nonzero(amounts: Mapping[Spot, Decimal]) -> dict[Spot, Decimal]:
    return {k: v for k, v in amounts.items() if v}


@dataclass(frozen=True)
class Book:
    """Everything the stock service shows about one item: to prove a refusal wrote nothing."""

    history: tuple[str, ...]
    balances: dict[Spot, Decimal]
    availability: dict[str, dict[str, Decimal]]
    reservations: tuple[tuple[str, str, Decimal], ...]


async def book(services: Any, sku: str) -> Book:
    held = await listed_reservations(services, item_sku=sku)
    return Book(
        history=tuple(m.id for m in await movements(services, sku)),
        balances=await balances(services, sku),
        availability={w: await availability(services, sku, w) for w in WAREHOUSES},
        reservations=tuple((r.id, r.state, Decimal(r.open.value)) for r in held),
    )


PAYLOADS: dict[str, type[Message]] = {
    "inventory.stock.movement.posted": events.MovementPosted,
    "inventory.stock.receipt.posted": events.MovementPosted,
    "inventory.stock.adjustment.posted": events.MovementPosted,
    "inventory.stock.issue.posted": events.MovementPosted,
    "inventory.stock.reservation.created": events.ReservationChanged,
    "inventory.stock.reservation.released": events.ReservationChanged,
    "inventory.stock.reservation.expired": events.ReservationChanged,
    "inventory.stock.threshold.crossed": events.ThresholdCrossed,
    "inventory.stock.shortage": events.Shortage,
    "inventory.stock.count.adjustments.posted": events.CountAdjustmentsPosted,
    "inventory.stock.negative_balance.attempted": events.NegativeBalanceAttempted,
}


@dataclass
class StockEvents:
    """The inventory.stock.* events about some items or counts, in the order JetStream delivers them."""

    # SKUs, and count ids for the events about a count as a whole.
    about: frozenset[str]
    received: list[tuple[str, Any]] = field(default_factory=list)
    # Their envelopes, in the same order: who acted, when.
    envelopes: list[envelope_pb2.Envelope] = field(default_factory=list)

    async def _receive(self, msg: Msg) -> None:
        envelope = envelope_pb2.Envelope.FromString(msg.data)
        kind = PAYLOADS.get(envelope.type)
        if kind is None:
            return
        payload = kind()
        envelope.payload.Unpack(payload)
        subject = payload.count_id if isinstance(payload, events.CountAdjustmentsPosted) else payload.item_sku  # type: ignore[attr-defined]
        if subject in self.about:
            self.received.append((envelope.type.removeprefix("inventory.stock."), payload))
            self.envelopes.append(envelope)

    def of(self, fact: str) -> list[Any]:
        """The payloads of one fact ("movement.posted", "shortage", ...), in order."""
        return [payload for kind, payload in self.received if kind == fact]

    async def settle(self, services: Any, sku: str, lot: str = "") -> None:
        """Wait until every event of the commands posted so far has arrived.

        A receipt into QC_HOLD changes no availability, so its receipt.posted is the last
        event of its transaction; the relay publishes in commit order, so once it is here
        everything committed before it is here too.
        """
        marker = await receive(services, sku, 1, place("WH1", lot=lot, status=pb.STOCK_STATUS_QC_HOLD))

        async def arrived() -> bool:
            return any(m.movement_id == marker.id for m in self.of("receipt.posted"))

        await eventually(arrived, f"the marker receipt {marker.id} of {sku} on NATS")


@asynccontextmanager
async def stock_events(events: EventBus, *about: str) -> AsyncIterator[StockEvents]:
    """Watch, through an ordered (ephemeral) consumer, the events about these SKUs or counts from now on."""
    client = await nats.connect(events.url)
    js = client.jetstream()
    await bus.ensure_stream(js, events.stream)
    watched = StockEvents(frozenset(about))
    subscription = await js.subscribe(
        events.subject("inventory.stock.>"),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
        cb=watched._receive,
    )
    try:
        yield watched
    finally:
        await subscription.unsubscribe()
        await client.close()
