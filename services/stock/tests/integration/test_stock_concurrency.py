"""Many clients at once never oversell, never deadlock, and leave the book true."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import grpc
from stock_support import (
    Refusal,
    assert_no_drift,
    availability,
    balances,
    create_item,
    create_warehouses,
    d,
    key,
    listed_reservations,
    movement,
    movements,
    nonzero,
    outcome,
    place,
    receive,
    sum_of_movements,
)

from invariant.stock.v1 import stock_pb2 as pb
from invariant_kernel.errors import ErrorCode

CLIENTS = 100
SOLD_OUT = Refusal(grpc.StatusCode.FAILED_PRECONDITION, ErrorCode.INSUFFICIENT_STOCK, "")


def one_line(sku: str, quantity: str | int = 1) -> pb.ReserveRequest:
    return pb.ReserveRequest(
        idempotency_key=key(), lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(quantity))]
    )


def sold_out(refusal: Refusal | None) -> bool:
    """INSUFFICIENT_STOCK, whichever field it names (the line, or "lines" when the stock went meanwhile)."""
    return refusal is not None and (refusal.status, refusal.code) == (SOLD_OUT.status, SOLD_OUT.code)


async def assert_book_is_true(services: Any, *skus: str) -> None:
    """Every balance is the sum of its movements and none is negative; nothing drifted."""
    for sku in skus:
        found = await balances(services, sku)
        assert nonzero(found) == nonzero(sum_of_movements(await movements(services, sku)))
        assert all(quantity >= 0 for quantity in found.values())
        for warehouse in ("WH1", "WH2"):
            held = await listed_reservations(services, item_sku=sku, warehouse=warehouse, open_only=True)
            buckets = await availability(services, sku, warehouse)
            assert buckets["reserved"] == sum(Decimal(r.open.value) for r in held)
            assert 0 <= buckets["reserved"] <= buckets["on_hand"]
    await assert_no_drift(services)


async def test_a_hundred_clients_racing_for_the_last_seven_units_get_exactly_seven(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 7)

    results = await asyncio.gather(*(outcome(services.stock.Reserve(one_line(sku))) for _ in range(CLIENTS)))

    refusals = [r for r in results if r is not None]
    assert len(results) - len(refusals) == 7
    assert all(sold_out(r) for r in refusals), Counter(refusals)
    assert await availability(services, sku, "WH1") == {
        "on_hand": 7,
        "qc_hold": 0,
        "rejected": 0,
        "in_transit": 0,
        "reserved": 7,
        "atp": 0,
    }
    held = await listed_reservations(services, item_sku=sku, open_only=True)
    assert sorted(r.open.value for r in held) == ["1"] * 7
    await assert_book_is_true(services, sku)


async def test_multi_line_reservations_naming_items_in_opposite_orders_neither_deadlock_nor_oversell(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services)
    scarce, plenty = await create_item(services), await create_item(services)
    await receive(services, scarce, 20)
    await receive(services, plenty, 30)

    def both(first: str, second: str) -> pb.ReserveRequest:
        return pb.ReserveRequest(
            idempotency_key=key(),
            lines=[
                pb.ReservationLine(item_sku=first, warehouse="WH1", quantity=d(1)),
                pb.ReservationLine(item_sku=second, warehouse="WH1", quantity=d(1)),
            ],
        )

    orders = [both(scarce, plenty) if n % 2 else both(plenty, scarce) for n in range(CLIENTS)]
    results = await asyncio.gather(*(outcome(services.stock.Reserve(order)) for order in orders))

    refusals = [r for r in results if r is not None]
    # Each granted order holds one of each, all or nothing: the scarce item decides.
    assert len(results) - len(refusals) == 20
    assert all(sold_out(r) for r in refusals), Counter(refusals)
    assert (await availability(services, scarce, "WH1"))["reserved"] == 20
    assert (await availability(services, plenty, "WH1"))["reserved"] == 20
    await assert_book_is_true(services, scarce, plenty)


async def test_issues_and_transfers_racing_reservations_for_one_item_never_oversell(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 30)
    calls = []
    for n in range(CLIENTS):
        if n % 5 in (0, 1):
            calls.append(("reserved", services.stock.Reserve(one_line(sku))))
        elif n % 5 in (2, 3):
            issue = movement(pb.MOVEMENT_TYPE_ISSUE, sku, 1, source=place("WH1"))
            calls.append(("issued", services.stock.PostMovement(issue)))
        else:
            transfer = movement(
                pb.MOVEMENT_TYPE_TRANSFER, sku, 1, source=place("WH1"), target=place("WH2", "IN_TRANSIT")
            )
            calls.append(("sent", services.stock.PostMovement(transfer)))

    results = await asyncio.gather(*(outcome(call) for _, call in calls))

    assert all(r is None or sold_out(r) for r in results), Counter(results)
    done = Counter(kind for (kind, _), result in zip(calls, results, strict=True) if result is None)
    # Demand (100) exceeds supply (30): every unit went, and none went twice.
    assert done["reserved"] + done["issued"] + done["sent"] == 30
    assert await availability(services, sku, "WH1") == {
        "on_hand": 30 - done["issued"] - done["sent"],
        "qc_hold": 0,
        "rejected": 0,
        "in_transit": 0,
        "reserved": done["reserved"],
        "atp": 0,
    }
    assert (await availability(services, sku, "WH2"))["in_transit"] == done["sent"]
    # Counters compare missing kinds as zero: some kinds may have got nothing.
    assert Counter(m.type for m in await movements(services, sku)) == Counter(
        {pb.MOVEMENT_TYPE_RECEIPT: 1, pb.MOVEMENT_TYPE_ISSUE: done["issued"], pb.MOVEMENT_TYPE_TRANSFER: done["sent"]}
    )
    await assert_book_is_true(services, sku)


async def test_issues_against_reservations_racing_new_reservations_keep_what_was_promised(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services)
    sku = await create_item(services)
    await receive(services, sku, 40)
    promised = []
    for _ in range(10):
        reply = await services.stock.Reserve(one_line(sku, 2))
        promised.append(reply.reservations[0].id)

    shipments = [
        services.stock.IssueReservation(
            pb.IssueReservationRequest(idempotency_key=key(), reservation_id=r, quantity=d(2), location="A-01")
        )
        for r in promised
    ]
    grabs = [services.stock.Reserve(one_line(sku)) for _ in range(CLIENTS - len(shipments))]
    results = await asyncio.gather(*(outcome(call) for call in [*shipments, *grabs]))

    # Every promise was kept; the newcomers shared only the 20 nobody had been promised.
    assert results[: len(shipments)] == [None] * len(shipments)
    assert all(r is None or sold_out(r) for r in results[len(shipments) :]), Counter(results)
    assert sum(r is None for r in results[len(shipments) :]) == 20
    assert await availability(services, sku, "WH1") == {
        "on_hand": 20,
        "qc_hold": 0,
        "rejected": 0,
        "in_transit": 0,
        "reserved": 20,
        "atp": 0,
    }
    await assert_book_is_true(services, sku)
